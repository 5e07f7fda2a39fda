"""A buyer's purchase history and purchase pages."""
from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from ..forms.purchases import PurchaseFiltersForm
from ..models import order as orders
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
    form.seller.choices = [("", "All sellers")] + [(str(s["id"]), s["name"]) for s in sellers]
    if not form.validate():
        return render_template("purchases/history.html", form=form, purchases=None), 400
    number = page_arg()
    rows = orders.purchases_for_buyer(current_user.id, number, PER_PAGE, since=_start_of(form.since.data),
                                      before=_end_of(form.until.data), seller_id=form.seller_id,
                                      keyword=form.q.data or None)
    return render_template("purchases/history.html", form=form, purchases=paginate(rows, number, PER_PAGE))


@bp.route("/<id:purchase_id>")
def detail(purchase_id: int):
    purchase = orders.purchase_for_buyer(current_user.id, purchase_id)
    if purchase is None:
        abort(404, description="You have no purchase with this number.")
    return render_template("purchases/detail.html", purchase=purchase)
