"""Benchmark: a flash sale on one hot offer, bought by many buyers at once.

    .venv/bin/python bench/flash_sale.py [--checkouts 2000] [--clients 16]
                                         [--workers 3] [--threads 4] [--time-limit 120]

On a scratch database (souk_bench_flash_<pid>, on the embedded server or on
DATABASE_URL's server, dropped at the end) it seeds one hot offer with a
live flash sale (limit 1 per customer) whose units are three quarters of
the checkouts, and one buyer per checkout with a balance and that offer in
the cart. Then:

1. app: serves Souk with gunicorn (several workers, threads) on a free
   loopback port and fires the checkouts over HTTP from client threads:
   POST /checkout with the buyer's session cookie, CSRF token and a fresh
   idempotency key. It prints checkouts/s, p50/p95 latency, oversold units
   (must be 0) and the 5xx count (must be 0).
2. raw: the same transaction (checkout.place_order: the same SQL through
   psycopg2) for a second, identical hot offer and set of buyers, straight
   from client processes and threads (as many as gunicorn's workers, and
   the same number of concurrent transactions) with no HTTP, Flask request
   or gunicorn in between: the ceiling PostgreSQL allows for this
   transaction on this machine.

It prints app/raw and exits non-zero when anything was oversold, any
answer was a 5xx, or the money and stock invariants do not hold.
Sessions are signed with the app's secret (as a login would set them) so
the run measures checkouts, not password hashing.
"""
import argparse
import http.client
import multiprocessing
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import psycopg2
from flask import Flask
from itsdangerous import URLSafeTimedSerializer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app, db, embedded  # noqa: E402
from app.models import checkout, user_session  # noqa: E402

PRICE, SALE_PRICE, BALANCE = Decimal("20.00"), Decimal("12.00"), Decimal("100.00")

SEED = [
    """INSERT INTO users (email, password_hash, first_name, last_name)
       VALUES (%(tag)s || '-seller@bench.example', 'no-login', 'Hot', 'Seller')""",
    """INSERT INTO categories (name, slug) VALUES ('Bench', 'bench') ON CONFLICT (name) DO NOTHING""",
    """INSERT INTO products (category_id, creator_id, name)
       SELECT c.id, u.id, 'Hot item ' || %(tag)s FROM categories c, users u
       WHERE c.slug = 'bench' AND u.email = %(tag)s || '-seller@bench.example'""",
    """INSERT INTO offers (product_id, seller_id, price, quantity)
       SELECT p.id, p.creator_id, %(price)s, %(stock)s FROM products p
       WHERE p.name = 'Hot item ' || %(tag)s""",
    """INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total, per_customer_limit)
       SELECT o.id, %(sale_price)s, now() - interval '1 minute', now() + interval '1 day', %(stock)s, 1
       FROM offers o JOIN products p ON p.id = o.product_id WHERE p.name = 'Hot item ' || %(tag)s""",
    """INSERT INTO users (email, password_hash, first_name, last_name, balance)
       SELECT %(tag)s || '-buyer-' || g || '@bench.example', 'no-login', 'Buyer', 'Number ' || g, %(balance)s
       FROM generate_series(1, %(buyers)s) g""",
    """INSERT INTO ledger_entries (user_id, kind, amount, balance_after)
       SELECT id, 'topup', balance, balance FROM users WHERE email LIKE %(tag)s || '-buyer-%%'""",
    """INSERT INTO addresses (user_id, recipient, address, is_default)
       SELECT id, 'Buyer', '1 Bench Road', true FROM users WHERE email LIKE %(tag)s || '-buyer-%%'""",
    """INSERT INTO cart_items (user_id, offer_id, quantity, price_seen)
       SELECT u.id, o.id, 1, %(sale_price)s FROM users u,
              offers o JOIN products p ON p.id = o.product_id
       WHERE u.email LIKE %(tag)s || '-buyer-%%' AND p.name = 'Hot item ' || %(tag)s""",
]


def seed(dsn: str, tag: str, buyers: int, stock: int) -> tuple[int, list[int]]:
    """One hot offer on sale and `buyers` buyers with it in their cart.
    Returns the offer id and the buyer ids."""
    params = {"tag": tag, "price": PRICE, "sale_price": SALE_PRICE, "balance": BALANCE,
              "stock": stock, "buyers": buyers}
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        for statement in SEED:
            cur.execute(statement, params)
        cur.execute("""SELECT o.id FROM offers o JOIN products p ON p.id = o.product_id
                       WHERE p.name = 'Hot item ' || %s""", (tag,))
        offer_id = cur.fetchone()[0]
        cur.execute("SELECT id FROM users WHERE email LIKE %s || '-buyer-%%' ORDER BY id", (tag,))
        return offer_id, [row[0] for row in cur.fetchall()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    """Signs sessions like a login would, and posts checkouts over HTTP."""

    def __init__(self, secret: str, port: int):
        signer = Flask(__name__)
        signer.secret_key = secret
        self.sessions = signer.session_interface.get_signing_serializer(signer)
        self.csrf = URLSafeTimedSerializer(secret, salt="wtf-csrf-token")
        self.port = port
        self.local = threading.local()

    def credentials(self, session_token: str) -> tuple[str, str]:
        """A cookie for a server-side session (user_session.start_session), as logging in sets it."""
        raw = secrets.token_hex(20)
        cookie = self.sessions.dumps({"_user_id": session_token, "_fresh": True, "csrf_token": raw})
        return cookie, self.csrf.dumps(raw)

    def checkout(self, credentials: tuple[str, str]) -> tuple[int, str, float]:
        cookie, token = credentials
        body = urlencode({"csrf_token": token, "idempotency_key": secrets.token_urlsafe(18)})
        headers = {"Cookie": f"session={cookie}", "Content-Type": "application/x-www-form-urlencoded"}
        started = time.perf_counter()
        for attempt in range(2):  # a kept-alive connection the server closed: reconnect once
            conn = getattr(self.local, "conn", None) or http.client.HTTPConnection("127.0.0.1", self.port,
                                                                                   timeout=60)
            self.local.conn = conn
            try:
                conn.request("POST", "/checkout", body=body, headers=headers)
                response = conn.getresponse()
                text = response.read().decode()
                return response.status, text, time.perf_counter() - started
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                self.local.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def start_gunicorn(dsn: str, secret: str, port: int, workers: int, threads: int, log: Path):
    env = {**os.environ, "DATABASE_URL": dsn, "SECRET_KEY": secret, "SOUK_DB_POOL_MAX": str(threads)}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", "app:create_app()"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not start; see {log}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def run_app(dsn, buyers, args) -> dict:
    secret, port = secrets.token_hex(32), free_port()
    log = Path(f"/tmp/souk_bench_gunicorn_{os.getpid()}.log")
    client = Client(secret, port)
    with create_app({"DATABASE_URL": dsn, "DB_POOL_MAX": 1}).app_context():
        logins = [client.credentials(user_session.start_session(buyer, 3600)) for buyer in buyers]
    server = start_gunicorn(dsn, secret, port, args.workers, args.threads, log)
    deadline = time.monotonic() + args.time_limit
    try:
        def one(credentials):
            if time.monotonic() > deadline:
                return None
            return client.checkout(credentials)

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            results = [r for r in pool.map(one, logins) if r is not None]
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    counts = {"sent": len(results), "placed": sum(1 for status, _, _ in results if status == 302),
              "sold_out": sum(1 for status, text, _ in results
                              if status == 409 and "sold out" in text.lower()),
              "errors_5xx": sum(1 for status, _, _ in results if status >= 500)}
    counts["other"] = counts["sent"] - counts["placed"] - counts["sold_out"] - counts["errors_5xx"]
    return {**counts, "elapsed": elapsed, "latencies": [latency for _, _, latency in results], "log": log}


def _raw_process(dsn: str, buyers: list[int], threads: int, start, results) -> None:
    """One client process of the raw run: `threads` threads calling
    place_order for its share of the buyers."""
    app = create_app({"DATABASE_URL": dsn, "DB_POOL_MAX": threads})
    latencies, outcomes = [], []

    def one(buyer_id):
        with app.app_context():
            started = time.perf_counter()
            try:
                checkout.place_order(buyer_id, secrets.token_urlsafe(18))
                outcomes.append("placed")
            except checkout.CheckoutFailed:
                outcomes.append("refused")
            latencies.append(time.perf_counter() - started)

    start.wait()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, buyers))
    results.put((time.time(), latencies, outcomes))


def run_raw(dsn, buyers, args) -> dict:
    """The same checkouts straight through psycopg2, from as many processes
    as gunicorn has workers (one Python process would measure its own GIL)."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(args.workers + 1), context.Queue()
    threads = args.threads
    processes = [context.Process(target=_raw_process,
                                 args=(dsn, buyers[n::args.workers], threads, start, results))
                 for n in range(args.workers)]
    for process in processes:
        process.start()
    start.wait()
    started = time.time()
    finished = [results.get(timeout=args.time_limit + 60) for _ in processes]
    for process in processes:
        process.join()
    outcomes = [outcome for _, _, run in finished for outcome in run]
    return {"elapsed": max(end for end, _, _ in finished) - started, "placed": outcomes.count("placed"),
            "refused": outcomes.count("refused"),
            "latencies": [latency for _, run, _ in finished for latency in run], "threads": threads}


def audit(dsn: str, offers: dict[int, int]) -> list[str]:
    """Oversold units per offer, and the money and stock invariants."""
    problems = []
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        for offer_id, initial in offers.items():
            cur.execute("""SELECT o.quantity, coalesce(sum(l.quantity), 0), s.units_sold, s.units_total
                           FROM offers o JOIN flash_sales s ON s.offer_id = o.id
                           LEFT JOIN order_lines l ON l.offer_id = o.id
                           WHERE o.id = %s GROUP BY o.id, s.id""", (offer_id,))
            left, sold, sale_sold, sale_total = cur.fetchone()
            if sold > initial or sale_sold > sale_total or left + sold != initial or sale_sold != sold:
                problems.append(f"offer {offer_id}: oversold or lost units ({initial} at first, "
                                f"{sold} sold, {left} left, sale {sale_sold}/{sale_total})")
        cur.execute("""SELECT count(*) FROM users u WHERE balance <> (SELECT coalesce(sum(amount), 0)
                       FROM ledger_entries l WHERE l.user_id = u.id)""")
        if cur.fetchone()[0]:
            problems.append("some balances differ from their ledger")
        # Checkout holds the sellers' money on their orders until delivery.
        cur.execute("""SELECT (SELECT sum(balance) FROM users) + (SELECT sum(held_amount) FROM orders),
                              (SELECT sum(amount) FROM ledger_entries
                               WHERE kind IN ('topup', 'withdrawal'))""")
        balances, money_in = cur.fetchone()
        if balances != money_in:
            problems.append(f"money not conserved: balances and held {balances}, top-ups {money_in}")
    return problems


def commit_time(dsn: str, rounds: int = 100) -> float:
    """Seconds one durable commit of a one-row update takes here (the WAL
    flush every checkout of a hot offer waits for while holding its lock)."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE commit_probe (id int PRIMARY KEY, n int NOT NULL)")
        cur.execute("INSERT INTO commit_probe VALUES (1, 0)")
        conn.commit()
        started = time.perf_counter()
        for _ in range(rounds):
            cur.execute("UPDATE commit_probe SET n = n + 1 WHERE id = 1")
            conn.commit()
        elapsed = time.perf_counter() - started
        cur.execute("DROP TABLE commit_probe")
    return elapsed / rounds


def oversold(dsn: str, offer_id: int, initial: int) -> int:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE offer_id = %s", (offer_id,))
        return max(0, cur.fetchone()[0] - initial)


def report(args, stock, app_run, raw_run, app_oversold, raw_oversold, commit: float) -> None:
    ms = [latency * 1000 for latency in app_run["latencies"]]
    raw_ms = [latency * 1000 for latency in raw_run["latencies"]]
    app_rate = app_run["placed"] / app_run["elapsed"]
    raw_rate = raw_run["placed"] / raw_run["elapsed"]
    print(f"Flash sale: {args.checkouts} buyers, {stock} sale units (limit 1 each), {args.clients} clients")
    print(f"app (gunicorn {args.workers} workers x {args.threads} threads, HTTP over loopback):")
    print(f"  {app_run['sent']} checkouts in {app_run['elapsed']:.2f} s: {app_run['placed']} placed, "
          f"{app_run['sold_out']} told sold out, {app_run['other']} other, {app_run['errors_5xx']} 5xx")
    print(f"  checkouts/s {app_rate:.0f} placed ({app_run['sent'] / app_run['elapsed']:.0f} requests/s), "
          f"latency p50 {statistics.median(ms):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms")
    print(f"  oversold units: {app_oversold}")
    print(f"raw (checkout.place_order from {args.workers} processes x {raw_run['threads']} threads, "
          "psycopg2, no HTTP):")
    print(f"  {raw_run['placed']} placed, {raw_run['refused']} refused in {raw_run['elapsed']:.2f} s: "
          f"{raw_rate:.0f} checkouts/s, p50 {statistics.median(raw_ms):.1f} ms, "
          f"p95 {percentile(raw_ms, 0.95):.1f} ms, oversold units: {raw_oversold}")
    print(f"ratio app/raw: {app_rate / raw_rate:.2f}")
    print(f"(one durable commit takes {commit * 1000:.1f} ms here; checkouts of one hot offer queue on its "
          f"row lock until their commit, so at most ~{1 / commit:.0f}/s could pass even with no other work)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkouts", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--time-limit", type=float, default=120, help="seconds before no new checkout")
    args = parser.parse_args()
    stock = args.checkouts * 3 // 4

    server_dsn = (db.with_dbname(os.environ["DATABASE_URL"], "postgres") if os.environ.get("DATABASE_URL")
                  else embedded.start(ROOT / "instance"))
    name = f"souk_bench_flash_{os.getpid()}"
    db.create_database(server_dsn, name)
    dsn = db.with_dbname(server_dsn, name)
    try:
        db.migrate(dsn)
        app_offer, app_buyers = seed(dsn, "app", args.checkouts, stock)
        raw_offer, raw_buyers = seed(dsn, "raw", args.checkouts, stock)
        app_run = run_app(dsn, app_buyers, args)
        raw_run = run_raw(dsn, raw_buyers[:app_run["sent"]], args)
        app_oversold, raw_oversold = oversold(dsn, app_offer, stock), oversold(dsn, raw_offer, stock)
        report(args, stock, app_run, raw_run, app_oversold, raw_oversold, commit_time(dsn))
        problems = audit(dsn, {app_offer: stock, raw_offer: stock})
    finally:
        db.drop_database(server_dsn, name)
    for problem in problems:
        print("INVARIANT BROKEN:", problem)
    if app_run["errors_5xx"]:
        print(f"5xx answers: see {app_run['log']}")
    return 1 if problems or app_run["errors_5xx"] or app_oversold or raw_oversold else 0


if __name__ == "__main__":
    sys.exit(main())
