"""The cart: add, change, remove (checkout is app/views/checkout.py)."""
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, user_logged_in

from ..forms.cart import CartLineForm, RemoveLineForm
from ..models import cart as carts
from ..pagination import is_small_int
from .helpers import safe_next

bp = Blueprint("cart", __name__, url_prefix="/cart")


@bp.app_context_processor
def cart_count():
    """"Cart (n)" in every page's header, read with the session user (see
    user.load_session_user): no query of its own."""
    if not current_user.is_authenticated:
        return {}
    return {"cart_count": current_user.cart_units}


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


def _product_page(offer_id: int | None) -> str | None:
    product_id = carts.product_of_offer(offer_id) if offer_id else None
    return url_for("catalog.product", product_id=product_id) if product_id else None


# A guest's "Add to cart" waits in their session under this key until they
# log in or register, then lands in their cart (see add_pending). The session
# is a signed cookie, so it holds only the last few adds.
PENDING_ADD = "pending_cart_add"
MAX_PENDING = 10


def _add(offer_id: int, quantity: int) -> None:
    """Add to the current user's cart and say what happened."""
    try:
        line = carts.add_to_cart(current_user.id, offer_id, quantity)
    except carts.CartError as exc:
        flash(f"Not added to your cart: {exc.message}", "error")
        return
    flash(f"Added {quantity} × {line['product_name']} to your cart ({line['quantity']} in it now).",
          "success")


@bp.route("/add", methods=["POST"])
def add():
    form = CartLineForm()
    valid = form.validate_on_submit()
    back = safe_next(form.next.data) or _product_page(form.offer_id.number)
    if not current_user.is_authenticated:
        if valid:
            _keep_pending(form.offer_id.number, form.quantity.number)
        else:
            flash("Log in to add items to your cart.", "info")
        return redirect(url_for("auth.login", next=back or url_for("main.home")))
    if not valid:
        flash(f"Not added to your cart: {_first_error(form)}", "error")
        return redirect(back or url_for(".show"))
    _add(form.offer_id.number, form.quantity.number)
    return redirect(back or url_for(".show"))


@bp.route("/add", methods=["GET"])
def add_as_guest():
    """A guest's "Add to cart" (a GET form, so guests' pages carry no CSRF
    token and can be cached: see catalog/_macros.html). The add waits in the
    session for the log-in (see add_pending); then the guest is back on the
    page they were on. Nothing else changes."""
    raw_offer, raw_quantity = request.args.get("offer_id", ""), request.args.get("quantity", "1")
    offer_id = int(raw_offer) if is_small_int(raw_offer) else None
    back = safe_next(request.args.get("next")) or _product_page(offer_id)
    if current_user.is_authenticated:
        return redirect(back or url_for(".show"))
    if offer_id and is_small_int(raw_quantity) and 1 <= int(raw_quantity) <= carts.MAX_LINE_QUANTITY:
        _keep_pending(offer_id, int(raw_quantity))
    else:
        flash("Log in to add items to your cart.", "info")
    return redirect(url_for("auth.login", next=back or url_for("main.home")))


def _keep_pending(offer_id: int, quantity: int) -> None:
    pending = session.get(PENDING_ADD) or []
    session[PENDING_ADD] = [*pending, [offer_id, quantity]][-MAX_PENDING:]
    flash("Log in or create an account, and it goes into your cart.", "info")


@user_logged_in.connect
def add_pending(app, user, **_):
    """Log-in and registration both end in login_user: the adds a guest made
    before are done now, by the same rules as any add."""
    for offer_id, quantity in session.pop(PENDING_ADD, None) or []:
        _add(offer_id, quantity)


def _cart_page(errors: dict | None = None, status: int = 200):
    return render_template("cart/cart.html", cart=carts.cart_summary(current_user.id),
                           errors=errors or {}), status


@bp.route("")
@login_required
def show():
    return _cart_page()


@bp.route("/update", methods=["POST"])
@login_required
def update():
    form = CartLineForm()
    if not form.validate_on_submit():
        return _cart_page({form.offer_id.number: _first_error(form)}, 400)
    try:
        changed = carts.set_quantity(current_user.id, form.offer_id.number, form.quantity.number)
    except carts.CartError as exc:
        return _cart_page({form.offer_id.number: f"Quantity not changed: {exc.message}"}, 400)
    if not changed:
        return _cart_page({None: "That line is not in your cart any more."}, 404)
    flash("Quantity changed.", "success")
    return redirect(url_for(".show"))


@bp.route("/remove", methods=["POST"])
@login_required
def remove():
    form = RemoveLineForm()
    if not form.validate_on_submit() or not carts.remove_line(current_user.id, form.offer_id.number):
        return _cart_page({None: "That line is not in your cart any more."}, 404)
    flash("Removed from your cart.", "success")
    return redirect(url_for(".show"))
