"""The cart: add, change, remove (checkout is app/views/checkout.py)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

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


@bp.route("/add", methods=["POST"])
def add():
    form = CartLineForm()
    valid = form.validate_on_submit()
    back = safe_next(form.next.data) or _product_page(form.offer_id.number)
    if not current_user.is_authenticated:
        flash("Log in to add items to your cart.", "info")
        return redirect(url_for("auth.login", next=back or url_for("main.home")))
    if not valid:
        flash(f"Not added to your cart: {_first_error(form)}", "error")
        return redirect(back or url_for(".show"))
    try:
        line = carts.add_to_cart(current_user.id, form.offer_id.number, form.quantity.number)
    except carts.CartError as exc:
        flash(f"Not added to your cart: {exc.message}", "error")
        return redirect(back or url_for(".show"))
    flash(f"Added {form.quantity.number} × {line['product_name']} to your cart "
          f"({line['quantity']} in it now).", "success")
    return redirect(back or url_for(".show"))


@bp.route("/add", methods=["GET"])
def add_as_guest():
    """A guest's "Add to cart" (a GET form: see catalog/_macros.html): log in,
    then back to the page the guest was on. Changes nothing."""
    raw_offer = request.args.get("offer_id", "")
    offer_id = int(raw_offer) if is_small_int(raw_offer) else None
    back = safe_next(request.args.get("next")) or _product_page(offer_id)
    if current_user.is_authenticated:
        return redirect(back or url_for(".show"))
    flash("Log in to add items to your cart.", "info")
    return redirect(url_for("auth.login", next=back or url_for("main.home")))


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
        return _cart_page({form.offer_id.number: exc.message}, 400)
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
