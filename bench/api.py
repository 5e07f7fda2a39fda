"""Benchmark: the JSON API at a million products and three million offers.

    .venv/bin/python bench/api.py [--requests 60]

Uses the catalog benchmark's scratch database (souk_bench_catalog; loaded
by bench/catalog.py on first use, a few minutes, then kept), brings its
schema up to date, and makes one buyer with a token and money. Then it
requests each endpoint through the Flask test client (routing, token
lookup, SQL, JSON; no network) and prints the median and p95 latency. Reads
must each have a p95 under 50 ms and placing an order under 100 ms (the
exit status says whether they do). Each timed order buys one unit with a
new Idempotency-Key, so a run takes a few dozen units of stock.
"""
import argparse
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import catalog as catalog_bench  # noqa: E402

from app import create_app, db  # noqa: E402
from app.models import api_token, ledger  # noqa: E402
from app.models import user as users  # noqa: E402

READ_BUDGET_MS = 50.0
ORDER_BUDGET_MS = 100.0
WARMUP = 5
BUYER_EMAIL = "api-buyer@bench.example"


def buyer_token(app) -> str:
    """A token for the benchmark's buyer, created with plenty of money."""
    with app.app_context():
        buyer = users.authenticate(BUYER_EMAIL, "bench-password")
        if buyer is None:
            # The loader wrote users with explicit ids; move the identity past them.
            db.query_value("SELECT setval(pg_get_serial_sequence('users', 'id'), max(id)) FROM users")
            buyer = users.create_user(BUYER_EMAIL, "bench-password", "Api", "Buyer", "1 Bench Road",
                                      "pbkdf2:sha256:1000")
        if buyer.balance < Decimal("10000"):
            ledger.top_up(buyer.id, Decimal("100000"))
        return api_token.issue_token(buyer.id, 3600)["token"]


def offers_to_buy(app, count: int) -> list[int]:
    """Offers with stock from sellers other than the buyer, one per order."""
    with app.app_context():
        return [row["id"] for row in db.query(
            """SELECT o.id FROM offers o WHERE o.active AND o.quantity > 0 AND o.product_id <= 1000
               ORDER BY o.id LIMIT %s""", (count,))]


def reads() -> list[tuple[str, str]]:
    hot = catalog_bench.HOT_PRODUCT
    return [
        ("products, first page", "/api/v1/products"),
        ("products, 100 per page", "/api/v1/products?per_page=100"),
        ("products, common word", "/api/v1/products?q=steel"),
        ("products, rare word", f"/api/v1/products?q={catalog_bench.RARE_WORD}"),
        ("products, filters and sort", "/api/v1/products?q=steel&category=kitchen&price_min=20"
                                       "&price_max=150&min_rating=3&in_stock=true&sort=price_asc"),
        ("products, category page 50", "/api/v1/products?category=kitchen&page=50"),
        ("product, 500 sellers", f"/api/v1/products/{hot}"),
        ("me", "/api/v1/me"),
        ("order history", "/api/v1/orders"),
    ]


def timed(call, count: int) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def report(label: str, timings: list[float], budget: float) -> bool:
    p95 = statistics.quantiles(timings, n=20)[-1]
    flag = "" if p95 < budget else "  over budget"
    print(f"{label:<36} {statistics.median(timings):6.1f}ms {p95:6.1f}ms{flag}", flush=True)
    return p95 < budget


def get_ok(client, url: str, headers: dict):
    response = client.get(url, headers=headers)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {response.get_data(as_text=True)}")


def order_ok(client, headers: dict, offer_id: int, key: str | None = None, status: int = 201):
    response = client.post("/api/v1/orders", json={"items": [{"offer_id": offer_id, "quantity": 1}]},
                           headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex})
    if response.status_code != status:
        raise SystemExit(f"order answered {response.status_code}: {response.get_data(as_text=True)}")


def run(dsn: str, count: int) -> bool:
    db.migrate(dsn)
    app = create_app({"DATABASE_URL": dsn, "DB_POOL_MAX": 2})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {buyer_token(app)}"}
    offers = iter(offers_to_buy(app, count + WARMUP + 1))
    print(f"\n{'endpoint':<36} {'median':>8} {'p95':>8}")
    fast = True
    for label, url in reads():
        for _ in range(WARMUP):
            get_ok(client, url, headers)
        fast &= report(label, timed(lambda url=url: get_ok(client, url, headers), count), READ_BUDGET_MS)
    for _ in range(WARMUP):
        order_ok(client, headers, next(offers))
    fast &= report("place an order (POST /orders)",
                   timed(lambda: order_ok(client, headers, next(offers)), count), ORDER_BUDGET_MS)
    replayed_offer, replayed_key = next(offers), uuid.uuid4().hex
    order_ok(client, headers, replayed_offer, replayed_key)
    fast &= report("replay an order (same key)",
                   timed(lambda: order_ok(client, headers, replayed_offer, replayed_key, 200), count),
                   ORDER_BUDGET_MS)
    return fast


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=60, help="timed requests per endpoint (default 60)")
    args = parser.parse_args()
    server = catalog_bench.server_dsn()
    if not catalog_bench.is_loaded(server):
        print(f"Loading {catalog_bench.DB_NAME} (a few minutes):", flush=True)
        catalog_bench.load(server)
    fast = run(db.with_dbname(server, catalog_bench.DB_NAME), args.requests)
    print("\nEvery p95 within budget." if fast else "\nSome p95 are over budget.")
    sys.exit(0 if fast else 1)


if __name__ == "__main__":
    main()
