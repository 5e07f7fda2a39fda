"""Settings read from the environment, with defaults fit for a laptop."""
import ipaddress
import os
import secrets
from decimal import Decimal, InvalidOperation
from pathlib import Path

# instance/ beside app/: the secret key and the embedded server's data.
INSTANCE_PATH = Path(__file__).resolve().parent.parent / "instance"


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept under instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


# Brute-force limits (Flask-Limiter syntax, ";" between limits), per account
# (the email tried, or the logged-in user) and per client address. Log-in
# and token requests count only failed attempts; the rest count every POST.
RATE_LIMITS = {
    "login": {"account": "5 per minute;20 per hour", "address": "30 per minute;300 per hour"},
    "register": {"account": "5 per hour", "address": "20 per hour"},
    "token": {"account": "10 per hour", "address": "60 per hour"},
    "password": {"account": "5 per 15 minutes", "address": "20 per hour"},
    "topup": {"account": "10 per minute;100 per day", "address": "30 per minute"},
    # Guests' searches and category pages the page cache could not answer,
    # per address (app/views/catalog.py): any, and those past page 1 or
    # with filters or a sort. A person reading lists stays far below.
    "guest_lists": {"address": "120 per minute;1200 per hour"},
    "guest_deep_lists": {"address": "30 per minute;300 per hour"},
}


def _number(name: str, default: str, low: Decimal, high: Decimal) -> Decimal:
    """A numeric setting from the environment, refused at start when it is
    not a number from `low` to `high`."""
    text = os.environ.get(name, default)
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not low <= value <= high:
        raise SystemExit(f"{name} must be a number from {low} to {high}, not {text!r}.")
    return value


def load(instance_path: Path) -> dict:
    https = _flag("SOUK_HTTPS")
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or None,
        # Name of the database created inside the embedded server.
        "DATABASE_NAME": os.environ.get("SOUK_DATABASE_NAME", "souk"),
        "DB_POOL_MAX": int(os.environ.get("SOUK_DB_POOL_MAX", "8")),
        # Streaming replicas (hot standbys) for the reads of read-only pages,
        # separated by spaces; see app/db.py. Skipped when lagging more than
        # REPLICA_MAX_LAG_SECONDS, which is also how long a user's own write
        # keeps their reads on the primary at most.
        "DATABASE_REPLICA_URLS": os.environ.get("DATABASE_REPLICA_URL", "").split(),
        "REPLICA_MAX_LAG_SECONDS": float(_number("SOUK_REPLICA_MAX_LAG_SECONDS", "10",
                                                 Decimal(0), Decimal(3600))),
        # The job queue's worker LISTENs for new jobs, which needs a session
        # of its own: behind PgBouncer in transaction mode, point this at
        # PostgreSQL itself. Unset: the app's database.
        "QUEUE_DATABASE_URL": os.environ.get("SOUK_QUEUE_DATABASE_URL") or None,
        # Served over TLS (directly or behind a proxy that terminates it):
        # cookies only over HTTPS, and HSTS on every response.
        "HTTPS": https,
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        # How many reverse proxies in front set X-Forwarded-For/-Proto.
        "TRUSTED_PROXIES": int(os.environ.get("SOUK_TRUSTED_PROXIES", "0")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # token lives as long as the session
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "COMPRESS_MIMETYPES": [
            "text/html", "text/css", "text/javascript", "application/json", "image/svg+xml", "text/plain",
        ],
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_ALGORITHM_STREAMING": ["br", "deflate"],  # static files
        "COMPRESS_LEVEL": 6,
        "COMPRESS_BR_LEVEL": 5,
        "COMPRESS_MIN_SIZE": 256,
        "SEND_FILE_MAX_AGE_DEFAULT": 7 * 24 * 3600,
        # How old a catalog page or price may be: the time to live of the
        # cache (app/cache.py) and of guests' pages in shared HTTP caches.
        # 0 turns caching off.
        "CATALOG_CACHE_SECONDS": int(os.environ.get("SOUK_CACHE_SECONDS", "2")),
        # Redis shared by every worker and node; unset: a cache per process.
        "CACHE_REDIS_URL": os.environ.get("SOUK_CACHE_REDIS_URL") or os.environ.get("REDIS_URL") or None,
        "CACHE_KEY_PREFIX": os.environ.get("SOUK_CACHE_KEY_PREFIX", "souk:"),  # one Redis, several sites
        "CACHE_MAX_ENTRIES": int(os.environ.get("SOUK_CACHE_MAX_ENTRIES", "1000")),
        # werkzeug's scrypt by default; tests may choose a cheaper method.
        "PASSWORD_HASH_METHOD": os.environ.get("SOUK_PASSWORD_HASH", "scrypt"),
        "RATE_LIMITS": RATE_LIMITS,
        "RATELIMIT_ENABLED": os.environ.get("SOUK_RATELIMIT_ENABLED", "1").strip().lower()
        not in ("0", "false", "no", "off"),
        # Shared by all workers and nodes when a Redis URL is given; else
        # each process counts in its own memory.
        "RATELIMIT_STORAGE_URI": (os.environ.get("SOUK_RATELIMIT_STORAGE_URL") or os.environ.get("REDIS_URL")
                                  or "memory://"),
        "RATELIMIT_KEY_PREFIX": "souk",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down: count in memory for a while rather than fail requests.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        # How long a web session lives on the server (and the remember-me
        # cookie in the browser): 30 days.
        "SESSION_TTL_SECONDS": int(os.environ.get("SOUK_SESSION_TTL_SECONDS", 30 * 24 * 3600)),
        "REMEMBER_COOKIE_DURATION": int(os.environ.get("SOUK_SESSION_TTL_SECONDS", 30 * 24 * 3600)),
        # How long a JSON API bearer token lives (30 days by default).
        "API_TOKEN_TTL_SECONDS": int(os.environ.get("SOUK_API_TOKEN_TTL_SECONDS", 30 * 24 * 3600)),
        # Who may read /metrics besides operators: these addresses or
        # networks, or a request with `Authorization: Bearer <token>`.
        "METRICS_ALLOW": metrics_networks(os.environ.get("SOUK_METRICS_ALLOW", "127.0.0.1,::1")),
        "METRICS_TOKEN": os.environ.get("SOUK_METRICS_TOKEN") or None,
        # The one currency of the marketplace (ISO 4217) and the locale that
        # writes amounts (see app/money.py).
        "CURRENCY": os.environ.get("SOUK_CURRENCY", "EUR"),
        "LOCALE": os.environ.get("SOUK_LOCALE", "en"),
        # The time zone guests and users without their own see (IANA name).
        "TIMEZONE": os.environ.get("SOUK_TIMEZONE", "UTC"),
        # The platform's share of each completed order, in percent of the
        # money released to the seller (rounded half up to the cent).
        "COMMISSION_PERCENT": _number("SOUK_COMMISSION_PERCENT", "0", Decimal(0), Decimal(100)),
        # A shipped order completes by itself this many days after shipping.
        "AUTO_RELEASE_DAYS": int(_number("SOUK_AUTO_RELEASE_DAYS", "14", Decimal(1), Decimal(365))),
        # The buyer may ask to return delivered lines for this many days.
        "RETURN_WINDOW_DAYS": int(_number("SOUK_RETURN_WINDOW_DAYS", "30", Decimal(0), Decimal(365))),
        # Units of a flash sale added to a cart are held for the buyer this
        # many minutes (never past the sale's end).
        "HOLD_MINUTES": int(_number("SOUK_HOLD_MINUTES", "10", Decimal(1), Decimal(1440))),
        **mail_settings(),
    }


def metrics_networks(text: str) -> list:
    """SOUK_METRICS_ALLOW as networks ("10.0.0.0/8, 127.0.0.1"); a wrong
    entry stops the app with its name rather than silently allowing less."""
    networks = []
    for part in filter(None, (item.strip() for item in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise SystemExit(f"SOUK_METRICS_ALLOW: {part!r} is not an address or network") from exc
    return networks


def mail_settings() -> dict:
    """Where email copies of notices go. Without SOUK_SMTP_HOST they are
    written to the log instead (development, tests of other features)."""
    starttls = os.environ.get("SOUK_SMTP_STARTTLS", "").lower() in ("1", "true", "yes", "on")
    return {
        "SMTP_HOST": os.environ.get("SOUK_SMTP_HOST") or None,
        "SMTP_PORT": int(os.environ.get("SOUK_SMTP_PORT") or (587 if starttls else 25)),
        "SMTP_USER": os.environ.get("SOUK_SMTP_USER") or None,
        "SMTP_PASSWORD": os.environ.get("SOUK_SMTP_PASSWORD") or None,
        "SMTP_FROM": os.environ.get("SOUK_SMTP_FROM", "Souk <no-reply@souk.localhost>"),
        "SMTP_STARTTLS": starttls,
        "SMTP_TIMEOUT": float(os.environ.get("SOUK_SMTP_TIMEOUT", "10")),
        # Links in mails are absolute: the address people reach the site at.
        "BASE_URL": os.environ.get("SOUK_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # A failed mail is tried again after this many seconds, doubling each
        # time, MAIL_MAX_ATTEMPTS times in all.
        "MAIL_RETRY_SECONDS": float(os.environ.get("SOUK_MAIL_RETRY_SECONDS", "30")),
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("SOUK_MAIL_MAX_ATTEMPTS", "8")),
    }
