"""Real browser: a buyer reviews a product they bought and sees the average change."""
import pytest
from playwright.sync_api import expect

from app.models import review
from tests.support import PASSWORD, make_purchase

pytestmark = pytest.mark.browser


def test_buyer_reviews_and_sees_the_average_change(app, page, live_server, make_user, make_offer):
    offer = make_offer(name="Enamel teapot")
    earlier, buyer = make_user(), make_user(first_name="Rita", email="rita@example.com")
    make_purchase(app, earlier, [(offer, 1)])
    make_purchase(app, buyer, [(offer, 2)])
    with app.app_context():
        review.create_review(review.PRODUCT, offer["product_id"], earlier.id, 2, "", "Drips a little.")

    page.goto(f"{live_server}/products/{offer['product_id']}")
    expect(page.locator("#reviews >> text=★ 2.0")).to_be_visible()
    page.click("#reviews >> text=Log in")
    page.fill("#email", "rita@example.com")
    page.fill("#password", PASSWORD)
    page.click("main button:has-text('Log in')")

    page.select_option("#review-rating", "5")
    page.fill("#review-title", "Lovely pot")
    page.fill("#review-body", "Pours cleanly, keeps <warm>.")
    page.click("button:has-text('Publish review')")
    expect(page.locator("text=Thank you, your review is published.")).to_be_visible()
    expect(page.locator("#reviews >> text=★ 3.5")).to_be_visible()
    expect(page.locator("#reviews >> text=2 ratings")).to_be_visible()
    # Escaped, under "Your review" and in the list of reviews.
    expect(page.locator("p.body", has_text="Pours cleanly, keeps <warm>.")).to_have_count(2)
    expect(page.locator("#reviews >> text=Verified purchase").first).to_be_visible()

    page.click("text=Edit your review")
    page.select_option("#review-rating", "4")
    page.click("button:has-text('Save review')")
    expect(page.locator("#reviews >> text=★ 3.0")).to_be_visible()
