"""Web sessions: one row per logged-in browser, so that logging out ends the
session on the server. The cookie carries a random token; the row keeps
only its SHA-256, so a leaked table cannot be replayed."""
import hashlib
import secrets

from .. import db
from . import api_token
from .notification import UNREAD_CAP
from .user import USER_COLUMNS, User


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def start_session(user_id: int, ttl_seconds: int) -> str:
    """Open a session for the user and return its token (for the cookie).
    Also drops the user's expired sessions, so the table keeps only live
    ones without a cleanup job."""
    token = secrets.token_urlsafe(32)
    with db.transaction():
        db.execute("DELETE FROM user_sessions WHERE user_id = %s AND expires_at <= now()", (user_id,))
        db.execute("""INSERT INTO user_sessions (token_hash, user_id, expires_at)
                      VALUES (%s, %s, now() + make_interval(secs => %s))""",
                   (_digest(token), user_id, ttl_seconds))
    return token


# session_account (migration 0091) is a function so that its plan is kept.
_SESSION_USER = (f"""SELECT {", ".join(f"(s.account).{column}" for column in USER_COLUMNS)},
                            s.cart_units, s.unread_notices, s.has_orders, s.sells
                     FROM session_account(%s, %s) s""")


def user_for_session(token: str) -> User | None:
    """The user of a live session, or None when the session is unknown
    (logged out, ended everywhere, password changed) or expired, with what
    every page's header shows (cart units, unread notices). One query by
    primary keys: this runs on every request with a session."""
    row = db.query_one(_SESSION_USER, (_digest(token), UNREAD_CAP))
    return User(**row, session_token=token) if row else None


def end_session(token: str) -> None:
    """Log this session out; its cookie (and remember-me cookie) stop working."""
    db.execute("DELETE FROM user_sessions WHERE token_hash = %s", (_digest(token),))


def end_sessions(user_id: int, keep_token: str | None = None) -> None:
    """End every session of the user but `keep_token`'s, and revoke all the
    user's API tokens, in one transaction (joins the caller's)."""
    with db.transaction():
        db.execute("DELETE FROM user_sessions WHERE user_id = %s AND token_hash IS DISTINCT FROM %s",
                   (user_id, _digest(keep_token) if keep_token else None))
        api_token.revoke_all_tokens(user_id)
