"""`python -m db.generated [generate|load|check] ...` (see README.md here).

Exit status: 0 done, 1 the generator or the database refused (message on
stderr, nothing loaded), or --reset of a database with data was not
confirmed, 2 bad command line.
"""
import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from . import (
    DEFAULT_CSV_DIR,
    PASSWORD,
    PRESETS,
    GeneratorError,
    generate_csv,
    generate_into,
    load_csv_dir,
    midnight_utc,
)
from .checks import run_checks, table_rows
from .counts import COUNT_NAMES, resolve
from .loader import connect
from .progress import Progress

COMMANDS = ("generate", "load", "check")


def _count(text: str) -> int:
    try:
        return int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None


def _moment(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an ISO date such as 2025-01-31") from None
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def _presets_help() -> str:
    """The presets' sizes, for --help."""
    lines = ["presets (--scale):"]
    for name, counts in PRESETS.items():
        sizes = ", ".join(f"{getattr(counts, field):,} {field.replace('_', ' ')}" for field in COUNT_NAMES)
        lines.append(f"  {name:<7} {sizes}")
    lines.append("Any count can be changed with its option, e.g. --scale small --products 50000.")
    return "\n".join(lines)


def _reset_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reset", action="store_true",
                        help="delete existing data first (asks to confirm when there is some)")
    parser.add_argument("--yes", action="store_true",
                        help="with --reset: delete existing data without asking (for scripts)")


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", metavar="URL",
                        help="PostgreSQL URL (default: DATABASE_URL, else the app's embedded "
                             "'souk' database)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def _parsers() -> dict[str, argparse.ArgumentParser]:
    generate = argparse.ArgumentParser(
        prog="python -m db.generated", epilog=_presets_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Generate a consistent fake Souk dataset and load it (or write CSV files). "
                    f"Every user's password is '{PASSWORD}'. Other commands: load DIR, check.")
    generate.add_argument("--scale", default="small", help=f"preset: {', '.join(PRESETS)} (default small)")
    for name in COUNT_NAMES:
        generate.add_argument(f"--{name.replace('_', '-')}", type=_count, metavar="N",
                              help=f"{name.replace('_', ' ')} (default from the preset)")
    generate.add_argument("--seed", type=_count, default=1, help="same seed, same data (default 1)")
    generate.add_argument("--now", type=_moment, metavar="ISO",
                          help="the day the data is for (default today, midnight UTC); live flash sales "
                               "are live all that day")
    generate.add_argument("--csv", nargs="?", type=Path, const=DEFAULT_CSV_DIR, metavar="DIR",
                          help=f"write CSV files to DIR instead of loading (default DIR {DEFAULT_CSV_DIR})")
    _reset_options(generate)
    _database_option(generate)

    load = argparse.ArgumentParser(prog="python -m db.generated load",
                                   description="COPY the <table>.csv files of DIR into the database.")
    load.add_argument("directory", type=Path, metavar="DIR")
    _reset_options(load)
    _database_option(load)

    check = argparse.ArgumentParser(prog="python -m db.generated check",
                                    description="Verify the data invariants; exit 1 listing violations.")
    check.add_argument("--fresh", action="store_true",
                       help="also the invariants of just-generated data (lines at their offer's price, ...)")
    _database_option(check)
    return {"generate": generate, "load": load, "check": check}


def _dsn(args) -> str:
    if args.database_url:
        return args.database_url
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from app import create_app
    from app.embedded import EmbeddedServerError

    try:
        return create_app().config["DATABASE_DSN"]
    except EmbeddedServerError as exc:
        raise GeneratorError(str(exc)) from exc


def _existing_data(dsn: str) -> str:
    """What the database holds that --reset would delete ("" when empty)."""
    conn = connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("""SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM products),
                                  (SELECT count(*) FROM purchases)
                           WHERE to_regclass('purchases') IS NOT NULL""")
            row = cur.fetchone()
    finally:
        conn.close()
    if not row or not any(row):
        return ""
    return f"{row[0]:,} users, {row[1]:,} products and {row[2]:,} purchases"


def _confirmed_reset(dsn: str, args) -> bool:
    """--reset deletes data: ask first (or take --yes). Without a terminal
    to ask on, refuse."""
    if not args.reset or args.yes:
        return True
    existing = _existing_data(dsn)
    if not existing:
        return True
    question = f"--reset deletes all data of this database: {existing}."
    if not sys.stdin.isatty():
        print(f"error: {question} Nobody is here to confirm: pass --yes to delete it.", file=sys.stderr)
        return False
    answer = input(f"{question} Type 'yes' to delete it: ")
    if answer.strip().lower() != "yes":
        print("Nothing was deleted.", file=sys.stderr)
        return False
    return True


def _check(args) -> int:
    """Run every check and list each with its result, then the rows they
    covered; 1 when any fails."""
    dsn = _dsn(args)
    results = run_checks(dsn, fresh=args.fresh)
    for result in results:
        outcome = f"{result.count:,} violation(s)" if result.count else "ok"
        print(f"  {outcome}  {result.name}: {result.description}")
    rows = table_rows(dsn)
    print(f"Checked over {sum(rows.values()):,} rows: "
          + ", ".join(f"{table} {count:,}" for table, count in rows.items()))
    failed = [result for result in results if result.count]
    for result in failed:
        print(result, file=sys.stderr)
    if failed:
        print(f"FAILED: {len(failed)} of {len(results)} checks.", file=sys.stderr)
        return 1
    print(f"OK: all {len(results)} checks hold.")
    return 0


def run(argv: list[str]) -> int:
    command = argv[0] if argv and argv[0] in COMMANDS else "generate"
    args = _parsers()[command].parse_args(argv[1:] if argv and argv[0] in COMMANDS else argv)
    progress = Progress(enabled=not args.quiet)
    if command == "check":
        return _check(args)
    if not getattr(args, "csv", None) and not _confirmed_reset(_dsn(args), args):
        return 1
    if command == "load":
        report = load_csv_dir(_dsn(args), args.directory, args.reset, progress)
    else:
        counts = resolve(args.scale, {name: getattr(args, name) for name in COUNT_NAMES})
        now = args.now if args.now is not None else midnight_utc()
        day = datetime.fromtimestamp(now, UTC)
        progress.say(f"Generating '{args.scale}' (seed {args.seed}, for {day:%Y-%m-%d}):")
        if args.csv:
            report = generate_csv(args.csv, counts, args.seed, now, progress)
        else:
            report = generate_into(_dsn(args), counts, args.seed, now, args.reset, progress)
    print("\n".join(report.lines()))
    if command == "generate" and args.csv:
        print(f"Wrote {args.csv}/*.csv; load them with: python -m db.generated load {args.csv}")
    return 0


def main() -> None:
    try:
        sys.exit(run(sys.argv[1:]))
    except GeneratorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted: nothing was loaded", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
