"""POST /api/v1/orders (idempotent checkout), GET /api/v1/orders (purchase
history), GET /api/v1/orders/<id>, and the buyer's moves on one seller's
order: POST /api/v1/seller-orders/<id>/cancel and .../returns."""
from flask import current_app, g, jsonify, request, url_for

from ..metrics import count_checkout
from ..models import checkout, order_return, order_state
from ..models import order as orders
from ..pagination import paginate
from . import bp, serialize, validation
from .auth import token_required
from .validation import ApiError


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
    body = validation.json_body(request)
    items = validation.order_items(body)
    address_id = validation.optional_id(body, "address_id")
    try:
        placed = checkout.place_order(g.api_user_id, key, items, address_id)
    except checkout.CheckoutFailed as exc:
        count_checkout(exc.problems)
        raise _refused(exc.problems, items) from exc
    count_checkout(replayed=placed["replayed"])
    purchase = _purchase(placed["id"])
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
                    **serialize.page_meta(page, keep=("per_page",))})


@bp.get("/orders/<id:purchase_id>")
@token_required
def order(purchase_id: int):
    purchase = _purchase(purchase_id)
    if purchase is None:
        raise ApiError(404, "You have no order with this id.", "not_found")
    return jsonify(serialize.purchase(purchase))


def _purchase(purchase_id: int) -> dict | None:
    """The caller's purchase with what they may do with each order now."""
    purchase = orders.purchase_for_buyer(g.api_user_id, purchase_id)
    if purchase is not None:
        orders.with_actions(purchase["orders"], "buyer", current_app.config["RETURN_WINDOW_DAYS"])
    return purchase


def _moved(order_id: int, move, created: bool = False):
    """Run a transition of one of the caller's orders: 404 when it is not
    theirs, 409 when the state does not allow it; else the order now."""
    try:
        outcome = move()
    except order_state.OrderNotFound:
        raise ApiError(404, "You have no order with this id.", "not_found") from None
    except order_state.TransitionRefused as exc:
        raise ApiError(409, exc.message, "not_allowed") from None
    order = orders.order_for_buyer(g.api_user_id, order_id)
    orders.with_actions([order], "buyer", current_app.config["RETURN_WINDOW_DAYS"])
    response = jsonify({"done": outcome.done, "message": outcome.message,
                        "order": serialize.seller_order(order)})
    response.status_code = 201 if created and outcome.done else 200
    return response


@bp.post("/seller-orders/<id:order_id>/cancel")
@token_required
def cancel(order_id: int):
    return _moved(order_id, lambda: order_state.cancel(g.api_user_id, order_id))


@bp.post("/seller-orders/<id:order_id>/returns")
@token_required
def request_return(order_id: int):
    quantities, reason = validation.return_request(validation.json_body(request))
    return _moved(order_id, lambda: order_return.request_return(
        g.api_user_id, order_id, quantities, reason, current_app.config["RETURN_WINDOW_DAYS"]), created=True)
