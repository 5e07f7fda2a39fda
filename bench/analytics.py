"""Benchmark: analytics pages, chart endpoints and the home page with
recommendations, against a scratch database with about a million order lines.

    .venv/bin/python bench/analytics.py [--requests 60] [--keep]

The data is generated inside PostgreSQL (generate_series), in well under a
minute or two: 20,000 users, 100,000 products in 30 categories, 110,000 offers,
400,000 purchases with one order each and ~1,000,000 order lines over two
years. User 1 is a big seller with ~8% of all orders (~80,000 lines). The
pages are requested through the Flask test client (routing, login, SQL,
templates, no network); the script prints the median and p95 of each and
fails when a p95 is not under 100 ms. --keep keeps the scratch database and
reuses it on the next run."""
import argparse
import secrets
import statistics
import sys
import time
from pathlib import Path

import psycopg2
from psycopg2 import sql
from werkzeug.security import generate_password_hash

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app, db, embedded  # noqa: E402

KEPT_NAME = "souk_bench_analytics"
PASSWORD = "bench-password"
BUDGET_MS = 100.0
WARMUP = 5

GENERATE = [
    # Loading only: skip triggers and foreign-key checks, and write every
    # aggregate the triggers and checkout would keep (products.units_sold,
    # min_price, seller_count, seller_product_sales) in one pass each.
    "SET session_replication_role = replica",
    "SELECT setseed(0.42)",
    """INSERT INTO categories (id, name, slug)
       SELECT i, 'Category ' || i, 'category-' || i FROM generate_series(1, 30) i""",
    """INSERT INTO users (id, email, password_hash, first_name, last_name)
       SELECT i, 'user' || i || '@bench.example', %(hash)s, 'User', 'Number ' || i
       FROM generate_series(1, 20000) i""",
    # Sellers are users 1..2000: every product has one offer by one of
    # sellers 2..2000, and the big seller (1) offers every tenth product.
    """CREATE TEMP TABLE gen_offers AS
       SELECT row_number() OVER () AS id, product_id, seller_id, price FROM (
           SELECT i AS product_id, 2 + (i * 7) %% 1999 AS seller_id, 5.99 + i %% 200 AS price
           FROM generate_series(1, 100000) i
           UNION ALL
           SELECT i, 1, 4.49 + i %% 150 FROM generate_series(10, 100000, 10) i) o""",
    """CREATE TEMP TABLE seller_offers AS
       SELECT seller_id, row_number() OVER (PARTITION BY seller_id ORDER BY id) AS rn,
              id AS offer_id, product_id, price
       FROM gen_offers""",
    "CREATE INDEX ON seller_offers (seller_id, rn)",
    """CREATE TEMP TABLE gen_orders AS
       SELECT i AS id, 2001 + floor(random() * 18000)::int AS buyer_id,
              CASE WHEN random() < 0.08 THEN 1 ELSE 2 + floor(random() * 1999)::int END AS seller_id,
              now() - random() * interval '730 days' AS created_at,
              1 + floor(random() * 4)::int AS lines
       FROM generate_series(1, 400000) i""",
    """CREATE TEMP TABLE gen_lines AS
       WITH picks AS (
           SELECT o.id AS order_id, o.seller_id,
                  1 + floor(random() * c.n)::int AS rn, 1 + floor(random() * 3)::int AS quantity
           FROM gen_orders o
           JOIN (SELECT seller_id, count(*) AS n FROM seller_offers GROUP BY seller_id) c USING (seller_id)
           CROSS JOIN LATERAL generate_series(1, o.lines) k)
       SELECT p.order_id, p.seller_id, s.offer_id, s.product_id, p.quantity, s.price AS unit_price
       FROM picks p JOIN seller_offers s USING (seller_id, rn)""",
    """CREATE TEMP TABLE gen_totals AS
       SELECT order_id, sum(quantity * unit_price) AS subtotal FROM gen_lines GROUP BY order_id""",
    """INSERT INTO products (id, category_id, creator_id, name, description, min_price, seller_count,
                            units_sold)
       SELECT i, 1 + i %% 30, 1 + i %% 2000, 'Product ' || i, 'A product for the benchmark.',
              f.min_price, f.n, coalesce(u.units, 0)
       FROM generate_series(1, 100000) i
       JOIN (SELECT product_id, min(price) AS min_price, count(*) AS n FROM gen_offers GROUP BY product_id) f
         ON f.product_id = i
       LEFT JOIN (SELECT product_id, sum(quantity) AS units FROM gen_lines GROUP BY product_id) u
         ON u.product_id = i""",
    """INSERT INTO offers (id, product_id, seller_id, price, quantity)
       SELECT id, product_id, seller_id, price, 100 FROM gen_offers""",
    """INSERT INTO purchases (id, buyer_id, total, created_at)
       SELECT o.id, o.buyer_id, t.subtotal, o.created_at
       FROM gen_orders o JOIN gen_totals t ON t.order_id = o.id""",
    """INSERT INTO orders (id, purchase_id, seller_id, buyer_id, subtotal, created_at, state, shipped_at,
                          delivered_at, released_at)
       SELECT o.id, o.id, o.seller_id, o.buyer_id, t.subtotal, o.created_at, 'delivered',
              o.created_at + interval '1 day', o.created_at + interval '2 days',
              o.created_at + interval '2 days'
       FROM gen_orders o JOIN gen_totals t ON t.order_id = o.id""",
    """INSERT INTO order_lines (order_id, offer_id, product_id, quantity, unit_price)
       SELECT order_id, offer_id, product_id, quantity, unit_price FROM gen_lines ORDER BY order_id""",
    "SELECT refresh_seller_product_sales()",
    """UPDATE users SET seller_rating_count = 500, seller_rating_sum = 2100,
                        seller_rating_hist = '{10,20,50,170,250}' WHERE id = 1""",
    "SET session_replication_role = DEFAULT",
]
SEQUENCES = ("users", "categories", "products", "offers", "purchases", "orders", "order_lines")


def scratch_database(server: str, keep: bool) -> tuple[str, str, bool]:
    """(name, dsn, fresh): a new database, or the kept one when --keep finds it."""
    name = KEPT_NAME if keep else f"souk_bench_{secrets.token_hex(3)}"
    conn = psycopg2.connect(server)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        exists = cur.fetchone() is not None
    conn.close()
    if not exists:
        db.create_database(server, name)
    return name, db.with_dbname(server, name), not exists


def generate(dsn: str) -> None:
    db.migrate(dsn)
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    with conn.cursor() as cur:
        for n, statement in enumerate(GENERATE, 1):
            started = time.perf_counter()
            cur.execute(statement, {"hash": password_hash})
            print(f"  [{n:2}/{len(GENERATE)}] {time.perf_counter() - started:5.1f} s  "
                  f"{' '.join(statement.split())[:70]}", flush=True)
        for table in SEQUENCES:  # identities continue after the generated ids
            cur.execute(sql.SQL("SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {}))")
                        .format(sql.Identifier(table)), (table,))
        started = time.perf_counter()
        cur.execute("VACUUM ANALYZE")  # the visibility map makes index-only scans possible
        print(f"  VACUUM ANALYZE {time.perf_counter() - started:.1f} s", flush=True)
    conn.close()


def describe(dsn: str) -> dict:
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM order_lines")
        lines = cur.fetchone()[0]
        cur.execute("""SELECT count(*) FROM orders o JOIN order_lines l ON l.order_id = o.id
                       WHERE o.seller_id = 1""")
        big_seller_lines = cur.fetchone()[0]
        # The busiest buyer: the most order lines of anyone.
        cur.execute("""SELECT o.buyer_id, count(*) FROM orders o JOIN order_lines l ON l.order_id = o.id
                       GROUP BY o.buyer_id ORDER BY count(*) DESC LIMIT 1""")
        buyer_id, buyer_lines = cur.fetchone()
    conn.close()
    return {"lines": lines, "big_seller_lines": big_seller_lines, "buyer_id": buyer_id,
            "buyer_lines": buyer_lines}


def logged_in(app, user_id: int):
    client = app.test_client()
    with app.app_context():
        email = db.query_value("SELECT email FROM users WHERE id = %s", (user_id,))
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, "login failed"
    return client


def measure(client, url: str, requests: int, headers: dict | None = None, status: int = 200) -> list[float]:
    timings = []
    for n in range(WARMUP + requests):
        started = time.perf_counter()
        response = client.get(url, headers=headers or {})
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == status, f"{url}: {response.status_code}"
        if n >= WARMUP:
            timings.append(elapsed)
    return timings


def p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20, method="inclusive")[-1]


def run(app, facts: dict, requests: int) -> bool:
    buyer = logged_in(app, facts["buyer_id"])
    seller = logged_in(app, 1)
    cases = [("home page with recommendations (busiest buyer)", buyer, "/", None, 200),
             ("buyer analytics page", buyer, "/account/analytics", None, 200)]
    for name in ("spending-by-month", "spending-by-category"):
        cases.append((f"buyer chart {name}", buyer, f"/account/analytics/{name}.svg", None, 200))
    cases.append(("seller analytics page (big seller)", seller, "/sell/analytics", None, 200))
    for name in ("revenue-by-month", "sales-by-category", "best-products", "ratings"):
        cases.append((f"seller chart {name}", seller, f"/sell/analytics/{name}.svg", None, 200))
    etag = seller.get("/sell/analytics/best-products.svg").headers["ETag"]
    cases.append(("seller chart best-products, If-None-Match (304)", seller,
                  "/sell/analytics/best-products.svg", {"If-None-Match": etag}, 304))

    print(f"\n{'endpoint':58} {'median ms':>10} {'p95 ms':>8}")
    all_fast = True
    for label, client, url, headers, status in cases:
        timings = measure(client, url, requests, headers, status)
        worst = p95(timings)
        all_fast &= worst < BUDGET_MS
        flag = "" if worst < BUDGET_MS else "  OVER BUDGET"
        print(f"{label:58} {statistics.median(timings):10.1f} {worst:8.1f}{flag}", flush=True)
    return all_fast


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=60, help="measured requests per endpoint")
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the scratch database")
    args = parser.parse_args()

    server = embedded.start(ROOT / "instance")
    name, dsn, fresh = scratch_database(server, args.keep)
    try:
        if fresh:
            started = time.perf_counter()
            print(f"Generating data in {name} ...", flush=True)
            generate(dsn)
            print(f"Generated in {time.perf_counter() - started:.0f} s", flush=True)
        facts = describe(dsn)
        print(f"{facts['lines']:,} order lines; big seller: {facts['big_seller_lines']:,} lines; "
              f"busiest buyer (user {facts['buyer_id']}): {facts['buyer_lines']:,} lines")
        app = create_app({"DATABASE_URL": dsn, "WTF_CSRF_ENABLED": False})
        all_fast = run(app, facts, args.requests)
        print(f"\nEvery p95 under {BUDGET_MS:.0f} ms: {'yes' if all_fast else 'NO'}")
        return 0 if all_fast else 1
    finally:
        if not args.keep:
            db.drop_database(server, name)


if __name__ == "__main__":
    sys.exit(main())
