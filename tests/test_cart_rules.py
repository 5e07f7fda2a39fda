"""The cart applies checkout's rules: what it adds or changes, checkout
buys; what checkout would refuse, the cart refuses with one message."""
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app import db


def make_sale(app, offer, units=10, limit=3, sale_price="6.00") -> int:
    now = datetime.now(UTC)
    with app.app_context():
        return db.query_value(
            """INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total,
                                        per_customer_limit)
               VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
            (offer["offer_id"], Decimal(sale_price), now - timedelta(hours=1), now + timedelta(hours=1),
             units, limit))


def cart_of(app, user) -> dict:
    with app.app_context():
        return {row["offer_id"]: row["quantity"] for row in
                db.query("SELECT offer_id, quantity FROM cart_items WHERE user_id = %s", (user.id,))}


def add(client, offer, quantity):
    return client.post("/cart/add", data={"offer_id": str(offer["offer_id"]), "quantity": str(quantity),
                                          "next": "/cart"}, follow_redirects=True)


def change(client, offer, quantity):
    return client.post("/cart/update", data={"offer_id": str(offer["offer_id"]), "quantity": str(quantity)})


def place(client):
    page = client.get("/checkout").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/checkout", data={"idempotency_key": key})


def test_adding_more_than_the_sale_limit_is_refused_not_added(app, user_client, make_offer):
    client, buyer = user_client(balance=Decimal("100"))
    offer = make_offer(quantity=50, name="Rake")
    make_sale(app, offer, limit=3)
    page = add(client, offer, 5).get_data(as_text=True)
    assert "Added" not in page
    assert "Not added to your cart: Flash sale limit reached: at most 3 per customer" in page
    assert cart_of(app, buyer) == {}
    add(client, offer, 3)
    page = add(client, offer, 1).get_data(as_text=True)
    assert "Not added to your cart" in page and "(You already have 3 in your cart.)" in page
    assert cart_of(app, buyer) == {offer["offer_id"]: 3}
    assert place(client).status_code == 302


def test_the_limit_counts_what_the_buyer_already_bought(app, user_client, make_offer):
    client, buyer = user_client(balance=Decimal("100"))
    offer = make_offer(quantity=50, name="Saucepan")
    sale_id = make_sale(app, offer, limit=3)
    with app.app_context():
        db.execute("INSERT INTO flash_sale_buyers (sale_id, buyer_id, units) VALUES (%s, %s, 2)",
                   (sale_id, buyer.id))
    page = add(client, offer, 2).get_data(as_text=True)
    assert "at most 3 per customer, you can buy 1 more." in page
    assert cart_of(app, buyer) == {}
    assert "Added 1 × Saucepan" in add(client, offer, 1).get_data(as_text=True)


def test_adding_more_than_the_sale_units_left_is_refused(app, user_client, make_offer):
    client, buyer = user_client()
    offer = make_offer(quantity=50, name="Kettle")
    make_sale(app, offer, units=2, limit=5)
    page = add(client, offer, 3).get_data(as_text=True)
    assert "The flash sale is sold out: only 2 left, you asked for 3." in page
    assert cart_of(app, buyer) == {}


def test_changing_the_quantity_beyond_the_stock_is_refused_with_one_message(app, user_client, make_offer):
    client, buyer = user_client()
    offer = make_offer(quantity=7, name="Teapot")
    add(client, offer, 1)
    response = change(client, offer, 999)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Quantity not changed: Sold out: only 7 left, you asked for 999." in page
    assert "Quantity changed." not in page
    assert cart_of(app, buyer) == {offer["offer_id"]: 1}
    response = change(client, offer, 7)
    assert response.status_code == 302
    assert "Quantity changed." in client.get("/cart").get_data(as_text=True)
    assert cart_of(app, buyer) == {offer["offer_id"]: 7}


def test_changing_the_quantity_beyond_the_sale_limit_is_refused(app, user_client, make_offer):
    client, buyer = user_client(balance=Decimal("100"))
    offer = make_offer(quantity=50, name="Lamp")
    make_sale(app, offer, limit=3)
    add(client, offer, 2)
    response = change(client, offer, 5)
    assert response.status_code == 400
    assert "Quantity not changed: Flash sale limit reached: at most 3 per customer" in \
        response.get_data(as_text=True)
    assert cart_of(app, buyer) == {offer["offer_id"]: 2}
    assert change(client, offer, 3).status_code == 302
    assert place(client).status_code == 302


def test_changing_a_line_that_is_not_in_the_cart_is_a_404(user_client, make_offer):
    client, _ = user_client()
    offer = make_offer(quantity=7)
    assert change(client, offer, 2).status_code == 404
