"""Benchmark: reading from a streaming replica, on this machine.

    .venv/bin/python bench/replica.py [--seconds 2] [--rounds 11] [--checkouts 800]
    .venv/bin/python bench/replica.py --generator [--scale large]

Starts a primary and a hot standby of its own (app/replication.py, under
instance/bench-replica, removed at the end) with the demo data, then:

1. Routing cost: catalog pages (home, category, search, product; cache off)
   from a Flask test client, alternately on an app without a replica and
   on one with DATABASE_REPLICA_URL, ROUNDS pairs of SECONDS-long rounds.
   Both servers share 2 cores, so no speed-up is expected: the point is that
   routing (choosing the replica, its lag check, the statement check)
   costs at most 5 % (the median of the pairs' with/without >= 0.95). The
   app's own CPU time a page is printed too: the code's share alone.
2. Lag under write load: bench/flash_sale.py runs against the primary
   (checkouts over HTTP, then raw); the standby's replay lag is sampled
   every 0.1 s from pg_stat_replication (bytes and time).
3. Read-your-writes during that load: shoppers who each add to the cart
   (a POST: a write) and then read product, search and home pages, counted
   by where each read-only page went (app/db.py's souk_db_read_routes):
   the share sent to the primary because the standby had not yet replayed
   their own write.

--generator times the data generator (bench/generate.py) on the replicated
pair (wal_level=replica, a standby streaming every byte) next to the
embedded default (wal_level=minimal: tables created in the loading
transaction skip the WAL), both with the embedded server's tuning.
"""
import argparse
import logging
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app, db, embedded, metrics  # noqa: E402
from app.replication import Pair  # noqa: E402

PAGES = ["/", "/c/{category}", "/search?q=shirt", "/products/{product}", "/search?q=lamp"]


def make_pair(base: Path, settings: dict | None = None) -> Pair:
    pair = Pair(base, settings=settings)
    if pair.base.exists():
        pair.remove()
    pair.create()
    return pair


def demo_database(pair: Pair) -> str:
    pair.primary.sql("CREATE DATABASE souk")
    dsn = pair.primary.dsn("souk")
    db.migrate(dsn)
    from db.generated import load_demo_if_empty

    load_demo_if_empty(dsn)
    pair.wait_for_replay(120)
    return dsn


def pages(dsn: str) -> list[str]:
    conn = __import__("psycopg2").connect(dsn)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT slug FROM categories ORDER BY id LIMIT 1")
        category = cur.fetchone()[0]
        cur.execute("SELECT product_id FROM offers WHERE active ORDER BY id LIMIT 1")
        product = cur.fetchone()[0]
    conn.close()
    return [page.format(category=category, product=product) for page in PAGES]


def requests_per_second(app, urls: list[str], seconds: float) -> tuple[float, float]:
    """Pages per second from one test client, and the app's CPU ms per page."""
    client = app.test_client()
    done, deadline = 0, time.perf_counter() + seconds
    started, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() < deadline:
        response = client.get(urls[done % len(urls)])
        assert response.status_code == 200, (urls[done % len(urls)], response.status_code)
        done += 1
    return done / (time.perf_counter() - started), 1000 * (time.process_time() - cpu) / done


def routing_cost(pair: Pair, dsn: str, seconds: float, rounds: int) -> None:
    common = {"CATALOG_CACHE_SECONDS": 0, "DB_POOL_MAX": 2, "RATELIMIT_ENABLED": False}
    without = create_app({"DATABASE_URL": dsn, **common})
    with_replica = create_app({"DATABASE_URL": dsn, "DATABASE_REPLICA_URLS": [pair.standby.dsn("souk")],
                               **common})
    urls = pages(dsn)
    for app in (without, with_replica):  # warm both servers' caches and the pools
        requests_per_second(app, urls, 1.0)
    before = routes()
    # Short rounds in pairs, each pair's order alternating: the load of other
    # work on a shared machine moves from second to second, and a ratio
    # within a pair is what carries over.
    runs = {"without": [], "with": []}
    for n in range(rounds):
        order = ((without, "without"), (with_replica, "with"))
        for app, key in order if n % 2 == 0 else reversed(order):
            runs[key].append(requests_per_second(app, urls, seconds))
    after = routes()
    pairs = list(zip(runs["without"], runs["with"], strict=True))
    ratios = [b[0] / a[0] for a, b in pairs]
    cpu_ratios = [b[1] / a[1] for a, b in pairs]
    print(f"1. Catalog pages from a test client, cache off ({rounds} pairs of {seconds:g} s rounds, "
          f"pages: {', '.join(urls)})")
    for label, key in (("without a replica", "without"), ("with the standby", "with")):
        rates = [rate for rate, _ in runs[key]]
        print(f"   {label + ':':20} {statistics.median(rates):7.1f} pages/s (median; rounds "
              f"{min(rates):.0f}-{max(rates):.0f}), app CPU "
              f"{statistics.median(cpu for _, cpu in runs[key]):.2f} ms a page")
    ratio = statistics.median(ratios)
    print(f"   with/without, median of the pairs: {ratio:.3f} (pairs {min(ratios):.2f}-{max(ratios):.2f}): "
          f"routing cost {max(0.0, 1 - ratio):.1%}, limit 5 %")
    print(f"   app CPU a page, with/without: {statistics.median(cpu_ratios):.3f} "
          f"(pairs {min(cpu_ratios):.2f}-{max(cpu_ratios):.2f})")
    to_replica = after.get(("replica", "ok"), 0) - before.get(("replica", "ok"), 0)
    total = sum(after.values()) - sum(before.values())
    print(f"   {to_replica:.0f} of {total:.0f} pages read from the standby")


def routes() -> dict:
    return {tuple(sample.labels[k] for k in ("target", "reason")): sample.value
            for metric in metrics.DB_READ_ROUTES.collect() for sample in metric.samples
            if sample.name.endswith("_total")}


class LagSampler(threading.Thread):
    def __init__(self, pair: Pair):
        super().__init__(daemon=True)
        self.pair, self.samples, self.stop = pair, [], threading.Event()

    def run(self) -> None:
        import psycopg2

        conn = psycopg2.connect(self.pair.primary.dsn())
        conn.autocommit = True
        with conn.cursor() as cur:
            while not self.stop.is_set():
                cur.execute("""SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn),
                                      coalesce(extract(epoch FROM replay_lag), 0) FROM pg_stat_replication""")
                row = cur.fetchone()
                if row:
                    self.samples.append((float(row[0]), float(row[1])))
                time.sleep(0.1)
        conn.close()


def shoppers(pair: Pair, dsn: str, stop: threading.Event, counts: dict) -> None:
    """Log in as the demo shoppers; each adds an offer to the cart, then reads pages."""
    from tests.support import log_in

    app = create_app({"DATABASE_URL": dsn, "DATABASE_REPLICA_URLS": [pair.standby.dsn("souk")],
                      "CATALOG_CACHE_SECONDS": 0, "DB_POOL_MAX": 2, "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False, "REPLICA_MAX_LAG_SECONDS": 10.0})
    urls = pages(dsn)
    import psycopg2

    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT id, email FROM users WHERE email LIKE '%%@example.com' ORDER BY id LIMIT 8")
        people = cur.fetchall()
        cur.execute("SELECT id FROM offers WHERE active AND quantity > 0 ORDER BY id LIMIT 50")
        offers = [row[0] for row in cur.fetchall()]
    conn.close()
    clients = []
    for _, email in people:
        client = app.test_client()
        log_in(client, type("U", (), {"email": email}), password="souk-demo")
        clients.append(client)
    n = 0
    while not stop.is_set():
        client = clients[n % len(clients)]
        client.post("/cart/add", data={"offer_id": offers[n % len(offers)], "quantity": 1, "next": "/cart"})
        for url in urls[:3]:
            client.get(url)
        n += 1
    counts["visits"] = n


def lag_and_read_your_writes(pair: Pair, dsn: str, checkouts: int) -> None:
    sampler = LagSampler(pair)
    sampler.start()
    before = routes()
    stop, counts = threading.Event(), {}
    shopping = threading.Thread(target=shoppers, args=(pair, dsn, stop, counts))
    shopping.start()
    started = time.monotonic()
    env = {**os.environ, "DATABASE_URL": pair.primary.dsn()}
    command = [sys.executable, str(ROOT / "bench" / "flash_sale.py"), "--checkouts", str(checkouts),
               "--time-limit", "60"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    seconds = time.monotonic() - started
    stop.set()
    shopping.join()
    sampler.stop.set()
    sampler.join()
    after = routes()
    lines = [line for line in result.stdout.splitlines() if re.search(r"checkouts/s|app/raw|oversold", line)]
    print(f"\n2. Replica lag during bench/flash_sale.py --checkouts {checkouts} ({seconds:.0f} s, "
          f"exit {result.returncode}; {len(sampler.samples)} samples every 0.1 s)")
    for line in lines[:4]:
        print(f"   flash_sale: {line.strip()}")
    if sampler.samples:
        lag_bytes = sorted(s[0] for s in sampler.samples)
        lag_seconds = sorted(s[1] for s in sampler.samples)
        p = lambda values, q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
        print(f"   replay lag, bytes:   median {p(lag_bytes, .5):,.0f}  p95 {p(lag_bytes, .95):,.0f}  "
              f"max {lag_bytes[-1]:,.0f}")
        print(f"   replay lag, seconds: median {p(lag_seconds, .5):.4f}  p95 {p(lag_seconds, .95):.4f}  "
              f"max {lag_seconds[-1]:.4f}")
    delta = {key: after.get(key, 0) - before.get(key, 0) for key in set(after) | set(before)}
    total = sum(delta.values())
    own = delta.get(("primary", "own_write"), 0)
    print(f"\n3. Read-your-writes during that load: {counts.get('visits', 0)} shopper visits "
          "(add to cart, then home, category, search)")
    print(f"   read-only pages: {total:.0f}; to the standby {delta.get(('replica', 'ok'), 0):.0f}; "
          f"to the primary for the user's own write {own:.0f} ({own / max(total, 1):.1%}); "
          f"other reasons {total - own - delta.get(('replica', 'ok'), 0):.0f}")


def generator(scale: str) -> None:
    tuning = {name: f"'{value}'" for name, value in embedded.SETTINGS.items()
              if name not in ("wal_level", "max_wal_senders", "max_connections")}
    pair = make_pair(ROOT / "instance" / "bench-generator", settings=tuning)
    try:
        runs = {}
        for label, url in (("embedded, wal_level=minimal", None),
                           ("primary + streaming standby, wal_level=replica", pair.primary.dsn())):
            env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
            if url:
                env["DATABASE_URL"] = url
            started = time.monotonic()
            out = subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--scale", scale],
                                 env=env, capture_output=True, text=True, cwd=ROOT)
            runs[label] = (time.monotonic() - started, out.stdout, out.returncode)
            if url:
                pair.wait_for_replay(1800)
                runs[label] += (time.monotonic() - started,)
        print(f"Data generator, --scale {scale}:")
        for label, (seconds, stdout, code, *replayed) in runs.items():
            rate = [line for line in stdout.splitlines() if "rows/s" in line]
            print(f"  {label}: exit {code}, {seconds:.0f} s"
                  + (f" (standby caught up after {replayed[0]:.0f} s)" if replayed else ""))
            for line in rate:
                print(f"    {line.strip()}")
    finally:
        pair.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--checkouts", type=int, default=800)
    parser.add_argument("--generator", action="store_true")
    parser.add_argument("--scale", default="large")
    args = parser.parse_args()
    logging.getLogger("souk.request").disabled = True  # one line per request otherwise
    if args.generator:
        generator(args.scale)
        return
    pair = make_pair(ROOT / "instance" / "bench-replica")
    try:
        dsn = demo_database(pair)
        routing_cost(pair, dsn, args.seconds, args.rounds)
        lag_and_read_your_writes(pair, dsn, args.checkouts)
    finally:
        pair.remove()


if __name__ == "__main__":
    main()
