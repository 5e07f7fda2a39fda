"""Bearer tokens on API requests: `token_required` runs a view for the
token's user; a missing, unknown, expired or revoked token is a 401."""
from functools import wraps

from flask import g, request

from ..models import api_token
from .validation import ApiError

MAX_TOKEN_LENGTH = 200
REALM = 'Bearer realm="souk"'


def unauthorized(message: str, code: str, token_sent: bool) -> ApiError:
    challenge = REALM + (', error="invalid_token"' if token_sent else "")
    return ApiError(401, message, code, headers={"WWW-Authenticate": challenge})


def _bearer_token() -> dict:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("Send a token from POST /api/v1/tokens as 'Authorization: Bearer <token>'.",
                           "token_required", token_sent=False)
    live = api_token.user_for_token(token) if len(token) <= MAX_TOKEN_LENGTH else None
    if live is None:
        raise unauthorized("The token is unknown, expired or revoked; ask for a new one.",
                           "invalid_token", token_sent=True)
    return live


def token_required(view):
    """Run the view for the bearer token's user (g.api_user_id)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        live = _bearer_token()
        g.api_user_id, g.api_token_id = live["user_id"], live["token_id"]
        return view(*args, **kwargs)

    return wrapper
