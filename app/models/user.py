"""Accounts: registration, credentials, profile, public page data."""
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import psycopg2
from werkzeug.security import check_password_hash, generate_password_hash

from .. import db
from .notification import UNREAD_CAP

# A hash to compare against when the email is unknown, so a login attempt
# takes the same time whether or not the account exists.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="pbkdf2:sha256:1000")


@dataclass
class User:
    """The logged-in user, as flask-login needs it."""

    id: int
    email: str
    first_name: str
    last_name: str
    address: str
    balance: Decimal
    session_epoch: int
    created_at: datetime
    is_operator: bool = False
    suspended_at: datetime | None = None
    suspension_reason: str | None = None
    time_zone: str | None = None  # IANA name; None: the site's default
    # For every page's header, read with the session user (load_session_user).
    cart_units: int = 0
    unread_notices: int = 0  # counted up to notification.UNREAD_CAP + 1

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        # The epoch makes old sessions and remember-me cookies invalid after a
        # password change.
        return f"{self.id}:{self.session_epoch}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class EmailTaken(Exception):
    """Another account already uses this email (compared case-insensitively)."""


_USER_COLUMNS = ("id, email, first_name, last_name, address, balance, session_epoch, created_at, time_zone, "
                 "is_operator, suspended_at, suspension_reason")


def load_session_user(session_id: str) -> User | None:
    """The user for a flask-login id of the form 'id:epoch', if still valid,
    with the units in their cart and their unread notices: every page's
    header shows them, so one query per request reads them together."""
    user_id, _, epoch = session_id.partition(":")
    if not (user_id.isdigit() and epoch.isdigit()) or len(user_id) > 18 or len(epoch) > 9:
        return None
    row = db.query_one(
        f"""SELECT {_USER_COLUMNS},
                   (SELECT coalesce(sum(c.quantity), 0) FROM cart_items c WHERE c.user_id = users.id)
                       AS cart_units,
                   (SELECT count(*) FROM (SELECT 1 FROM notifications n
                                          WHERE n.user_id = users.id AND n.read_at IS NULL
                                          LIMIT %s) unread) AS unread_notices
            FROM users WHERE id = %s AND session_epoch = %s""",
        (UNREAD_CAP + 1, int(user_id), int(epoch)))
    return User(**row) if row else None


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


def authenticate(email: str, password: str) -> User | None:
    """The user with these credentials, or None."""
    row = db.query_one(f"SELECT {_USER_COLUMNS}, password_hash FROM users WHERE lower(email) = lower(%s)",
                       (email.strip(),))
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
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


def change_password(user_id: int, current: str, new: str, hash_method: str = "scrypt") -> User | None:
    """Set a new password if `current` is right; ends every other session.
    Returns the updated user, or None when the current password is wrong."""
    with db.transaction():
        stored = db.query_value("SELECT password_hash FROM users WHERE id = %s FOR NO KEY UPDATE", (user_id,))
        if stored is None or not check_password_hash(stored, current):
            return None
        row = db.query_one(
            f"""UPDATE users SET password_hash = %s, session_epoch = session_epoch + 1
                WHERE id = %s RETURNING {_USER_COLUMNS}""",
            (generate_password_hash(new, method=hash_method), user_id))
    return User(**row)


def public_profile(user_id: int) -> dict | None:
    """What anyone may see of a user: name, member since, seller rating.
    Never email, address or balance."""
    return db.query_one(
        """SELECT id, first_name, last_name, created_at, seller_rating_count,
                  CASE WHEN seller_rating_count > 0
                       THEN round(seller_rating_sum::numeric / seller_rating_count, 1) END AS seller_rating
           FROM users WHERE id = %s""", (user_id,))
