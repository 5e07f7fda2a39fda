"""The address book (/account/addresses): add, edit, delete, choose the
default. Checkout offers these addresses and copies the chosen one onto
each order."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ...forms.orders import AddressForm
from ...models import address as addresses
from ..helpers import safe_next

bp = Blueprint("account_addresses", __name__, url_prefix="/account/addresses")


@bp.before_request
@login_required
def require_login():
    """Each user sees and changes only their own addresses."""


def _book(form=None, status: int = 200):
    return render_template("account/addresses.html", addresses=addresses.addresses_of(current_user.id),
                           form=form or AddressForm(formdata=None), limit=addresses.MAX_ADDRESSES,
                           next=safe_next(request.values.get("next"))), status


@bp.route("")
def index():
    return _book()


@bp.route("", methods=["POST"])
def add():
    form = AddressForm()
    if not form.validate():
        return _book(form, 400)
    try:
        addresses.add_address(current_user.id, form.recipient.data, form.address.data, form.make_default.data)
    except addresses.AddressBookFull:
        form.address.errors.append(f"You have {addresses.MAX_ADDRESSES} addresses, the most there can be; "
                                   "delete one first.")
        return _book(form, 400)
    flash("Address added.", "success")
    return redirect(safe_next(request.form.get("next")) or url_for(".index"))


@bp.route("/<id:address_id>/edit", methods=["GET", "POST"])
def edit(address_id: int):
    row = addresses.address_of(current_user.id, address_id)
    if row is None:
        abort(404, description="You have no such address.")
    form = AddressForm(data={"recipient": row["recipient"], "address": row["address"],
                             "make_default": row["is_default"]})
    if request.method == "POST" and form.validate():
        if not addresses.update_address(current_user.id, address_id, form.recipient.data, form.address.data,
                                        form.make_default.data):
            abort(404, description="You have no such address.")
        flash("Address saved. Orders already placed keep the address they were sent to.", "success")
        return redirect(url_for(".index"))
    return render_template("account/address_edit.html", form=form, address=row), 400 if form.errors else 200


@bp.route("/<id:address_id>/delete", methods=["POST"])
def delete(address_id: int):
    if not addresses.delete_address(current_user.id, address_id):
        abort(404, description="You have no such address.")
    flash("Address deleted.", "success")
    return redirect(url_for(".index"))


@bp.route("/<id:address_id>/default", methods=["POST"])
def make_default(address_id: int):
    row = addresses.address_of(current_user.id, address_id)
    if row is None or not addresses.update_address(current_user.id, address_id, row["recipient"],
                                                   row["address"], True):
        abort(404, description="You have no such address.")
    flash("That is now your default address.", "success")
    return redirect(url_for(".index"))
