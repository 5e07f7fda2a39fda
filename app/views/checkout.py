"""Checkout: review the cart, then place the order (one purchase, one order
per seller) in one transaction, app/models/checkout.py."""
import secrets

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..forms.cart import CheckoutForm
from ..metrics import count_checkout
from ..models import cart as carts
from ..models import checkout

bp = Blueprint("checkout", __name__, url_prefix="/checkout")


@bp.before_request
@login_required
def require_login():
    """Only a logged-in shopper checks out their own cart."""


def _review_page(problems: list | None = None, status: int = 200):
    summary = carts.cart_summary(current_user.id)
    # A fresh key for every showing of the page; a failed attempt bought nothing.
    form = CheckoutForm(formdata=None, data={"idempotency_key": secrets.token_urlsafe(18)})
    return render_template("checkout/review.html", cart=summary, form=form, problems=problems or []), status


@bp.route("")
def review():
    return _review_page()


@bp.route("", methods=["POST"])
def place_order():
    form = CheckoutForm()
    if not form.validate_on_submit():
        problem = {"offer_id": None, "product_name": None, "reason": "bad_form",
                   "message": "The order form was incomplete. Review your order and place it again."}
        return _review_page([problem], 400)
    try:
        purchase = checkout.place_order(current_user.id, form.idempotency_key.data)
    except checkout.CheckoutFailed as exc:
        count_checkout(exc.problems)
        return _review_page(exc.problems, 409)
    count_checkout(replayed=purchase["replayed"])
    if purchase["replayed"]:
        flash(f"This order was already placed (purchase #{purchase['id']}); you were not charged again.",
              "info")
    else:
        flash(f"Thank you! Your order is placed: {purchase['total']:,.2f} paid.", "success")
    return redirect(url_for("purchases.detail", purchase_id=purchase["id"]))
