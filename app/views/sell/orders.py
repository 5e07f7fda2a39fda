"""The seller's orders from all purchases, and fulfilment."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ...models import order as orders
from ...pagination import page_arg, paginate
from ..helpers import safe_next

bp = Blueprint("sell_orders", __name__, url_prefix="/sell/orders")
PER_PAGE = 20
STATUSES = {"all": "All orders", "open": "Open", "fulfilled": "Fulfilled"}


@bp.before_request
@login_required
def require_login():
    """Only the seller sees and fulfils their orders."""


@bp.route("")
def index():
    status = request.args.get("status", "all")
    if status not in STATUSES:
        abort(400, description="The status filter must be one of: " + ", ".join(STATUSES) + ".")
    number = page_arg()
    rows = orders.orders_for_seller(current_user.id, status, number, PER_PAGE)
    return render_template("sell/orders.html", page=paginate(rows, number, PER_PAGE),
                           status=status, statuses=STATUSES)


def _after_fulfil(result: dict | None, what: str):
    if result is None:
        abort(404, description=f"You have no such {what}.")
    if result["order_fulfilled"]:
        flash(f"Order #{result['order_id']} is fulfilled: the buyer can see it.", "success")
    elif result["line_fulfilled"]:
        flash(f"Line marked fulfilled; order #{result['order_id']} still has open lines.", "success")
    else:
        flash("That was already fulfilled.", "info")
    return redirect(safe_next(request.form.get("next")) or url_for(".index"))


@bp.route("/lines/<id:line_id>/fulfil", methods=["POST"])
def fulfil_line(line_id: int):
    return _after_fulfil(orders.fulfil_line(current_user.id, line_id), "order line")


@bp.route("/<id:order_id>/fulfil", methods=["POST"])
def fulfil_order(order_id: int):
    return _after_fulfil(orders.fulfil_order(current_user.id, order_id), "order")
