"""Checkout: review the cart, then place the order (one purchase, one order
per seller) in one transaction, app/models/checkout.py."""
import secrets

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..forms.cart import CheckoutForm
from ..metrics import count_checkout
from ..models import address as addresses
from ..models import cart as carts
from ..models import checkout
from ..money import format_money

bp = Blueprint("checkout", __name__, url_prefix="/checkout")


@bp.before_request
@login_required
def require_login():
    """Only a logged-in shopper checks out their own cart."""


def _address_choices(form: CheckoutForm, book: list[dict]) -> None:
    form.address_id.choices = [SelectChoice(str(row["id"]), f"{row['recipient']}, {row['address']}")
                               for row in book]


def _review_page(problems: list | None = None, status: int = 200, sent: CheckoutForm | None = None):
    summary = carts.cart_summary(current_user.id)
    book = addresses.addresses_of(current_user.id)
    chosen = sent.chosen_address if sent else None
    if chosen not in [row["id"] for row in book]:
        chosen = book[0]["id"] if book else None  # the default comes first
    # A fresh key for every showing of the page; a failed attempt bought nothing.
    form = CheckoutForm(formdata=None, data={
        "idempotency_key": secrets.token_urlsafe(18), "address_id": str(chosen) if chosen else None,
        "total_seen": f"{summary['total']:.2f}",
        "recipient": sent.recipient.data if sent else current_user.full_name,
        "address": sent.address.data if sent else ""})
    if sent:
        form.recipient.errors, form.address.errors = sent.recipient.errors, sent.address.errors
    _address_choices(form, book)
    return render_template("checkout/review.html", cart=summary, form=form, problems=problems or [],
                           book=book), status


@bp.route("")
def review():
    return _review_page()


def _new_address(form: CheckoutForm) -> int | None:
    """A buyer with no address typed one into the checkout form: add it to
    their book. None (and errors on the form) when it is incomplete."""
    if not form.recipient.data:
        form.recipient.errors = ["Enter who receives the parcels."]
    if not form.address.data:
        form.address.errors = ["Enter the address to ship to."]
    if form.recipient.errors or form.address.errors:
        return None
    return addresses.add_address(current_user.id, form.recipient.data, form.address.data)


def _no_address(form: CheckoutForm):
    problem = {"offer_id": None, "product_name": None, "reason": "no_address",
               "message": "Add the address to ship to."}
    return _review_page([problem], 400, form)


@bp.route("", methods=["POST"])
def place_order():
    form = CheckoutForm()
    if not form.validate_on_submit():
        problem = {"offer_id": None, "product_name": None, "reason": "bad_form",
                   "message": "The order form was incomplete. Review your order and place it again."}
        return _review_page([problem], 400, form)
    address_id = form.chosen_address
    # Only a buyer without addresses is shown the fields to type one (the
    # others choose one, or get their default), so the book is read only
    # when they come back filled in.
    if (form.recipient.data or form.address.data) and not addresses.addresses_of(current_user.id):
        address_id = _new_address(form)
        if address_id is None:
            return _no_address(form)
    try:
        purchase = checkout.place_order(current_user.id, form.idempotency_key.data, address_id=address_id,
                                        total_seen=form.total_shown)
    except checkout.CheckoutFailed as exc:
        if address_id is None and exc.problems[0]["reason"] == "no_address":
            _new_address(form)  # nothing typed: names the fields to fill in
            return _no_address(form)
        count_checkout(exc.problems)
        return _review_page(exc.problems, 409, form)
    count_checkout(replayed=purchase["replayed"])
    if purchase["replayed"]:
        flash(f"This order was already placed (purchase #{purchase['id']}); you were not charged again.",
              "info")
    else:
        flash(f"Thank you! Your order is placed: {format_money(purchase['total'])} paid.", "success")
    return redirect(url_for("purchases.detail", purchase_id=purchase["id"]))
