"""GET /api/v1/me: the token's user, with their balance."""
from flask import g, jsonify

from ..models import user as users
from . import bp, serialize
from .auth import token_required


@bp.get("/me")
@token_required
def me():
    return jsonify(serialize.me(users.get_user(g.api_user_id)))
