"""Souk behind PgBouncer in transaction pooling mode. The whole suite runs a
second time through PgBouncer in ./setup.sh test (SOUK_TEST_PGBOUNCER=1);
these tests check what that pass cannot see: nothing in the code keeps
state on a server session, and migrations run concurrently through it."""
import re
import secrets
import shutil
import threading
from pathlib import Path

import pytest

from app import db, pgbouncer, replication
from tests.conftest import ROOT, _server_dsn

pytestmark = pytest.mark.usefixtures("app")  # the suite's limiter, reset after each test

# What breaks when the next transaction may run on another server connection.
SESSION_STATE = re.compile(
    r"pg_(try_)?advisory_lock(_shared)?\s*\(|[\"']\s*SET\s+(?!LOCAL\b)\w+\s*(=|TO\b)|\bSET\s+SESSION\b"
    r"|[\"']\s*(UN)?LISTEN\b|CREATE\s+TEMP(ORARY)?\s+TABLE(?!\s+\w+\s+ON\s+COMMIT\s+DROP\b)|[\"']\s*PREPARE\s"
    r"|WITH\s+HOLD", re.I)


def test_no_code_keeps_state_on_a_database_session():
    found = []
    for path in sorted([*(ROOT / "app").rglob("*.py"), *(ROOT / "db").rglob("*.py"),
                        *(ROOT / "db" / "migrations").glob("*.sql")]):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if SESSION_STATE.search(line) and not line.lstrip().startswith(("#", "--")):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == [], "session state breaks PgBouncer's transaction pooling:\n" + "\n".join(found)


def test_the_pattern_finds_session_state():
    for bad in ('"SELECT pg_advisory_lock(1)"', '"SET statement_timeout = 5"', "'LISTEN jobs'",
                '"CREATE TEMP TABLE t (x int)"'):
        assert SESSION_STATE.search(bad), bad
    for fine in ('"SELECT pg_advisory_xact_lock(1)"', '"SET LOCAL lock_timeout = \'15s\'"',
                 '"CREATE TEMP TABLE t ON COMMIT DROP AS SELECT 1"',
                 '"UPDATE offers SET price = %s"'):
        assert not SESSION_STATE.search(fine), fine


@pytest.fixture
def bouncer():
    if not pgbouncer.available():
        pytest.skip("PgBouncer is not installed (Debian's pgbouncer; ./setup.sh test installs it in CI)")
    bouncer = pgbouncer.Bouncer(ROOT / "instance" / f"pgbouncer-{secrets.token_hex(3)}", _server_dsn(),
                                port=replication.free_port(), pool_size=3)
    bouncer.start()
    yield bouncer
    bouncer.stop()
    shutil.rmtree(bouncer.workdir, ignore_errors=True)


def test_migrations_run_concurrently_through_pgbouncer(bouncer):
    server = _server_dsn()
    name = f"souk_bouncer_{secrets.token_hex(3)}"
    db.create_database(server, name)
    try:
        results, errors = [], []

        def run():
            try:
                results.append(db.migrate(bouncer.dsn(name)))
            except Exception as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert errors == []
        applied = sorted(results, key=len)
        migrations = len(db.migration_files())
        assert sum(len(r) for r in applied) == migrations + 1  # each once, plus the queue schema
        assert db.migrate(bouncer.dsn(name)) == []
        assert Path(bouncer.workdir / "pgbouncer.log").exists()
    finally:
        db.drop_database(server, name)
