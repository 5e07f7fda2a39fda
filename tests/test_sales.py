"""Flash sales: creating them (and refusing bad ones), the home page list,
the sale price in cart and checkout, units and the per-customer limit."""
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app import db
from tests.support import assert_invariants

FORMAT = "%Y-%m-%dT%H:%M"


def moment(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).strftime(FORMAT)


def sale_form(**changes) -> dict:
    return {"sale_price": "6.00", "starts_at": moment(minutes=1), "ends_at": moment(days=1),
            "units": "5", "per_customer_limit": "2", **changes}


def make_sale(app, offer, sale_price="6.00", units=5, limit=2, starts=timedelta(hours=-1),
              ends=timedelta(hours=1)) -> int:
    now = datetime.now(UTC)
    with app.app_context():
        return db.query_value(
            """INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total,
                                        per_customer_limit)
               VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
            (offer["offer_id"], Decimal(sale_price), now + starts, now + ends, units, limit))


def sales_count(app) -> int:
    with app.app_context():
        return db.query_value("SELECT count(*) FROM flash_sales")


def add(client, offer, quantity=1):
    return client.post("/cart/add", data={"offer_id": str(offer["offer_id"]), "quantity": str(quantity),
                                          "next": "/cart"})


def put_in_cart(app, client, offer, quantity):
    """A cart line written directly, as if added before the sale changed."""
    with client.session_transaction() as session:
        user_id = int(session["_user_id"].partition(":")[0])
    with app.app_context():
        db.execute("""INSERT INTO cart_items (user_id, offer_id, quantity, price_seen)
                      VALUES (%s, %s, %s, 1) ON CONFLICT (user_id, offer_id)
                      DO UPDATE SET quantity = EXCLUDED.quantity""", (user_id, offer["offer_id"], quantity))
    return user_id


def place(client):
    page = client.get("/checkout").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/checkout", data={"idempotency_key": key})


def test_seller_creates_a_sale_from_the_ui(app, user_client, make_offer):
    client, seller = user_client()
    offer = make_offer(seller=seller, price="10.00", quantity=20, name="Copper kettle")
    choose = client.get("/sell/sales/new").get_data(as_text=True)
    assert "Copper kettle" in choose and f"/sell/sales/new/{offer['offer_id']}" in choose
    assert "Copper kettle" in client.get("/sell/sales/new?q=KETT").get_data(as_text=True)
    assert "None of your offers in stock matches" in client.get("/sell/sales/new?q=teapot").get_data(
        as_text=True)
    assert client.get("/sell/sales/new?q=" + "x" * 201).status_code == 400
    form = client.get(f"/sell/sales/new/{offer['offer_id']}").get_data(as_text=True)
    assert 'type="datetime-local"' in form and 'value="2"' in form  # a tenth of the stock by default
    response = client.post(f"/sell/sales/new/{offer['offer_id']}", data=sale_form(starts_at=moment()))
    assert response.status_code == 302 and response.headers["Location"] == "/sell/sales/"
    listing = client.get("/sell/sales/").get_data(as_text=True)
    assert "Flash sale created" in listing and "Copper kettle" in listing and "Live" in listing
    assert "0 of 5" in listing


@pytest.mark.parametrize("changes, message", [
    ({"ends_at": moment(minutes=1), "starts_at": moment(minutes=2)}, "The end must be after the start."),
    ({"starts_at": moment(hours=-2)}, "The sale cannot start in the past."),
    ({"ends_at": moment(days=40)}, "at most 30 days"),
    ({"sale_price": "10.00"}, "must be below the regular price (10.00\u00a0EUR)"),
    ({"sale_price": "12"}, "must be below the regular price"),
    ({"sale_price": "-1"}, "more than 0"),
    ({"sale_price": "abc"}, "as a number"),
    ({"units": "21"}, "Enter from 1 to 20 units (your stock)."),
    ({"units": "0"}, "Enter a number from 1"),
    ({"per_customer_limit": "0"}, "Enter a number from 1"),
    ({"per_customer_limit": "6"}, "from 1 to the units for the sale"),
    ({"per_customer_limit": "1.5"}, "whole number"),
    ({"starts_at": "tomorrow"}, "Enter a date and time like"),
    ({"ends_at": ""}, "Enter a date and time."),
])
def test_bad_sales_are_refused(app, user_client, make_offer, changes, message):
    client, seller = user_client()
    offer = make_offer(seller=seller, price="10.00", quantity=20)
    response = client.post(f"/sell/sales/new/{offer['offer_id']}", data=sale_form(**changes))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert sales_count(app) == 0


def test_overlapping_sales_and_foreign_or_stopped_offers(app, user_client, make_offer):
    client, seller = user_client()
    offer = make_offer(seller=seller, price="10.00", quantity=20)
    url = f"/sell/sales/new/{offer['offer_id']}"
    assert client.post(url, data=sale_form()).status_code == 302
    response = client.post(url, data=sale_form(starts_at=moment(hours=5), ends_at=moment(days=2)))
    assert response.status_code == 400 and "sales cannot overlap" in response.get_data(as_text=True)
    after_it = sale_form(starts_at=moment(days=1), ends_at=moment(days=2))
    assert client.post(url, data=after_it).status_code == 302
    other = make_offer(price="10.00")
    assert client.get(f"/sell/sales/new/{other['offer_id']}").status_code == 404
    assert client.post(f"/sell/sales/new/{other['offer_id']}", data=sale_form()).status_code == 404
    with app.app_context():
        db.execute("UPDATE offers SET active = false WHERE id = %s", (offer["offer_id"],))
    response = client.post(url, data=sale_form(starts_at=moment(days=3), ends_at=moment(days=4)))
    assert response.status_code == 400 and "You stopped selling this offer" in response.get_data(as_text=True)
    assert client.post(url, data=sale_form(), csrf=False).status_code == 400
    assert sales_count(app) == 2


def sales_section(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return page.split('<h2 id="flash-sales-heading">Flash sales</h2>')[1].split("</section>")[0]


def test_home_page_lists_live_and_upcoming_sales(app, client, user_client, make_offer):
    live = make_offer(name="Live lamp", price="10.00", quantity=9)
    soon = make_offer(name="Soon sofa", price="80.00", quantity=9)
    over = make_offer(name="Past pot", price="10.00", quantity=9)
    make_sale(app, live, "6.00")
    make_sale(app, soon, "60.00", starts=timedelta(hours=2), ends=timedelta(hours=3))
    make_sale(app, over, "5.00", starts=timedelta(hours=-3), ends=timedelta(hours=-2))
    page = sales_section(client)
    assert "Live lamp" in page and "Soon sofa" in page and "Past pot" not in page
    assert "Live until" in page and "Starts" in page and "Add to cart" not in page
    shopper, buyer = user_client()
    page = sales_section(shopper)
    assert page.count("Add to cart<span class=\"sr\">: Live lamp") == 1
    assert "Soon sofa" in page and "Add to cart<span class=\"sr\">: Soon sofa" not in page


def test_sale_price_units_and_limit_at_checkout(app, database, user_client, make_offer):
    offer = make_offer(name="Lamp", price="10.00", quantity=10)
    sale_id = make_sale(app, offer, "6.00", units=3, limit=2)
    first, _ = user_client(balance="100")
    add(first, offer, 2)
    cart = first.get("/cart").get_data(as_text=True)
    assert "6.00" in cart and "12.00" in cart and "Flash sale until" in cart
    assert place(first).status_code == 302
    refused = add(first, offer, 1)
    assert "Flash sale limit reached" in first.get(refused.headers["Location"]).get_data(as_text=True)
    # Lines put in the cart before others bought: checkout refuses them too.
    put_in_cart(app, first, offer, 1)
    response = place(first)
    assert response.status_code == 409
    assert "Flash sale limit reached: at most 2 per customer, and you have bought them." in response.get_data(
        as_text=True)
    second, _ = user_client(balance="100")
    put_in_cart(app, second, offer, 2)
    response = place(second)
    assert response.status_code == 409
    assert "The flash sale is sold out: only 1 left, you asked for 2." in response.get_data(as_text=True)
    with app.app_context():
        db.execute("UPDATE cart_items SET quantity = 1")
    assert place(second).status_code == 302
    third, _ = user_client(balance="100")
    put_in_cart(app, third, offer, 1)
    response = place(third)
    assert response.status_code == 409 and "The flash sale is sold out." in response.get_data(as_text=True)
    with app.app_context():
        assert db.query_value("SELECT units_sold FROM flash_sales WHERE id = %s", (sale_id,)) == 3
        assert db.query_value("SELECT sum(quantity * unit_price) FROM order_lines "
                              "WHERE flash_sale_id = %s", (sale_id,)) == Decimal("18.00")
    assert_invariants(database, {offer["offer_id"]: 10})


def test_after_the_sale_the_regular_price_is_back(app, database, user_client, make_offer):
    offer = make_offer(name="Lamp", price="10.00", quantity=10)
    sale_id = make_sale(app, offer, "6.00")
    client, buyer = user_client(balance="100")
    add(client, offer, 1)
    with app.app_context():
        db.execute("UPDATE flash_sales SET starts_at = now() - interval '2 hours', "
                   "ends_at = now() - interval '1 hour' WHERE id = %s", (sale_id,))
    cart = client.get("/cart").get_data(as_text=True)
    assert "The price changed from 6.00\u00a0EUR to 10.00\u00a0EUR since you added it." in cart
    assert place(client).status_code == 302
    with app.app_context():
        assert db.query_value("SELECT unit_price::text || coalesce(flash_sale_id::text, '-') "
                              "FROM order_lines") == "10.00-"
    assert_invariants(database, {offer["offer_id"]: 10})


def test_the_seller_cannot_buy_their_own_sale(app, client, make_user, make_offer, login):
    seller = make_user(balance="50")
    offer = make_offer(seller=seller, name="Lamp", price="10.00")
    make_sale(app, offer)
    login(client, seller)
    assert "Your sale" in client.get("/").get_data(as_text=True)
    response = add(client, offer)
    assert "your own offer" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_product_page_shows_the_live_sale_price(app, client, make_offer):
    offer = make_offer(name="Lamp", price="10.00", quantity=10)
    rival = make_offer(name="Lamp", price="8.00", quantity=10, product_id=offer["product_id"])
    sale_id = make_sale(app, offer, "6.00", units=3)
    page = client.get(f"/products/{offer['product_id']}").get_data(as_text=True)
    assert "<strong>6.00\u00a0EUR</strong> <s>10.00\u00a0EUR</s>" in page and "3 left" in page
    offers = page[page.index("<tbody>"):]
    assert offers.index("6.00") < offers.index("8.00")  # cheapest first, at the sale price
    with app.app_context():
        db.execute("UPDATE flash_sales SET units_sold = units_total WHERE id = %s", (sale_id,))
    page = client.get(f"/products/{offer['product_id']}").get_data(as_text=True)
    assert "Flash sale sold out" in page
    assert f'name="offer_id" value="{rival["offer_id"]}"' in page
    assert f'name="offer_id" value="{offer["offer_id"]}"' not in page
