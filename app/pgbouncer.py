"""Run Debian's PgBouncer in transaction pooling mode in front of a
PostgreSQL server: for the test suite's second pass (tests/conftest.py,
SOUK_TEST_PGBOUNCER=1) and the local cluster demo (app/cluster.py).

Transaction pooling hands a server connection to a client for one
transaction only, so the app must keep no state on a session: it doesn't
(see app/db.py). The job queue's worker LISTENs, which needs a session:
give it SOUK_QUEUE_DATABASE_URL, PostgreSQL itself.
"""
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psycopg2

BINARY = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def available() -> bool:
    return os.access(BINARY, os.X_OK)


class Bouncer:
    """A pgbouncer listening on 127.0.0.1:`port`, every database name passed
    through to `server_dsn`'s server (a libpq URL; host may be a socket directory)."""

    def __init__(self, workdir: Path, server_dsn: str, port: int, pool_size: int = 40,
                 check_delay: float = 30, wait_timeout: float = 5):
        params = psycopg2.extensions.parse_dsn(server_dsn)
        self.workdir = workdir.resolve()
        self.port = port
        target = " ".join(f"{key}={params[key]}" for key in ("host", "port", "user", "password")
                          if params.get(key))
        # As root, pgbouncer refuses to run unless told to switch to a user;
        # the embedded server's user can also reach its socket.
        self.user = "embedded_postgres" if os.geteuid() == 0 else None
        self.config = "\n".join([
            "[databases]",
            f"* = {target}",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            f"listen_port = {port}",
            "unix_socket_dir =",
            "auth_type = any",  # every client logs in to the server as the user above
            "pool_mode = transaction",
            "max_client_conn = 1000",
            f"default_pool_size = {pool_size}",
            "ignore_startup_parameters = extra_float_digits,options",
            # After a failed connect to the server, new clients are refused
            # at once until a connect works again, tried every second.
            "server_login_retry = 1",
            # A pooled server connection idle this long is checked before
            # use; 0 checks always, so a restarted server costs no query.
            f"server_check_delay = {check_delay}",
            # A query waiting longer for a server connection (the server is down) fails.
            f"query_wait_timeout = {wait_timeout}",
            f"logfile = {self.workdir / 'pgbouncer.log'}",
            f"pidfile = {self.workdir / 'pgbouncer.pid'}",
            "",
        ])

    def dsn(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self, timeout: float = 15.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        ini = self.workdir / "pgbouncer.ini"
        ini.write_text(self.config)
        if self.user:
            shutil.chown(self.workdir, self.user)
            for path in self.workdir.iterdir():
                shutil.chown(path, self.user)
        command = [BINARY, "-d", *(["-u", self.user] if self.user else []), str(ini)]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)
        self.wait_ready(timeout=timeout)

    def wait_ready(self, dbname: str = "postgres", timeout: float = 15.0) -> None:
        """Wait until a query to `dbname` through PgBouncer reaches the server
        (after a server restart, its pool for that database refuses clients
        until its next connect works)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = psycopg2.connect(self.dsn(dbname), connect_timeout=2)
                try:
                    with conn.cursor() as cur:
                        cur.execute("SELECT 1")
                    return
                finally:
                    conn.close()
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def pid(self) -> int | None:
        try:
            return int((self.workdir / "pgbouncer.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
