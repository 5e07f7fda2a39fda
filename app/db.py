"""Database access: connection pool, one connection per app context,
transactions with retries, query helpers and schema migrations.

Models call the helpers below (query, query_one, query_value, execute,
transaction, run_transaction); they never touch Flask request objects. The
connection they use belongs to the current app context (a request, a CLI
command or a test's `with app.app_context()`), taken from the pool on first
use and given back when the context ends.

With DATABASE_REPLICA_URL set, the reads of read-only pages go to a
streaming replica instead (see "read replicas" below); models do not know.

Nothing here keeps state on a server connection between transactions (no
session-level SET, advisory lock, prepared statement, LISTEN or temporary
table), so DATABASE_URL may point at PgBouncer in transaction pooling mode.
"""
import functools
import os
import random
import re
import select
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import click
import psycopg2
import psycopg2.errors
import psycopg2.extras
import psycopg2.pool
from flask import current_app, g, has_request_context, request, session
from psycopg2 import sql
from psycopg2.extensions import TransactionRollbackError

from . import metrics

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "db" / "migrations"
# Key of the advisory lock that serialises migrations across processes.
MIGRATION_LOCK = 7_364_001


class Busy(Exception):
    """The database could not serve the request now (pool exhausted, or a
    transaction kept losing to concurrent ones). Answered with a 503."""


class Unavailable(Busy):
    """The database cannot be reached (stopped, restarting, network gone).
    Answered with a 503 like Busy; the next request tries again."""


# What psycopg2 raises when the server is gone: refused or failed connects,
# "server closed the connection unexpectedly", "terminating connection due
# to administrator command", "connection already closed".
CONNECTION_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)
# A connect to a host that does not answer must not hold a request forever.
CONNECT_TIMEOUT_SECONDS = 5


class Pool:
    """A thread-safe pool that waits for a free connection instead of failing."""

    def __init__(self, dsn: str, maxconn: int, wait_seconds: float = 10.0):
        self.dsn = dsn
        self._pool = psycopg2.pool.ThreadedConnectionPool(0, maxconn, dsn,
                                                          connect_timeout=CONNECT_TIMEOUT_SECONDS)
        # Open connections lazily but keep them all when given back: psycopg2
        # closes a returned connection once minconn are idle, and a new
        # connection per request costs a backend start and cold caches.
        self._pool.minconn = maxconn
        self._slots = threading.BoundedSemaphore(maxconn)
        self._wait = wait_seconds
        self.pid = os.getpid()

    def getconn(self):
        if not self._slots.acquire(blocking=False):
            started = time.monotonic()
            waited = self._slots.acquire(timeout=self._wait)
            metrics.POOL_WAITS.inc()
            metrics.POOL_WAIT_SECONDS.inc(time.monotonic() - started)
            if not waited:
                metrics.POOL_TIMEOUTS.inc()
                raise Busy("no database connection became free in time")
        try:
            conn = self._pool.getconn()
            # Each pass drops one dead idle connection; after at most every
            # pooled one is dropped, getconn() opens a fresh connection.
            for _ in range(self._pool.maxconn):
                if not _is_dead(conn):
                    break
                self._pool.putconn(conn, close=True)
                conn = self._pool.getconn()
            conn.autocommit = True
            return conn
        except CONNECTION_ERRORS as exc:
            self._slots.release()
            raise Unavailable("the database cannot be reached") from exc
        except Exception:
            self._slots.release()
            raise

    def putconn(self, conn) -> None:
        try:
            broken = bool(conn.closed)
            if not broken and conn.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
                try:
                    _rollback(conn)
                except psycopg2.Error:
                    broken = True
            self._pool.putconn(conn, close=broken)
        finally:
            self._slots.release()

    def closeall(self) -> None:
        self._pool.closeall()


def _is_dead(conn) -> bool:
    """True when the server has closed this idle connection (a restart, an
    idle timeout). A healthy idle connection has nothing to read; a closed
    one reads as EOF or the server's goodbye message. Checked with a
    zero-timeout poll, without a round trip to the server."""
    if conn.closed:
        return True
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def _rollback(conn) -> None:
    """End the open transaction. The connections are in autocommit mode and
    transactions start with an explicit BEGIN, so psycopg2's conn.rollback()
    would do nothing and leave the transaction (and its locks) open."""
    with conn.cursor() as cur:
        cur.execute("ROLLBACK")


def init_app(app) -> None:
    dsn = resolve_dsn(app)
    app.config["DATABASE_DSN"] = dsn
    app.extensions["souk_pool"] = Pool(dsn, app.config["DB_POOL_MAX"])
    app.extensions["souk_replicas"] = [Replica(url, app.config["DB_POOL_MAX"])
                                       for url in app.config.get("DATABASE_REPLICA_URLS") or ()]
    if app.extensions["souk_replicas"]:
        app.after_request(_remember_write)
    app.teardown_appcontext(_release_connection)
    app.cli.add_command(init_db_command)
    app.cli.add_command(db_url_command)


def resolve_dsn(app) -> str:
    """DATABASE_URL when set; otherwise the embedded server's app database,
    created on first use."""
    if app.config.get("DATABASE_URL"):
        return app.config["DATABASE_URL"]
    from . import embedded

    server_dsn = embedded.start(Path(app.instance_path))
    name = app.config["DATABASE_NAME"]
    create_database(server_dsn, name, exist_ok=True)
    return with_dbname(server_dsn, name)


def with_dbname(dsn: str, name: str) -> str:
    return psycopg2.extensions.make_dsn(dsn, dbname=name)


def create_database(server_dsn: str, name: str, exist_ok: bool = False) -> None:
    conn = psycopg2.connect(server_dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() and exist_ok:
                return
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg2.errors.DuplicateDatabase:
        if not exist_ok:
            raise
    finally:
        conn.close()


def drop_database(server_dsn: str, name: str) -> None:
    conn = psycopg2.connect(server_dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        conn.close()


def _pool() -> Pool:
    pool = current_app.extensions["souk_pool"]
    if pool.pid != os.getpid():  # forked (e.g. gunicorn --preload): never share sockets
        pool = current_app.extensions["souk_pool"] = Pool(pool.dsn, current_app.config["DB_POOL_MAX"])
    return pool


def _replicas() -> list:
    replicas = current_app.extensions.get("souk_replicas")
    if replicas and replicas[0].pool.pid != os.getpid():  # forked, as in _pool()
        maxconn = current_app.config["DB_POOL_MAX"]
        replicas = current_app.extensions["souk_replicas"] = [Replica(r.dsn, maxconn) for r in replicas]
    return replicas


def connection():
    """The current app context's connection (autocommit unless in a
    transaction). Inside a transaction() block whose BEGIN has not been sent
    yet (see there), it is sent now: a cursor of this connection then works
    inside the transaction."""
    if "db_conn" not in g:
        g.db_conn = _pool().getconn()
        g.setdefault("db_depth", 0)  # a transaction's first statement may retry on a fresh one
        g.db_untouched = True  # nothing has run on it yet in this context
    begin = g.pop("db_begin", None)
    if begin is not None:
        with g.db_conn.cursor() as cur:
            cur.execute(begin)
    return g.db_conn


def _release_connection(exc=None) -> None:
    conn = g.pop("db_conn", None)
    if conn is not None:
        current_app.extensions["souk_pool"].putconn(conn)
    _release_replica()


def drop_broken_connection() -> None:
    """Give back the context's connection if it broke, so whatever still runs
    in this request (an error page's header) gets a fresh one or a clean
    Unavailable instead of "connection already closed"."""
    conn = g.get("db_conn")
    if conn is not None and conn.closed and not g.get("db_depth"):
        _release_connection()


class Refused(Exception):
    """A SQL function refused the work (`refuse(reason, offer)` in migration
    0090: RAISE EXCEPTION 'refused'); the transaction is rolled back.
    `reason` names why, `offer_id` what (or None)."""

    def __init__(self, reason: str, offer_id: int | None):
        super().__init__(reason)
        self.reason = reason
        self.offer_id = offer_id


def _may_retry(statement, opens: bool, commits: bool) -> bool:
    """Whether a statement that failed on a broken connection can safely run
    again on a new one: only a plain SELECT outside a transaction, or the
    first statement of a transaction (`opens`: sent with the BEGIN; an
    uncommitted transaction is rolled back with the lost connection), as the
    first statement on that connection, so no earlier work of the request
    was lost with it and nothing was written. Nothing that commits is ever
    retried (`commits`): the server may have committed it before the
    connection broke."""
    conn = g.get("db_conn")
    return (conn is not None and conn.closed != 0 and g.get("db_untouched", False) and not commits
            and (opens or (g.get("db_depth") == 0 and isinstance(statement, str)
                           and statement.lstrip().upper().startswith("SELECT"))))


def _run(statement, params, fetch, cursor_factory=None, commits: bool = False):
    """Run one statement and return fetch(cursor), sending the pending BEGIN
    of the transaction block it is the first of in the same round trip. A
    SELECT, or a transaction's first statement, that finds its pooled
    connection dead (the server restarted since it was last used) runs once
    more on a fresh connection; any other failure propagates (`commits`: the
    statement commits its transaction, see commit_with and atomic_value).
    A read of a read-only page may run on a replica (see _read_connection)."""
    replica_conn = _read_connection(statement)
    if replica_conn is not None:
        try:
            with replica_conn.cursor(cursor_factory=cursor_factory) as cur:
                cur.execute(statement, params)
                return fetch(cur)
        except REPLICA_FALLBACK_ERRORS as exc:
            _leave_replica(exc)  # and run it on the primary below
    for attempt in range(2):
        begin = g.pop("db_begin", None)
        conn = connection()
        if "db_wrote" not in g and _replicas() and _kind(_text(statement, conn)) == WRITE:
            g.db_wrote = True  # this request's reads stay on the primary from now on
        try:
            with conn.cursor(cursor_factory=cursor_factory) as cur:
                cur.execute(statement if begin is None else _after(begin, statement), params)
                result = fetch(cur)
        except psycopg2.errors.RaiseException as exc:
            if exc.diag.message_primary != "refused":
                raise
            hint = exc.diag.message_hint
            raise Refused(exc.diag.message_detail, int(hint) if hint else None) from None
        except CONNECTION_ERRORS:
            if attempt or not _may_retry(statement, opens=begin is not None, commits=commits):
                raise
            _release_connection()
            if begin is not None:
                g.db_begin = begin  # the transaction starts over on the fresh connection
            continue
        g.db_untouched = False
        return result


def _after(begin: str, statement):
    """`statement` preceded by `begin` (a BEGIN), to send both at once."""
    if isinstance(statement, str):
        return f"{begin}; {statement}"
    return sql.Composed([sql.SQL(begin + "; "), statement])


def _all(cur):
    return cur.fetchall() if cur.description else []


def _first(cur):
    return cur.fetchone() if cur.description else None


def _value(cur):
    row = cur.fetchone() if cur.description else None
    return row[0] if row else None


def query(statement, params=()) -> list[dict]:
    """Run a statement and return all rows as dicts."""
    return _run(statement, params, _all, psycopg2.extras.RealDictCursor)


def query_one(statement, params=()) -> dict | None:
    """Run a statement and return the first row as a dict, or None."""
    return _run(statement, params, _first, psycopg2.extras.RealDictCursor)


def query_value(statement, params=()):
    """Run a statement and return the first column of the first row, or None."""
    return _run(statement, params, _value)


def execute(statement, params=()) -> int:
    """Run a statement and return the number of rows it touched."""
    return _run(statement, params, lambda cur: cur.rowcount)


def count_about(statement, params=(), exact_up_to: int = 1000, max_cost: float = 1000.0) -> tuple[int, bool]:
    """How many rows `statement` (a SELECT without ORDER BY or LIMIT) returns:
    (n, True) when counted, else (an estimate, False).

    A list can then say "of about 12,400" without a COUNT(*) over a big
    match: the planner's estimate costs one EXPLAIN, and only a small
    estimate that the planner finds cheap to check (plan cost up to
    `max_cost`: a rare word's index entries, not a common word's thousands
    of rows filtered by price) is counted, at most exact_up_to + 1 rows. An
    estimate that is too high is only an "about", and lists learn the real
    end on their last page."""
    plan = _run(sql.SQL("EXPLAIN (FORMAT JSON) {}").format(_composable(statement)), params, _value)[0]["Plan"]
    estimate = int(plan["Plan Rows"])
    if estimate > exact_up_to or plan["Total Cost"] > max_cost:
        return estimate, False
    counted = _run(sql.SQL("SELECT count(*) FROM ({} LIMIT {}) counted").format(
        _composable(statement), sql.Literal(exact_up_to + 1)), params, _value)
    return (counted, True) if counted <= exact_up_to else (max(estimate, counted), False)


def _composable(statement) -> sql.Composable:
    return statement if isinstance(statement, sql.Composable) else sql.SQL(statement)


@contextmanager
def transaction(isolation: str | None = None):
    """Run the block in one transaction; commit on success, roll back on error.

    Nested blocks join the outer transaction. `isolation` is one of
    'READ COMMITTED', 'REPEATABLE READ', 'SERIALIZABLE'.

    The BEGIN is sent with the block's first statement through this module,
    in one round trip (a checkout's BEGIN, buyer lock and read are one;
    each statement of a message still takes its own snapshot), or when the
    block asks for connection() to use a cursor of its own. The block's
    first statement, run again on a fresh connection when the pooled one was
    found dead (see _run), starts the transaction there.
    """
    if g.get("db_depth"):
        g.db_depth += 1
        try:
            yield
        finally:
            g.db_depth -= 1
        return
    connection()  # taken now: a busy pool refuses before the block runs
    levels = {None: "BEGIN", "READ COMMITTED": "BEGIN ISOLATION LEVEL READ COMMITTED",
              "REPEATABLE READ": "BEGIN ISOLATION LEVEL REPEATABLE READ",
              "SERIALIZABLE": "BEGIN ISOLATION LEVEL SERIALIZABLE"}
    g.db_begin = levels[isolation]
    g.db_depth = 1
    g.pop("db_committed", None)
    try:
        yield
    except BaseException:
        g.db_depth = 0
        g.pop("db_committed", None)
        conn = g.get("db_conn")
        if g.pop("db_begin", None) is None and conn is not None and not conn.closed:
            try:
                _rollback(conn)
            except psycopg2.Error:
                pass  # the connection is broken; the pool discards it when given back
        raise
    g.db_depth = 0
    if g.pop("db_committed", False) or g.pop("db_begin", None) is not None:
        return  # committed by commit_with, or nothing ran
    with g.db_conn.cursor() as cur:
        cur.execute("COMMIT")


def commit_with(statement, params=()) -> None:
    """Run `statement` as the last of the current transaction and commit,
    in one round trip: its locks are held only while it runs and the commit
    is flushed (checkout and flash-sale holds, whose last statement writes
    the hot rows). Only at the top level of a transaction; the transaction
    block then commits nothing more."""
    if g.get("db_depth") != 1:
        raise RuntimeError("commit_with needs to be in an outermost db.transaction()")
    _run(f"{statement}; COMMIT", params, lambda cur: None, commits=True)
    g.db_committed = True


def atomic_value(statement, params=(), attempts: int = 6):
    """Run `statement` (one or more statements in one message) outside any
    transaction block, as one transaction that commits in the same round
    trip, and return the first column of its last statement's first row:
    its locks are held only while it runs and the commit is flushed (a
    flash sale's hold). Retried like run_transaction."""
    if g.get("db_depth"):
        raise RuntimeError("atomic_value is a transaction of its own, not inside db.transaction()")
    if _replicas():
        g.db_wrote = True  # it writes (by a function's SELECT): the request reads the primary from now on
    return _retrying(lambda: _run(statement, params, _value, commits=True), attempts)


def run_transaction(fn, *args, isolation: str | None = None, attempts: int = 6, **kwargs):
    """Call fn(*args, **kwargs) inside a transaction, retrying it when it loses
    to a concurrent one (serialization failure or deadlock). After the last
    attempt raises Busy, which the app answers with a 503, never a 500."""
    def attempt():
        with transaction(isolation):
            return fn(*args, **kwargs)

    return _retrying(attempt, attempts)


def _retrying(call, attempts: int):
    for attempt in range(attempts):
        try:
            return call()
        except TransactionRollbackError as exc:
            if attempt == attempts - 1:
                raise Busy("the store is very busy, please try again") from exc
            time.sleep(random.uniform(0, 0.01 * 2 ** attempt))


# --- read replicas -----------------------------------------------------------
#
# DATABASE_REPLICA_URL names one or more streaming replicas (hot standbys).
# The GET and HEAD requests of REPLICA_ENDPOINTS run their reads (SELECT,
# outside transaction()) on one of them; everything else runs on the
# primary: every POST, anything in transaction(), any statement that is not
# a plain read, and, once a request has written, the rest of that request.
#
# Read-your-writes: after a request that wrote, the user's signed session
# keeps the primary's WAL position ("_db_lsn"). Their reads go to a replica
# only once its pg_last_wal_replay_lsn() has passed that position; until
# then they stay on the primary. The mark is dropped after REPLICA_MAX_LAG
# seconds (the time cap): a replica that is used lags by less than that, so
# it has replayed anything written longer ago.
#
# A replica that cannot be reached is left alone for REPLICA_RETRY_SECONDS;
# one lagging more than REPLICA_MAX_LAG seconds, or not in recovery (promoted),
# is skipped; a read that fails there for either reason (or a write that
# slipped through, refused as read-only) runs again on the primary. No
# request fails because of a replica.

# Endpoint names ("blueprint." for a whole blueprint) whose GETs only read.
# The API's order endpoints are left out: token clients keep no session.
REPLICA_ENDPOINTS = ("main.home", "catalog.search", "catalog.category_page", "catalog.product",
                     "users.page", "photos.photo_file", "purchases.history", "purchases.detail",
                     "account_analytics.", "sell_analytics.", "api.list_products", "api.product")
# Reads that must see the latest state on every node: a logout, a "log out
# everywhere" or a revoked API token takes effect at once (session_account
# is the SQL function that reads a session with its user).
PRIMARY_TABLES = re.compile(r"\b(user_sessions|api_tokens|session_account)\b", re.I)
_READ_START = re.compile(r"\s*(\(\s*)*(SELECT|WITH|EXPLAIN|VALUES|TABLE|SHOW)\b", re.I)
_WRITE_WORDS = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|COPY|CALL|nextval|setval|pg_advisory\w*"
                          r"|procrastinate_\w+|ANALYZE|FOR\s+(SHARE|NO\s+KEY|KEY))\b", re.I)
REPLICA_CHECK_SECONDS = 1.0  # how long a replica's replay position and lag are trusted
REPLICA_RETRY_SECONDS = 5.0  # how long a replica that could not be reached is left alone
LSN_KEY = "_db_lsn"
# A read on a replica that fails with these runs again on the primary:
# the replica is gone, cancelled the read (conflict with recovery), or
# refused a write (read-only). Nothing was written.
REPLICA_FALLBACK_ERRORS = CONNECTION_ERRORS + (psycopg2.errors.ReadOnlySqlTransaction,
                                               psycopg2.errors.SerializationFailure)


def lsn_number(text: str) -> int:
    """A WAL position ('16/B374D848') as a number that compares."""
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


class Replica:
    """One streaming replica: its pool, and what it last said about its
    replay position and lag (shared by the process's threads; a stale
    value only makes a choice more careful, since replay only moves on)."""

    def __init__(self, dsn: str, maxconn: int):
        self.dsn = dsn
        # Waiting long for a replica connection makes no sense: the primary can serve.
        self.pool = Pool(dsn, maxconn, wait_seconds=0.25)
        self.checked = float("-inf")
        self.replayed = 0
        self.lag = 0.0
        self.standby = False
        self.down_until = 0.0

    def mark_down(self) -> None:
        self.down_until = time.monotonic() + REPLICA_RETRY_SECONDS

    def refresh(self, conn) -> None:
        with conn.cursor() as cur:
            # Lag: 0 when all that arrived is replayed (an idle primary sends
            # nothing), else the age of the last transaction replayed.
            cur.execute("""
                SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,
                       CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()
                            THEN 0
                            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END""")
            standby, replayed, lag = cur.fetchone()
        self.standby = bool(standby and replayed)
        self.replayed = lsn_number(replayed) if replayed else 0
        self.lag = float(lag) if lag is not None else float("inf")
        self.checked = time.monotonic()

    def refusal(self, conn, need: int | None, max_lag: float) -> str | None:
        """Why this replica cannot serve a user who needs WAL position
        `need` replayed (None: anyone), or None when it can."""
        if (time.monotonic() - self.checked > REPLICA_CHECK_SECONDS
                or (need is not None and self.replayed < need)):
            self.refresh(conn)
        if not self.standby:
            return "not_standby"
        if self.lag > max_lag:
            return "lagging"
        if need is not None and self.replayed < need:
            return "own_write"
        return None


# What a statement is, for routing: one of these.
READ, PRIMARY_READ, BEGIN, WRITE = "read", "primary read", "begin", "write"


@functools.lru_cache(maxsize=4096)
def _kind(text: str) -> str:
    """READ (a replica may run it), PRIMARY_READ (only reads, but must see
    the latest state: PRIMARY_TABLES), BEGIN (writes nothing by itself) or
    WRITE: a conservative guess, anything unsure counts as a write. Cached,
    since the statements are the models' constant strings: a request runs
    each check as one dictionary lookup instead of two regular expressions."""
    if text.lstrip()[:5].upper() == "BEGIN":
        return BEGIN
    if not _READ_START.match(text) or _WRITE_WORDS.search(text):
        return WRITE
    return PRIMARY_READ if PRIMARY_TABLES.search(text) else READ


def _text(statement, conn) -> str:
    return statement if isinstance(statement, str) else statement.as_string(conn)


def _read_connection(statement):
    """The replica connection to run `statement` on, or None for the primary."""
    if not has_request_context() or g.get("db_depth") or g.get("db_wrote"):
        return None
    if isinstance(statement, str) and _kind(statement) != READ:
        return None
    if "db_replica" not in g:
        g.db_replica = _choose_replica() if _replicas() else None
    conn = g.get("db_replica_conn")
    if conn is None or (not isinstance(statement, str) and _kind(statement.as_string(conn)) != READ):
        return None
    return conn


def _choose_replica():
    """Pick this request's replica (taking a connection from its pool), or
    None to read from the primary; counts the choice in the metrics."""
    endpoint = request.endpoint or ""
    if request.method not in ("GET", "HEAD") or not any(
            endpoint == name or (name[-1] == "." and endpoint.startswith(name))
            for name in REPLICA_ENDPOINTS):
        return None
    need = _written_at()
    max_lag = current_app.config["REPLICA_MAX_LAG_SECONDS"]
    reasons = []
    replicas = list(_replicas())
    random.shuffle(replicas)
    for replica in replicas:
        if replica.down_until > time.monotonic():
            reasons.append("down")
            continue
        try:
            conn = replica.pool.getconn()
        except Busy as exc:
            if isinstance(exc, Unavailable):
                replica.mark_down()
            reasons.append("down" if isinstance(exc, Unavailable) else "busy")
            continue
        try:
            reason = replica.refusal(conn, need, max_lag)
        except CONNECTION_ERRORS:
            replica.pool.putconn(conn)
            replica.mark_down()
            reasons.append("down")
            continue
        if reason is None:
            g.db_replica_conn = conn
            metrics.DB_READ_ROUTES.labels("replica", "ok").inc()
            return replica
        replica.pool.putconn(conn)
        reasons.append(reason)
    reason = "own_write" if "own_write" in reasons else (reasons[0] if reasons else "none")
    metrics.DB_READ_ROUTES.labels("primary", reason).inc()
    return None


def _written_at() -> int | None:
    """The WAL position of this user's last write while it is younger than
    the time cap, else None (and the stale mark is dropped). Read without
    marking the session accessed, so pages do not get Vary: Cookie for it."""
    mark = dict.get(session._get_current_object(), LSN_KEY)
    if not mark:
        return None
    lsn, at = mark
    if time.time() - at > current_app.config["REPLICA_MAX_LAG_SECONDS"]:
        session.pop(LSN_KEY, None)
        return None
    return lsn_number(lsn)


def _leave_replica(exc) -> None:
    """A read failed on the replica: the rest of the request reads from the
    primary, and a replica that is gone is left alone for a while."""
    replica = g.get("db_replica")
    if replica is not None and isinstance(exc, CONNECTION_ERRORS):
        replica.mark_down()
    metrics.DB_READ_ROUTES.labels("primary", "failed").inc()
    _release_replica()
    g.db_replica = None


def _release_replica() -> None:
    conn = g.pop("db_replica_conn", None)
    if conn is not None:
        g.db_replica.pool.putconn(conn)


def _remember_write(response):
    """After a request that wrote, keep the primary's WAL position in the
    user's session (read-your-writes, above). Not for the API: its token
    clients keep no cookies, and its replica reads are public catalog data."""
    conn = g.get("db_conn")
    if (g.get("db_wrote") and conn is not None and not conn.closed and not g.get("db_depth")
            and request.blueprint != "api"):
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_current_wal_lsn()::text")
                session[LSN_KEY] = [cur.fetchone()[0], int(time.time())]
        except psycopg2.Error:
            pass  # the connection broke after the write: the time cap still holds
    return response


# --- schema migrations -------------------------------------------------------

def migration_files() -> list[tuple[int, str, Path]]:
    files = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        version = int(path.name.split("_", 1)[0])
        files.append((version, path.stem, path))
    return files


def migrate(dsn: str) -> list[str]:
    """Apply every migration not yet applied, each in its own transaction.

    Safe to run concurrently and repeatedly: each transaction takes a
    transaction-scoped advisory lock (fine behind PgBouncer in transaction
    mode, unlike a session lock) and checks again, under it, that its
    migration is still to do; the schema_migrations table records what is done."""
    applied_now = []
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            def begin_locked():
                cur.execute("BEGIN")
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))

            cur.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
            if not cur.fetchone()[0]:
                begin_locked()
                cur.execute("""CREATE TABLE IF NOT EXISTS schema_migrations (
                                   version integer PRIMARY KEY,
                                   name text NOT NULL,
                                   applied_at timestamptz NOT NULL DEFAULT now())""")
                cur.execute("COMMIT")
            cur.execute("SELECT version FROM schema_migrations")
            done = {row[0] for row in cur.fetchall()}
            for version, name, path in migration_files():
                if version in done:
                    continue
                begin_locked()
                try:
                    cur.execute("SELECT 1 FROM schema_migrations WHERE version = %s", (version,))
                    if cur.fetchone() is None:  # nobody else applied it meanwhile
                        cur.execute(path.read_text())
                        cur.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                                    (version, name))
                        applied_now.append(name)
                    cur.execute("COMMIT")
                except Exception:
                    cur.execute("ROLLBACK")
                    raise
            from .jobs import ensure_queue_schema

            queue_schema = ensure_queue_schema(cur, begin_locked)
            if queue_schema:
                applied_now.append(queue_schema)
    finally:
        conn.close()
    return applied_now


@click.command("init-db")
@click.option("--no-demo", is_flag=True, help="Do not load demo data into an empty database.")
def init_db_command(no_demo: bool) -> None:
    """Create or upgrade the schema; load demo data when the database is empty."""
    applied = migrate(current_app.config["DATABASE_DSN"])
    click.echo(f"Schema: {len(applied)} migration(s) applied"
               + (f" ({', '.join(applied)})" if applied else ", already up to date") + ".")
    if no_demo:
        return
    from db.generated import load_demo_if_empty

    click.echo(load_demo_if_empty(current_app.config["DATABASE_DSN"]))


@click.command("db-url")
def db_url_command() -> None:
    """Print the DSN of the database the app uses (e.g. for psql)."""
    click.echo(current_app.config["DATABASE_DSN"])
