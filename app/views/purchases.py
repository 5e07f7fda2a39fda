"""A buyer's purchase history and purchase pages, and what the buyer may do
with each seller's order: cancel it before it ships, confirm it arrived,
ask to return units of it (models/order_state.py, models/order_return.py)."""
from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..forms.orders import ReturnForm, return_quantities
from ..forms.purchases import PurchaseFiltersForm
from ..models import order as orders
from ..models import order_return, order_state
from ..pagination import page_arg, paginate
from ..templating import viewer_zone

bp = Blueprint("purchases", __name__, url_prefix="/purchases")
PER_PAGE = 20


@bp.before_request
@login_required
def require_login():
    """Purchases are private to their buyer."""


# Days are the buyer's days: they start at midnight in their time zone.
def _start_of(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min, viewer_zone()) if day else None


def _end_of(day: date | None) -> datetime | None:
    """The moment after `day` ends (None when unbounded)."""
    if day is None or day == date.max:
        return None
    return datetime.combine(day + timedelta(days=1), time.min, viewer_zone())


@bp.route("/")
def history():
    form = PurchaseFiltersForm(request.args)
    sellers = orders.sellers_of_buyer(current_user.id)
    form.seller.choices = [SelectChoice("", "All sellers")] + [SelectChoice(str(s["id"]), s["name"])
                                                               for s in sellers]
    if not form.validate():
        return render_template("purchases/history.html", form=form, purchases=None), 400
    number = page_arg()
    rows = orders.purchases_for_buyer(current_user.id, number, PER_PAGE, since=_start_of(form.since.data),
                                      before=_end_of(form.until.data), seller_id=form.seller_id,
                                      keyword=form.q.data or None, state=form.state.data or None)
    return render_template("purchases/history.html", form=form, purchases=paginate(rows, number, PER_PAGE))


@bp.route("/<id:purchase_id>")
def detail(purchase_id: int):
    return _detail_page(purchase_id)


def _detail_page(purchase_id: int, refusal: str | None = None, status: int = 200):
    purchase = orders.purchase_for_buyer(current_user.id, purchase_id)
    if purchase is None:
        abort(404, description="You have no purchase with this number.")
    orders.with_actions(purchase["orders"], "buyer", current_app.config["RETURN_WINDOW_DAYS"])
    return render_template("purchases/detail.html", purchase=purchase, refusal=refusal), status


def _order_action(order_id: int, move):
    """Run a transition of one of the buyer's orders; back to its purchase
    with what happened (409 and the page when it is not allowed now)."""
    purchase_id = orders.purchase_of_order(current_user.id, order_id)
    if purchase_id is None:
        abort(404, description="You have no order with this number.")
    try:
        outcome = move()
    except order_state.OrderNotFound:
        abort(404, description="You have no order with this number.")
    except order_state.TransitionRefused as exc:
        return _detail_page(purchase_id, exc.message, 409)
    flash(outcome.message, "success" if outcome.done else "info")
    return redirect(url_for(".detail", purchase_id=purchase_id, _anchor=f"order-{order_id}"))


@bp.route("/orders/<id:order_id>/cancel", methods=["POST"])
def cancel(order_id: int):
    return _order_action(order_id, lambda: order_state.cancel(current_user.id, order_id))


@bp.route("/orders/<id:order_id>/confirm", methods=["POST"])
def confirm(order_id: int):
    return _order_action(order_id, lambda: order_state.confirm_delivery(current_user.id, order_id))


@bp.route("/orders/<id:order_id>/return", methods=["GET", "POST"])
def request_return(order_id: int):
    order = orders.order_for_buyer(current_user.id, order_id)
    if order is None:
        abort(404, description="You have no order with this number.")
    window = current_app.config["RETURN_WINDOW_DAYS"]
    form = ReturnForm()
    lines = [line for line in order["lines"] if line["net"] > 0]
    if order["state"] != order_state.RULES["request_return"][0]:
        refusal = order_state.refusal("request_return", order_id, order["state"])
        return _detail_page(order["purchase_id"], refusal, 409)
    if request.method == "GET":
        return render_template("purchases/return.html", order=order, lines=lines, form=form, values={},
                               errors={})
    quantities, errors = return_quantities(request.form, lines)
    if form.validate() and not errors:
        return _order_action(order_id, lambda: order_return.request_return(
            current_user.id, order_id, quantities, form.reason.data, window))
    return render_template("purchases/return.html", order=order, lines=lines, form=form,
                           values=request.form, errors=errors), 400
