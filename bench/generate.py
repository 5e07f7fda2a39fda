"""Benchmark: the data generator end to end, next to the raw COPY ceiling.

    .venv/bin/python bench/generate.py [--scale large] [--seed 1] [--pages] [--keep]

Creates a scratch database (souk_bench_generate, on the embedded server or
on DATABASE_URL's server) with the app's schema, then:

1. the COPY ceiling: one plain COPY of as many narrow (bigint, int) rows as
   the dataset has, into a table created in the same transaction (so, like
   the generator's tables, it skips the WAL), fed from a ready-made buffer;
2. the generator: `large` by default (1M users, 1M products, 3M offers, 2M
   purchases with 6M order lines, 1M reviews, and the orders, ledger, carts
   and flash sales that go with them), planned, formatted, COPY'd, indexed,
   constrained and ANALYZEd, exactly as `python -m db.generated` does.

It prints rows per table, the total, rows per second of both and their
ratio. The floor for `large` is 100,000 rows/s. --pages then times the
shop's main pages on the generated data (bench/generated_pages.py); --keep
leaves the database for other benchmarks and prints its URL, otherwise it
is dropped.
"""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import generated_pages  # noqa: E402

from app import db, embedded  # noqa: E402
from db.generated import PRESETS, generate_into, midnight_utc  # noqa: E402
from db.generated import csvbytes as cb  # noqa: E402
from db.generated.loader import COPY_READ_SIZE, ChunkReader  # noqa: E402
from db.generated.progress import Progress  # noqa: E402

DB_NAME = "souk_bench_generate"
FLOOR = 100_000
BLOCK_ROWS = 1_000_000


def server_dsn() -> str:
    if os.environ.get("DATABASE_URL"):
        return db.with_dbname(os.environ["DATABASE_URL"], "postgres")
    return embedded.start(ROOT / "instance")


def narrow_rows(total: int):
    """`total` rows of 'id,number' CSV, from one pre-rendered block."""
    ids = np.arange(1, BLOCK_ROWS + 1)
    n = len(ids)
    block = cb.row_bytes([cb.integer(ids), cb.const(n, ","), cb.integer(ids * 7 % 1_000_003),
                          cb.const(n, "\n")])
    sent = 0
    while sent < total:
        rows = min(BLOCK_ROWS, total - sent)
        yield rows, block if rows == BLOCK_ROWS else block[:block.index(b"\n%d," % (rows + 1)) + 1]
        sent += rows


def copy_ceiling(dsn: str, total: int) -> float:
    """Rows per second of a plain COPY of `total` narrow rows."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE copy_ceiling (id bigint, n integer)")
            started = time.perf_counter()
            cur.copy_expert("COPY copy_ceiling FROM STDIN WITH (FORMAT csv)",
                            ChunkReader(narrow_rows(total), lambda rows: None), size=COPY_READ_SIZE)
            conn.commit()
            seconds = time.perf_counter() - started
            cur.execute("DROP TABLE copy_ceiling")
            conn.commit()
    finally:
        conn.close()
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large", choices=list(PRESETS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--pages", action="store_true",
                        help="then time the main pages on the data (bench/generated_pages.py)")
    args = parser.parse_args()

    server = server_dsn()
    db.drop_database(server, DB_NAME)
    db.create_database(server, DB_NAME)
    dsn = db.with_dbname(server, DB_NAME)
    db.migrate(dsn)
    try:
        print(f"Generating '{args.scale}' into {DB_NAME} (load average {os.getloadavg()[0]:.1f}):")
        report = generate_into(dsn, PRESETS[args.scale], args.seed, midnight_utc(), reset=True,
                               progress=Progress())
        print("\n".join(report.lines()))
        print(f"COPY ceiling: {report.total:,} narrow rows ...", flush=True)
        ceiling = copy_ceiling(dsn, report.total)
        print(f"\nGenerator   {report.rows_per_second:>12,.0f} rows/s ({report.total:,} rows, "
              f"{report.seconds:.1f} s, indexes and ANALYZE included)")
        print(f"COPY ceiling {ceiling:>11,.0f} rows/s (bigint, int)")
        print(f"Ratio        {report.rows_per_second / ceiling:>11.1%}")
        if args.scale == "large":
            verdict = "met" if report.rows_per_second >= FLOOR else "NOT met"
            print(f"Floor        {FLOOR:>11,} rows/s: {verdict} (load average now {os.getloadavg()[0]:.1f})")
        if args.pages:
            print("\nPages on the generated data (Flask test client, 20 requests each):")
            generated_pages.report(dsn, 20)
    finally:
        if args.keep:
            print(f"Kept: {dsn}")
        else:
            db.drop_database(server, DB_NAME)


if __name__ == "__main__":
    main()
