"""Bearer tokens for the JSON API: issued for a user, shown once, stored only
as a SHA-256 hash, valid until they expire or are revoked (one by one, or
all of a user's on a password change or "log out everywhere", see
user_session.end_sessions)."""
import hashlib
import secrets

from .. import db

# last_used_at is written at most this often per token, so reads stay reads.
LAST_USED_RESOLUTION = "1 minute"


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def issue_token(user_id: int, ttl_seconds: int) -> dict:
    """Create a token for the user; returns {token, expires_at}. The token
    itself is never stored, so this is the only time it is seen."""
    token = secrets.token_urlsafe(32)
    expires_at = db.query_value(
        """INSERT INTO api_tokens (user_id, token_hash, expires_at)
           VALUES (%s, %s, now() + make_interval(secs => %s))
           RETURNING expires_at""",
        (user_id, _digest(token), ttl_seconds))
    return {"token": token, "expires_at": expires_at}


def user_for_token(token: str) -> dict | None:
    """The live token's id and its user's id, or None when the token is
    unknown, expired or revoked. Marks the token as used (at most once per
    LAST_USED_RESOLUTION)."""
    row = db.query_one(
        """SELECT id AS token_id, user_id, last_used_at < now() - %s::interval AS stale
           FROM api_tokens
           WHERE token_hash = %s AND revoked_at IS NULL AND expires_at > now()""",
        (LAST_USED_RESOLUTION, _digest(token)))
    if row is None:
        return None
    if row.pop("stale") is not False:  # NULL (never used) or older than the resolution
        db.execute("UPDATE api_tokens SET last_used_at = now() WHERE id = %s", (row["token_id"],))
    return row


def revoke_token(token_id: int) -> None:
    """End a token now; later calls with it get a 401."""
    db.execute("UPDATE api_tokens SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL",
               (token_id,))


def revoke_all_tokens(user_id: int) -> None:
    """End every live token of the user (password change, log out everywhere)."""
    db.execute("UPDATE api_tokens SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL",
               (user_id,))

