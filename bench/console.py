"""Operator console page timings on a generated dataset.

    .venv/bin/python -m db.generated --scale large --database-url URL   # once, ~3-5 min
    .venv/bin/python bench/console.py URL [--requests 10]

Makes alice@example.com an operator in that database (the one write it
makes), then GETs every console page through the Flask test client (routing,
session, SQL, templates; no network) and prints each page's median and p95,
and the median as a ratio to the limit: the median of the shop's home page
for the same operator, measured in the same run (a console page should cost
no more than a page every shopper loads). The pages are chosen from the
data: the busiest category, the product with the most sellers, the busiest
seller's email for the orders search, the newest order for its page (where
disputes are settled).
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from db.generated import PASSWORD  # noqa: E402

WARMUP = 2
OPERATOR = "alice@example.com"


def prepare(dsn: str) -> list[str]:
    """Make the operator and choose the pages."""
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE users SET is_operator = true WHERE lower(email) = %s RETURNING id",
                        (OPERATOR,))
            alice = cur.fetchone()[0]
            cur.execute("""SELECT category_id FROM products
                           GROUP BY category_id ORDER BY count(*) DESC LIMIT 1""")
            category = cur.fetchone()[0]
            cur.execute("SELECT id FROM products ORDER BY seller_count DESC, id LIMIT 1")
            crowded = cur.fetchone()[0]
            cur.execute("""SELECT u.email FROM users u
                           ORDER BY (SELECT count(*) FROM offers o WHERE o.seller_id = u.id) DESC LIMIT 1""")
            seller = cur.fetchone()[0]
            cur.execute("SELECT max(id) FROM orders")
            order = cur.fetchone()[0]
    finally:
        conn.close()
    return ["/ops/", "/ops/users/", "/ops/users/?q=a", f"/ops/users/{alice}", "/ops/products/",
            f"/ops/products/{crowded}", "/ops/categories/", f"/ops/categories/{category}",
            f"/ops/orders/?q={order}", f"/ops/orders/{order}", f"/ops/orders/?q={seller}", "/ops/sales/",
            "/ops/audit/", "/ops/audit/?action=suspend_user", "/ops/charts/", "/metrics"]


def measure(client, path: str, requests: int) -> tuple[float, float, int]:
    """(median ms, p95 ms, status) of GET path."""
    timings, status = [], None
    for n in range(WARMUP + requests):
        started = time.perf_counter()
        response = client.get(path)
        if n >= WARMUP:
            timings.append((time.perf_counter() - started) * 1000)
        status = response.status_code
    timings.sort()
    return statistics.median(timings), timings[int(0.95 * (len(timings) - 1))], status


def _csrf(client) -> str:
    page = client.get("/auth/login").get_data(as_text=True)
    marker = 'name="csrf_token" type="hidden" value="'
    start = page.index(marker) + len(marker)
    return page[start:page.index('"', start)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the generated database")
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    pages = prepare(args.url)
    app = create_app({"DATABASE_URL": args.url})
    client = app.test_client()
    login = client.post("/auth/login",
                        data={"email": OPERATOR, "password": PASSWORD, "csrf_token": _csrf(client)})
    if login.status_code != 302:
        raise SystemExit(f"could not log in as {OPERATOR} with the generated password")
    started = time.perf_counter()
    client.get("/ops/charts/")
    print(f"/ops/charts/ first request (summarizes the closed days not yet summarized): "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")
    limit, _, _ = measure(client, "/", args.requests)
    print(f"limit: the home page for the same operator, median {limit:.1f} ms")
    print(f"{'page':<48} {'median':>9} {'p95':>9} {'ratio':>6}  status")
    for path in pages:
        median, p95, status = measure(client, path, args.requests)
        print(f"{path:<48} {median:7.1f}ms {p95:7.1f}ms {median / limit:6.2f}  {status}")


if __name__ == "__main__":
    main()
