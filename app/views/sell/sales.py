"""Flash sales: a seller's sales, and putting one of their offers on sale."""
from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ...forms.fields import DATETIME_FORMATS
from ...forms.sell import SaleForm
from ...models import sale as sales
from ...pagination import page_arg, paginate
from ..helpers import refuse_if_suspended, search_arg

bp = Blueprint("sell_sales", __name__, url_prefix="/sell/sales")
PER_PAGE = 20


@bp.before_request
@login_required
def require_login():
    """Sellers manage only their own sales."""


@bp.before_request
def refuse_suspended_sellers():
    """A suspended seller may look at their list, nothing more."""
    if request.endpoint != f"{bp.name}.index":
        refuse_if_suspended("sell")


@bp.route("/")
def index():
    number = page_arg()
    rows = sales.sales_for_seller(current_user.id, number, PER_PAGE)
    return render_template("sell/sales/index.html", page=paginate(rows, number, PER_PAGE))


@bp.route("/new")
def choose_offer():
    search, number = search_arg(), page_arg()
    rows = sales.offers_to_put_on_sale(current_user.id, search, number, PER_PAGE)
    return render_template("sell/sales/choose.html", page=paginate(rows, number, PER_PAGE), search=search)


def _defaults(offer: dict) -> dict:
    """A sale starting now for a day, a tenth of the stock, one per customer."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return {"starts_at": now.strftime(DATETIME_FORMATS[0]),
            "ends_at": (now + timedelta(days=1)).strftime(DATETIME_FORMATS[0]),
            "units": str(max(1, offer["quantity"] // 10)), "per_customer_limit": "1"}


@bp.route("/new/<id:offer_id>", methods=["GET", "POST"])
def new_sale(offer_id: int):
    offer = sales.offer_for_sale(current_user.id, offer_id)
    if offer is None:
        abort(404, description="You have no such offer.")
    form = SaleForm(data=_defaults(offer))
    offer_error = None
    if form.validate_on_submit():
        try:
            sales.create_sale(current_user.id, offer_id, form.sale_price.amount, form.starts_at.moment,
                              form.ends_at.moment, form.units.number, form.per_customer_limit.number)
        except sales.SaleRejected as exc:
            offer_error = exc.errors.pop("offer", None)
            for name, message in exc.errors.items():
                form[name].errors.append(message)
        else:
            flash(f"Flash sale created for “{offer['product_name']}”.", "success")
            return redirect(url_for(".index"))
    status = 400 if request.method == "POST" else 200  # a POST that gets here was refused
    return render_template("sell/sales/new.html", form=form, offer=offer, offer_error=offer_error), status
