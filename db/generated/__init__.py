"""Souk's fake data generator: a consistent, reproducible shop at any scale.

    python -m db.generated --scale small                 # into the app's database
    python -m db.generated --scale medium --csv          # CSV files into db/generated/out/
    python -m db.generated load db/generated/out         # COPY those files in
    python -m db.generated check                         # verify every invariant

See db/generated/README.md. Every generated user's password is PASSWORD.
"""
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .checks import Violation, check_database
from .counts import PRESETS, Counts, GeneratorError
from .csvfiles import csv_sources, write_csv
from .loader import connect, load
from .plan import build_plan
from .pools import PASSWORD
from .progress import Progress
from .tables import TABLE_ORDER, build_tables

__all__ = ["DEFAULT_CSV_DIR", "PASSWORD", "PRESETS", "TABLE_ORDER", "Counts", "GeneratorError", "Report",
           "Violation", "check_database", "generate_csv", "generate_into", "load_csv_dir",
           "load_demo_if_empty", "midnight_utc"]

DEMO_SEED = 1
DEFAULT_CSV_DIR = Path(__file__).resolve().parent / "out"


@dataclass
class Report:
    """What a run did: rows per table, seconds in all, seconds per step."""

    rows: dict[str, int]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total / max(self.seconds, 1e-9)

    def lines(self) -> list[str]:
        out = [f"  {name:<20} {count:>12,}" for name, count in self.rows.items()]
        out.append(f"  {'total':<20} {self.total:>12,} rows in {self.seconds:.1f} s = "
                   f"{self.rows_per_second:,.0f} rows/s")
        if self.timings:
            out.append("  steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.timings.items()))
        return out


def midnight_utc(moment: datetime | None = None) -> int:
    """Unix seconds of the start (UTC) of the day of `moment` (default today)."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return int(moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())


def _tables(counts: Counts, seed: int, now: int, progress: Progress) -> list:
    with progress.step("plan"):
        return build_tables(build_plan(counts, seed, now))


def generate_into(dsn: str, counts: Counts, seed: int, now: int, reset: bool = False,
                  progress: Progress | None = None) -> Report:
    """Generate and load straight into the database at dsn, all or nothing."""
    progress = progress or Progress(enabled=False)
    started = time.perf_counter()
    _prepare_schema(dsn)
    rows = load(dsn, _tables(counts, seed, now, progress), reset, progress)
    return Report(rows, time.perf_counter() - started, progress.timings)


def generate_csv(directory: Path, counts: Counts, seed: int, now: int,
                 progress: Progress | None = None) -> Report:
    """Write the dataset as directory/<table>.csv files."""
    progress = progress or Progress(enabled=False)
    started = time.perf_counter()
    tables = _tables(counts, seed, now, progress)
    with progress.step("write"):
        rows = write_csv(tables, directory, progress)
    return Report(rows, time.perf_counter() - started, progress.timings)


def load_csv_dir(dsn: str, directory: Path, reset: bool = False, progress: Progress | None = None) -> Report:
    """COPY every <table>.csv of directory into the database, all or nothing."""
    progress = progress or Progress(enabled=False)
    started = time.perf_counter()
    try:
        sources = csv_sources(directory, TABLE_ORDER)
    except (FileNotFoundError, UnicodeDecodeError) as exc:
        raise GeneratorError(f"cannot read the CSV files: {exc}") from exc
    _prepare_schema(dsn)
    rows = load(dsn, sources, reset, progress)
    return Report(rows, time.perf_counter() - started, progress.timings)


def _prepare_schema(dsn: str) -> None:
    """Reach the database (clear error if not), then apply any pending migration."""
    from app.db import migrate

    connect(dsn).close()
    migrate(dsn)


def load_demo_if_empty(dsn: str) -> str:
    """The demo preset, when the users table is empty (./setup.sh runs this)."""
    conn = connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT EXISTS (SELECT 1 FROM users)")
            has_users = cur.fetchone()[0]
    finally:
        conn.close()
    if has_users:
        return "Demo data: the database already has users, nothing loaded."
    report = generate_into(dsn, PRESETS["demo"], DEMO_SEED, midnight_utc(), reset=True)
    return (f"Demo data loaded: {report.total:,} rows in {report.seconds:.1f} s; log in as "
            f"alice@example.com, bob@example.com or carol@example.com with the password '{PASSWORD}'.")
