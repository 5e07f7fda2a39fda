"""Real browser: a guest adds to the cart (and logs in on the way), buys from
two sellers in one checkout (the default address pre-selected), sees two
orders; one seller ships and delivers theirs, the buyer cancels the other,
on a 320 px wide phone screen."""
import re

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


def fits(page) -> bool:
    """No sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_buy_from_two_sellers_ship_deliver_and_cancel(page, live_server, make_user, make_offer):
    page.set_viewport_size({"width": 320, "height": 640})
    buyer = make_user(first_name="Bea", balance="100", address="12 Long Street, Springfield")
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
    expect(page.locator("input[name=address_id]")).to_be_checked()  # no extra click for the address
    assert fits(page)
    page.click("main button:has-text('Place order')")
    expect(page.locator("text=Your order is placed: 75.50")).to_be_visible()
    expect(page.locator("main h2")).to_have_count(2)  # one order per seller
    expect(page.locator("main button:has-text('Cancel this order')")).to_have_count(2)
    expect(page.locator("header >> text=Bea · 24.50")).to_be_visible()
    assert fits(page)
    purchase_url = page.url
    log_out(page)

    page.goto(f"{live_server}/auth/login")
    log_in(page, ann)
    page.click("header >> text=Selling")
    page.click("header >> text=Orders")
    expect(page.locator("text=12 Long Street, Springfield")).to_be_visible()
    page.click("main h2 a")
    page.fill("#carrier", "Posti")
    page.fill("#tracking", "JJFI 6500 1234")
    page.click("main button:has-text('Mark shipped')")
    expect(page.locator("text=is marked shipped")).to_be_visible()
    assert fits(page)
    page.click("main button:has-text('Mark delivered')")
    expect(page.get_by_text(re.compile(r"30\.00\sEUR is paid to the seller"))).to_be_visible()
    expect(page.locator("header >> text=Ann · 30.00")).to_be_visible()
    log_out(page)

    page.goto(f"{live_server}/auth/login")
    log_in(page, buyer)
    page.click("header >> text=Purchases")
    page.click("main table >> text=#")
    assert page.url == purchase_url
    ben_order = page.locator("section", has_text="from Ben Seller")
    ben_order.locator("button:has-text('Cancel this order')").click()
    expect(page.get_by_text(re.compile(r"45\.50\sEUR is refunded to the buyer"))).to_be_visible()
    expect(page.locator("header >> text=Bea · 70.00")).to_be_visible()
    ann_order = page.locator("section", has_text="from Ann Seller")
    expect(ann_order.locator("text=JJFI 6500 1234")).to_be_visible()
    expect(ann_order.locator(".state-delivered").first).to_be_visible()
    ben_order = page.locator("section", has_text="from Ben Seller")
    expect(ben_order.locator(".state-cancelled").first).to_be_visible()
    assert fits(page)
