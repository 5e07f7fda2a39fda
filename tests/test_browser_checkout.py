"""Real browser: a guest adds to the cart (and logs in on the way), buys from
two sellers in one checkout, sees two orders; a seller fulfils theirs and
the buyer sees it."""
import pytest
from conftest import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page, user):
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("main button:has-text('Log in')")


def log_out(page):
    page.click("header button:has-text('Log out')")


def test_buy_from_two_sellers_and_see_one_order_fulfilled(page, live_server, make_user, make_offer):
    buyer = make_user(first_name="Bea", balance="100")
    ann = make_user(first_name="Ann", last_name="Seller")
    ben = make_user(first_name="Ben", last_name="Seller")
    lamp = make_offer(seller=ann, name="Brass Lamp", price="30.00", quantity=3)
    rug = make_offer(seller=ben, name="Wool Rug", price="45.50", quantity=2)

    # A guest's "Add to cart" asks them to log in, then brings them back.
    page.goto(f"{live_server}/products/{lamp['product_id']}")
    page.click("main button:has-text('Add to cart')")
    assert page.is_visible("text=Log in to add items to your cart.")
    log_in(page, buyer)
    assert page.inner_text("h1") == "Brass Lamp"
    page.click("main button:has-text('Add to cart')")
    assert page.is_visible("text=Added 1 × Brass Lamp to your cart")
    page.goto(f"{live_server}/products/{rug['product_id']}")
    page.click("main button:has-text('Add to cart')")
    assert page.is_visible("header >> text=Cart (2)")

    page.click("header >> text=Cart (2)")
    for seller in ("Ann", "Ben"):
        assert page.is_visible(f"text=Subtotal from {seller} Seller")
    page.click("main button:has-text('Check out')")
    assert page.inner_text("h1") == "Review your order" and page.is_visible("text=75.50")
    page.click("main button:has-text('Place order')")
    assert page.is_visible("text=Your order is placed: 75.50 paid")
    assert page.locator("main h2").count() == 2  # one order per seller
    assert page.locator("text=Status: Pending").count() == 2
    assert page.is_visible("header >> text=Bea · 24.50")
    purchase_url = page.url
    log_out(page)

    page.goto(f"{live_server}/auth/login")
    log_in(page, ann)
    page.click("header >> text=Selling")
    page.click("header >> text=Orders")
    assert page.is_visible("text=Ship to Bea User")
    page.click("main button:has-text('Mark fulfilled')")
    assert page.is_visible("text=is fulfilled: the buyer can see it")
    log_out(page)

    page.goto(f"{live_server}/auth/login")
    log_in(page, buyer)
    page.click("header >> text=Purchases")
    assert page.is_visible("text=1 of 2 orders fulfilled")
    page.click("main table >> text=#")
    assert page.url == purchase_url
    ann_order = page.locator("section", has_text="from Ann Seller")
    ben_order = page.locator("section", has_text="from Ben Seller")
    assert "Status: Fulfilled" in ann_order.inner_text() and "Status: Pending" in ben_order.inner_text()
