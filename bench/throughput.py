"""Benchmark: catalog pages per second at a million products, as a share of
what the same server does for a hello-world Flask app.

    .venv/bin/python bench/throughput.py [--seconds 4] [--pairs 3] [--connections 16]

Serves Souk as `./setup.sh --prod` does (gunicorn, 2 x cores + 1 sync
workers, access log on) on bench/catalog.py's scratch database
souk_bench_catalog (loaded by that script when missing, 3-7 minutes), and
bench/hello_world.py with the same gunicorn settings, both on loopback
ports. `wrk` (Debian's package) drives each page for --seconds with 2
threads and --connections connections, sending a browser's
Accept-Encoding, right after driving hello-world the same way; --pairs
times. It prints:

- req/s per page for a guest, a logged-in shopper (an account that never
  sold, added to the data) and a seller browsing (one of the data's
  sellers, whose pages are rendered for them), and the median of the
  ratios to hello-world measured just before (floors: guests >= 33 %,
  shopper >= 20 %; the seller's is shown without one), with the ratio of
  each pair; and for reference hello-world with one primary-key query per
  request (bench/hello_world.py's /one-query) against plain hello-world;
- the resident memory of each worker after the run (limit 60 MB);
- deep pages: page 1,000 of a common-word search against page 1, timed one
  request at a time with a different common word per request so no cache
  can answer (limit 3x at the median and at p95);
- price staleness: under load on the guest pages, one offer's price
  changes; the time until every guest page that shows it (home, category,
  search, product) shows the new price on every worker.

The exit status says whether every floor held.
"""
import argparse
import gzip
import http.client
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from decimal import Decimal
from pathlib import Path

import brotli
import psycopg2
from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import catalog as catalog_bench  # noqa: E402  (bench/catalog.py: the data and its loader)

from app import create_app, db  # noqa: E402
from app.models import user_session  # noqa: E402

WORKERS = (os.cpu_count() or 1) * 2 + 1  # as ./setup.sh --prod
FLOORS = {"guest": 0.33, "shopper": 0.20, "seller": None}  # a seller browsing: shown, no floor
RSS_LIMIT_MB = 60.0
DEEP_LIMIT = 3.0
SELLER = 2  # a bench seller (about 150 offers): pages are rendered for them
SHOPPER = catalog_bench.BIG_SELLER + 1  # a user who never sold, added here: the shared shopper pages
ACCEPT_ENCODING = "gzip, deflate, br"
COMMON_WORDS = [m for m in catalog_bench.MATERIALS if " " not in m]  # each in ~10 % of products


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, headers: dict | None = None, timeout: float = 30,
        decode: bool = False) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "identity", **(headers or {})})
        response = conn.getresponse()
        body = response.read()
        encoding = response.getheader("Content-Encoding", "identity")
        if decode and encoding != "identity":
            decoders = {"br": brotli.decompress, "gzip": gzip.decompress, "deflate": zlib.decompress}
            body = decoders[encoding](body)
        return response.status, body
    finally:
        conn.close()


def serve(app_spec: str, cwd: Path, env: dict) -> tuple[subprocess.Popen, int]:
    """gunicorn as ./setup.sh --prod starts it; returns it once it answers."""
    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
         "--access-logfile", "-", app_spec],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            try:
                if get(port, "/", timeout=5)[0] == 200:
                    return server, port
            except OSError:
                pass
            time.sleep(0.3)
    except BaseException:
        stop(server)
        raise
    stop(server)
    raise SystemExit(f"gunicorn {app_spec} did not start")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def worker_rss_mb(server: subprocess.Popen) -> list[float]:
    """Resident memory of each gunicorn worker (the master's children)."""
    out = subprocess.run(["ps", "-o", "rss=", "--ppid", str(server.pid)], capture_output=True, text=True,
                         check=False).stdout
    return sorted(int(kb) / 1024 for kb in out.split())


def wrk(port: int, paths: list[str], seconds: int, connections: int, headers: dict) -> tuple[float, int]:
    """Requests/s and the number of answers that were not 2xx/3xx. Several
    paths are requested in turn (a Lua script)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        listed = ", ".join(f'"{p}"' for p in paths)
        script.write(f"paths = {{{listed}}}\ni = 0\nrequest = function()\n  i = i + 1\n"
                     "  return wrk.format(\"GET\", paths[(i % #paths) + 1])\nend\n")
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script.name]
    for name, value in {"Accept-Encoding": ACCEPT_ENCODING, **headers}.items():
        command += ["-H", f"{name}: {value}"]
    try:
        out = subprocess.run(command + [f"http://127.0.0.1:{port}"], capture_output=True, text=True,
                             check=True).stdout
    finally:
        os.unlink(script.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


def add_shopper(dsn: str) -> None:
    """The shopper: an account that never sold (the catalog data has only
    sellers), with an explicit id as the loader gives every user."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("""INSERT INTO users (id, email, password_hash, first_name, last_name)
                           VALUES (%s, 'shopper@bench.example', 'no-login', 'Sam', 'Shopper')
                           ON CONFLICT (id) DO NOTHING""", (SHOPPER,))
    finally:
        conn.close()


def session_cookie(secret: str, dsn: str, user_id: int) -> str:
    """A session cookie as logging in would set it, for a server-side session."""
    with create_app({"DATABASE_URL": dsn, "DB_POOL_MAX": 1}).app_context():
        token = user_session.start_session(user_id, 3600)
    signer = Flask(__name__)
    signer.secret_key = secret
    session = signer.session_interface.get_signing_serializer(signer).dumps(
        {"_user_id": token, "_fresh": True})
    return f"session={session}"


def settled_cookie(port: int, cookie: str) -> str:
    """The session cookie as a browser would hold it after a few pages: the
    server completes it on the first pages (flask-login's session
    identifier, the CSRF token) and the browser keeps what it sends back.
    A bench that replayed the first cookie forever would make every request
    re-sign and re-send the session."""
    for _ in range(5):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", "/", headers={"Cookie": cookie, "Accept-Encoding": "identity"})
            response = conn.getresponse()
            response.read()
            sent = response.getheader("Set-Cookie")
        finally:
            conn.close()
        if not sent:
            return cookie
        cookie = sent.split(";", 1)[0]
    raise SystemExit("the server keeps changing the shopper's session cookie")


def timed(port: int, path: str, headers: dict) -> float:
    started = time.perf_counter()
    status, _ = get(port, path, headers)
    if status != 200:
        raise SystemExit(f"{path} answered {status}")
    return (time.perf_counter() - started) * 1000


def deep_pages(port: int, headers: dict) -> dict[str, list[float]]:
    """Page 1 and page 1,000 of a common-word search, one request per word
    and page so that no cache answers."""
    timings = {"page 1": [], "page 1,000": []}
    for word in COMMON_WORDS:
        timings["page 1"].append(timed(port, f"/search?q={word}", headers))
        timings["page 1,000"].append(timed(port, f"/search?q={word}&page=1000", headers))
    return timings


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def staleness_pages(dsn: str) -> tuple[int, int, Decimal, list[str]]:
    """The best-selling product, its cheapest offer and every guest page
    that shows the product's price: home, its category, a search for a word
    of its name, its own page."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("""SELECT p.id, c.slug, p.name FROM products p
                           JOIN categories c ON c.id = p.category_id WHERE p.min_price IS NOT NULL
                           ORDER BY p.units_sold DESC, p.id DESC LIMIT 1""")
            product_id, slug, name = cur.fetchone()
            cur.execute("""SELECT id, price FROM offers WHERE product_id = %s AND active AND quantity > 0
                           ORDER BY price, id LIMIT 1""", (product_id,))
            offer_id, price = cur.fetchone()
    finally:
        conn.close()
    word = max(re.findall(r"[a-z]+", name.lower()), key=len)
    return product_id, offer_id, price, ["/", f"/c/{slug}", f"/search?q={word}", f"/products/{product_id}"]


def set_price(dsn: str, offer_id: int, price: Decimal) -> None:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("UPDATE offers SET price = %s WHERE id = %s", (price, offer_id))
    finally:
        conn.close()


def staleness(port: int, dsn: str, seconds: int, connections: int) -> float:
    """Seconds from a price change to the last time any guest page still
    showed the old price, polled while wrk loads the same pages."""
    _, offer_id, old_price, pages = staleness_pages(dsn)
    new_price = Decimal("0.07")
    shown = re.compile(rb"(?<![\d.,])0\.07(?![\d])")
    load = subprocess.Popen([sys.executable, __file__, "--load-only", str(port), str(seconds + 4),
                             str(connections), *pages], stdout=subprocess.DEVNULL)
    try:
        time.sleep(2)  # the load is running and every cache holds the old price
        changed = time.monotonic()
        set_price(dsn, offer_id, new_price)
        last_old = 0.0
        while time.monotonic() - changed < seconds:
            for path in pages:
                # Asked as the load asks (and as browsers do), so the answers
                # come from the same cache entries.
                status, body = get(port, path, {"Accept-Encoding": ACCEPT_ENCODING}, decode=True)
                if status == 200 and not shown.search(body):
                    last_old = time.monotonic() - changed
            time.sleep(0.02)
    finally:
        set_price(dsn, offer_id, old_price)
        load.wait()
    return last_old


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=4, help="wrk duration of each run (default 4)")
    parser.add_argument("--pairs", type=int, default=3,
                        help="hello-world/page pairs per page; the median ratio counts (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--load-only", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # Stopped from outside: still stop the servers (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if args.load_only:  # the background load of the staleness measurement
        port, seconds, connections, *paths = args.load_only
        wrk(int(port), paths, int(seconds), int(connections), {})
        return

    server_dsn = catalog_bench.server_dsn()
    if not catalog_bench.is_loaded(server_dsn):
        print(f"Loading {catalog_bench.DB_NAME} (a few minutes):", flush=True)
        catalog_bench.load(server_dsn)
    dsn = db.with_dbname(server_dsn, catalog_bench.DB_NAME)
    db.migrate(dsn)
    add_shopper(dsn)
    secret = secrets.token_hex(32)
    env = {**os.environ, "DATABASE_URL": dsn, "SECRET_KEY": secret}
    print(f"gunicorn, {WORKERS} sync workers; wrk -t2 -c{args.connections} -d{args.seconds}s, "
          f"{args.pairs} pairs a page, Accept-Encoding: {ACCEPT_ENCODING}", flush=True)

    pages = [("home", "/"), ("category", "/c/kitchen"), ("search, common word", "/search?q=steel"),
             ("product, 500 sellers", f"/products/{catalog_bench.HOT_PRODUCT}")]
    ok = True
    hello, hello_port = serve("hello_world:app", ROOT / "bench", env)
    souk, port = serve("app:create_app()", ROOT, env)
    try:
        who = {"guest": {}, "shopper": {"Cookie": settled_cookie(port, session_cookie(secret, dsn, SHOPPER))},
               "seller": {"Cookie": settled_cookie(port, session_cookie(secret, dsn, SELLER))}}
        # Each page runs right after a hello-world run, and the ratio is taken
        # within that pair: on a shared machine the load of others changes
        # from minute to minute, even within one pair, so each page gets
        # --pairs such pairs and the median ratio counts.
        print(f"\n{'page':<24} {'who':<8} {'req/s':>8} {'hello':>8} {'ratio':>7} {'floor':>6} {'non-2xx':>8}"
              f"  ratio of each pair")
        for label, path in pages:
            for role, headers in who.items():
                for _ in range(20):  # warm the connection pools and caches
                    get(port, path, headers)
                pairs, bad = [], 0
                for _ in range(args.pairs):
                    hello_rate, _ = wrk(hello_port, ["/"], args.seconds, args.connections, {})
                    rate, pair_bad = wrk(port, [path], args.seconds, args.connections, headers)
                    pairs.append((rate / hello_rate, rate, hello_rate))
                    bad += pair_bad
                ratio, rate, hello_rate = sorted(pairs)[len(pairs) // 2]
                floor = FLOORS[role]
                ok &= (floor is None or ratio >= floor) and bad == 0
                flag = "  below floor" if floor is not None and ratio < floor else ""
                each = " ".join(f"{pair[0]:.0%}" for pair in pairs)
                print(f"{label:<24} {role:<8} {rate:8,.0f} {hello_rate:8,.0f} {ratio:7.1%} "
                      f"{f'{floor:.0%}' if floor is not None else '-':>6} {bad:8}  {each}{flag}", flush=True)
        # The same ceiling with one database round trip per request (a primary
        # key read), as a logged-in page needs one for its session: what a
        # query alone takes from a sync worker on this machine, in this run.
        pairs = []
        for _ in range(args.pairs):
            hello_rate, _ = wrk(hello_port, ["/"], args.seconds, args.connections, {})
            rate, _ = wrk(hello_port, ["/one-query"], args.seconds, args.connections, {})
            pairs.append((rate / hello_rate, rate, hello_rate))
        ratio, rate, hello_rate = sorted(pairs)[len(pairs) // 2]
        each = " ".join(f"{pair[0]:.0%}" for pair in pairs)
        print(f"{'hello-world + 1 query':<24} {'-':<8} {rate:8,.0f} {hello_rate:8,.0f} {ratio:7.1%} "
              f"{'-':>6} {0:8}  {each}", flush=True)
        hello_rss = worker_rss_mb(hello)
        rss = worker_rss_mb(souk)
        ok &= max(rss) <= RSS_LIMIT_MB
        print(f"\nworker RSS after the run: {', '.join(f'{mb:.1f}' for mb in rss)} MB "
              f"(limit {RSS_LIMIT_MB:.0f} MB; hello-world {max(hello_rss):.1f} MB)", flush=True)

        print(f"\ndeep pages, {len(COMMON_WORDS)} common words, one request each, uncached:")
        for role in ("guest", "shopper"):
            timings = deep_pages(port, who[role])
            first, deep = timings["page 1"], timings["page 1,000"]
            ratio = max(statistics.median(deep) / statistics.median(first), p95(deep) / p95(first))
            ok &= ratio <= DEEP_LIMIT
            print(f"  {role:<8} page 1 median {statistics.median(first):6.1f} ms p95 {p95(first):6.1f} ms; "
                  f"page 1,000 median {statistics.median(deep):6.1f} ms p95 {p95(deep):6.1f} ms; "
                  f"ratio {ratio:.1f}x (limit {DEEP_LIMIT:.0f}x)", flush=True)

        stale = staleness(port, dsn, max(args.seconds, 8), args.connections)
        print(f"\nprice staleness under load: every guest page showed the new price {stale:.2f} s "
              f"after the change", flush=True)
    finally:
        stop(souk)
        stop(hello)
    print("\nEvery floor held." if ok else "\nSome floors did not hold.")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
