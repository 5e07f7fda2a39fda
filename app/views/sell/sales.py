"""Flash sales: a seller's sales, and putting one of their offers on sale."""
from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ... import zones
from ...forms.sell import ConfirmForm, LiveSaleForm, SaleForm
from ...models import sale as sales
from ...pagination import page_arg, paginate
from ...templating import viewer_zone, when_text
from ..helpers import guard_seller_pages, search_arg

bp = Blueprint("sell_sales", __name__, url_prefix="/sell/sales")
PER_PAGE = 20


guard_seller_pages(bp)


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
    zone = viewer_zone()
    return {"starts_at": zones.input_text(now, zone),
            "ends_at": zones.input_text(now + timedelta(days=1), zone),
            "units": str(max(1, offer["quantity"] // 10)), "per_customer_limit": "1"}


def _check_all(form, offer_id: int, sale_id: int | None = None) -> bool:
    """Validate the form's own fields and the sale's rules in one round, so
    every error shows at once; True when there are none."""
    valid = form.validate_on_submit()
    if request.method != "POST":
        return False
    errors = sales.check_sale(current_user.id, offer_id, form.values(), when_text, sale_id)
    _report(form, errors)
    return valid and not errors


def _report(form, errors: dict) -> None:
    """Put a SaleRejected's (or check_sale's) errors on the form's fields;
    those of no field ("offer", "sale") go on form.form_errors."""
    for name, message in errors.items():
        field = form._fields.get(name)
        if field is None:
            form.form_errors.append(message)
        elif message not in field.errors:
            field.errors = [*field.errors, message]


@bp.route("/new/<id:offer_id>", methods=["GET", "POST"])
def new_sale(offer_id: int):
    offer = sales.offer_for_sale(current_user.id, offer_id)
    if offer is None:
        abort(404, description="You have no such offer.")
    form = SaleForm(data=_defaults(offer), zone=viewer_zone())
    if _check_all(form, offer_id):
        try:
            sales.create_sale(current_user.id, offer_id, **form.values(), show_time=when_text)
        except sales.SaleRejected as exc:
            _report(form, exc.errors)
        else:
            flash(f"Flash sale created for “{offer['product_name']}”.", "success")
            return redirect(url_for(".index"))
    status = 400 if request.method == "POST" else 200  # a POST that gets here was refused
    return render_template("sell/sales/new.html", form=form, offer=offer), status


def _sale_or_404(sale_id: int) -> dict:
    sale = sales.sale_of_seller(current_user.id, sale_id)
    if sale is None:
        abort(404, description="You have no such flash sale.")
    return sale


def _sale_values(sale: dict) -> dict:
    zone = viewer_zone()
    return {"sale_price": f"{sale['sale_price']:.2f}", "starts_at": zones.input_text(sale["starts_at"], zone),
            "ends_at": zones.input_text(sale["ends_at"], zone), "units": str(sale["units_total"]),
            "per_customer_limit": str(sale["per_customer_limit"]), "add_units": "0"}


@bp.route("/<id:sale_id>/edit", methods=["GET", "POST"])
def edit_sale(sale_id: int):
    sale = _sale_or_404(sale_id)
    if sale["status"] == "ended":
        flash("That flash sale has ended; it can no longer change.", "info")
        return redirect(url_for(".index"))
    live = sale["status"] == "live"
    form = (LiveSaleForm if live else SaleForm)(data=_sale_values(sale), zone=viewer_zone())
    try:
        if live and form.validate_on_submit():
            # The end as shown (to the minute) means "unchanged", not "a few seconds earlier".
            unchanged = form.ends_at.data.strip() == zones.input_text(sale["ends_at"], viewer_zone())
            sales.change_live_sale(current_user.id, sale_id, None if unchanged else form.ends_at.moment,
                                   form.add_units.number, show_time=when_text)
        elif live or not _check_all(form, sale["offer_id"], sale_id):
            return _edit_page(form, sale, live)
        else:
            sales.update_upcoming_sale(current_user.id, sale_id, form.values(), show_time=when_text)
    except sales.SaleRejected as exc:
        _report(form, exc.errors)
        return _edit_page(form, sale, live)
    except LookupError:
        abort(404, description="You have no such flash sale.")
    flash(f"Flash sale for “{sale['product_name']}” changed.", "success")
    return redirect(url_for(".index"))


def _edit_page(form, sale: dict, live: bool):
    status = 400 if request.method == "POST" else 200
    return render_template("sell/sales/edit.html", form=form, sale=sale, live=live), status


@bp.route("/<id:sale_id>/cancel", methods=["GET", "POST"])
def cancel_sale(sale_id: int):
    """GET asks for confirmation (a page, so it works without JavaScript);
    POST cancels."""
    sale = _sale_or_404(sale_id)
    form = ConfirmForm()
    if sale["status"] == "ended":
        flash("That flash sale has already ended.", "info")
        return redirect(url_for(".index"))
    if form.validate_on_submit():
        try:
            outcome = sales.cancel_sale(current_user.id, sale_id)
        except (sales.SaleRejected, LookupError):
            flash("That flash sale has already ended.", "info")
        else:
            flash(f"Flash sale for “{sale['product_name']}” "
                  + ("cancelled." if outcome == "deleted" else "ended now; what it sold stays sold."),
                  "success")
        return redirect(url_for(".index"))
    return render_template("sell/sales/cancel.html", form=form, sale=sale)
