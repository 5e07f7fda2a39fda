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
    assert "Order #" in page and page.count("Status: <strong>Pending</strong>") == 2
    assert "Lamp" in page and "3.00" in page and "6.00" in page and "Rug" in page and "4.50" in page
    assert f'<a href="/purchases/{purchase}">purchase #{purchase}</a>' in client.get("/account/").get_data(
        as_text=True)
    other_client, _ = user_client()
    assert other_client.get(f"/purchases/{purchase}").status_code == 404
    assert client.get("/purchases/424242").status_code == 404
    assert client.get("/purchases/" + "9" * 30).status_code == 404
    assert app.test_client().get(f"/purchases/{purchase}").status_code == 302  # guests log in first


def test_seller_fulfils_lines_and_the_buyer_sees_it(app, client, user_client, make_user, make_offer, login):
    buyer_client, buyer = user_client(balance="100")
    seller = make_user(first_name="Sam", address="7 Dock Road")
    lamp = make_offer(seller=seller, name="Lamp", price="3.00")
    rug = make_offer(seller=seller, name="Rug", price="4.00")
    purchase = buy(app, buyer, (lamp, 1), (rug, 1))
    first_line, second_line = line_ids(app, purchase)
    login(client, seller)
    page = client.get("/sell/orders").get_data(as_text=True)
    assert "Ship to" in page and buyer.full_name in page and "Mark fulfilled" in page
    response = client.post(f"/sell/orders/lines/{first_line}/fulfil",
                           data={"next": "/sell/orders?status=open"})
    assert response.status_code == 302 and response.headers["Location"] == "/sell/orders?status=open"
    assert "still has open lines" in client.get("/sell/orders").get_data(as_text=True)
    assert "<strong>Pending</strong>" in buyer_client.get(f"/purchases/{purchase}").get_data(as_text=True)
    client.post(f"/sell/orders/lines/{second_line}/fulfil")
    assert "is fulfilled: the buyer can see it" in client.get("/sell/orders").get_data(as_text=True)
    client.post(f"/sell/orders/lines/{second_line}/fulfil")
    assert "already fulfilled" in client.get("/sell/orders").get_data(as_text=True)
    buyer_page = buyer_client.get(f"/purchases/{purchase}").get_data(as_text=True)
    assert "<strong>Fulfilled</strong>" in buyer_page and "UTC" in buyer_page
    assert "Fulfilled" in buyer_client.get("/purchases/").get_data(as_text=True)
    assert "Order #" in client.get("/sell/orders?status=fulfilled").get_data(as_text=True)
    assert "No open orders yet." in client.get("/sell/orders?status=open").get_data(as_text=True)


def test_only_the_seller_fulfils(app, user_client, make_user, make_offer):
    buyer_client, buyer = user_client(balance="100")
    seller = make_user()
    purchase = buy(app, buyer, (make_offer(seller=seller), 1))
    [line] = line_ids(app, purchase)
    with app.app_context():
        order_id = db.query_value("SELECT id FROM orders WHERE purchase_id = %s", (purchase,))
    other_client, _ = user_client()
    for client in (buyer_client, other_client):
        assert client.post(f"/sell/orders/lines/{line}/fulfil").status_code == 404
        assert client.post(f"/sell/orders/{order_id}/fulfil").status_code == 404
        assert "Order #" not in client.get("/sell/orders").get_data(as_text=True)
    assert buyer_client.post(f"/sell/orders/lines/{line}/fulfil", csrf=False).status_code == 400
    with app.app_context():
        assert db.query_value("SELECT count(*) FROM order_lines WHERE fulfilled_at IS NOT NULL") == 0
        assert db.query_value("SELECT count(*) FROM orders WHERE fulfilled_at IS NOT NULL") == 0


def test_fulfil_a_whole_order_and_filter(app, client, user_client, make_user, make_offer, login):
    _, buyer = user_client(balance="100")
    seller = make_user()
    lamp, rug = make_offer(seller=seller, name="Lamp"), make_offer(seller=seller, name="Rug")
    done = buy(app, buyer, (lamp, 1), (rug, 1))
    buy(app, buyer, (make_offer(seller=seller, name="Vase"), 1))
    login(client, seller)
    with app.app_context():
        order_id = db.query_value("SELECT id FROM orders WHERE purchase_id = %s", (done,))
    assert client.post(f"/sell/orders/{order_id}/fulfil").status_code == 302
    fulfilled = client.get("/sell/orders?status=fulfilled").get_data(as_text=True)
    open_orders = client.get("/sell/orders?status=open").get_data(as_text=True)
    assert "Lamp" in fulfilled and "Rug" in fulfilled and "Vase" not in fulfilled
    assert "Vase" in open_orders and "Lamp" not in open_orders
    assert client.get("/sell/orders?status=lost").status_code == 400
    assert client.get("/sell/orders?page=x").status_code == 400
