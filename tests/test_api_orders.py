"""The JSON API's orders: POST /api/v1/orders through the shared checkout,
idempotent replay, 409s that name the failing lines, history and detail."""
import json
import threading
import urllib.request
from decimal import Decimal

import pytest

from app import db
from app.models import address, order_state
from tests.support import assert_error, auth, value

ORDERS = "/api/v1/orders"


@pytest.fixture
def shop(client, make_user, make_offer):
    """A buyer with 100.00 and a token, and two sellers' offers."""
    buyer = make_user(balance=Decimal("100.00"))
    lamp = make_offer(make_user(first_name="Alice", last_name="Seller"), price="12.50", quantity=5,
                      name="Desk lamp")
    mug = make_offer(make_user(first_name="Bob", last_name="Vendor"), price="4.25", quantity=10, name="Mug")
    return {"buyer": buyer, "headers": auth(client, buyer), "lamp": lamp, "mug": mug}


def order(client, shop, items, key="key-1", headers=None):
    return client.post(ORDERS, json={"items": items},
                       headers={**shop["headers"], "Idempotency-Key": key, **(headers or {})})


def _items(*lines) -> list[dict]:
    return [{"offer_id": offer["offer_id"], "quantity": quantity} for offer, quantity in lines]


def _state(app, shop) -> tuple:
    """What a refused order must leave unchanged."""
    with app.app_context():
        return (db.query_value("SELECT balance FROM users WHERE id = %s", (shop["buyer"].id,)),
                db.query_value("SELECT array_agg(quantity ORDER BY id) FROM offers"),
                db.query_value("SELECT count(*) FROM purchases"),
                db.query_value("SELECT count(*) FROM ledger_entries"))


def test_order_is_placed_and_split_per_seller(app, client, shop):
    response = order(client, shop, _items((shop["lamp"], 2), (shop["mug"], 3)))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["total"] == "37.75"
    assert response.headers["Location"] == f"/api/v1/orders/{body['id']}"
    assert response.headers["Idempotent-Replayed"] == "false"
    by_seller = {o["seller"]["name"]: o for o in body["orders"]}
    assert set(by_seller) == {"Alice Seller", "Bob Vendor"}
    lamp_order = by_seller["Alice Seller"]
    assert (lamp_order["subtotal"], lamp_order["state"], lamp_order["shipping_fee"], lamp_order["total"]) == \
        ("25.00", "placed", "0.00", "25.00")
    assert lamp_order["actions"] == ["cancel"] and lamp_order["refunds"] == []
    assert lamp_order["ship_to"] == "Test User\n1 Test Road" and lamp_order["tracking_number"] is None
    assert [(line["product_name"], line["quantity"], line["unit_price"], line["line_total"])
            for line in lamp_order["lines"]] == [("Desk lamp", 2, "12.50", "25.00")]
    assert value(app, "SELECT quantity FROM offers WHERE id = %s", (shop["lamp"]["offer_id"],)) == 3
    me = client.get("/api/v1/me", headers=shop["headers"]).get_json()
    assert me["balance"] == "62.25"
    assert client.get(response.headers["Location"], headers=shop["headers"]).get_json() == body


def test_same_key_replays_the_same_purchase_without_charging_again(app, client, shop):
    items = _items((shop["lamp"], 1))
    first = order(client, shop, items, key="retry-me")
    second = order(client, shop, items, key="retry-me")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.get_json() == second.get_json()
    assert value(app, "SELECT count(*) FROM purchases") == 1
    assert value(app, "SELECT balance FROM users WHERE id = %s", (shop["buyer"].id,)) == Decimal("87.50")
    assert value(app, "SELECT quantity FROM offers WHERE id = %s", (shop["lamp"]["offer_id"],)) == 4
    assert order(client, shop, items, key="another-key").status_code == 201


def test_same_key_with_a_different_order_is_refused(app, client, shop):
    assert order(client, shop, _items((shop["lamp"], 1)), key="k").status_code == 201
    before = _state(app, shop)
    error = assert_error(order(client, shop, _items((shop["lamp"], 2)), key="k"), 409,
                         "idempotency_key_reused")
    assert "Idempotency-Key" in error["fields"]
    assert _state(app, shop) == before


def test_concurrent_retries_buy_once(app, live_server, shop):
    body = json.dumps({"items": _items((shop["lamp"], 1))}).encode()
    answers = []

    def post():
        request = urllib.request.Request(live_server + ORDERS, data=body, method="POST", headers={
            **shop["headers"], "Idempotency-Key": "double-tap", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            answers.append((response.status, json.load(response)["id"]))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in answers) == [200, 200, 200, 201]
    assert len({purchase_id for _, purchase_id in answers}) == 1
    assert value(app, "SELECT quantity FROM offers WHERE id = %s", (shop["lamp"]["offer_id"],)) == 4


def test_short_stock_is_409_naming_the_line(app, client, shop):
    before = _state(app, shop)
    response = order(client, shop, _items((shop["mug"], 1), (shop["lamp"], 6)))
    error = assert_error(response, 409, "checkout_failed")
    assert list(error["fields"]) == ["items[1]"]
    assert "only 5 left" in error["fields"]["items[1]"]
    assert error["lines"] == [{"index": 1, "offer_id": shop["lamp"]["offer_id"], "product_name": "Desk lamp",
                               "reason": "out_of_stock", "message": error["fields"]["items[1]"]}]
    assert _state(app, shop) == before


def test_short_balance_is_409_for_the_whole_order(app, client, shop):
    before = _state(app, shop)
    error = assert_error(order(client, shop, _items((shop["lamp"], 5), (shop["mug"], 10))), 409)
    assert [line["reason"] for line in error["lines"]] == ["insufficient_balance"]
    assert error["lines"][0]["index"] is None and "items" in error["fields"]
    assert _state(app, shop) == before


def test_unknown_stopped_and_own_offers_are_409(app, client, shop, make_offer):
    own = make_offer(shop["buyer"], price="1.00")
    with app.app_context():
        db.execute("UPDATE offers SET active = false WHERE id = %s", (shop["mug"]["offer_id"],))
    before = _state(app, shop)
    items = [{"offer_id": 987654, "quantity": 1}] + _items((shop["mug"], 1), (own, 1))
    error = assert_error(order(client, shop, items), 409, "checkout_failed")
    assert {line["index"]: line["reason"] for line in error["lines"]} == {
        0: "offer_gone", 1: "offer_gone", 2: "own_offer"}
    assert _state(app, shop) == before


@pytest.mark.parametrize("body, field", [
    ({}, "items"),
    ({"items": []}, "items"),
    ({"items": {"offer_id": 1, "quantity": 1}}, "items"),
    ({"items": [{"offer_id": 1, "quantity": 1}] * 101}, "items"),
    ({"items": [5]}, "items[0]"),
    ({"items": [{"quantity": 1}]}, "items[0].offer_id"),
    ({"items": [{"offer_id": "1", "quantity": 1}]}, "items[0].offer_id"),
    ({"items": [{"offer_id": True, "quantity": 1}]}, "items[0].offer_id"),
    ({"items": [{"offer_id": 1.5, "quantity": 1}]}, "items[0].offer_id"),
    ({"items": [{"offer_id": 0, "quantity": 1}]}, "items[0].offer_id"),
    ({"items": [{"offer_id": 2**63, "quantity": 1}]}, "items[0].offer_id"),
    ({"items": [{"offer_id": 1}]}, "items[0].quantity"),
    ({"items": [{"offer_id": 1, "quantity": 0}]}, "items[0].quantity"),
    ({"items": [{"offer_id": 1, "quantity": -3}]}, "items[0].quantity"),
    ({"items": [{"offer_id": 1, "quantity": 1001}]}, "items[0].quantity"),
    ({"items": [{"offer_id": 1, "quantity": 10**30}]}, "items[0].quantity"),
    ({"items": [{"offer_id": 1, "quantity": True}]}, "items[0].quantity"),
    ({"items": [{"offer_id": 1, "quantity": 1.5}]}, "items[0].quantity"),
    ({"items": [{"offer_id": 1, "quantity": None}]}, "items[0].quantity"),
    ({"items": [{"offer_id": 1, "quantity": 1}, {"offer_id": 1, "quantity": 2}]}, "items[1].offer_id"),
    ({"items": [{"offer_id": 1, "quantity": 1}, {"offer_id": 1.0, "quantity": 2}]}, "items[1].offer_id"),
    ({"items": [{"offer_id": 1, "quantity": 1e300}]}, "items[0].quantity"),
])
def test_bad_order_bodies_are_400_and_write_nothing(app, client, shop, body, field):
    before = _state(app, shop)
    response = client.post(ORDERS, json=body, headers={**shop["headers"], "Idempotency-Key": "k"})
    error = assert_error(response, 400, "invalid_fields")
    assert field in error["fields"]
    assert _state(app, shop) == before


@pytest.mark.parametrize("key, code", [(None, "idempotency_key_required"), ("  ", "idempotency_key_required"),
                                       ("x" * 101, "invalid_fields"), ("has space", "invalid_fields"),
                                       ("caf\u00e9", "invalid_fields")])
def test_idempotency_key_is_required_and_checked(client, shop, key, code):
    headers = {**shop["headers"], **({"Idempotency-Key": key} if key is not None else {})}
    response = client.post(ORDERS, json={"items": _items((shop["lamp"], 1))}, headers=headers)
    assert "Idempotency-Key" in assert_error(response, 400, code)["fields"]


def test_order_needs_a_token_and_json(client, shop):
    body = {"items": _items((shop["lamp"], 1))}
    assert_error(client.post(ORDERS, json=body, headers={"Idempotency-Key": "k"}), 401, "token_required")
    response = client.post(ORDERS, data=json.dumps(body), content_type="text/plain",
                           headers={**shop["headers"], "Idempotency-Key": "k"})
    assert_error(response, 415, "unsupported_media_type")
    response = client.post(ORDERS, data=b'{"items": [', content_type="application/json",
                           headers={**shop["headers"], "Idempotency-Key": "k"})
    assert_error(response, 400, "invalid_json")


def test_history_is_paginated_newest_first(client, shop):
    ids = [order(client, shop, _items((shop["mug"], 1)), key=f"k{n}").get_json()["id"] for n in range(3)]
    first = client.get(f"{ORDERS}?per_page=2", headers=shop["headers"]).get_json()
    assert [item["id"] for item in first["items"]] == [ids[2], ids[1]]
    assert first["items"][0] == {"id": ids[2], "total": "4.25", "currency": "EUR",
                                 "created_at": first["items"][0]["created_at"],
                                 "sellers": "Bob Vendor", "units": 1, "order_count": 1,
                                 "states": {"placed": 1}}
    second = client.get(first["next"], headers=shop["headers"]).get_json()
    assert [item["id"] for item in second["items"]] == [ids[0]]
    assert (second["has_next"], second["next"]) == (False, None)
    assert_error(client.get(f"{ORDERS}?page=0", headers=shop["headers"]), 400, "invalid_fields")
    assert_error(client.get(ORDERS), 401)


def test_another_users_order_is_not_visible(client, shop, make_user):
    purchase_id = order(client, shop, _items((shop["mug"], 1))).get_json()["id"]
    other = auth(client, make_user())
    assert_error(client.get(f"{ORDERS}/{purchase_id}", headers=other), 404, "not_found")
    assert client.get(ORDERS, headers=other).get_json()["items"] == []
    assert_error(client.get(f"{ORDERS}/{purchase_id + 1000}", headers=shop["headers"]), 404)
    assert_error(client.get(f"{ORDERS}/{2**63}", headers=shop["headers"]), 404)


def test_web_and_api_see_the_same_stock_after_an_api_order(client, shop):
    assert order(client, shop, _items((shop["lamp"], 2))).status_code == 201
    product_id = shop["lamp"]["product_id"]
    api_offer = client.get(f"/api/v1/products/{product_id}").get_json()["offers"][0]
    assert api_offer["stock"] == 3
    page = client.get(f"/products/{product_id}").get_data(as_text=True)
    assert 'data-label="In stock">3</td>' in page and 'data-label="In stock">5</td>' not in page


def test_web_checkout_and_api_share_history_and_stock(app, client, shop, login):
    login(client, shop["buyer"])
    added = client.post("/cart/add", data={"offer_id": str(shop["mug"]["offer_id"]), "quantity": "2"})
    assert added.status_code == 302
    assert client.post("/checkout", data={"idempotency_key": "web-key-1"}).status_code == 302
    history = client.get(ORDERS, headers=shop["headers"]).get_json()["items"]
    assert [(item["total"], item["units"]) for item in history] == [("8.50", 2)]
    offers = client.get(f"/api/v1/products/{shop['mug']['product_id']}").get_json()["offers"]
    assert offers[0]["stock"] == 8


def test_fourth_decimal_never_leaks_into_money(client, shop):
    body = order(client, shop, _items((shop["mug"], 3))).get_json()
    assert body["total"] == "12.75" and isinstance(body["total"], str)


def test_api_errors_are_json_not_html(client, shop):
    for response in (client.get(f"{ORDERS}/abc", headers=shop["headers"]),
                     client.patch(ORDERS, headers=shop["headers"]),
                     client.delete(f"{ORDERS}/1", headers=shop["headers"])):
        assert response.mimetype == "application/json"
        assert "<html" not in response.get_data(as_text=True).lower()


def test_buyer_cancels_and_returns_through_the_api(app, client, shop, make_user):
    body = order(client, shop, _items((shop["lamp"], 2), (shop["mug"], 3))).get_json()
    by_seller = {o["seller"]["name"]: o for o in body["orders"]}
    lamp, mug = by_seller["Alice Seller"], by_seller["Bob Vendor"]
    cancel = client.post(f"/api/v1/seller-orders/{mug['id']}/cancel", headers=shop["headers"])
    assert cancel.status_code == 200 and cancel.get_json()["done"] is True
    cancelled = cancel.get_json()["order"]
    assert cancelled["state"] == "cancelled" and cancelled["refunded"] == "12.75"
    assert [refund["amount"] for refund in cancelled["refunds"]] == ["12.75"]
    again = client.post(f"/api/v1/seller-orders/{mug['id']}/cancel", headers=shop["headers"])
    assert again.status_code == 200 and again.get_json()["done"] is False
    line = lamp["lines"][0]["id"]
    early = client.post(f"/api/v1/seller-orders/{lamp['id']}/returns", headers=shop["headers"],
                        json={"reason": "Broken", "lines": [{"line_id": line, "quantity": 1}]})
    assert_error(early, 409, "not_allowed")
    with app.app_context():
        order_state.ship(shop["lamp"]["seller_id"], lamp["id"], "Posti", "JJ42")
    shipped = client.get(f"/api/v1/orders/{body['id']}", headers=shop["headers"]).get_json()
    lamp_now = {o["id"]: o for o in shipped["orders"]}[lamp["id"]]
    assert (lamp_now["state"], lamp_now["carrier"], lamp_now["tracking_number"]) == \
        ("shipped", "Posti", "JJ42")
    assert lamp_now["actions"] == ["confirm_delivery"]
    assert_error(client.post(f"/api/v1/seller-orders/{lamp['id']}/cancel", headers=shop["headers"]),
                 409, "not_allowed")
    with app.app_context():
        order_state.deliver(shop["lamp"]["seller_id"], lamp["id"])
    too_many = client.post(f"/api/v1/seller-orders/{lamp['id']}/returns", headers=shop["headers"],
                           json={"reason": "Broken", "lines": [{"line_id": line, "quantity": 3}]})
    assert "at most 2" in assert_error(too_many, 409, "not_allowed")["message"]
    asked = client.post(f"/api/v1/seller-orders/{lamp['id']}/returns", headers=shop["headers"],
                        json={"reason": "Broken", "lines": [{"line_id": line, "quantity": 1}]})
    assert asked.status_code == 201
    returned = asked.get_json()["order"]["returns"]
    assert [(r["state"], r["lines"]) for r in returned] == [("requested", [{"line_id": line, "quantity": 1}])]
    stranger = auth(client, make_user())
    assert_error(client.post(f"/api/v1/seller-orders/{lamp['id']}/cancel", headers=stranger),
                 404, "not_found")
    bad = client.post(f"/api/v1/seller-orders/{lamp['id']}/returns", headers=shop["headers"],
                      json={"reason": "", "lines": [{"line_id": "x", "quantity": 0}]})
    assert set(assert_error(bad, 400)["fields"]) == {"reason"}


def test_an_order_goes_to_the_address_chosen(app, client, shop):
    with app.app_context():
        office = address.add_address(shop["buyer"].id, "Bea at work", "9 Office Park")
    response = client.post(ORDERS, json={"items": _items((shop["lamp"], 1)), "address_id": office},
                           headers={**shop["headers"], "Idempotency-Key": "addr-1"})
    assert response.get_json()["orders"][0]["ship_to"] == "Bea at work\n9 Office Park"
    strange = client.post(ORDERS, json={"items": _items((shop["lamp"], 1)), "address_id": 999},
                          headers={**shop["headers"], "Idempotency-Key": "addr-2"})
    assert "Choose one of your addresses" in assert_error(strange, 409, "checkout_failed")["message"]
