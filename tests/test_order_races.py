"""Order transitions under real concurrency: threads posting over HTTP to
the live server at once (and the automatic release from a thread of its
own). Each race must end in exactly one outcome, never a 5xx, with money
moved once and every invariant holding."""
from decimal import Decimal
from functools import partial

from app import db
from app.models import checkout, order_return, order_state
from tests.support import assert_invariants
from tests.test_concurrency import Shopper, run_all

ROUNDS = 4


def value(app, statement, params=()):
    with app.app_context():
        return db.query_value(statement, params)


def placed_order(app, buyer, seller, *offers) -> int:
    with app.app_context():
        purchase = checkout.place_order(buyer.id, None, [(offer["offer_id"], 1) for offer in offers])
        return db.query_value("SELECT id FROM orders WHERE purchase_id = %s AND seller_id = %s",
                              (purchase["id"], seller.id))


def refunds(app, order_id) -> int:
    return value(app, "SELECT count(*) FROM ledger_entries WHERE order_id = %s AND kind = 'refund'",
                 (order_id,))


def test_cancel_racing_ship_ends_one_way(app, database, live_server, make_user, make_offer):
    buyer, seller = make_user(balance="500"), make_user()
    offer = make_offer(seller=seller, quantity=50)
    shopper, vendor = Shopper(app, buyer, live_server), Shopper(app, seller, live_server)
    for _ in range(ROUNDS):
        order = placed_order(app, buyer, seller, offer)
        ship = {"carrier": "", "tracking": ""}
        results = run_all([partial(shopper.post, f"/purchases/orders/{order}/cancel", {}),
                           partial(vendor.post, f"/sell/orders/{order}/ship", ship)], 2)
        statuses = sorted(status for status, _, _ in results)
        assert statuses == [302, 409], results
        state = value(app, "SELECT state FROM orders WHERE id = %s", (order,))
        assert state in ("cancelled", "shipped")
        assert refunds(app, order) == (state == "cancelled")
    assert_invariants(database, {offer["offer_id"]: 50})


def test_two_cancels_refund_once(app, database, live_server, make_user, make_offer):
    buyer, seller = make_user(balance="500"), make_user()
    offer = make_offer(seller=seller, quantity=50)
    tabs = [Shopper(app, buyer, live_server) for _ in range(3)]
    for _ in range(ROUNDS):
        order = placed_order(app, buyer, seller, offer)
        results = run_all([partial(tab.post, f"/purchases/orders/{order}/cancel", {}) for tab in tabs], 3)
        assert [status for status, _, _ in results] == [302] * 3, results
        assert refunds(app, order) == 1
    assert value(app, "SELECT balance FROM users WHERE id = %s", (buyer.id,)) == Decimal("500.00")
    assert_invariants(database, {offer["offer_id"]: 50})


def test_a_line_refunded_twice_at_once_is_refunded_once(app, database, live_server, make_user, make_offer):
    buyer, seller = make_user(balance="500"), make_user()
    lamp, rug = make_offer(seller=seller, quantity=50), make_offer(seller=seller, quantity=50)
    tabs = [Shopper(app, seller, live_server) for _ in range(3)]
    for _ in range(ROUNDS):
        order = placed_order(app, buyer, seller, lamp, rug)
        line = value(app, "SELECT min(id) FROM order_lines WHERE order_id = %s", (order,))
        path = f"/sell/orders/{order}/lines/{line}/cancel"
        results = run_all([partial(tab.post, path, {}) for tab in tabs], 3)
        assert [status for status, _, _ in results] == [302] * 3, results
        assert refunds(app, order) == 1
    assert_invariants(database, {lamp["offer_id"]: 50, rug["offer_id"]: 50})


def test_a_return_accepted_twice_at_once_refunds_once(app, database, live_server, make_user, make_offer):
    buyer, seller = make_user(balance="500"), make_user()
    offer = make_offer(seller=seller, quantity=50)
    tabs = [Shopper(app, seller, live_server) for _ in range(3)]
    for _ in range(ROUNDS):
        order = placed_order(app, buyer, seller, offer)
        with app.app_context():
            order_state.ship(seller.id, order)
            order_state.deliver(seller.id, order)
            line = db.query_value("SELECT id FROM order_lines WHERE order_id = %s", (order,))
            request = order_return.request_return(buyer.id, order, {line: 1}, "Broken", 30).return_id
        path = f"/sell/orders/returns/{request}/accept"
        results = run_all([partial(tab.post, path, {}) for tab in tabs], 3)
        assert [status for status, _, _ in results] == [302] * 3, results
        assert refunds(app, order) == 2  # the buyer's and the seller's row, once
    assert value(app, "SELECT balance FROM users WHERE id = %s", (seller.id,)) == 0
    assert_invariants(database, {offer["offer_id"]: 50})


def test_auto_release_racing_cancel_and_confirm(app, database, live_server, make_user, make_offer):
    buyer, seller = make_user(balance="500"), make_user()
    offer = make_offer(seller=seller, quantity=50)
    shopper = Shopper(app, buyer, live_server)

    def release():
        with app.app_context():
            return order_state.release_due(14)

    for _ in range(ROUNDS):
        order = placed_order(app, buyer, seller, offer)
        with app.app_context():
            order_state.ship(seller.id, order)
            db.execute("""UPDATE purchases SET created_at = now() - interval '16 days'
                          WHERE id = (SELECT purchase_id FROM orders WHERE id = %s)""", (order,))
            db.execute("""UPDATE orders SET created_at = now() - interval '16 days',
                                            shipped_at = now() - interval '15 days'
                          WHERE id = %s""", (order,))
        results = run_all([release, partial(shopper.post, f"/purchases/orders/{order}/cancel", {}),
                           partial(shopper.post, f"/purchases/orders/{order}/confirm", {})], 3)
        released, (cancel_status, _, _), (confirm_status, _, _) = results
        assert cancel_status == 409 and confirm_status == 302 and released in (0, 1)
        assert value(app, "SELECT state FROM orders WHERE id = %s", (order,)) == "delivered"
        assert value(app, "SELECT count(*) FROM ledger_entries WHERE order_id = %s AND kind = 'sale'",
                     (order,)) == 1
    assert_invariants(database, {offer["offer_id"]: 50})


def operator(app, make_user, live_server, tabs=1):
    user = make_user()
    with app.app_context():
        db.execute("UPDATE users SET is_operator = true WHERE id = %s", (user.id,))
    return [Shopper(app, user, live_server) for _ in range(tabs)]


def test_an_operator_refund_racing_ship_and_cancel(app, database, live_server, make_user, make_offer):
    buyer, seller = make_user(balance="500"), make_user()
    lamp, rug = make_offer(seller=seller, quantity=50), make_offer(seller=seller, quantity=50)
    shopper, vendor = Shopper(app, buyer, live_server), Shopper(app, seller, live_server)
    [desk] = operator(app, make_user, live_server)
    for round_number in range(ROUNDS):
        order = placed_order(app, buyer, seller, lamp, rug)
        line = value(app, "SELECT min(id) FROM order_lines WHERE order_id = %s", (order,))
        refund = {"key": f"{round_number:x}0aaa1", f"line-{line}": "1", "reason": "Settled in a race"}
        ship = {"carrier": "", "tracking": ""}
        results = run_all([partial(desk.post, f"/ops/orders/{order}/refund", refund),
                           partial(vendor.post, f"/sell/orders/{order}/ship", ship),
                           partial(shopper.post, f"/purchases/orders/{order}/cancel", {})], 3)
        (refunded, _, _), (shipped, _, _), (cancelled, _, _) = results
        assert {refunded, shipped, cancelled} <= {302, 409}, results
        assert sorted([shipped, cancelled]) == [302, 409] or (refunded == 302 and cancelled == 302), results
        state, paid_back = value(app, "SELECT (state, refunded_amount = subtotal + shipping_fee)::text "
                                      "FROM orders WHERE id = %s", (order,)).strip("()").split(",")
        assert state == ("shipped" if shipped == 302 else "cancelled"), results
        assert (paid_back == "t") == (state == "cancelled")
        assert value(app, "SELECT count(*) FROM audit_log WHERE subject_id = %s AND subject_kind = 'order'",
                     (order,)) == (refunded == 302)
    assert_invariants(database, {lamp["offer_id"]: 50, rug["offer_id"]: 50})


def test_a_refund_form_sent_from_three_tabs_at_once_refunds_once(app, database, live_server, make_user,
                                                                 make_offer):
    buyer, seller = make_user(balance="500"), make_user()
    offer = make_offer(seller=seller, quantity=50)
    tabs = operator(app, make_user, live_server, tabs=3)
    for round_number in range(ROUNDS):
        order = placed_order(app, buyer, seller, offer)
        with app.app_context():
            order_state.ship(seller.id, order)
        form = {"key": f"{round_number:x}0bbb2", "shipping": "y", "reason": "Lost in the post"}
        results = run_all([partial(tab.post, f"/ops/orders/{order}/refund-all", form) for tab in tabs], 3)
        assert [status for status, _, _ in results] == [302] * 3, results
        assert refunds(app, order) == 1
        assert value(app, "SELECT count(*) FROM audit_log WHERE subject_id = %s AND subject_kind = 'order'",
                     (order,)) == 1
    assert_invariants(database, {offer["offer_id"]: 50})
