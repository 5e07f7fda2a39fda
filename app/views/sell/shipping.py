"""The seller's shipping fee (/sell/shipping): a flat fee per order and a
free-shipping threshold, applied by the cart and checkout."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ...forms.orders import ShippingForm
from ...models import shipping

bp = Blueprint("sell_shipping", __name__, url_prefix="/sell/shipping")


@bp.before_request
@login_required
def require_login():
    """Each seller sets only their own fees."""


@bp.route("", methods=["GET", "POST"])
def settings():
    current = shipping.settings_of(current_user.id)
    form = ShippingForm(data={"fee": f"{current['fee']:.2f}",
                              "free_from": f"{current['free_from']:.2f}" if current["free_from"] else ""})
    if form.validate_on_submit():
        shipping.save_settings(current_user.id, form.fee.amount, form.free_from.amount)
        flash("Shipping saved: new orders pay it.", "success")
        return redirect(url_for(".settings"))
    return render_template("sell/shipping.html", form=form), 400 if form.errors else 200
