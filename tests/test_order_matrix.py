"""The after-checkout matrix through HTTP: one purchase from three sellers,
each seller's order on its own path (ship -> deliver -> return accepted;
buyer cancel with a flash-sale line; seller cancels one line -> ship ->
deliver -> return refused), with every invariant checked after every step."""
import re
from decimal import Decimal

from app import db
from app.models import shipping
from tests.support import assert_invariants
from tests.support import log_in as login

D = Decimal


def add(client, offer, quantity):
    response = client.post("/cart/add", data={"offer_id": offer["offer_id"], "quantity": quantity,
                                              "next": "/cart"})
    assert response.status_code == 302


def place_order(client) -> int:
    page = client.get("/checkout").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    address = re.search(r'<input checked id="address_id-\d+" name="address_id" type="radio" '
                        r'value="(\d+)"', page)
    assert address, "the default address is pre-selected"
    response = client.post("/checkout", data={"idempotency_key": key, "address_id": address.group(1)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def query(app, statement, params=()):
    with app.app_context():
        return db.query(statement, params)


def balances(app, *users) -> list[Decimal]:
    with app.app_context():
        return [db.query_value("SELECT balance FROM users WHERE id = %s", (user.id,)) for user in users]


def test_three_sellers_three_paths(app, database, user_client, make_user, make_offer):
    client, buyer = user_client(balance="500", first_name="Bea", address="7 Elm Street")
    sellers = {name: make_user(first_name=name, last_name="Seller") for name in ("Ann", "Ben", "Cat")}
    ann, ben, cat = (app.test_client() for _ in range(3))
    for seller_client, seller in zip((ann, ben, cat), sellers.values(), strict=True):
        login(seller_client, seller)
    lamp = make_offer(seller=sellers["Ann"], name="Lamp", price="40.00", quantity=5)
    rug = make_offer(seller=sellers["Ben"], name="Rug", price="30.00", quantity=5)
    vase = make_offer(seller=sellers["Cat"], name="Vase", price="12.00", quantity=5)
    cup = make_offer(seller=sellers["Cat"], name="Cup", price="3.00", quantity=9)
    stock = {offer["offer_id"]: offer["quantity"] for offer in (lamp, rug, vase, cup)}
    with app.app_context():
        shipping.save_settings(sellers["Cat"].id, D("4.50"), D("100.00"))
        db.execute("""INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total,
                                               per_customer_limit)
                      VALUES (%s, 25, now() - interval '1 hour', now() + interval '1 hour', 3, 2)""",
                   (rug["offer_id"],))
    assert ann.post("/sell/shipping", data={"fee": "5.00", "free_from": "70"}).status_code == 302
    for offer, quantity in ((lamp, 2), (rug, 2), (vase, 1), (cup, 4)):
        add(client, offer, quantity)
    cart = client.get("/cart").get_data(as_text=True)
    assert "Shipping from Cat Seller" in cart and "4.50" in cart
    purchase = place_order(client)
    # Ann: 80 (free shipping from 70); Ben: 2 x 25 flash price; Cat: 12 + 12 + 4.50 shipping.
    assert balances(app, buyer, *sellers.values()) == [D("500") - D("80") - D("50") - D("28.50"), 0, 0, 0]
    orders = {row["seller_id"]: row["id"] for row in query(
        app, "SELECT id, seller_id FROM orders WHERE purchase_id = %s", (purchase,))}
    ann_order, ben_order, cat_order = (orders[seller.id] for seller in sellers.values())
    page = client.get(f"/purchases/{purchase}").get_data(as_text=True)
    assert page.count("Cancel this order") == 3 and "7 Elm Street" in page
    assert_invariants(database, stock)

    # Ben's order: the buyer cancels before it ships; the flash-sale units come back.
    response = client.post(f"/purchases/orders/{ben_order}/cancel")
    assert response.status_code == 302
    assert "refunded" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert query(app, "SELECT units_sold FROM flash_sales") == [{"units_sold": 0}]
    assert client.post(f"/purchases/orders/{ben_order}/cancel").status_code == 302  # a double click
    assert "already cancelled" in client.get(f"/purchases/{purchase}").get_data(as_text=True)
    assert ben.post(f"/sell/orders/{ben_order}/ship").status_code == 409
    assert_invariants(database, stock)

    # Cat's order: Cat cannot send the cups, cancels that line, ships and delivers the vase.
    cup_line = query(app, "SELECT id FROM order_lines WHERE offer_id = %s", (cup["offer_id"],))[0]["id"]
    assert "Ship to" in cat.get(f"/sell/orders/{cat_order}").get_data(as_text=True)
    assert cat.post(f"/sell/orders/{cat_order}/lines/{cup_line}/cancel").status_code == 302
    assert_invariants(database, stock)
    shipped = cat.post(f"/sell/orders/{cat_order}/ship", data={"carrier": "Posti", "tracking": "JJ1"})
    assert shipped.status_code == 302
    assert client.post(f"/purchases/orders/{cat_order}/cancel").status_code == 409
    assert "JJ1" in client.get(f"/purchases/{purchase}").get_data(as_text=True)
    assert cat.post(f"/sell/orders/{cat_order}/deliver").status_code == 302
    assert balances(app, sellers["Cat"]) == [D("16.50")]
    assert_invariants(database, stock)

    # Ann's order: shipped, the buyer confirms it arrived, returns one lamp; Ann accepts.
    assert ann.post(f"/sell/orders/{ann_order}/ship", data={"carrier": "", "tracking": ""}).status_code == 302
    assert client.post(f"/purchases/orders/{ann_order}/confirm").status_code == 302
    assert balances(app, sellers["Ann"]) == [D("80.00")]
    assert_invariants(database, stock)
    lamp_line = query(app, "SELECT id FROM order_lines WHERE offer_id = %s", (lamp["offer_id"],))[0]["id"]
    form = client.get(f"/purchases/orders/{ann_order}/return").get_data(as_text=True)
    assert f'name="line-{lamp_line}"' in form
    too_many = client.post(f"/purchases/orders/{ann_order}/return", data={f"line-{lamp_line}": "3",
                                                                         "reason": "Broken"})
    assert too_many.status_code == 400 and "at most 2" in too_many.get_data(as_text=True)
    assert client.post(f"/purchases/orders/{ann_order}/return",
                       data={f"line-{lamp_line}": "1", "reason": "Broken"}).status_code == 302
    return_id = query(app, "SELECT id FROM return_requests WHERE order_id = %s", (ann_order,))[0]["id"]
    assert "Broken" in ann.get(f"/sell/orders/{ann_order}").get_data(as_text=True)
    assert ann.post(f"/sell/orders/returns/{return_id}/accept").status_code == 302
    assert ann.post(f"/sell/orders/returns/{return_id}/accept").status_code == 302
    assert balances(app, sellers["Ann"]) == [D("40.00")]
    assert_invariants(database, stock)

    # Cat's order again: a return of the vase, refused.
    vase_line = query(app, "SELECT id FROM order_lines WHERE offer_id = %s", (vase["offer_id"],))[0]["id"]
    assert client.post(f"/purchases/orders/{cat_order}/return",
                       data={f"line-{vase_line}": "1", "reason": "Changed my mind"}).status_code == 302
    refused = query(app, "SELECT id FROM return_requests WHERE order_id = %s", (cat_order,))[0]["id"]
    assert cat.post(f"/sell/orders/returns/{refused}/refuse").status_code == 302
    assert cat.post(f"/sell/orders/returns/{refused}/accept").status_code == 409
    assert_invariants(database, stock)

    assert balances(app, buyer, *sellers.values()) == [
        D("500") - D("80") - D("28.50") + D("40") + D("12"), D("40.00"), 0, D("16.50")]
    page = client.get(f"/purchases/{purchase}").get_data(as_text=True)
    for text in ("Delivered", "Cancelled", "Return accepted", "Return refused", "Posti", "JJ1"):
        assert text in page
    for state in ("cancelled", "delivered"):
        listed = client.get(f"/purchases/?state={state}").get_data(as_text=True)
        assert f"/purchases/{purchase}" in listed
    assert f"/purchases/{purchase}" not in client.get("/purchases/?state=shipped").get_data(as_text=True)
    assert f"/sell/orders/{cat_order}" in cat.get("/sell/orders?status=delivered").get_data(as_text=True)
    assert f"/sell/orders/{cat_order}" not in cat.get("/sell/orders?status=placed").get_data(as_text=True)


def test_someone_elses_order_is_not_found(app, user_client, make_user, make_offer):
    client, buyer = user_client(balance="50")
    other, _ = user_client()
    seller = make_user()
    seller_client = app.test_client()
    login(seller_client, seller)
    add(client, make_offer(seller=seller), 1)
    purchase = place_order(client)
    order = query(app, "SELECT id FROM orders WHERE purchase_id = %s", (purchase,))[0]["id"]
    line = query(app, "SELECT id FROM order_lines")[0]["id"]
    for path in (f"/purchases/orders/{order}/cancel", f"/purchases/orders/{order}/confirm",
                 f"/purchases/orders/{order}/return", f"/sell/orders/{order}/ship",
                 f"/sell/orders/{order}/lines/{line}/cancel"):
        assert other.post(path, data={"reason": "x", f"line-{line}": "1"}).status_code == 404, path
    assert other.get(f"/sell/orders/{order}").status_code == 404
    assert client.post(f"/sell/orders/{order}/ship").status_code == 404  # the buyer is not the seller
    assert seller_client.post(f"/purchases/orders/{order}/cancel").status_code == 404
    assert client.post(f"/purchases/orders/{order}/cancel", csrf=False).status_code == 400
    assert query(app, "SELECT state FROM orders") == [{"state": "placed"}]


def test_bad_tracking_and_return_input_is_explained(app, user_client, make_user, make_offer):
    client, buyer = user_client(balance="50")
    seller = make_user()
    seller_client = app.test_client()
    login(seller_client, seller)
    add(client, make_offer(seller=seller), 2)
    purchase = place_order(client)
    order = query(app, "SELECT id FROM orders WHERE purchase_id = %s", (purchase,))[0]["id"]
    for tracking, message in (("A\x00B", "NUL"), ("9" * 5000, "At most 100")):
        response = seller_client.post(f"/sell/orders/{order}/ship",
                                      data={"carrier": "X", "tracking": tracking})
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert query(app, "SELECT state FROM orders") == [{"state": "placed"}]
    assert client.post(f"/purchases/orders/{order}/return",
                       data={"reason": "early"}).status_code == 409  # not delivered yet
    seller_client.post(f"/sell/orders/{order}/ship")
    seller_client.post(f"/sell/orders/{order}/deliver")
    line = query(app, "SELECT id FROM order_lines")[0]["id"]
    for data, message in (({f"line-{line}": "-1", "reason": "x"}, "from 0"),
                          ({f"line-{line}": "abc", "reason": "x"}, "whole number"),
                          ({f"line-{line}": "0", "reason": "x"}, "at least one unit"),
                          ({f"line-{line}": "1", "reason": ""}, "reason"),
                          ({f"line-{line}": "1", "reason": "r" * 1001}, "1,000")):
        response = client.post(f"/purchases/orders/{order}/return", data=data)
        assert response.status_code == 400 and message in response.get_data(as_text=True), data
    assert query(app, "SELECT count(*) AS n FROM return_requests") == [{"n": 0}]
