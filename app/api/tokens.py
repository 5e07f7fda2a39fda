"""POST /api/v1/tokens (log in, get a token) and DELETE /api/v1/tokens/current."""
from flask import current_app, g, jsonify, request

from ..models import api_token
from ..models import user as users
from . import bp, serialize, validation
from .auth import token_required, unauthorized


@bp.post("/tokens")
def create_token():
    email, password = validation.credentials(validation.json_body(request))
    # Text the database cannot hold matches no account (and must not reach it).
    storable = validation.is_storable_text(email) and validation.is_storable_text(password)
    user = users.authenticate(email, password) if storable else None
    if user is None:
        raise unauthorized("The email or password is wrong.", "invalid_credentials", token_sent=False)
    issued = api_token.issue_token(user.id, current_app.config["API_TOKEN_TTL_SECONDS"])
    return jsonify(serialize.token(issued)), 201


@bp.delete("/tokens/current")
@token_required
def revoke_token():
    api_token.revoke_token(g.api_token_id)
    return "", 204
