"""Purchase history and pages (buyer), orders and fulfilment (seller)."""
import re

import pytest

from app import db
from app.models import checkout


def buy(app, buyer, *lines, key=None) -> int:
    """Place an order for (offer, quantity) lines through the checkout model."""
    with app.app_context():
        items = [(offer["offer_id"], quantity) for offer, quantity in lines]
        return checkout.place_order(buyer.id, key, items)["id"]


def line_ids(app, purchase_id) -> list[int]:
    with app.app_context():
        return [row["id"] for row in db.query(
            """SELECT l.id FROM order_lines l JOIN orders o ON o.id = l.order_id
               WHERE o.purchase_id = %s ORDER BY l.id""", (purchase_id,))]


def purchase_links(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/purchases/(\d+)"', page)]


def test_history_is_newest_first_and_paginated(app, user_client, make_offer):
    client, buyer = user_client(balance="1000")
    offer = make_offer(price="1.00", quantity=100)
    ids = [buy(app, buyer, (offer, 1)) for _ in range(23)]
    first = client.get("/purchases/").get_data(as_text=True)
    assert purchase_links(first) == ids[::-1][:20] and 'rel="next"' in first
    second = client.get("/purchases/?page=2").get_data(as_text=True)
    assert purchase_links(second) == ids[::-1][20:] and 'rel="prev"' in second
    assert client.get("/purchases/?page=0").status_code == 400


def test_history_filters(app, user_client, make_user, make_offer):
    client, buyer = user_client(balance="1000")
    ann, ben = make_user(first_name="Ann"), make_user(first_name="Ben")
    lamp = make_offer(seller=ann, name="Brass lamp", price="3.00", quantity=9)
    rug = make_offer(seller=ben, name="Wool rug", price="4.00", quantity=9)
    old = buy(app, buyer, (lamp, 1))
    mixed = buy(app, buyer, (lamp, 1), (rug, 1))
    rug_only = buy(app, buyer, (rug, 2))
    with app.app_context():
        db.execute("UPDATE purchases SET created_at = '2024-03-10 12:00+00' WHERE id = %s", (old,))
    assert purchase_links(client.get(f"/purchases/?seller={ann.id}").get_data(as_text=True)) == [mixed, old]
    assert purchase_links(client.get("/purchases/?q=RUG").get_data(as_text=True)) == [rug_only, mixed]
    assert purchase_links(client.get("/purchases/?q=%25").get_data(as_text=True)) == []
    assert purchase_links(client.get("/purchases/?since=2024-03-10&until=2024-03-10")
                          .get_data(as_text=True)) == [old]
    recent = client.get("/purchases/?since=2024-03-11").get_data(as_text=True)
    assert purchase_links(recent) == [rug_only, mixed]
    page = client.get("/purchases/?q=nothing-like-this").get_data(as_text=True)
    assert "No purchases match these filters" in page
    assert client.get("/purchases/?q=a%00b").status_code == 200


@pytest.mark.parametrize("query, message", [
    ("since=yesterday", "Enter a date like 2026-01-31."),
    ("until=2024-02-30", "Enter a date like 2026-01-31."),
    ("since=2024-05-01&until=2024-04-01", "must not be before the start date"),
    ("seller=abc", "Not a valid choice"), ("seller=999999", "Not a valid choice"),
    ("q=" + "x" * 101, "At most 100 characters."),
])
def test_bad_history_filters_are_explained(user_client, query, message):
    client, _ = user_client()
    response = client.get("/purchases/?" + query)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_far_dates_do_not_break(user_client):
    client, _ = user_client()
    assert client.get("/purchases/?since=0001-01-01&until=9999-12-31").status_code == 200


def test_purchase_page_is_for_its_buyer_only(app, user_client, make_user, make_offer):
    client, buyer = user_client(balance="100")
    ann, ben = make_user(first_name="Ann"), make_user(first_name="Ben")
    purchase = buy(app, buyer, (make_offer(seller=ann, name="Lamp", price="3.00"), 2),
                   (make_offer(seller=ben, name="Rug", price="4.50"), 1))
    page = client.get(f"/purchases/{purchase}").get_data(as_text=True)
    assert "Order #" in page
    assert page.count('<dt>Status</dt><dd><strong class="state state-placed">Placed') == 2
    assert "Lamp" in page and "3.00" in page and "6.00" in page and "Rug" in page and "4.50" in page
    assert f'<a href="/purchases/{purchase}">purchase #{purchase}</a>' in client.get("/account/").get_data(
        as_text=True)
    other_client, _ = user_client()
    assert other_client.get(f"/purchases/{purchase}").status_code == 404
    assert client.get("/purchases/424242").status_code == 404
    assert client.get("/purchases/" + "9" * 30).status_code == 404
    assert app.test_client().get(f"/purchases/{purchase}").status_code == 302  # guests log in first


def test_seller_ships_and_delivers_and_the_buyer_sees_it(app, client, user_client, make_user, make_offer,
                                                        login):
    buyer_client, buyer = user_client(balance="100")
    seller = make_user(first_name="Sam", address="7 Dock Road")
    lamp = make_offer(seller=seller, name="Lamp", price="3.00")
    rug = make_offer(seller=seller, name="Rug", price="4.00")
    purchase = buy(app, buyer, (lamp, 1), (rug, 1))
    with app.app_context():
        order_id = db.query_value("SELECT id FROM orders WHERE purchase_id = %s", (purchase,))
    login(client, seller)
    page = client.get("/sell/orders").get_data(as_text=True)
    assert "Ship to" in page and buyer.full_name in page and f"/sell/orders/{order_id}" in page
    order_page = client.get(f"/sell/orders/{order_id}").get_data(as_text=True)
    assert "1 Test Road" in order_page and "Mark shipped" in order_page and "Cancel this line" in order_page
    response = client.post(f"/sell/orders/{order_id}/ship", data={"carrier": "Posti", "tracking": "JJ9"})
    assert response.status_code == 302 and response.headers["Location"] == f"/sell/orders/{order_id}"
    assert "is marked shipped" in client.get(f"/sell/orders/{order_id}").get_data(as_text=True)
    buyer_page = buyer_client.get(f"/purchases/{purchase}").get_data(as_text=True)
    assert "state-shipped" in buyer_page and "Posti · JJ9" in buyer_page
    assert "I received this order" in buyer_page
    client.post(f"/sell/orders/{order_id}/ship")
    assert "was already shipped" in client.get(f"/sell/orders/{order_id}").get_data(as_text=True)
    client.post(f"/sell/orders/{order_id}/deliver")
    buyer_page = buyer_client.get(f"/purchases/{purchase}").get_data(as_text=True)
    assert "state-delivered" in buyer_page and "UTC" in buyer_page and "Return items of order" in buyer_page
    assert "Delivered" in buyer_client.get("/purchases/").get_data(as_text=True)
    assert "Order #" in client.get("/sell/orders?status=delivered").get_data(as_text=True)
    assert "No orders in “To ship”." in client.get("/sell/orders?status=placed").get_data(as_text=True)
    # The orders page opens on the orders to ship; all of them are a click away.
    opening = client.get("/sell/orders").get_data(as_text=True)
    assert "No orders in “To ship”." in opening and "<strong>To ship</strong>" in opening
    assert 'href="/sell/orders?status=all">All orders</a>' in opening
    assert "Order #" in client.get("/sell/orders?status=all").get_data(as_text=True)


def test_only_the_seller_moves_an_order(app, user_client, make_user, make_offer):
    buyer_client, buyer = user_client(balance="100")
    seller = make_user()
    purchase = buy(app, buyer, (make_offer(seller=seller), 1))
    [line] = line_ids(app, purchase)
    with app.app_context():
        order_id = db.query_value("SELECT id FROM orders WHERE purchase_id = %s", (purchase,))
    other_client, _ = user_client()
    for client in (buyer_client, other_client):
        assert client.post(f"/sell/orders/{order_id}/lines/{line}/cancel").status_code == 404
        assert client.post(f"/sell/orders/{order_id}/ship").status_code == 404
        assert client.post(f"/sell/orders/{order_id}/deliver").status_code == 404
        assert client.post(f"/sell/orders/{order_id}/cancel").status_code == 404
        assert client.get(f"/sell/orders/{order_id}").status_code == 404
        assert "Order #" not in client.get("/sell/orders").get_data(as_text=True)
    assert buyer_client.post(f"/sell/orders/{order_id}/ship", csrf=False).status_code == 400
    with app.app_context():
        assert db.query_value("SELECT state FROM orders") == "placed"


def test_seller_orders_filter_by_state(app, client, user_client, make_user, make_offer, login):
    _, buyer = user_client(balance="100")
    seller = make_user()
    lamp, rug = make_offer(seller=seller, name="Lamp"), make_offer(seller=seller, name="Rug")
    done = buy(app, buyer, (lamp, 1), (rug, 1))
    buy(app, buyer, (make_offer(seller=seller, name="Vase"), 1))
    login(client, seller)
    with app.app_context():
        order_id = db.query_value("SELECT id FROM orders WHERE purchase_id = %s", (done,))
    assert client.post(f"/sell/orders/{order_id}/ship").status_code == 302
    shipped = client.get("/sell/orders?status=shipped").get_data(as_text=True)
    to_ship = client.get("/sell/orders?status=placed").get_data(as_text=True)
    assert "Lamp" in shipped and "Rug" in shipped and "Vase" not in shipped
    assert "Vase" in to_ship and "Lamp" not in to_ship
    assert client.get("/sell/orders?status=lost").status_code == 400
    assert client.get("/sell/orders?page=x").status_code == 400
