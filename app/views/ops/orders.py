"""/ops/orders: find an order by its number, or a user's orders (as buyer
and as seller) by their email; an order's page, where an operator settles
a dispute by refunding lines, the shipping fee or everything left
(models/order_dispute.py)."""
from flask import abort, flash, redirect, render_template, request, url_for

from ...forms.fields import MAX_QUERY, clean_text
from ...forms.ops import RefundForm, refund_quantities
from ...ids import MAX_ID
from ...models import audit, moderation, order_dispute, order_state
from ...models import order as orders
from ...pagination import page_arg, paginate
from . import actor, console_blueprint

bp = console_blueprint("orders", "/orders")
PER_PAGE = 25


@bp.route("/")
def index():
    text, number = clean_text(request.args.get("q", "")), page_arg()
    if len(text) > MAX_QUERY:
        return render_template("ops/orders.html", search=text[:MAX_QUERY], page=None,
                               error=f"Search for at most {MAX_QUERY} characters."), 400
    digits = text.lstrip("#")
    order_id = int(digits) if digits.isascii() and digits.isdigit() and int(digits) <= MAX_ID else None
    user = moderation.user_by_email(text) if text and order_id is None else None
    if text and order_id is None and user is None:
        return render_template("ops/orders.html", search=text, page=None,
                               error="No order has that number and no user that email."), 404
    rows = moderation.find_orders(order_id, user["id"] if user else None, number, PER_PAGE) if text else []
    page = paginate(rows, number, PER_PAGE) if text else None
    return render_template("ops/orders.html", search=text, page=page, error=None, user=user)


def _order_page(order_id: int, form: RefundForm | None = None, errors: dict | None = None,
                refusal: str | None = None, status: int = 200):
    order = orders.order_for_console(order_id)
    if order is None:
        abort(404, description="There is no order with this number.")
    form = form or RefundForm(formdata=None)
    form.key.data = order_dispute.new_key()  # a fresh key for each showing
    return render_template("ops/order.html", order=order, form=form, errors=errors or {},
                           values=request.form if request.method == "POST" else {}, refusal=refusal,
                           left=order_dispute.refundable(order),
                           history=audit.for_subject("order", order_id)), status


@bp.route("/<id:order_id>")
def show(order_id: int):
    return _order_page(order_id)


@bp.route("/<id:order_id>/refund", methods=["POST"])
def refund(order_id: int):
    """Refund the units typed per line, the shipping fee if ticked; shipped
    units go back in stock unless written off."""
    form = RefundForm()
    quantities, errors = refund_quantities(request.form)
    if not form.validate() or errors:
        return _order_page(order_id, form, errors, status=400)
    return _refund(order_id, form, quantities, form.shipping.data)


@bp.route("/<id:order_id>/refund-all", methods=["POST"])
def refund_all(order_id: int):
    """Refund everything still refundable: every unit left and the shipping fee."""
    form = RefundForm()
    if not form.validate():
        return _order_page(order_id, form, status=400)
    order = orders.order_for_console(order_id)
    if order is None:
        abort(404, description="There is no order with this number.")
    units = {line_id: n for line_id, n in order_dispute.refundable(order)["units"].items() if n}
    return _refund(order_id, form, units, True)


def _refund(order_id: int, form: RefundForm, quantities: dict[int, int], shipping: bool):
    try:
        outcome = order_dispute.refund(actor(), order_id, quantities, shipping, form.reason.data,
                                       form.key.data, form.write_off.data)
    except order_state.OrderNotFound:
        abort(404, description="There is no order with this number.")
    except order_state.TransitionRefused as exc:
        return _order_page(order_id, form, refusal=exc.message, status=409)
    flash(outcome.message, "success" if outcome.done else "info")
    return redirect(url_for(".show", order_id=order_id))
