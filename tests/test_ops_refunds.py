"""Settling a dispute from the console: an operator refunds lines, the
shipping fee or everything left of an order, through HTTP, in each state,
with its audit row, the notices and every invariant; a resent form acts
once; bad input gets a message and changes nothing."""
import re
from decimal import Decimal

import pytest

from app import db
from app.models import checkout, ledger, order_return, order_state
from tests.support import assert_invariants, log_in
from tests.support.catalog import rows, value

REASON = "Parcel arrived crushed; photos checked"


@pytest.fixture
def ops(operator_client):
    return operator_client[0]


@pytest.fixture
def bought(app, make_user, make_offer):
    """An order of 2 lamps (12.00) and 1 rug (30.00) with 5.00 shipping,
    placed through checkout: returns a dict of ids and the parties."""
    buyer, seller = make_user(balance="500"), make_user()
    lamp = make_offer(seller=seller, price="12.00", quantity=10, name="Lamp")
    rug = make_offer(seller=seller, price="30.00", quantity=10, name="Rug")
    with app.app_context():
        db.execute("INSERT INTO seller_shipping (seller_id, fee) VALUES (%s, 5)", (seller.id,))
        purchase = checkout.place_order(buyer.id, None, [(lamp["offer_id"], 2), (rug["offer_id"], 1)])
        order = db.query_value("SELECT id FROM orders WHERE purchase_id = %s", (purchase["id"],))
        lines = {row["offer_id"]: row["id"] for row in db.query(
            "SELECT id, offer_id FROM order_lines WHERE order_id = %s", (order,))}
    return {"order": order, "buyer": buyer, "seller": seller, "lamp": lines[lamp["offer_id"]],
            "rug": lines[rug["offer_id"]], "stock": {lamp["offer_id"]: 10, rug["offer_id"]: 10}}


def key_of(page: str) -> str:
    return re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)


def open_form(ops, order_id) -> str:
    page = ops.get(f"/ops/orders/{order_id}")
    assert page.status_code == 200
    return key_of(page.get_data(as_text=True))


def balance(app, user) -> Decimal:
    return value(app, "SELECT balance FROM users WHERE id = %s", (user.id,))


def test_refunding_a_line_of_a_delivered_order_end_to_end(app, database, ops, bought):
    order, seller = bought["order"], bought["seller"]
    app.config["COMMISSION_PERCENT"] = Decimal("10")
    try:
        with app.app_context():
            order_state.ship(seller.id, order)
            order_state.deliver(seller.id, order)  # 59.00 paid: 53.10 to the seller, 5.90 commission
        found = ops.get(f"/ops/orders/?q={bought['buyer'].email}").get_data(as_text=True)
        assert f'href="/ops/orders/{order}"' in found
        buyer_before, seller_before = balance(app, bought["buyer"]), balance(app, seller)
        form = {"key": open_form(ops, order), f"line-{bought['lamp']}": "1", "reason": REASON}
        response = ops.post(f"/ops/orders/{order}/refund", data=form)
        assert response.status_code == 302
        page = ops.get(response.location).get_data(as_text=True)
        assert f"Order #{order} is refunded: 12.00\u00a0EUR (1 × Lamp) went back to the buyer." in page
        # A double click (the same form again) refunds nothing more.
        again = ops.post(f"/ops/orders/{order}/refund", data=form, follow_redirects=True)
        assert again.status_code == 200 and "already made" in again.get_data(as_text=True)
    finally:
        app.config["COMMISSION_PERCENT"] = Decimal("0")
    assert balance(app, bought["buyer"]) == buyer_before + Decimal("12.00")
    assert balance(app, seller) == seller_before - Decimal("12.00") + Decimal("1.20")
    assert value(app, "SELECT returned_quantity FROM order_lines WHERE id = %s", (bought["lamp"],)) == 1
    assert value(app, "SELECT state FROM orders WHERE id = %s", (order,)) == "delivered"
    audit = rows(app, "SELECT action, subject_kind, subject_id, reason, details FROM audit_log")
    assert len(audit) == 1
    assert audit[0] | {"details": None} == {"action": "refund_order", "subject_kind": "order",
                                            "subject_id": order, "reason": REASON, "details": None}
    assert audit[0]["details"]["lines"] == {str(bought["lamp"]): 1}
    notices = rows(app, "SELECT user_id, body FROM notifications WHERE kind = 'order_refunded'")
    assert sorted(n["user_id"] for n in notices) == sorted([bought["buyer"].id, seller.id])
    assert all(REASON in n["body"] and "12.00\u00a0EUR" in n["body"] for n in notices)
    assert value(app, "SELECT count(*) FROM ledger_entries WHERE order_id = %s AND kind = 'refund'",
                 (order,)) == 2  # the buyer's and the seller's row, once
    history = ops.get(f"/ops/orders/{order}").get_data(as_text=True)
    assert REASON in history and "1 returned" in history
    assert_invariants(database, bought["stock"])


def test_refunding_everything_of_a_placed_order_cancels_it(app, database, ops, bought):
    order = bought["order"]
    before = balance(app, bought["buyer"])
    response = ops.post(f"/ops/orders/{order}/refund-all", data={"key": open_form(ops, order),
                                                                  "reason": REASON})
    assert response.status_code == 302
    assert balance(app, bought["buyer"]) == before + Decimal("59.00")  # 2 × 12 + 30 + 5 shipping
    state = rows(app, "SELECT state, cancelled_by, held_amount FROM orders WHERE id = %s", (order,))
    assert state == [{"state": "cancelled", "cancelled_by": "operator", "held_amount": 0}]
    assert "by the marketplace" in ops.get(f"/ops/orders/{order}").get_data(as_text=True)
    assert value(app, "SELECT details->>'state' FROM audit_log") == "cancelled"
    # The seller can no longer ship it, and there is nothing left to refund.
    with app.app_context(), pytest.raises(order_state.TransitionRefused):
        order_state.ship(bought["seller"].id, order)
    assert "Nothing is left to refund" in ops.get(f"/ops/orders/{order}").get_data(as_text=True)
    again = ops.post(f"/ops/orders/{order}/refund-all", data={"key": "0123abcd", "reason": REASON})
    assert again.status_code == 409 and "everything was refunded" in again.get_data(as_text=True)
    assert value(app, "SELECT count(*) FROM audit_log") == 1
    assert_invariants(database, bought["stock"])


def test_refunding_a_placed_line_and_then_the_rest_by_the_seller(app, database, ops, bought):
    order, seller = bought["order"], bought["seller"]
    form = {"key": open_form(ops, order), f"line-{bought['rug']}": "1", "shipping": "y", "reason": REASON}
    assert ops.post(f"/ops/orders/{order}/refund", data=form).status_code == 302
    assert value(app, "SELECT cancelled_quantity FROM order_lines WHERE id = %s", (bought["rug"],)) == 1
    assert value(app, "SELECT refunded_amount FROM orders WHERE id = %s", (order,)) == Decimal("35.00")
    # The seller cancelling the last line refunds the lamps, not the shipping again.
    with app.app_context():
        outcome = order_state.cancel_lines(seller.id, order, [bought["lamp"]])
    assert outcome.state == "cancelled" and outcome.refunded == Decimal("24.00")
    assert_invariants(database, bought["stock"])


def test_refunding_the_shipping_of_a_shipped_order_then_delivering(app, database, ops, bought):
    order, seller = bought["order"], bought["seller"]
    with app.app_context():
        order_state.ship(seller.id, order)
    form = {"key": open_form(ops, order), "shipping": "y", "reason": REASON}
    assert ops.post(f"/ops/orders/{order}/refund", data=form).status_code == 302
    assert value(app, "SELECT held_amount FROM orders WHERE id = %s", (order,)) == Decimal("54.00")
    repeat = ops.post(f"/ops/orders/{order}/refund", data={**form, "key": open_form(ops, order)})
    assert repeat.status_code == 409 and "already refunded" in repeat.get_data(as_text=True)
    with app.app_context():
        order_state.deliver(seller.id, order)
    assert balance(app, seller) == Decimal("54.00")
    assert_invariants(database, bought["stock"])


def test_a_refund_the_paid_seller_cannot_cover_is_refused(app, database, ops, bought):
    order, seller = bought["order"], bought["seller"]
    with app.app_context():
        order_state.ship(seller.id, order)
        order_state.deliver(seller.id, order)
        ledger.withdraw(seller.id, Decimal("59.00"))
    response = ops.post(f"/ops/orders/{order}/refund-all", data={"key": open_form(ops, order),
                                                                  "reason": REASON})
    assert response.status_code == 409
    assert "cannot cover the refund" in response.get_data(as_text=True)
    assert value(app, "SELECT count(*) FROM audit_log") == 0
    assert_invariants(database, bought["stock"])


def test_units_of_an_open_return_wait_for_the_seller(app, database, ops, bought):
    order, seller = bought["order"], bought["seller"]
    with app.app_context():
        order_state.ship(seller.id, order)
        order_state.deliver(seller.id, order)
        request = order_return.request_return(bought["buyer"].id, order, {bought["rug"]: 1}, "Wrong colour",
                                              30).return_id
    refused = ops.post(f"/ops/orders/{order}/refund", data={
        "key": open_form(ops, order), f"line-{bought['rug']}": "1", "reason": REASON})
    assert refused.status_code == 409
    assert "At most 0 of Rug can be refunded (1 more wait for the seller" in refused.get_data(as_text=True)
    everything = ops.post(f"/ops/orders/{order}/refund-all", data={"key": open_form(ops, order),
                                                                    "reason": REASON})
    assert everything.status_code == 302
    assert value(app, "SELECT returned_quantity FROM order_lines WHERE id = %s", (bought["lamp"],)) == 2
    with app.app_context():
        order_return.accept_return(seller.id, request)
    assert value(app, "SELECT refunded_amount FROM orders WHERE id = %s", (order,)) == Decimal("59.00")
    assert_invariants(database, bought["stock"])


def test_bad_refund_input_gets_a_message_and_changes_nothing(app, database, ops, bought, make_user,
                                                             make_offer):
    order = bought["order"]
    other = make_offer(quantity=3)
    with app.app_context():
        checkout.place_order(make_user(balance="50").id, None, [(other["offer_id"], 1)])
        stranger = db.query_value("SELECT id FROM order_lines WHERE offer_id = %s", (other["offer_id"],))
    lamp = f"line-{bought['lamp']}"
    key = open_form(ops, order)
    cases = [  # (form, status, message)
        ({lamp: "3"}, 409, "At most 2 of Lamp can be refunded"),
        ({f"line-{stranger}": "1"}, 409, f"Line {stranger} is not part of order #{order}"),
        ({"line-99999999999": "1"}, 409, "is not part of order"),
        ({"line-99999999999999999999": "1"}, 400, "There is no such line"),
        ({lamp: "-1"}, 400, "Enter a whole number of units"),
        ({lamp: "1.5"}, 400, "Enter a whole number of units"),
        ({lamp: "99999999999999"}, 400, "Enter a whole number of units"),
        ({lamp: "1\x00"}, 400, "Enter a whole number of units"),
        ({lamp: "0"}, 409, "Choose at least one unit"),
        ({lamp: "1", "reason": ""}, 400, "Say why"),
        ({lamp: "1", "reason": "\x00bad"}, 400, "not allowed"),
        ({lamp: "1", "reason": "x" * 5000}, 400, "Between 3 and 1,000"),
        ({lamp: "1", "key": ""}, 400, "open the order again"),
        ({lamp: "1", "key": "not-a-key"}, 400, "open the order again"),
        ({lamp: "1", "key": "abc\x00"}, 400, "not allowed"),
    ]
    for data, status, message in cases:
        response = ops.post(f"/ops/orders/{order}/refund", data={"key": key, "reason": REASON, **data})
        assert response.status_code == status, (data, response.status_code)
        assert message in response.get_data(as_text=True), data
    assert ops.post("/ops/orders/99999999/refund", data={"key": key, "reason": REASON, lamp: "1"}
                    ).status_code == 404
    assert ops.post("/ops/orders/99999999/refund-all", data={"key": key, "reason": REASON}).status_code == 404
    assert ops.get("/ops/orders/99999999").status_code == 404
    assert ops.get("/ops/orders/99999999999999999999999").status_code == 404
    assert value(app, "SELECT count(*) FROM audit_log") == 0
    assert value(app, "SELECT refunded_amount FROM orders WHERE id = %s", (order,)) == 0
    assert_invariants(database, bought["stock"])


@pytest.mark.parametrize("came_back", [False, True])
def test_shipped_units_go_back_into_stock_only_when_they_came_back(app, database, ops, bought, came_back):
    order, seller = bought["order"], bought["seller"]
    lamp_offer = value(app, "SELECT offer_id FROM order_lines WHERE id = %s", (bought["lamp"],))
    with app.app_context():
        order_state.ship(seller.id, order)
    page = ops.get(f"/ops/orders/{order}").get_data(as_text=True)
    assert 'name="write_off"' in page and 'id="write-off-all"' in page  # on both forms
    form = {"key": key_of(page), f"line-{bought['lamp']}": "2", "reason": REASON}
    assert ops.post(f"/ops/orders/{order}/refund", data=form | ({} if came_back else {"write_off": "y"})
                    ).status_code == 302
    assert value(app, "SELECT quantity FROM offers WHERE id = %s", (lamp_offer,)) == (10 if came_back else 8)
    assert value(app, "SELECT returned_quantity FROM order_lines WHERE id = %s", (bought["lamp"],)) == 2
    assert value(app, "SELECT (details->>'restocked')::boolean FROM audit_log") is came_back
    seller_client = app.test_client()
    log_in(seller_client, seller)
    seller_page = seller_client.get(f"/sell/orders/{order}").get_data(as_text=True)
    assert ("not back in stock" in seller_page) is not came_back
    assert_invariants(database, bought["stock"])  # written-off units count as gone


def test_a_placed_order_refund_always_restocks(app, database, ops, bought):
    order = bought["order"]
    assert 'name="write_off"' not in ops.get(f"/ops/orders/{order}").get_data(as_text=True)
    form = {"key": open_form(ops, order), f"line-{bought['rug']}": "1", "reason": REASON}
    assert ops.post(f"/ops/orders/{order}/refund", data=form).status_code == 302
    assert value(app, "SELECT sum(quantity) FROM offers") == 18  # 10 lamps - 2, 10 rugs - 1 + 1 back
    assert_invariants(database, bought["stock"])
