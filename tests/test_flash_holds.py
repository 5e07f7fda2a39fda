"""Units held in the cart during a flash sale, under real concurrency:
threads posting "Add to cart" and "Place order" over HTTP to the live
server at once, then the invariants (db/generated/checks.py: a sale's units
taken are its buyers' units plus the units held; holds stay within the
per-customer limit) and the stock (left + sold + held = at first)."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from app import db
from app.models import analytics, cart, sale
from tests.support import assert_invariants, log_in
from tests.test_concurrency import Shopper, run_all, value


def live_sale(app, offer, units, limit=1, price="4.00") -> int:
    with app.app_context():
        return db.query_value(
            """INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total,
                                        per_customer_limit)
               VALUES (%s, %s, now() - interval '1 minute', now() + interval '1 hour', %s, %s)
               RETURNING id""",
            (offer["offer_id"], Decimal(price), units, limit))


def held(app, shopper) -> int:
    return value(app, "SELECT coalesce(sum(units), 0) FROM sale_holds WHERE buyer_id = %s",
                 (shopper.user.id,))


def expire_holds(app, offer) -> None:
    """A hold's ten minutes are up (as if the clock moved on)."""
    with app.app_context():
        db.execute("UPDATE sale_holds SET expires_at = now() - interval '1 second' WHERE offer_id = %s",
                   (offer["offer_id"],))


def bought(app, shopper) -> int:
    return value(app, """SELECT coalesce(sum(l.quantity), 0) FROM order_lines l
                         JOIN orders o ON o.id = l.order_id WHERE o.buyer_id = %s""", (shopper.user.id,))


def test_two_hundred_buyers_hold_and_buy_exactly_the_sales_units(app, database, live_server, make_user,
                                                                 make_offer):
    offer = make_offer(price="10.00", quantity=80)
    sale_id = live_sale(app, offer, 50)
    shoppers = [Shopper(app, make_user(balance="20"), live_server) for _ in range(200)]
    adds = run_all([lambda s=s: s.add(offer) for s in shoppers], 32)
    assert all(status == 302 for status, _, _ in adds)
    with app.app_context():
        holds = {row["buyer_id"]: row["units"] for row in db.query("SELECT buyer_id, units FROM sale_holds")}
    holders = [s for s in shoppers if s.user.id in holds]
    assert len(holders) == 50 and set(holds.values()) == {1}
    # 50 units went off the stock into holds; the sale has none left.
    assert value(app, "SELECT quantity FROM offers WHERE id = %s", (offer["offer_id"],)) == 30
    assert value(app, "SELECT units_sold FROM flash_sales WHERE id = %s", (sale_id,)) == 50
    assert_invariants(database, {offer["offer_id"]: 80})

    results = run_all([lambda s=s, n=n: s.checkout(f"hold-{n}") for n, s in enumerate(shoppers)], 32)
    placed = {s.user.id for s, (status, _, _) in zip(shoppers, results, strict=True) if status == 302}
    # Every buyer with held units bought them; nobody else got one.
    assert placed == {s.user.id for s in holders}
    assert all(status == 409 and "Your cart is empty." in body
               for s, (status, _, body) in zip(shoppers, results, strict=True) if s.user.id not in placed)
    assert value(app, "SELECT count(*) FROM sale_holds") == 0
    assert value(app, "SELECT sum(units) FROM flash_sale_buyers WHERE sale_id = %s", (sale_id,)) == 50
    assert value(app, "SELECT sum(quantity) FROM order_lines WHERE flash_sale_id = %s", (sale_id,)) == 50
    assert_invariants(database, {offer["offer_id"]: 80})


def test_holds_race_each_other_and_checkouts(app, database, live_server, make_user, make_offer):
    offer = make_offer(price="10.00", quantity=40)
    live_sale(app, offer, 10, limit=2)
    shoppers = [Shopper(app, make_user(balance="50"), live_server) for _ in range(25)]
    run_all([lambda s=s: s.add(offer) for s in shoppers], 25)
    holders = [s for s in shoppers if held(app, s)]
    others = [s for s in shoppers if not held(app, s)]
    assert len(holders) == 10
    # Holders check out while everyone else keeps adding (and a second unit).
    tasks = ([lambda s=s: s.checkout(f"race-{s.user.id}") for s in holders]
             + [lambda s=s: s.add(offer) for s in others + holders])
    results = run_all(tasks, 35)
    assert [status for status, _, _ in results[:len(holders)]] == [302] * len(holders)
    assert all(status == 302 for status, _, _ in results)
    assert all(bought(app, s) == 1 for s in holders)
    assert sum(bought(app, s) + held(app, s) for s in shoppers) == 10
    assert_invariants(database, {offer["offer_id"]: 40})


def test_a_hold_expiring_while_its_buyer_checks_out(app, database, live_server, make_user, make_offer):
    """The hold's time is up just as its buyer presses "Place order" and a
    second buyer adds the same unit: exactly one of them gets it, round
    after round."""
    for round_number in range(6):
        offer = make_offer(price="10.00", quantity=1)
        live_sale(app, offer, 1)
        holder, rival = (Shopper(app, make_user(balance="20"), live_server) for _ in range(2))
        holder.add(offer)
        assert held(app, holder) == 1
        expire_holds(app, offer)
        checkout, add = run_all([lambda h=holder, n=round_number: h.checkout(f"expiring-{n}"),
                                 lambda r=rival, o=offer: r.add(o)], 2)
        assert checkout[0] in (302, 409) and add[0] == 302
        if checkout[0] == 302:
            assert bought(app, holder) == 1 and held(app, rival) == 0
        else:
            assert "The flash sale is sold out" in checkout[2] or "Sold out" in checkout[2]
            assert bought(app, holder) == 0 and held(app, rival) == 1
        assert_invariants(database, {offer["offer_id"]: 1})
    # With nobody racing, an expired hold still checks out: the unit is free.
    offer = make_offer(price="10.00", quantity=1)
    live_sale(app, offer, 1)
    holder = Shopper(app, make_user(balance="20"), live_server)
    holder.add(offer)
    expire_holds(app, offer)
    assert holder.checkout("late")[0] == 302 and bought(app, holder) == 1
    assert_invariants(database, {offer["offer_id"]: 1})


def test_a_buyer_at_the_limit_with_held_units(app, database, live_server, make_user, make_offer):
    offer = make_offer(price="10.00", quantity=20)
    live_sale(app, offer, 10, limit=2)
    buyer = Shopper(app, make_user(balance="50"), live_server)
    buyer.add(offer, 2)
    assert held(app, buyer) == 2
    # Two tabs keep adding while the buyer checks out: the held units count
    # against the limit before the purchase and the bought ones after.
    results = run_all([lambda: buyer.checkout("at-limit")] + [lambda: buyer.add(offer)] * 6, 7)
    assert results[0][0] == 302
    assert bought(app, buyer) == 2 and held(app, buyer) == 0
    assert value(app, "SELECT count(*) FROM cart_items WHERE user_id = %s", (buyer.user.id,)) == 0
    with app.app_context():
        page_client = app.test_client()
        log_in(page_client, buyer.user)
        page_client.post("/cart/add", data={"offer_id": offer["offer_id"], "quantity": 1,
                                            "csrf_token": page_client.csrf_token()})
        assert "Flash sale limit reached: at most 2 per customer" in page_client.get("/cart").get_data(True)
    assert_invariants(database, {offer["offer_id"]: 20})


def test_the_sale_ending_while_units_are_held(app, database, live_server, make_user, make_offer):
    seller = make_user()
    offer = make_offer(seller=seller, price="10.00", quantity=6)
    sale_id = live_sale(app, offer, 5, limit=3)
    buyer = Shopper(app, make_user(balance="100"), live_server)
    rival = Shopper(app, make_user(balance="100"), live_server)
    buyer.add(offer, 3)
    rival.add(offer, 2)
    assert value(app, "SELECT quantity FROM offers WHERE id = %s", (offer["offer_id"],)) == 1
    with app.app_context():
        assert sale.cancel_sale(seller.id, sale_id) == "ended"
        # The holds ended with the sale: at once, before any job runs, the
        # units are stock again and the cart sells them at the regular price.
        line = cart.cart_lines(buyer.user.id)[0]
        assert (line["sale_id"], line["held"], line["stock"], line["unit_price"]) == (
            None, 0, 6, Decimal("10.00"))
    results = run_all([lambda: buyer.checkout("after-end"), lambda: rival.checkout("after-end")], 2)
    assert [status for status, _, _ in results] == [302, 302]
    assert value(app, "SELECT count(*) FROM order_lines WHERE flash_sale_id IS NOT NULL") == 0
    assert value(app, "SELECT sum(quantity * unit_price) FROM order_lines") == Decimal("50.00")
    assert value(app, "SELECT quantity FROM offers WHERE id = %s", (offer["offer_id"],)) == 1
    assert value(app, "SELECT units_sold FROM flash_sales WHERE id = %s", (sale_id,)) == 0
    assert_invariants(database, {offer["offer_id"]: 6})


def test_units_left_count_expired_holds_before_any_job(app, database, user_client, make_user, make_offer):
    offer = make_offer(price="10.00", quantity=3)
    live_sale(app, offer, 3, limit=3)
    client, buyer = user_client(balance="50")
    client.post("/cart/add", data={"offer_id": offer["offer_id"], "quantity": 3,
                                   "csrf_token": client.csrf_token()})
    other, _ = user_client(balance="50")
    with app.app_context():
        assert cart.lines_for_items(make_user().id, [(offer["offer_id"], 1)])[0]["sale_units_left"] == 0
    expire_holds(app, offer)
    with app.app_context():
        line = cart.lines_for_items(make_user().id, [(offer["offer_id"], 1)])[0]
        assert (line["sale_units_left"], line["stock"]) == (3, 3)
        # Nothing was given back yet: the next take does it, or the job.
        assert db.query_value("SELECT count(*) FROM sale_holds") == 1
        assert sale.give_back_stale_holds() == 3
        assert db.query_value("SELECT quantity FROM offers WHERE id = %s", (offer["offer_id"],)) == 3
    assert_invariants(database, {offer["offer_id"]: 3})
    # The buyer's cart still has the line, no longer held; it takes fresh units.
    page = client.get("/cart").get_data(as_text=True)
    assert "held for you until" not in page
    assert client.post("/checkout", data={"idempotency_key": "k", "csrf_token": client.csrf_token()}
                       ).status_code == 302
    assert_invariants(database, {offer["offer_id"]: 3})


def test_the_cart_shows_until_when_units_are_held(app, user_client, make_offer):
    offer = make_offer(price="10.00", quantity=5)
    live_sale(app, offer, 5, limit=2)
    client, buyer = user_client(balance="50")
    with app.app_context():
        db.execute("UPDATE users SET time_zone = 'Asia/Kolkata' WHERE id = %s", (buyer.id,))
    client.post("/cart/add", data={"offer_id": offer["offer_id"], "quantity": 2,
                                   "csrf_token": client.csrf_token()})
    until = value(app, "SELECT expires_at FROM sale_holds WHERE buyer_id = %s", (buyer.id,))
    assert timedelta(minutes=9) < until - datetime.now(UTC) <= timedelta(minutes=10)
    local = until.astimezone(ZoneInfo("Asia/Kolkata")).strftime("%H:%M")
    page = client.get("/cart").get_data(as_text=True)
    assert "2 held for you until <time datetime=" in page and f">{local}</time>" in page
    # Removing the line gives the units back at once.
    client.post("/cart/remove", data={"offer_id": offer["offer_id"], "csrf_token": client.csrf_token()})
    assert value(app, "SELECT count(*) FROM sale_holds") == 0
    assert value(app, "SELECT quantity FROM offers WHERE id = %s", (offer["offer_id"],)) == 5


def test_sales_are_summed_off_the_checkout_path(app, database, user_client, make_offer):
    offer = make_offer(price="10.00", quantity=5)
    client, buyer = user_client(balance="50")
    client.post("/cart/add", data={"offer_id": offer["offer_id"], "quantity": 2,
                                   "csrf_token": client.csrf_token()})
    assert client.post("/checkout", data={"idempotency_key": "k", "csrf_token": client.csrf_token()}
                       ).status_code == 302
    # Checkout appended the sale; the tallies count it once folded.
    assert value(app, "SELECT units_sold FROM products WHERE id = %s", (offer["product_id"],)) == 0
    assert_invariants(database, {offer["offer_id"]: 5})
    with app.app_context():
        assert analytics.fold_pending_sales() == 1
        assert analytics.seller_best_products(offer["seller_id"])[0]["units"] == 2
    assert value(app, "SELECT units_sold FROM products WHERE id = %s", (offer["product_id"],)) == 2
    assert_invariants(database, {offer["offer_id"]: 5})
