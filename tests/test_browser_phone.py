"""Phones: every kind of page a logged-in shopper who also sells reaches
fits a 320-px screen without sideways scrolling, its controls are tap
targets of at least 24 x 24 px, no date wraps mid-number and the header
stays compact. A new page joins the walk by adding its URL to PAGES."""
from datetime import UTC, datetime, timedelta

import pytest

from app import db
from tests.support import PASSWORD, make_purchase

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}
# Every kind of page, with the ids of the data made below: {sale_product}
# is on a live flash sale by another seller, {purchase} the shopper's,
# {offer} her own offer, {seller} the other seller.
PAGES = [
    "/", "/search?q=casserole", "/search?q=casserole&sort=price_asc&in_stock=y", "/c/kitchen",
    "/products/{sale_product}", "/products/{rug_product}", "/users/{seller}", "/users/{shopper}",
    "/cart", "/checkout", "/purchases/", "/purchases/{purchase}", "/inbox/",
    "/account/", "/account/edit", "/account/password", "/account/analytics", "/account/reviews",
    "/reviews/product/{sale_product}/new", "/reviews/seller/{seller}/new",
    "/sell/inventory", "/sell/inventory/new", "/sell/inventory/new/{sale_product}",
    "/sell/inventory/{offer}/edit", "/sell/inventory/{offer}/stop", "/sell/inventory/file",
    "/purchases/orders/{bought_order}/return", "/account/addresses", "/account/addresses/{address}/edit",
    "/sell/orders", "/sell/orders?status=delivered", "/sell/orders/{sold_order}", "/sell/shipping",
    "/sell/sales/", "/sell/sales/new",
    "/sell/sales/new/{offer}", "/sell/analytics", "/sell/reviews",
]
# Long names and big numbers, as real data has them.
LONG_NAME = "Extra-large enamelled cast-iron casserole with lid, 28 cm, Cherry Red"

WIDTH = "document.documentElement.scrollWidth"
# What sticks out past the screen's right edge (the innermost elements), to name in a failure.
STICKING_OUT = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5 && !e.firstElementChild)
  .slice(0, 5).map(e => e.outerHTML.slice(0, 80))"""
# Controls smaller than 24 x 24 px (WCAG 2.2 target size); links in running
# text are exempt, links in a nav are not.
SMALL_TARGETS = """() => [...document.querySelectorAll(
    'button, input:not([type=hidden]), select, summary, nav a')]
  .filter(e => e.getClientRects().length)
  .filter(e => { const r = e.getBoundingClientRect(); return r.width < 24 || r.height < 24; })
  .map(e => e.outerHTML.slice(0, 80))"""
WRAPPED_TIMES = """() => [...document.querySelectorAll('time')]
  .filter(t => t.getClientRects().length > 1).map(t => t.textContent)"""


def live_sale(app, offer, starts=timedelta(hours=-1)) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        db.execute("""INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total,
                                               per_customer_limit)
                      VALUES (%s, %s, %s, %s, 40, 3)""",
                   (offer["offer_id"], offer["price"] / 2, now + starts, now + timedelta(days=3)))


@pytest.fixture
def shop(app, make_user, make_offer, user_client):
    """A shopper who also sells, with something in every list she sees."""
    seller = make_user(first_name="Annabelle-Josephine", last_name="Lee-Montgomery")
    client, shopper = user_client(first_name="Bartholomew", balance="98765.43")
    casserole = make_offer(seller=seller, name=LONG_NAME, category="Kitchen", price="1234.56", quantity=9999)
    live_sale(app, casserole)
    cheaper = make_offer(seller=make_user(), product_id=casserole["product_id"], price="1299.00", quantity=3)
    rug = make_offer(seller=shopper, name="Hand-knotted wool rug", category="Kitchen", price="450.00",
                     quantity=120)
    live_sale(app, rug, starts=timedelta(days=1))
    make_offer(seller=shopper, product_id=casserole["product_id"], price="1250.00", quantity=7)
    purchase = make_purchase(app, shopper, [(casserole, 2), (cheaper, 1)])
    make_purchase(app, make_user(first_name="Maximiliana", last_name="Featherstonehaugh"), [(rug, 3)])
    make_purchase(app, make_user(), [(rug, 1)])
    for path in (f"/reviews/product/{casserole['product_id']}/new", f"/reviews/seller/{seller.id}/new"):
        response = client.post(path, data={"review-rating": "4", "review-body": "Heavy and even."})
        assert response.status_code == 302, path
    for offer in (casserole, cheaper):
        client.post("/cart/add", data={"offer_id": offer["offer_id"], "quantity": "2"})
    with app.app_context():
        bought_order = db.query_value("SELECT min(id) FROM orders WHERE purchase_id = %s", (purchase,))
        sold_order = db.query_value("SELECT max(id) FROM orders WHERE seller_id = %s", (shopper.id,))
        address = db.query_value("SELECT id FROM addresses WHERE user_id = %s", (shopper.id,))
    return shopper, {"sale_product": casserole["product_id"], "rug_product": rug["product_id"],
                     "seller": seller.id, "shopper": shopper.id, "purchase": purchase,
                     "offer": rug["offer_id"], "bought_order": bought_order, "sold_order": sold_order,
                     "address": address}


def test_every_page_fits_a_320_px_phone(page, live_server, shop):
    shopper, ids = shop
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", shopper.email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main button:has-text('Log in')")
    problems = []
    for path in (p.format(**ids) for p in PAGES):
        response = page.goto(live_server + path)
        assert response.status == 200, path
        if (width := page.evaluate(WIDTH)) > PHONE["width"]:
            problems.append(f"{path} is {width} px wide: {page.evaluate(STICKING_OUT)}")
        if small := page.evaluate(SMALL_TARGETS):
            problems.append(f"{path} has targets under 24 px: {small}")
        if wrapped := page.evaluate(WRAPPED_TIMES):
            problems.append(f"{path} wraps dates: {wrapped}")
        if (header := page.evaluate("document.querySelector('header').offsetHeight")) > 150:
            problems.append(f"{path} has a header {header} px tall")
    assert not problems, "\n".join(problems)


def test_filters_fold_on_a_phone_and_stay_open_on_a_desktop(page, live_server, make_offer):
    make_offer(name="Copper casserole", category="Kitchen")
    price_field = page.locator("#price_min")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/c/kitchen")
    assert not price_field.is_visible()
    page.click("summary:has-text('Filters and sort')")  # no script: <details>
    assert price_field.is_visible()
    page.goto(f"{live_server}/c/kitchen?price_min=5")  # filters in use: open
    assert price_field.is_visible()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server}/c/kitchen")
    assert price_field.is_visible() and not page.locator("summary").is_visible()
