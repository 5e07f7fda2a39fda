"""Accounts: registration, credentials, profile, public page data."""
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache

import psycopg2
from werkzeug.security import check_password_hash, generate_password_hash

from .. import db


@cache
def _dummy_hash(method: str) -> str:
    """A hash to check when the email is unknown, made once per process with
    the method (and cost) real hashes use, so a wrong password takes the
    same time whether or not the account exists."""
    return generate_password_hash("not-a-real-password", method=method)


@dataclass
class User:
    """The logged-in user, as flask-login needs it."""

    id: int
    email: str
    first_name: str
    last_name: str
    address: str
    balance: Decimal
    created_at: datetime
    is_operator: bool = False
    suspended_at: datetime | None = None
    suspension_reason: str | None = None
    time_zone: str | None = None  # IANA name; None: the site's default
    # For every page's header, read with the session user
    # (user_session.user_for_session).
    cart_units: int = 0
    unread_notices: int = 0  # counted up to notification.UNREAD_CAP + 1
    has_orders: bool = False  # bought anything (the home page's recommendations)
    # Ever offered or created a product: catalog pages may show them their own
    # rows (app/cache.py shares pages only among those who never did).
    sells: bool = False
    # The web session this user object was loaded for (see user_session).
    session_token: str | None = None

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str | None:
        # flask-login keeps this in the session and remember-me cookies: the
        # session's token, not the user id, so ending the session on the
        # server (logout) makes both cookies worthless.
        return self.session_token

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class EmailTaken(Exception):
    """Another account already uses this email (compared case-insensitively)."""


USER_COLUMNS = ("id", "email", "first_name", "last_name", "address", "balance", "created_at", "time_zone",
                "is_operator", "suspended_at", "suspension_reason")
_USER_COLUMNS = ", ".join(USER_COLUMNS)
# What every page's header shows of the logged-in user besides the columns
# (cart units, unread notices), whether they ever bought (the home page's
# recommendations) and whether they sell (app/cache.py's shared shopper
# pages) is read with the session user: session_account in migration 0091
# (user_session.user_for_session).


def get_user(user_id: int) -> User | None:
    row = db.query_one(f"SELECT {_USER_COLUMNS} FROM users WHERE id = %s", (user_id,))
    return User(**row) if row else None


def create_user(email: str, password: str, first_name: str, last_name: str, address: str,
                hash_method: str = "scrypt") -> User:
    """Create an account; its address (when given) becomes the default
    address of its address book. Raises EmailTaken when the email is in use."""
    try:
        row = db.query_one(
            f"""WITH created AS (
                    INSERT INTO users (email, password_hash, first_name, last_name, address)
                    VALUES (%(email)s, %(hash)s, %(first)s, %(last)s, %(address)s) RETURNING {_USER_COLUMNS}),
                book AS (INSERT INTO addresses (user_id, recipient, address, is_default)
                         SELECT id, left(first_name || ' ' || last_name, 200), address, true
                         FROM created WHERE address <> '')
                SELECT * FROM created""",
            {"email": email.strip(), "hash": generate_password_hash(password, method=hash_method),
             "first": first_name.strip(), "last": last_name.strip(), "address": address.strip()})
    except psycopg2.errors.UniqueViolation as exc:
        raise EmailTaken(email) from exc
    return User(**row)


def authenticate(email: str, password: str, hash_method: str = "scrypt") -> User | None:
    """The user with these credentials, or None. `hash_method` is the one
    new hashes use; an unknown email costs one check of that method."""
    row = db.query_one(f"SELECT {_USER_COLUMNS}, password_hash FROM users WHERE lower(email) = lower(%s)",
                       (email.strip(),))
    if row is None:
        check_password_hash(_dummy_hash(hash_method), password)
        return None
    if not check_password_hash(row.pop("password_hash"), password):
        return None
    return User(**row)


def update_profile(user_id: int, email: str, first_name: str, last_name: str, address: str,
                   time_zone: str | None = None) -> None:
    """Change name, address, email and time zone (an IANA name the caller
    checked, None for the site's default). Raises EmailTaken when the email
    is in use."""
    try:
        db.execute("""UPDATE users SET email = %s, first_name = %s, last_name = %s, address = %s,
                                       time_zone = %s
                      WHERE id = %s""",
                   (email.strip(), first_name.strip(), last_name.strip(), address.strip(), time_zone or None,
                    user_id))
    except psycopg2.errors.UniqueViolation as exc:
        raise EmailTaken(email) from exc


def change_password(user_id: int, current: str, new: str, hash_method: str = "scrypt",
                    keep_session: str | None = None) -> bool:
    """Set a new password if `current` is right, and in the same transaction
    end every other web session and every API token of the user (the
    session `keep_session` goes on). False when `current` is wrong."""
    from .user_session import end_sessions  # user_session builds on this module

    with db.transaction():
        stored = db.query_value("SELECT password_hash FROM users WHERE id = %s FOR NO KEY UPDATE", (user_id,))
        if stored is None or not check_password_hash(stored, current):
            return False
        db.execute("UPDATE users SET password_hash = %s WHERE id = %s",
                   (generate_password_hash(new, method=hash_method), user_id))
        end_sessions(user_id, keep_token=keep_session)
    return True


def public_profile(user_id: int) -> dict | None:
    """What anyone may see of a user: name, member since, seller rating.
    Never email, address or balance."""
    return db.query_one(
        """SELECT id, first_name, last_name, created_at, seller_rating_count,
                  CASE WHEN seller_rating_count > 0
                       THEN round(seller_rating_sum::numeric / seller_rating_count, 1) END AS seller_rating
           FROM users WHERE id = %s""", (user_id,))
