"""The JSON API for mobile clients, under /api/v1/.

Clients authenticate with a bearer token from POST /api/v1/tokens, never
with the browser's session cookie, so the API needs no CSRF token. It shares
the model functions of the HTML views (search, product page, checkout,
history). Every error is JSON of one shape: {"error": {"code", "message",
"fields"}}; see app/api/openapi.py for the whole contract."""
from functools import wraps

from flask import Blueprint, current_app, g, jsonify, request, url_for

from .. import csrf
from ..api import serialize, validation
from ..api.openapi import document
from ..api.validation import MAX_BODY_BYTES, MAX_ID, OFFERS_PER_PAGE, ApiError
from ..errors import error_response
from ..models import api_token, checkout
from ..models import category as categories
from ..models import offer as offers
from ..models import order as orders
from ..models import product as products
from ..models import user as users
from ..money import currency
from ..pagination import MAX_PAGE, Page, paginate

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_TOKEN_LENGTH = 200
# The query parameters of GET /products that its `next` link carries on.
PRODUCT_LIST_ARGS = ("per_page", "q", "category", "sort", "price_min", "price_max", "min_rating", "in_stock")
REALM = 'Bearer realm="souk"'


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


def _unauthorized(message: str, code: str, token_sent: bool) -> ApiError:
    challenge = REALM + (', error="invalid_token"' if token_sent else "")
    return ApiError(401, message, code, headers={"WWW-Authenticate": challenge})


def _bearer_token() -> dict:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("Send a token from POST /api/v1/tokens as 'Authorization: Bearer <token>'.",
                            "token_required", token_sent=False)
    live = api_token.user_for_token(token) if len(token) <= MAX_TOKEN_LENGTH else None
    if live is None:
        raise _unauthorized("The token is unknown, expired or revoked; ask for a new one.",
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


def _body() -> dict:
    return validation.json_object(request.mimetype, request.get_data(cache=False))


@bp.get("/openapi.json")
def openapi():
    return jsonify(document(currency()))


@bp.post("/tokens")
def create_token():
    email, password = validation.credentials(_body())
    # Text the database cannot hold matches no account (and must not reach it).
    storable = validation.is_storable_text(email) and validation.is_storable_text(password)
    user = users.authenticate(email, password) if storable else None
    if user is None:
        raise _unauthorized("The email or password is wrong.", "invalid_credentials", token_sent=False)
    issued = api_token.issue_token(user.id, current_app.config["API_TOKEN_TTL_SECONDS"])
    return jsonify(serialize.token(issued)), 201


@bp.delete("/tokens/current")
@token_required
def revoke_token():
    api_token.revoke_token(g.api_token_id)
    return "", 204


@bp.get("/me")
@token_required
def me():
    user = users.get_user(g.api_user_id)
    return jsonify(serialize.me(user))


# --- catalog -------------------------------------------------------------------

def _page_meta(page: Page, page_key: str = "page", keep: tuple[str, ...] = ()) -> dict:
    """Pagination metadata; `next` keeps the query parameters named in `keep`."""
    next_url = None
    if page.has_next and page.number < MAX_PAGE:
        args = {name: request.args[name] for name in keep if name in request.args}
        next_url = url_for(request.endpoint, **(request.view_args or {}), **args,
                           **{page_key: page.number + 1})
    return {"page": page.number, "per_page": page.per_page, "has_next": page.has_next, "next": next_url}


def _category_filter(args) -> int | None:
    """The category id for ?category=, given as a slug or an id."""
    wanted = args.get("category", "")
    if not wanted:
        return None
    for category in categories.all_categories():
        if wanted in (category["slug"], str(category["id"])):
            return category["id"]
    raise ApiError(404, "There is no category with this slug or id.", "not_found",
                   {"category": "No such category."})


def _product_filters(args) -> products.Filters:
    return products.Filters(
        keywords=products.keywords(validation.search_arg(args)), category_id=_category_filter(args),
        price_min=validation.price_arg(args, "price_min"), price_max=validation.price_arg(args, "price_max"),
        min_rating=validation.int_arg(args, "min_rating", None, 1, 5),
        in_stock=validation.bool_arg(args, "in_stock"))


@bp.get("/products")
def list_products():
    number, per_page = validation.page_args(request.args)
    sort = validation.choice_arg(request.args, "sort", products.SORTS, "relevance")
    filters = _product_filters(request.args)
    # A search made only of punctuation has no keywords: it matches nothing.
    searched_nothing = bool(request.args.get("q", "").strip()) and not filters.keywords
    rows = [] if searched_nothing else products.list_products(filters, sort, number, per_page)
    page = paginate(rows, number, per_page)
    stock = offers.stock_by_product([row["id"] for row in page.items]) if page.items else {}
    return jsonify({"items": [serialize.product_item(row, stock[row["id"]]) for row in page.items],
                    **_page_meta(page, keep=PRODUCT_LIST_ARGS)})


@bp.get(f"/products/<int(max={MAX_ID}):product_id>")
def product(product_id: int):
    number, per_page = validation.page_args(request.args, OFFERS_PER_PAGE, prefix="offers_")
    row = products.product_details(product_id)
    if row is None:
        raise ApiError(404, "There is no such product.", "not_found")
    page = paginate(offers.offers_for_product(product_id, number, per_page), number, per_page)
    stock = offers.stock_by_product([product_id])[product_id]
    return jsonify(serialize.product(row, stock, page.items,
                                     _page_meta(page, "offers_page", keep=("offers_per_page",))))


# --- orders --------------------------------------------------------------------

def _refused(problems: list[dict], items: list[tuple[int, int]]) -> ApiError:
    """The 409 for a checkout that bought nothing, naming each failing item."""
    index_of = {offer_id: index for index, (offer_id, _) in enumerate(items)}
    lines, fields = [], {}
    for problem in problems:
        index = index_of.get(problem["offer_id"])
        lines.append(serialize.checkout_problem(problem, index))
        field = "items" if index is None else f"items[{index}]"
        fields[field] = " ".join(filter(None, (fields.get(field), problem["message"])))
    return ApiError(409, "Nothing was bought: " + " ".join(problem["message"] for problem in problems),
                    "checkout_failed", fields, details={"lines": lines})


def _bought(purchase: dict) -> list[tuple[int, int]]:
    return sorted((line["offer_id"], line["quantity"]) for order in purchase["orders"]
                  for line in order["lines"])


@bp.post("/orders")
@token_required
def place_order():
    key = validation.idempotency_key(request.headers.get("Idempotency-Key"))
    items = validation.order_items(_body())
    try:
        placed = checkout.place_order(g.api_user_id, key, items)
    except checkout.CheckoutFailed as exc:
        raise _refused(exc.problems, items) from exc
    purchase = orders.purchase_for_buyer(g.api_user_id, placed["id"])
    if placed["replayed"] and _bought(purchase) != sorted(items):
        raise ApiError(409, "This Idempotency-Key already placed a different order; use a new key "
                            "for a new order.", "idempotency_key_reused",
                       {"Idempotency-Key": "Already used for another order."})
    response = jsonify(serialize.purchase(purchase))
    response.status_code = 200 if placed["replayed"] else 201
    response.headers["Location"] = url_for(".order", purchase_id=placed["id"])
    response.headers["Idempotent-Replayed"] = "true" if placed["replayed"] else "false"
    return response


@bp.get("/orders")
@token_required
def list_orders():
    number, per_page = validation.page_args(request.args)
    page = paginate(orders.purchases_for_buyer(g.api_user_id, number, per_page), number, per_page)
    return jsonify({"items": [serialize.purchase_summary(row) for row in page.items],
                    **_page_meta(page, keep=("per_page",))})


@bp.get(f"/orders/<int(max={MAX_ID}):purchase_id>")
@token_required
def order(purchase_id: int):
    purchase = orders.purchase_for_buyer(g.api_user_id, purchase_id)
    if purchase is None:
        raise ApiError(404, "You have no order with this id.", "not_found")
    return jsonify(serialize.purchase(purchase))
