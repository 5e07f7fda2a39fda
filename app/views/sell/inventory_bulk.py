"""Bulk changes from the inventory page (/sell/inventory/bulk): the ticked
offers, or all that match the page's search, get a new price, stock or stop
selling: a preview first, then one transaction (app/models/offer_bulk.py).
Works without script: the inventory table's boxes belong to the bulk form
through their form attribute."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...forms.fields import MAX_QUERY, clean_text
from ...forms.sell import BULK_ACTIONS, BulkChangeForm
from ...models import offer_bulk
from ...models import product as products
from ...pagination import MAX_PAGE, is_small_int
from ..helpers import guard_seller_pages
from .inventory import inventory_page

bp = Blueprint("sell_inventory_bulk", __name__, url_prefix="/sell/inventory/bulk")
MAX_TICKED = 1_000
CHANGED = ("These offers changed since the preview (a sale or another edit). Here is the new preview: "
           "check it and apply again.")

guard_seller_pages(bp)


def _choice(form: BulkChangeForm):
    """(offer ids or None for the whole search, search words, error)."""
    search = clean_text(form.q.data or "")[:MAX_QUERY]
    words = products.keywords(search)
    if form.scope.data == "search":
        if search and not words:
            return [], words, "The search matches no offer."
        return None, words, None
    ticked = request.form.getlist("offer")[:MAX_TICKED + 1]
    if not ticked:
        return [], words, "Tick the offers to change, or choose “all offers matching the search”."
    if len(ticked) > MAX_TICKED or not all(is_small_int(n, 18) for n in ticked):
        return [], words, f"Tick at most {MAX_TICKED:,} offers."
    return sorted({int(n) for n in ticked}), (), None


def _preview_page(form, ids, words, status=200, message=None):
    result = offer_bulk.preview(current_user.id, form.action.data, form.value.number, ids, words)
    form.fingerprint.data = result["fingerprint"]
    return render_template("sell/inventory/bulk.html", form=form, result=result, ids=ids or [],
                           message=message, actions=dict(BULK_ACTIONS)), status


def _back(form):
    return redirect(url_for("sell_inventory.index", q=clean_text(form.q.data or "") or None))


def _refused(form, errors: list[str]):
    """The inventory page again (same page and search) with the change as it
    was sent: its boxes still ticked, its action and value, and why not."""
    number = request.form.get("page", "")
    ticked = frozenset(int(n) for n in request.form.getlist("offer")[:MAX_TICKED] if is_small_int(n, 18))
    bulk = {"scope": form.scope.data, "action": form.action.data, "value": form.value.data or "",
            "errors": errors}
    return inventory_page(int(number) if is_small_int(number) and 1 <= int(number) <= MAX_PAGE else 1,
                          clean_text(form.q.data or "")[:MAX_QUERY], bulk, ticked, 400)


@bp.route("", methods=["POST"])
def preview():
    form = BulkChangeForm()
    ids, words, error = _choice(form)
    if not form.validate_on_submit() or error:
        messages = [error, *[message for errors in form.errors.values() for message in errors]]
        return _refused(form, [message for message in messages if message])
    return _preview_page(form, ids, words)


@bp.route("/apply", methods=["POST"])
def apply():
    form = BulkChangeForm()
    ids, words, error = _choice(form)
    if not form.validate_on_submit() or error:
        flash(error or "The change could not be read: choose it again.", "error")
        return _back(form)
    try:
        changed = offer_bulk.apply(current_user.id, form.action.data, form.value.number, ids, words,
                                   form.fingerprint.data or "")
    except offer_bulk.SelectionChanged:
        return _preview_page(form, ids, words, 409, CHANGED)
    flash(f"{changed:,} offer{'s' if changed != 1 else ''} changed.", "success")
    return _back(form)
