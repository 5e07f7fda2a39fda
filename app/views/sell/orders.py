"""The seller's orders from all purchases, by state, and each order's page
with the moves the seller may make now (models/order_state.py): ship with
carrier and tracking, mark delivered, cancel the order or single lines,
accept or refuse a return."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ...forms.orders import ShipForm
from ...models import order as orders
from ...models import order_return, order_state
from ...pagination import page_arg, paginate

bp = Blueprint("sell_orders", __name__, url_prefix="/sell/orders")
PER_PAGE = 20
STATUSES = {"placed": "To ship", "all": "All orders", "shipped": "Shipped", "delivered": "Delivered",
            "cancelled": "Cancelled", "returns": "Returns to answer"}
# The orders page opens on what is left to do: the orders to ship.
DEFAULT_STATUS = "placed"


@bp.before_request
@login_required
def require_login():
    """Only the seller sees their orders and moves them on."""


@bp.route("")
def index():
    status = request.args.get("status", DEFAULT_STATUS)
    if status not in STATUSES:
        abort(400, description="The status filter must be one of: " + ", ".join(STATUSES) + ".")
    number = page_arg()
    rows = orders.orders_for_seller(current_user.id, status, number, PER_PAGE)
    return render_template("sell/orders.html", page=paginate(rows, number, PER_PAGE),
                           status=status, statuses=STATUSES, default_status=DEFAULT_STATUS)


def _order_page(order_id: int, refusal: str | None = None, ship_form=None, status: int = 200):
    order = orders.order_for_seller(current_user.id, order_id)
    if order is None:
        abort(404, description="You have no order with this number.")
    actions = orders.with_actions([order], "seller", current_app.config["RETURN_WINDOW_DAYS"])[0]["actions"]
    return render_template("sell/order.html", order=order, actions=actions, refusal=refusal,
                           ship_form=ship_form or ShipForm(formdata=None)), status


@bp.route("/<id:order_id>")
def order(order_id: int):
    return _order_page(order_id)


def _act(order_id: int | None, move):
    """Run a transition; back to the order page with what happened (409
    and the page with the reason when it is not allowed now)."""
    if order_id is None:
        abort(404, description="You have no such return request.")
    try:
        outcome = move()
    except order_state.OrderNotFound:
        abort(404, description="You have no order with this number.")
    except order_state.TransitionRefused as exc:
        return _order_page(order_id, exc.message, status=409)
    flash(outcome.message, "success" if outcome.done else "info")
    return redirect(url_for(".order", order_id=order_id))


@bp.route("/<id:order_id>/ship", methods=["POST"])
def ship(order_id: int):
    form = ShipForm()
    if not form.validate():
        if orders.order_for_seller(current_user.id, order_id) is None:
            abort(404, description="You have no order with this number.")
        return _order_page(order_id, ship_form=form, status=400)
    return _act(order_id, lambda: order_state.ship(current_user.id, order_id, form.carrier.data,
                                                   form.tracking.data))


@bp.route("/<id:order_id>/deliver", methods=["POST"])
def deliver(order_id: int):
    return _act(order_id, lambda: order_state.deliver(current_user.id, order_id))


@bp.route("/<id:order_id>/cancel", methods=["POST"])
def cancel(order_id: int):
    return _act(order_id, lambda: order_state.seller_cancel(current_user.id, order_id))


@bp.route("/<id:order_id>/lines/<id:line_id>/cancel", methods=["POST"])
def cancel_line(order_id: int, line_id: int):
    return _act(order_id, lambda: order_state.cancel_lines(current_user.id, order_id, [line_id]))


@bp.route("/returns/<id:return_id>/accept", methods=["POST"])
def accept_return(return_id: int):
    return _act(orders.order_of_return(current_user.id, return_id),
                lambda: order_return.accept_return(current_user.id, return_id))


@bp.route("/returns/<id:return_id>/refuse", methods=["POST"])
def refuse_return(return_id: int):
    return _act(orders.order_of_return(current_user.id, return_id),
                lambda: order_return.refuse_return(current_user.id, return_id))
