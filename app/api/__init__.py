"""The JSON API for mobile clients, under /api/v1/ (microblog-style: the
blueprint here, its routes by resource in tokens.py, me.py, products.py and
orders.py, and what they share in auth.py, validation.py, serialize.py and
openapi.py).

Clients authenticate with a bearer token from POST /api/v1/tokens, never
with the browser's session cookie, so the API needs no CSRF token. It shares
the model functions of the HTML views (search, product page, checkout,
history). Every error is JSON of one shape: {"error": {"code", "message",
"fields"}}; see openapi.py for the whole contract."""
from flask import Blueprint, jsonify, request

from .. import csrf
from ..errors import error_response
from ..money import currency
from .openapi import document
from .validation import MAX_BODY_BYTES, ApiError

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.errorhandler(ApiError)
def api_error(exc: ApiError):
    response = error_response(exc.status, exc.message, exc.code, exc.fields, exc.details)
    response.headers.update(exc.headers)
    return response


@bp.before_request
def refuse_large_bodies():
    request.max_content_length = MAX_BODY_BYTES
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise ApiError(413, f"The body can be at most {MAX_BODY_BYTES // 1024} KiB.", "too_large")


@bp.after_request
def not_cached(response):
    # Answers depend on the token and on live stock: no shared caches.
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("Authorization")
    return response


@bp.get("/openapi.json")
def openapi():
    return jsonify(document(currency()))


# The routes register themselves on bp when imported.
from . import me, orders, products, tokens  # noqa: E402, F401
