"""Benchmark: inventory files for a seller with 100,000 offers.

    .venv/bin/python bench/inventory_import.py [--reset]

Uses a scratch database (souk_bench_inventory, on the embedded server or on
DATABASE_URL's server) holding one big seller with 100,000 offers (and a
rival offering half of the same products, so the product aggregates trigger
has real work). Loading the catalog benchmark's 1M-product database takes
many minutes on a shared machine, so this one is made here in seconds and
kept for the next run; --reset reloads it.

Measures, in one run on one server:
- export of the 100,000 offers (app/models/inventory_file.export_csv, the
  streamed response's body): seconds, and the peak memory it allocated
  (tracemalloc, a second pass) and the process's peak RSS;
- import of 10,000 and 100,000 edited rows (every price and stock changed),
  end to end as the request and the worker run it: the upload stored in
  PostgreSQL, checked into its preview, applied in one transaction;
- a raw COPY of the same CSV bytes into a scratch table, the floor's yardstick;
- the least any import must do (bare_update), rolled back: the ratio's ceiling.
Prints rows/s and the ratio to the raw COPY (the issue's floor: >= 20 %).
"""
import argparse
import csv
import io
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app, db, embedded  # noqa: E402
from app.models import inventory_file as files  # noqa: E402

DB_NAME = "souk_bench_inventory"
LOADED_MARK = "souk inventory benchmark: loaded"
OFFERS = 100_000
SELLER, RIVAL = 1, 2
FLOOR = 0.20
LOAD = [
    """INSERT INTO users (id, email, password_hash, first_name, last_name)
       VALUES (1, 'big@bench.example', 'no-login', 'Big', 'Seller'),
              (2, 'rival@bench.example', 'no-login', 'Rival', 'Seller')""",
    "INSERT INTO categories (id, name, slug) VALUES (1, 'Kitchen', 'kitchen')",
    """INSERT INTO products (id, category_id, creator_id, name, description)
       SELECT g, 1, 1, 'Sturdy steel kettle ' || g, 'A kettle.' FROM generate_series(1, %(n)s) g""",
    """INSERT INTO offers (product_id, seller_id, price, quantity)
       SELECT g, 1, 10 + g %% 50, 1 + g %% 30 FROM generate_series(1, %(n)s) g""",
    """INSERT INTO offers (product_id, seller_id, price, quantity)
       SELECT g, 2, 12 + g %% 40, 5 FROM generate_series(1, %(n)s, 2) g""",
    "VACUUM ANALYZE",
]


def server_dsn() -> str:
    if os.environ.get("DATABASE_URL"):
        return db.with_dbname(os.environ["DATABASE_URL"], "postgres")
    return embedded.start(ROOT / "instance")


def prepare(server: str, reset: bool) -> str:
    dsn = db.with_dbname(server, DB_NAME)
    conn = psycopg2.connect(server)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                    (DB_NAME,))
        row = cur.fetchone()
    conn.close()
    if row and row[0] == LOADED_MARK and not reset:
        db.migrate(dsn)
        return dsn
    if row:
        db.drop_database(server, DB_NAME)
    db.create_database(server, DB_NAME)
    db.migrate(dsn)
    started = time.perf_counter()
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        for statement in LOAD:
            cur.execute(statement, {"n": OFFERS})
        cur.execute(f"COMMENT ON DATABASE {DB_NAME} IS %s", (LOADED_MARK,))
    conn.close()
    print(f"loaded {OFFERS:,} offers of one seller in {time.perf_counter() - started:.1f} s")
    return dsn


def export_all() -> tuple[bytes, float]:
    started = time.perf_counter()
    body = b"".join(chunk.encode() for chunk in files.export_csv(SELLER))
    return body, time.perf_counter() - started


def export_peak() -> int:
    """Peak bytes Python allocated while streaming the export, chunks dropped
    as a response would send them."""
    tracemalloc.start()
    for _ in files.export_csv(SELLER):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def edited(exported: bytes, rows: int, run: int) -> bytes:
    """The first `rows` offers of the export with every price and stock changed."""
    table = list(csv.reader(io.StringIO(exported.decode().removeprefix(files.BOM))))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table[0])
    for cells in table[1:rows + 1]:
        cells[4] = f"{float(cells[4]) + 1 + run:.2f}"
        cells[5] = str(int(cells[5]) + 3)
        writer.writerow(cells)
    return out.getvalue().encode()


def import_file(content: bytes, dsn: str) -> dict:
    # The previous run's dead product and offer rows vacuumed first, as
    # autovacuum would have between two imports of a live shop.
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE offers, products")
    conn.close()
    times = {}
    started = time.perf_counter()
    upload_id = files.create_upload(SELLER, "bench.csv", content)
    times["store"] = time.perf_counter() - started
    files.check_upload(upload_id)
    times["check"] = time.perf_counter() - started - times["store"]
    assert files.start_applying(upload_id, SELLER), "the preview is not ready"
    files.apply_upload(upload_id)
    times["total"] = time.perf_counter() - started
    times["apply"] = times["total"] - times["check"] - times["store"]
    upload = files.get_upload(upload_id, SELLER)
    assert upload["status"] == "done" and upload["rows_refused"] == 0, upload
    times["applied"] = upload["rows_applied"]
    return times


def raw_copy(content: bytes) -> float:
    with db.connection().cursor() as cur:
        cur.execute("""CREATE TEMP TABLE IF NOT EXISTS raw_inventory (offer_id bigint, product_id bigint,
                           product_name text, category text, price numeric(12,2), quantity integer,
                           active text, low_stock_threshold text, sale text)""")
        cur.execute("TRUNCATE raw_inventory")
        started = time.perf_counter()
        _copy_raw(cur, content)
        return time.perf_counter() - started


def _copy_raw(cur, content: bytes) -> None:
    cur.copy_expert("COPY raw_inventory FROM STDIN WITH (FORMAT csv, HEADER true)", io.BytesIO(content))


def bare_update(content: bytes, triggers: bool) -> float:
    """Seconds for the least any import of `content` must do, rolled back:
    COPY the rows into a scratch table and write their price and stock
    into offers with one UPDATE ... FROM (offers' indexes, and its triggers
    when `triggers`; no checking, no staging, no report). The ceiling of
    the floor's ratio: no import can be nearer to the raw COPY than this."""
    conn = db.connection()
    with conn.cursor() as cur:
        cur.execute("BEGIN")
        try:
            if not triggers:
                cur.execute("SET LOCAL session_replication_role = replica")
            cur.execute("TRUNCATE raw_inventory")
            started = time.perf_counter()
            _copy_raw(cur, content)
            cur.execute("""UPDATE offers o SET price = r.price, quantity = r.quantity
                             FROM raw_inventory r WHERE o.id = r.offer_id""")
            return time.perf_counter() - started
        finally:
            cur.execute("ROLLBACK")


# The per-row trigger migration 0121 replaced, installed (disabled) in the
# scratch database only, to time single-row writes - a sale, a seller's
# edit - against the per-statement triggers in the same run.
ROW_TRIGGER = [
    """CREATE OR REPLACE FUNCTION bench_refresh_one(p_product_id bigint) RETURNS void LANGUAGE sql AS $$
           UPDATE products p SET min_price = s.min_price, seller_count = s.seller_count
             FROM (SELECT min(price) AS min_price, count(*)::int AS seller_count FROM offers
                    WHERE product_id = p_product_id AND active AND quantity > 0) s
            WHERE p.id = p_product_id
              AND (p.min_price IS DISTINCT FROM s.min_price OR p.seller_count <> s.seller_count) $$""",
    """CREATE OR REPLACE FUNCTION bench_refresh_row() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM bench_refresh_one(OLD.product_id); END IF;
           IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.product_id <> OLD.product_id) THEN
               PERFORM bench_refresh_one(NEW.product_id);
           END IF;
           RETURN NULL;
       END $$""",
    "DROP TRIGGER IF EXISTS bench_refresh_row ON offers",
    """CREATE TRIGGER bench_refresh_row AFTER INSERT OR DELETE OR UPDATE OF product_id, price, quantity,
           active, listed, hidden_reason, seller_suspended, product_hidden ON offers
           FOR EACH ROW EXECUTE FUNCTION bench_refresh_row()""",
]
STATEMENT_TRIGGERS = ("offers_refresh_products_insert", "offers_refresh_products_update",
                      "offers_refresh_products_delete")


def single_row_writes(dsn: str, writes: int = 300, rounds: int = 7) -> dict[str, tuple[float, float]]:
    """Milliseconds per single-row UPDATE, each its own transaction, of stock
    (a sale) and of price (a seller's edit), under the per-statement
    triggers and under the former per-row one: `rounds` alternations, the
    median of each (the machine is shared: one round says little)."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    found = {"per statement": [], "per row (before 0121)": []}
    with conn.cursor() as cur:
        for statement in ROW_TRIGGER:
            cur.execute(statement)

        def use(row_trigger: bool) -> None:
            cur.execute("BEGIN")
            for name in (*STATEMENT_TRIGGERS, "bench_refresh_row"):
                enable = row_trigger == (name == "bench_refresh_row")
                cur.execute(sql.SQL("ALTER TABLE offers {} TRIGGER {}").format(
                    sql.SQL("ENABLE" if enable else "DISABLE"), sql.Identifier(name)))
            cur.execute("COMMIT")

        try:
            for _ in range(rounds):
                for kind, row_trigger in (("per statement", False), ("per row (before 0121)", True)):
                    use(row_trigger)
                    times = []
                    for statement in ("UPDATE offers SET quantity = quantity + %s WHERE id = %s",
                                      "UPDATE offers SET price = price + %s WHERE id = %s"):
                        started = time.perf_counter()
                        for n in range(writes):
                            cur.execute(statement, (1 if n % 2 else -1, 1 + 7 * (n // 2)))
                        times.append((time.perf_counter() - started) * 1000 / writes)
                    found[kind].append(times)
        finally:
            use(False)
            cur.execute("DROP TRIGGER bench_refresh_row ON offers")
    conn.close()
    return {kind: (statistics.median(t[0] for t in runs), statistics.median(t[1] for t in runs))
            for kind, runs in found.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reset", action="store_true", help="reload the scratch database")
    args = parser.parse_args()
    dsn = prepare(server_dsn(), args.reset)
    app = create_app({"DATABASE_URL": dsn, "CATALOG_CACHE_SECONDS": 0})
    ok = True
    with app.app_context():
        db.execute("UPDATE inventory_uploads SET status = 'cancelled'"
                   " WHERE status IN ('checking', 'applying')")
        exported, seconds = export_all()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = export_peak()
        lines = exported.count(b"\n") - 1
        print(f"export: {lines:,} offers, {len(exported) / 1e6:.1f} MB in {seconds:.2f} s "
              f"({lines / seconds:,.0f} rows/s); peak Python allocation while streaming "
              f"{peak / 1e6:.1f} MB (the file is {len(exported) / 1e6:.1f} MB); process peak RSS "
              f"{rss_before / 1024:.0f} MB")
        for run, rows in enumerate((10_000, 100_000)):
            content = edited(exported, rows, run)
            copy_seconds = min(raw_copy(content) for _ in range(3))
            bare = {triggers: min(bare_update(content, triggers) for _ in range(3))
                    for triggers in (False, True)}
            times = import_file(content, dsn)
            ratio = copy_seconds / times["total"]
            ok &= ratio >= FLOOR and times["applied"] == rows
            print(f"import {rows:,} rows: {times['total']:.2f} s end to end "
                  f"(store {times['store']:.2f}, check {times['check']:.2f}, apply {times['apply']:.2f}), "
                  f"{rows / times['total']:,.0f} rows/s, {times['applied']:,} offers changed; "
                  f"raw COPY {copy_seconds:.3f} s ({rows / copy_seconds:,.0f} rows/s); "
                  f"ratio {ratio:.1%} (floor {FLOOR:.0%})")
            print(f"  the least an import must do, rolled back (COPY + one UPDATE ... FROM of offers): "
                  f"{bare[False]:.3f} s without triggers, ratio {copy_seconds / bare[False]:.1%}; "
                  f"{bare[True]:.3f} s with the product aggregates' triggers, "
                  f"ratio {copy_seconds / bare[True]:.1%}")
            exported, _ = export_all()
    for kind, (stock, price) in single_row_writes(dsn).items():
        print(f"single-row writes, product aggregates {kind}: stock {stock:.3f} ms, price {price:.3f} ms "
              "per UPDATE (own transaction, median of 7 alternated rounds)")
    print("load average (1, 5, 15 min): " + ", ".join(f"{load:.2f}" for load in os.getloadavg()))
    print("PASS" if ok else "FAIL: below the floor")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
