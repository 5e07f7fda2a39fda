"""Order states through the model: money held at checkout and released on
delivery (with commission), cancellations, cancelled lines, returns, the
automatic release, repeated and refused moves, bad input. Every test ends
with the money and stock invariants."""
from decimal import Decimal

import pytest

from app import db, jobs
from app.models import analytics, checkout, order_return, order_state, shipping
from tests.support import assert_invariants

D = Decimal


def buy(app, buyer, *lines) -> int:
    with app.app_context():
        return checkout.place_order(buyer.id, None, [(offer["offer_id"], n) for offer, n in lines])["id"]


def order_of(app, purchase_id, seller_id) -> dict:
    with app.app_context():
        return db.query_one("SELECT * FROM orders WHERE purchase_id = %s AND seller_id = %s",
                            (purchase_id, seller_id))


def backdate(app, order_id: int, days: int) -> None:
    """Move an order, its purchase and its shipping `days` into the past."""
    with app.app_context():
        db.execute("""UPDATE purchases SET created_at = created_at - make_interval(days => %s)
                      WHERE id = (SELECT purchase_id FROM orders WHERE id = %s)""", (days, order_id))
        db.execute("""UPDATE orders SET created_at = created_at - make_interval(days => %(days)s),
                                        shipped_at = shipped_at - make_interval(days => %(days)s),
                                        delivered_at = delivered_at - make_interval(days => %(days)s)
                      WHERE id = %(id)s""", {"days": days, "id": order_id})


def value(app, statement, params=()):
    with app.app_context():
        return db.query_value(statement, params)


def call(app, fn, *args, **kwargs):
    with app.app_context():
        return fn(*args, **kwargs)


def balance(app, user) -> Decimal:
    return value(app, "SELECT balance FROM users WHERE id = %s", (user.id,))


@pytest.fixture
def commission(app):
    """Set SOUK_COMMISSION_PERCENT for one test."""
    before = app.config["COMMISSION_PERCENT"]

    def set_percent(percent: str):
        app.config["COMMISSION_PERCENT"] = D(percent)

    yield set_percent
    app.config["COMMISSION_PERCENT"] = before


def test_checkout_holds_the_money_on_each_order_and_pays_no_seller(app, database, make_user, make_offer):
    buyer = make_user(balance="100")
    seller = make_user()
    lamp = make_offer(seller=seller, price="12.50", quantity=5)
    with app.app_context():
        shipping.save_settings(seller.id, D("4.00"), D("50.00"))
    purchase = buy(app, buyer, (lamp, 2))
    order = order_of(app, purchase, seller.id)
    assert (order["state"], order["subtotal"], order["shipping_fee"], order["held_amount"]) == \
        ("placed", D("25.00"), D("4.00"), D("29.00"))
    assert order["ship_to"] == "Test User\n1 Test Road"
    assert balance(app, seller) == 0 and balance(app, buyer) == D("71.00")
    assert value(app, "SELECT count(*) FROM ledger_entries WHERE user_id = %s", (seller.id,)) == 0
    free = buy(app, buyer, (lamp, 3))  # 37.50 < 50: still pays the fee
    assert order_of(app, free, seller.id)["shipping_fee"] == D("4.00")
    assert_invariants(database, {lamp["offer_id"]: 5})


def test_free_shipping_from_the_threshold(app, database, make_user, make_offer):
    buyer, seller = make_user(balance="100"), make_user()
    lamp = make_offer(seller=seller, price="25.00", quantity=5)
    with app.app_context():
        shipping.save_settings(seller.id, D("4.00"), D("50.00"))
    order = order_of(app, buy(app, buyer, (lamp, 2)), seller.id)
    assert order["shipping_fee"] == 0 and order["held_amount"] == D("50.00")
    assert_invariants(database)


def test_ship_then_deliver_pays_the_seller_less_commission(app, database, make_user, make_offer, commission):
    commission("10")
    buyer, seller = make_user(balance="100"), make_user()
    lamp = make_offer(seller=seller, price="33.33", quantity=5)
    order = order_of(app, buy(app, buyer, (lamp, 1)), seller.id)
    shipped = call(app, order_state.ship, seller.id, order["id"], "Posti", "JJFI123")
    assert shipped.done and shipped.state == "shipped"
    assert_invariants(database)
    delivered = call(app, order_state.deliver, seller.id, order["id"])
    assert delivered.done and delivered.state == "delivered"
    # 10 % of 33.33 is 3.333, rounded half up to 3.33; the seller gets 30.00.
    assert balance(app, seller) == D("30.00")
    assert value(app, "SELECT sum(amount) FROM platform_ledger") == D("3.33")
    row = order_of(app, order["purchase_id"], seller.id)
    assert row["held_amount"] == 0 and row["released_at"] is not None and row["tracking_number"] == "JJFI123"
    assert_invariants(database, {lamp["offer_id"]: 5})


def test_a_repeated_move_acts_once_and_a_wrong_state_is_refused(app, database, make_user, make_offer):
    buyer, seller, stranger = make_user(balance="100"), make_user(), make_user()
    order = order_of(app, buy(app, buyer, (make_offer(seller=seller), 1)), seller.id)
    assert call(app, order_state.ship, seller.id, order["id"]).done
    again = call(app, order_state.ship, seller.id, order["id"])
    assert not again.done and again.message == f"Order #{order['id']} was already shipped."
    with pytest.raises(order_state.TransitionRefused, match="is shipped, so it cannot be cancelled"):
        call(app, order_state.cancel, buyer.id, order["id"])
    with pytest.raises(order_state.OrderNotFound):
        call(app, order_state.deliver, stranger.id, order["id"])
    with pytest.raises(order_state.OrderNotFound):
        call(app, order_state.deliver, buyer.id, order["id"])  # the buyer confirms, never "delivers"
    assert call(app, order_state.confirm_delivery, buyer.id, order["id"]).done
    assert not call(app, order_state.deliver, seller.id, order["id"]).done
    assert balance(app, seller) == D("10.00")
    assert_invariants(database)


def test_buyer_cancel_refunds_everything_and_restores_stock_and_sale_counts(app, database, make_user,
                                                                         make_offer):
    buyer, seller = make_user(balance="100"), make_user()
    lamp = make_offer(seller=seller, price="20.00", quantity=10)
    rug = make_offer(seller=seller, price="5.00", quantity=10)
    with app.app_context():
        shipping.save_settings(seller.id, D("3.50"), None)
        db.execute("""INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total,
                                               per_customer_limit)
                      VALUES (%s, 15, now() - interval '1 hour', now() + interval '1 hour', 5, 2)""",
                   (lamp["offer_id"],))
    order = order_of(app, buy(app, buyer, (lamp, 2), (rug, 3)), seller.id)
    assert balance(app, buyer) == D("100") - D("30.00") - D("15.00") - D("3.50")
    outcome = call(app, order_state.cancel, buyer.id, order["id"])
    assert outcome.done and outcome.refunded == D("48.50")
    assert balance(app, buyer) == D("100.00") and balance(app, seller) == 0
    assert value(app, "SELECT quantity FROM offers WHERE id = %s", (lamp["offer_id"],)) == 10
    assert value(app, "SELECT units_sold FROM flash_sales") == 0
    assert value(app, "SELECT count(*) FROM flash_sale_buyers") == 0
    # The sale and its cancellation are summed later: both are pending, and fold to nothing.
    assert value(app, "SELECT sum(units) FROM sales_pending") == 0
    assert value(app, "SELECT fold_pending_sales()") == 2  # (seller, product) pairs
    assert value(app, "SELECT units_sold FROM products WHERE id = %s", (rug["product_id"],)) == 0
    assert value(app, "SELECT sum(units) FROM seller_product_sales") == 0
    assert not call(app, order_state.cancel, buyer.id, order["id"]).done
    with pytest.raises(order_state.TransitionRefused, match="cancelled, so it cannot be shipped"):
        call(app, order_state.ship, seller.id, order["id"])
    assert_invariants(database, {lamp["offer_id"]: 10, rug["offer_id"]: 10})


def test_seller_cancels_one_line_then_the_last_one_cancels_the_order(app, database, make_user, make_offer):
    buyer, seller = make_user(balance="100"), make_user()
    lamp = make_offer(seller=seller, price="20.00", quantity=10)
    rug = make_offer(seller=seller, price="5.00", quantity=10)
    with app.app_context():
        shipping.save_settings(seller.id, D("2.00"), None)
    order = order_of(app, buy(app, buyer, (lamp, 1), (rug, 2)), seller.id)
    lines = dict(value(app, "SELECT array_agg(ARRAY[offer_id, id]) FROM order_lines WHERE order_id = %s",
                       (order["id"],)))
    first = call(app, order_state.cancel_lines, seller.id, order["id"], [lines[rug["offer_id"]]])
    assert first.done and first.state == "placed" and first.refunded == D("10.00")
    assert not call(app, order_state.cancel_lines, seller.id, order["id"], [lines[rug["offer_id"]]]).done
    assert_invariants(database, {lamp["offer_id"]: 10, rug["offer_id"]: 10})
    last = call(app, order_state.cancel_lines, seller.id, order["id"], [lines[lamp["offer_id"]]])
    assert last.state == "cancelled" and last.refunded == D("22.00")  # the shipping too
    assert balance(app, buyer) == D("100.00")
    assert_invariants(database, {lamp["offer_id"]: 10, rug["offer_id"]: 10})


def test_a_line_of_another_order_is_refused(app, database, make_user, make_offer):
    buyer, seller = make_user(balance="100"), make_user()
    offer = make_offer(seller=seller)
    mine = order_of(app, buy(app, buyer, (offer, 1)), seller.id)
    other = order_of(app, buy(app, buyer, (offer, 1)), seller.id)
    other_line = value(app, "SELECT id FROM order_lines WHERE order_id = %s", (other["id"],))
    with pytest.raises(order_state.TransitionRefused, match=f"is not part of order #{mine['id']}"):
        call(app, order_state.cancel_lines, seller.id, mine["id"], [other_line])
    assert_invariants(database)


@pytest.mark.parametrize("tracking, message", [
    ("AB\x00C", "cannot contain a NUL character"), ("x" * 5000, "at most 100 characters")])
def test_bad_tracking_numbers_are_refused(app, make_user, make_offer, tracking, message):
    buyer, seller = make_user(balance="100"), make_user()
    order = order_of(app, buy(app, buyer, (make_offer(seller=seller), 1)), seller.id)
    with pytest.raises(order_state.TransitionRefused, match=message):
        call(app, order_state.ship, seller.id, order["id"], "Carrier", tracking)
    assert order_of(app, order["purchase_id"], seller.id)["state"] == "placed"


def _delivered(app, buyer, seller, *lines) -> dict:
    order = order_of(app, buy(app, buyer, *lines), seller.id)
    call(app, order_state.ship, seller.id, order["id"])
    call(app, order_state.deliver, seller.id, order["id"])
    return order


def test_accepted_return_refunds_from_the_seller_and_the_commission(app, database, make_user, make_offer,
                                                                   commission):
    commission("10")
    buyer, seller = make_user(balance="100"), make_user()
    lamp = make_offer(seller=seller, price="20.00", quantity=5)
    order = _delivered(app, buyer, seller, (lamp, 3))
    assert balance(app, seller) == D("54.00")
    line = value(app, "SELECT id FROM order_lines WHERE order_id = %s", (order["id"],))
    with pytest.raises(order_state.TransitionRefused, match="at most 3 of Test product"):
        call(app, order_return.request_return, buyer.id, order["id"], {line: 4}, "Too many", 30)
    asked = call(app, order_return.request_return, buyer.id, order["id"], {line: 2}, "Broken", 30)
    assert asked.done
    assert not call(app, order_return.request_return, buyer.id, order["id"], {line: 1}, "Again", 30).done
    accepted = call(app, order_return.accept_return, seller.id, asked.return_id)
    assert accepted.done and accepted.refunded == D("40.00")
    assert not call(app, order_return.accept_return, seller.id, asked.return_id).done
    with pytest.raises(order_state.TransitionRefused, match="was accepted; it cannot be refused"):
        call(app, order_return.refuse_return, seller.id, asked.return_id)
    assert balance(app, buyer) == D("80.00") and balance(app, seller) == D("18.00")
    assert value(app, "SELECT sum(amount) FROM platform_ledger") == D("2.00")
    assert value(app, "SELECT quantity FROM offers WHERE id = %s", (lamp["offer_id"],)) == 4
    assert_invariants(database, {lamp["offer_id"]: 5})


def test_refused_return_changes_no_money_and_the_window_closes(app, database, make_user, make_offer):
    buyer, seller, stranger = make_user(balance="100"), make_user(), make_user()
    order = _delivered(app, buyer, seller, (make_offer(seller=seller), 2))
    line = value(app, "SELECT id FROM order_lines WHERE order_id = %s", (order["id"],))
    with pytest.raises(order_state.OrderNotFound):
        call(app, order_return.request_return, stranger.id, order["id"], {line: 1}, "Not mine", 30)
    asked = call(app, order_return.request_return, buyer.id, order["id"], {line: 1}, "Wrong colour", 30)
    with pytest.raises(order_state.OrderNotFound):
        call(app, order_return.refuse_return, buyer.id, asked.return_id)
    assert call(app, order_return.refuse_return, seller.id, asked.return_id).done
    assert balance(app, seller) == D("20.00") and balance(app, buyer) == D("80.00")
    backdate(app, order["id"], 31)
    with pytest.raises(order_state.TransitionRefused, match="the return window has closed"):
        call(app, order_return.request_return, buyer.id, order["id"], {line: 1}, "Late", 30)
    assert_invariants(database)


def test_a_return_the_seller_cannot_cover_is_refused_cleanly(app, database, make_user, make_offer):
    buyer, seller = make_user(balance="100"), make_user()
    order = _delivered(app, buyer, seller, (make_offer(seller=seller, price="30.00"), 1))
    with app.app_context():
        from app.models import ledger
        ledger.withdraw(seller.id, D("25.00"))
    line = value(app, "SELECT id FROM order_lines WHERE order_id = %s", (order["id"],))
    asked = call(app, order_return.request_return, buyer.id, order["id"], {line: 1}, "Broken", 30)
    with pytest.raises(order_state.TransitionRefused,
                       match="balance \\(5.00\xa0EUR\\) cannot cover the refund of 30.00\xa0EUR"):
        call(app, order_return.accept_return, seller.id, asked.return_id)
    assert value(app, "SELECT state FROM return_requests") == "requested"
    assert_invariants(database)


def test_shipped_orders_complete_by_themselves_after_the_set_days(app, database, make_user, make_offer):
    buyer, seller = make_user(balance="100"), make_user()
    offer = make_offer(seller=seller)
    old, recent = (order_of(app, buy(app, buyer, (offer, 1)), seller.id) for _ in range(2))
    for order in (old, recent):
        call(app, order_state.ship, seller.id, order["id"])
    backdate(app, old["id"], 15)
    assert call(app, order_state.release_due, 14) == 1
    assert order_of(app, old["purchase_id"], seller.id)["state"] == "delivered"
    assert order_of(app, recent["purchase_id"], seller.id)["state"] == "shipped"
    with pytest.raises(order_state.TransitionRefused, match="not due"):
        call(app, order_state.auto_release, recent["id"], 14)
    assert balance(app, seller) == D("10.00")
    assert_invariants(database)


def test_both_sides_are_told_of_every_move_and_nothing_of_a_refused_one(app, make_user, make_offer):
    buyer, seller = make_user(balance="100"), make_user()
    lamp, rug = make_offer(seller=seller, price="5.00"), make_offer(seller=seller, price="7.00")

    def told() -> list[tuple]:
        with app.app_context():
            return [(row["user_id"] == buyer.id, row["kind"]) for row in db.query(
                "SELECT user_id, kind, link FROM notifications ORDER BY id")]

    order = order_of(app, buy(app, buyer, (lamp, 1), (rug, 1)), seller.id)
    assert told() == [(True, "order_placed"), (False, "order_placed")]
    rug_line = value(app, "SELECT id FROM order_lines WHERE offer_id = %s", (rug["offer_id"],))
    call(app, order_state.cancel_lines, seller.id, order["id"], [rug_line])
    call(app, order_state.ship, seller.id, order["id"], "Posti", "JJ1")
    call(app, order_state.ship, seller.id, order["id"], "Posti", "JJ1")  # a repeat tells nobody
    with pytest.raises(order_state.TransitionRefused):
        call(app, order_state.cancel, buyer.id, order["id"])
    call(app, order_state.confirm_delivery, buyer.id, order["id"])
    line = value(app, "SELECT id FROM order_lines WHERE offer_id = %s", (lamp["offer_id"],))
    asked = call(app, order_return.request_return, buyer.id, order["id"], {line: 1}, "Broken", 30)
    call(app, order_return.refuse_return, seller.id, asked.return_id)
    kinds = ["order_placed", "order_refunded", "order_shipped", "order_delivered", "return_requested",
             "return_refused"]
    assert told() == [(to_buyer, kind) for kind in kinds for to_buyer in (True, False)]
    with app.app_context():
        links = db.query("SELECT DISTINCT link FROM notifications ORDER BY link")
    assert [row["link"] for row in links] == [f"/purchases/{order['purchase_id']}#order-{order['id']}",
                                              f"/sell/orders/{order['id']}"]


def test_seller_revenue_counts_completed_money_less_refunds(app, make_user, make_offer):
    buyer, seller = make_user(balance="500"), make_user()
    lamp = make_offer(seller=seller, price="20.00", quantity=20)
    kept = _delivered(app, buyer, seller, (lamp, 2))          # 40, one lamp returned below
    _delivered(app, buyer, seller, (lamp, 1))                 # 20
    cancelled = order_of(app, buy(app, buyer, (lamp, 3)), seller.id)
    call(app, order_state.cancel, buyer.id, cancelled["id"])  # 60, refunded
    buy(app, buyer, (lamp, 4))                                # 80, still held: not revenue yet
    line = value(app, "SELECT id FROM order_lines WHERE order_id = %s", (kept["id"],))
    asked = call(app, order_return.request_return, buyer.id, kept["id"], {line: 1}, "Broken", 30)
    call(app, order_return.accept_return, seller.id, asked.return_id)
    this_month = call(app, analytics.seller_revenue_by_month, seller.id)[-1]
    assert (this_month["total"], this_month["orders"], this_month["refunds"]) == (D("40.00"), 2, D("80.00"))
    spent = call(app, analytics.buyer_spending_by_month, buyer.id)[-1]
    assert (spent["total"], spent["orders"]) == (D("120.00"), 3)


def test_the_periodic_job_completes_orders_shipped_long_ago(app, database, make_user, make_offer,
                                                            monkeypatch):
    buyer, seller = make_user(balance="100"), make_user()
    order = order_of(app, buy(app, buyer, (make_offer(seller=seller, price="9.00"), 1)), seller.id)
    call(app, order_state.ship, seller.id, order["id"])
    monkeypatch.setattr(jobs, "_flask_app", app)  # the worker's app context, on the test database
    assert jobs.release_shipped_orders(timestamp=0) == 0
    backdate(app, order["id"], app.config["AUTO_RELEASE_DAYS"] + 1)
    assert jobs.release_shipped_orders(timestamp=0) == 1
    assert jobs.release_shipped_orders(timestamp=0) == 0  # a second run changes nothing
    assert order_of(app, order["purchase_id"], seller.id)["state"] == "delivered"
    assert balance(app, seller) == D("9.00")
    assert_invariants(database)
