"""Real browser: a buyer reviews a product they bought and sees the average change."""
import pytest
from conftest import PASSWORD
from purchases_helper import make_purchase

from app.models import review

pytestmark = pytest.mark.browser


def test_buyer_reviews_and_sees_the_average_change(app, page, live_server, make_user, make_offer):
    offer = make_offer(name="Enamel teapot")
    earlier, buyer = make_user(), make_user(first_name="Rita", email="rita@example.com")
    make_purchase(app, earlier, [(offer, 1)])
    make_purchase(app, buyer, [(offer, 2)])
    with app.app_context():
        review.create_review(review.PRODUCT, offer["product_id"], earlier.id, 2, "", "Drips a little.")

    page.goto(f"{live_server}/products/{offer['product_id']}")
    assert page.is_visible("#reviews >> text=★ 2.0")
    page.click("#reviews >> text=Log in")
    page.fill("#email", "rita@example.com")
    page.fill("#password", PASSWORD)
    page.click("main button:has-text('Log in')")

    page.select_option("#review-rating", "5")
    page.fill("#review-title", "Lovely pot")
    page.fill("#review-body", "Pours cleanly, keeps <warm>.")
    page.click("button:has-text('Publish review')")
    assert page.is_visible("text=Thank you, your review is published.")
    assert page.is_visible("#reviews >> text=★ 3.5")
    assert page.is_visible("#reviews >> text=2 ratings")
    assert page.is_visible("text=Pours cleanly, keeps <warm>.")
    assert page.is_visible("#reviews >> text=Verified purchase")

    page.click("text=Edit your review")
    page.select_option("#review-rating", "4")
    page.click("button:has-text('Save review')")
    assert page.is_visible("#reviews >> text=★ 3.0")
