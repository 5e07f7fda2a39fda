"""Checkout under real concurrency: many threads posting over HTTP to the
live (threaded) server at once, then the money and stock invariants."""
import http.client
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

import psycopg2
import pytest

from app import db
from app.models import checkout
from tests.support import assert_invariants, log_in


class Shopper:
    """A logged-in user talking to the live server over real HTTP. The
    session cookie and CSRF token come from a test-client login."""

    def __init__(self, app, user, base_url: str):
        client = app.test_client()
        log_in(client, user)
        self.csrf = client.csrf_token()
        self.cookie = "session=" + client.get_cookie("session").value
        self.user = user
        self.address = urlsplit(base_url).netloc

    def post(self, path: str, data: dict) -> tuple[int, str, str]:
        """(status, Location, body) of one POST, redirects not followed."""
        conn = http.client.HTTPConnection(self.address, timeout=60)
        try:
            conn.request("POST", path, body=urlencode({"csrf_token": self.csrf, **data}),
                         headers={"Cookie": self.cookie, "Content-Type": "application/x-www-form-urlencoded"})
            response = conn.getresponse()
            return response.status, response.getheader("Location") or "", response.read().decode()
        finally:
            conn.close()

    def add(self, offer, quantity=1):
        return self.post("/cart/add", {"offer_id": offer["offer_id"], "quantity": quantity, "next": "/cart"})

    def checkout(self, key: str):
        return self.post("/checkout", {"idempotency_key": key})


def run_all(tasks, workers: int) -> list:
    """Run the callables at once (as far as `workers` threads allow)."""
    start = threading.Barrier(min(workers, len(tasks)))

    def run(task):
        try:
            start.wait(timeout=10)
        except threading.BrokenBarrierError:
            pass
        return task()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, tasks))


def fill_cart(app, user, offer, quantity=1):
    with app.app_context():
        db.execute("INSERT INTO cart_items (user_id, offer_id, quantity, price_seen) VALUES (%s, %s, %s, %s)",
                   (user.id, offer["offer_id"], quantity, offer["price"]))


def value(app, statement, params=()):
    with app.app_context():
        return db.query_value(statement, params)


def test_fifty_buyers_race_for_ten_units(app, database, live_server, make_user, make_offer):
    offer = make_offer(price="5.00", quantity=10)
    shoppers = [Shopper(app, make_user(balance="20"), live_server) for _ in range(50)]
    for shopper in shoppers:
        fill_cart(app, shopper.user, offer)
    results = run_all([lambda s=s, n=n: s.checkout(f"race-{n}") for n, s in enumerate(shoppers)], 50)
    statuses = [status for status, _, _ in results]
    assert statuses.count(302) == 10 and statuses.count(409) == 40, statuses
    assert all("Sold out." in body for status, _, body in results if status == 409)
    assert value(app, "SELECT quantity FROM offers WHERE id = %s", (offer["offer_id"],)) == 0
    assert value(app, "SELECT count(*) FROM purchases") == 10
    assert value(app, "SELECT sum(held_amount) FROM orders WHERE seller_id = %s",
                 (offer["seller_id"],)) == Decimal("50.00")
    assert_invariants(database, {offer["offer_id"]: 10})


def test_opposite_carts_never_deadlock_into_an_error(app, database, live_server, make_user, make_offer):
    """Pairs of buyers who also sell to each other buy overlapping carts,
    added in opposite orders, round after round."""
    shared_a, shared_b = make_offer(quantity=500), make_offer(quantity=500)
    all_offers, pairs = [shared_a, shared_b], []
    for _ in range(4):
        first, second = make_user(balance="1000"), make_user(balance="1000")
        first_offer = make_offer(seller=first, quantity=100)
        second_offer = make_offer(seller=second, quantity=100)
        all_offers += [first_offer, second_offer]
        pairs += [(Shopper(app, first, live_server), [shared_a, shared_b, second_offer]),
                  (Shopper(app, second, live_server), [first_offer, shared_b, shared_a])]
    initial = {offer["offer_id"]: offer["quantity"] for offer in all_offers}

    def buyer_rounds(shopper, cart):
        answers = []
        for round_number in range(5):
            for offer in cart:
                answers.append(shopper.add(offer, 2)[0])
            answers.append(shopper.checkout(f"{shopper.user.id}-{round_number}")[0])
        return answers

    results = run_all([lambda s=s, c=c: buyer_rounds(s, c) for s, c in pairs], len(pairs))
    assert all(status == 302 for answers in results for status in answers), results
    assert value(app, "SELECT count(*) FROM purchases") == 5 * len(pairs)
    assert value(app, "SELECT quantity FROM offers WHERE id = %s", (shared_a["offer_id"],)) == 500 - 2 * 5 * 8
    assert_invariants(database, initial)


def test_double_submit_from_two_tabs_is_charged_once(app, database, live_server, make_user, make_offer):
    offer = make_offer(price="7.50", quantity=100)
    shoppers = [Shopper(app, make_user(balance="30"), live_server) for _ in range(5)]
    for shopper in shoppers:
        fill_cart(app, shopper.user, offer, 2)
    # Each shopper: two tabs with their own key, each clicked twice.
    tasks = [lambda s=s, tab=tab: s.checkout(f"tab-{tab}-{s.user.id}") for s in shoppers
             for tab in ("a", "a", "b", "b")]
    results = run_all(tasks, len(tasks))
    assert all(status in (302, 409) for status, _, _ in results), [r[0] for r in results]
    for n, shopper in enumerate(shoppers):
        answers = results[4 * n:4 * n + 4]
        placed = {location for status, location, _ in answers if status == 302}
        assert len(placed) == 1
        assert all("Your cart is empty." in body for status, _, body in answers if status == 409)
        assert value(app, "SELECT count(*) FROM purchases WHERE buyer_id = %s", (shopper.user.id,)) == 1
        assert value(app, "SELECT balance FROM users WHERE id = %s", (shopper.user.id,)) == Decimal("15.00")
    assert_invariants(database, {offer["offer_id"]: 100})


def test_flash_sale_limit_holds_against_two_hundred_attempts(app, database, live_server, make_user,
                                                              make_offer):
    offer = make_offer(price="10.00", quantity=100)
    with app.app_context():
        sale_id = db.query_value(
            """INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total,
                                        per_customer_limit)
               VALUES (%s, 4.00, now() - interval '1 minute', now() + interval '1 hour', 15, 1)
               RETURNING id""",
            (offer["offer_id"],))
    shoppers = [Shopper(app, make_user(balance="100"), live_server) for _ in range(20)]

    def attempt(shopper, n):
        # One unit in the cart, then "Place order": after a success the
        # cart is filled again, so later attempts run into the limit.
        with app.app_context():
            db.execute("""INSERT INTO cart_items (user_id, offer_id, quantity, price_seen)
                          VALUES (%s, %s, 1, 4) ON CONFLICT (user_id, offer_id) DO UPDATE SET quantity = 1""",
                       (shopper.user.id, offer["offer_id"]))
        return shopper.checkout(f"flash-{shopper.user.id}-{n}")

    results = run_all([lambda s=s, n=n: attempt(s, n) for s in shoppers for n in range(10)], 64)
    assert all(status in (302, 409) for status, _, _ in results), [r[0] for r in results]
    answers = [body for status, _, body in results if status == 409]
    # "Cart is empty": another attempt of the same buyer bought the unit just put in the cart.
    known = ("Flash sale limit reached", "The flash sale is sold out", "Your cart is empty.")
    unexplained = [body for body in answers if not any(message in body for message in known)]
    assert not unexplained, unexplained[0]
    assert any("Flash sale limit reached" in body for body in answers)
    per_buyer = app_rows(app, """SELECT o.buyer_id, sum(l.quantity) AS units FROM order_lines l
                                 JOIN orders o ON o.id = l.order_id GROUP BY o.buyer_id""")
    assert per_buyer and all(row["units"] == 1 for row in per_buyer)
    sold = value(app, "SELECT units_sold FROM flash_sales WHERE id = %s", (sale_id,))
    assert sold == len(per_buyer) <= 15
    assert value(app, "SELECT count(*) FROM order_lines WHERE flash_sale_id IS NULL") == 0
    assert_invariants(database, {offer["offer_id"]: 100})


def app_rows(app, statement, params=()):
    with app.app_context():
        return db.query(statement, params)


def wait_for_a_lock_wait(dsn: str) -> None:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for _ in range(200):
                cur.execute("""SELECT count(*) FROM pg_stat_activity
                               WHERE datname = current_database() AND wait_event_type = 'Lock'""")
                if cur.fetchone()[0]:
                    return
                time.sleep(0.05)
    finally:
        conn.close()
    raise AssertionError("the checkout never waited for the offer's lock")


@pytest.mark.parametrize("change, reason, message", [
    ("UPDATE offers SET price = 9.00 WHERE id = %s", "price_changed",
     "The price changed from 10.00\u00a0EUR to 9.00\u00a0EUR while you were checking out."),
    ("UPDATE offers SET quantity = 0 WHERE id = %s", "out_of_stock", "Sold out."),
    ("UPDATE offers SET active = false WHERE id = %s", "offer_gone", "The seller stopped selling this."),
])
def test_a_line_that_loses_a_race_is_named(app, database, make_user, make_offer, change, reason, message):
    """The seller changes the offer while a checkout waits for its row: the
    checkout's conditional update finds the new row, buys nothing and says why."""
    buyer = make_user(balance="100")
    offer = make_offer(price="10.00", quantity=5)
    seller = psycopg2.connect(database)
    with seller.cursor() as cur:
        cur.execute(change, (offer["offer_id"],))
    outcome = {}

    def buy():
        with app.app_context():
            try:
                checkout.place_order(buyer.id, "racing", [(offer["offer_id"], 2)])
            except checkout.CheckoutFailed as exc:
                outcome["problems"] = exc.problems

    buyer_thread = threading.Thread(target=buy)
    buyer_thread.start()
    wait_for_a_lock_wait(database)
    seller.commit()
    seller.close()
    buyer_thread.join(timeout=30)
    [problem] = outcome["problems"]
    assert (problem["offer_id"], problem["reason"]) == (offer["offer_id"], reason)
    assert message in problem["message"]
    assert value(app, "SELECT count(*) FROM purchases") == 0
    assert value(app, "SELECT balance FROM users WHERE id = %s", (buyer.id,)) == Decimal("100.00")
    assert_invariants(database, {offer["offer_id"]: 0 if reason == "out_of_stock" else 5})
