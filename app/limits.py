"""Brute-force limits (Flask-Limiter): log-in, registration, API tokens,
password change and top-ups, each per account and per client address; and
guests' catalog lists that the page cache could not answer (guest_limited).

The numbers live in the RATE_LIMITS setting (see config.py), read on every
request, so a test can tighten them for itself. Counters are kept in the
storage named by RATELIMIT_STORAGE_URI: Redis shared by every worker when
configured; `database` for the app's own PostgreSQL (PostgresStorage
below: every worker and node shares it, no Redis needed); else each
process's memory. An exceeded limit answers 429 with Retry-After, as a
page or, under /api/, in the API's JSON error shape."""
import os
import random
import time

from flask import current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_login import current_user
from limits.storage import Storage

from . import db
from .errors import error_response


def _address() -> str:
    """The client's address (behind proxies, as SOUK_TRUSTED_PROXIES reads it)."""
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=_address)


def _email() -> str:
    """The email a log-in, registration or token request is about, from the
    form or the JSON body: the account its attempts count against."""
    email = request.form.get("email")
    if email is None:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    return email.strip().lower()[:254] if isinstance(email, str) else ""


def _user_id() -> str:
    return str(getattr(current_user, "id", "anonymous"))


ACCOUNT_KEYS = {"login": _email, "register": _email, "token": _email, "password": _user_id,
                "topup": _user_id}


def limited(action: str, counts=None):
    """Limit a view's POSTs by the RATE_LIMITS[action] setting, per account
    and per client address. `counts(response)` says which answers use up an
    attempt (default: all); the check comes before the view either way, so
    once the limit is reached even a right password gets a 429."""

    def decorator(view):
        for scope, key in (("account", ACCOUNT_KEYS[action]), ("address", _address)):
            view = limiter.shared_limit(
                lambda scope=scope: current_app.config["RATE_LIMITS"][action][scope],
                scope=f"{action}-{scope}", key_func=key, methods=["POST"], deduct_when=counts)(view)
        return view

    return decorator


def guest_limited(action: str, applies=None):
    """Limit a catalog view's GETs by visitors who are not logged in, per
    client address, by RATE_LIMITS[action]["address"], when `applies()`
    (default: always). Only requests the view answers count: a guest page
    served from the cache (app/cache.py) returns before the limiter looks.
    Every view decorated for the same action shares one count."""

    def exempt() -> bool:
        return current_user.is_authenticated or (applies is not None and not applies())

    def decorator(view):
        return limiter.shared_limit(
            lambda: current_app.config["RATE_LIMITS"][action]["address"], scope=f"{action}-address",
            key_func=_address, methods=["GET", "HEAD"], exempt_when=exempt,
            error_message=GUEST_MESSAGE)(view)

    return decorator


GUEST_MESSAGE = ("Too many searches and list pages from your address in a short time. Please wait a "
                 "minute and try again; meanwhile, fewer pages and filters, or more words in the search, "
                 "find the same products with fewer requests. Logged-in shoppers are not limited.")


def failed(response) -> bool:
    """Count only attempts that did not log in (no redirect, no new token)."""
    return response.status_code not in (201, 302)


def _a_logged_in_read() -> bool:
    """Every limit here counts POSTs, or GETs by guests: a logged-in user's
    GET or HEAD is never counted, so it skips the limiter's per-request work
    (about a tenth of a logged-in catalog page). A limit on such requests
    would have to change this."""
    return request.method in ("GET", "HEAD") and current_user.is_authenticated


limiter.request_filter(_a_logged_in_read)


class PostgresStorage(Storage):
    """Counters of the `limits` library (fixed windows) in the UNLOGGED
    table rate_limit_counters, one atomic statement per hit. Reached with
    its own small pool on the primary (never a replica); through PgBouncer
    is fine, as each statement is its own transaction."""

    STORAGE_SCHEME = ["souk+postgresql"]
    SWEEP_CHANCE = 0.001  # a hit sometimes deletes the windows over for an hour

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, dsn: str = "", **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.dsn = dsn
        self._pool = db.Pool(dsn, maxconn=4, wait_seconds=2)

    @property
    def base_exceptions(self):
        return (db.Busy, *db.CONNECTION_ERRORS)

    def _one(self, statement: str, params=()):
        if self._pool.pid != os.getpid():  # forked: never share sockets
            self._pool = db.Pool(self.dsn, maxconn=4, wait_seconds=2)
        conn = self._pool.getconn()
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchone() if cur.description else cur.rowcount
        finally:
            self._pool.putconn(conn)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        if random.random() < self.SWEEP_CHANCE:
            self._one("DELETE FROM rate_limit_counters WHERE expires_at < now() - interval '1 hour'")
        return self._one(
            """INSERT INTO rate_limit_counters AS c (key, count, expires_at)
               VALUES (%(key)s, %(amount)s, now() + make_interval(secs => %(expiry)s))
               ON CONFLICT (key) DO UPDATE SET
                   count = CASE WHEN c.expires_at <= now() THEN EXCLUDED.count
                                ELSE c.count + EXCLUDED.count END,
                   expires_at = CASE WHEN c.expires_at <= now() THEN EXCLUDED.expires_at
                                     ELSE c.expires_at END
               RETURNING count""", {"key": key, "amount": amount, "expiry": float(expiry)})[0]

    def get(self, key: str) -> int:
        row = self._one("SELECT count FROM rate_limit_counters WHERE key = %s AND expires_at > now()", (key,))
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._one("""SELECT extract(epoch FROM expires_at) FROM rate_limit_counters
                           WHERE key = %s AND expires_at > now()""", (key,))
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        try:
            return self._one("SELECT true")[0]
        except self.base_exceptions:
            return False

    def reset(self) -> int | None:
        return self._one("DELETE FROM rate_limit_counters")

    def clear(self, key: str) -> None:
        self._one("DELETE FROM rate_limit_counters WHERE key = %s", (key,))


def storage_settings(config) -> None:
    """RATELIMIT_STORAGE_URI `database`: PostgresStorage on the app's database."""
    if config["RATELIMIT_STORAGE_URI"] == "database":
        config["RATELIMIT_STORAGE_URI"] = "souk+postgresql://"
        config["RATELIMIT_STORAGE_OPTIONS"] = {**config.get("RATELIMIT_STORAGE_OPTIONS", {}),
                                               "dsn": config["DATABASE_DSN"]}


def init_app(app) -> None:
    storage_settings(app.config)
    limiter.init_app(app)

    @app.errorhandler(RateLimitExceeded)
    def too_many(exc):
        message = exc.limit.error_message or "Too many attempts. Please wait a moment before you try again."
        response = error_response(429, message, "rate_limited")
        # Flask-Limiter adds Retry-After after the request; this covers the
        # case where it does not know the window (never less than a second).
        response.headers.setdefault("Retry-After", "60")
        return response
