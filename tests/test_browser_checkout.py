"""Real browser: a guest adds to the cart (and logs in on the way), buys from
two sellers in one checkout, sees two orders; a seller fulfils theirs and
the buyer sees it."""
import pytest
from playwright.sync_api import expect

from tests.support import PASSWORD

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

    # A guest's "Add to cart" asks them to log in, then adds and brings them back.
    page.goto(f"{live_server}/products/{lamp['product_id']}")
    page.click("main button:has-text('Add to cart')")
    expect(page.locator("text=Log in or create an account, and it goes into your cart.")).to_be_visible()
    log_in(page, buyer)
    expect(page.locator("h1")).to_have_text("Brass Lamp")
    expect(page.locator("text=Added 1 × Brass Lamp to your cart (1 in it now)")).to_be_visible()
    page.goto(f"{live_server}/products/{rug['product_id']}")
    page.click("main button:has-text('Add to cart')")
    expect(page.locator("header >> text=Cart (2)")).to_be_visible()

    page.click("header >> text=Cart (2)")
    for seller in ("Ann", "Ben"):
        expect(page.locator(f"text=Subtotal from {seller} Seller")).to_be_visible()
    page.click("main button:has-text('Check out')")
    expect(page.locator("h1")).to_have_text("Review your order")
    expect(page.locator("text=75.50")).to_be_visible()
    page.click("main button:has-text('Place order')")
    expect(page.locator("text=Your order is placed: 75.50")).to_be_visible()
    expect(page.locator("main h2")).to_have_count(2)  # one order per seller
    expect(page.locator("text=Status: Pending")).to_have_count(2)
    expect(page.locator("header >> text=Bea · 24.50")).to_be_visible()
    purchase_url = page.url
    log_out(page)

    page.goto(f"{live_server}/auth/login")
    log_in(page, ann)
    page.click("header >> text=Selling")
    page.click("header >> text=Orders")
    expect(page.locator("text=Ship to Bea User")).to_be_visible()
    page.click("main button:has-text('Mark fulfilled')")
    expect(page.locator("text=is fulfilled: the buyer can see it")).to_be_visible()
    log_out(page)

    page.goto(f"{live_server}/auth/login")
    log_in(page, buyer)
    page.click("header >> text=Purchases")
    expect(page.locator("text=1 of 2 orders fulfilled")).to_be_visible()
    page.click("main table >> text=#")
    assert page.url == purchase_url
    ann_order = page.locator("section", has_text="from Ann Seller")
    ben_order = page.locator("section", has_text="from Ben Seller")
    assert "Status: Fulfilled" in ann_order.inner_text() and "Status: Pending" in ben_order.inner_text()
