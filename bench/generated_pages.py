"""Page latencies on a generated dataset (used by bench/generate.py --pages).

    .venv/bin/python bench/generated_pages.py URL [--requests 20]

Requests the shop's main pages through the Flask test client (routing,
session, SQL, templates; no network) against the database at URL, as a
guest and logged in as alice@example.com (a busy demo seller and buyer),
and prints the median and p95 of each. The pages are chosen from the data:
the busiest category, the product with the most sellers, the best seller,
alice's latest purchase.
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

WARMUP = 3


def pick_pages(dsn: str) -> tuple[list[str], list[str]]:
    """(guest pages, alice's pages) for this dataset."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("""SELECT c.slug FROM categories c JOIN products p ON p.category_id = c.id
                           GROUP BY c.slug ORDER BY count(*) DESC LIMIT 1""")
            slug = cur.fetchone()[0]
            cur.execute("SELECT id FROM products ORDER BY seller_count DESC, id LIMIT 1")
            crowded = cur.fetchone()[0]
            cur.execute("""SELECT id, split_part(split_part(name, ',', 1), ' ', 3) FROM products
                           ORDER BY units_sold DESC, id LIMIT 1""")
            best, word = cur.fetchone()
            cur.execute("SELECT max(id) FROM purchases WHERE buyer_id = 1")
            latest = cur.fetchone()[0]
    finally:
        conn.close()
    guest = ["/", f"/c/{slug}", f"/c/{slug}?sort=price_asc", f"/c/{slug}?sort=rating&page=5",
             f"/search?q={word}", f"/search?q={word}&sort=price_desc&in_stock=y", f"/products/{crowded}",
             f"/products/{best}", "/users/1"]
    alice = ["/", "/account/", "/cart", "/purchases/", "/sell/inventory", "/sell/orders", "/sell/sales/",
             "/account/analytics", "/sell/analytics"] + ([f"/purchases/{latest}"] if latest else [])
    return guest, alice


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


def report(dsn: str, requests: int) -> None:
    app = create_app({"DATABASE_URL": dsn})
    guest_pages, alice_pages = pick_pages(dsn)
    guest = app.test_client()
    alice = app.test_client()
    login = alice.post("/auth/login", data={"email": "alice@example.com", "password": PASSWORD,
                                       "csrf_token": _csrf(alice)})
    if login.status_code != 302:
        raise SystemExit("could not log in as alice@example.com with the generated password")
    print(f"{'page':<52} {'median':>8} {'p95':>8}  status")
    for who, client, pages in (("guest", guest, guest_pages), ("alice", alice, alice_pages)):
        for path in pages:
            median, p95, status = measure(client, path, requests)
            print(f"{who + ' ' + path:<52} {median:7.1f}ms {p95:7.1f}ms  {status}")


def _csrf(client) -> str:
    """A CSRF token for the client's session, read from the login form."""
    page = client.get("/auth/login").get_data(as_text=True)
    marker = 'name="csrf_token" type="hidden" value="'
    start = page.index(marker) + len(marker)
    return page[start:page.index('"', start)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the generated database")
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    report(args.url, args.requests)


if __name__ == "__main__":
    main()
