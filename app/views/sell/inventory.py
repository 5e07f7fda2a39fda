"""The seller's inventory (/sell/inventory): a new product with its offer,
"sell one like this" on any product, change an offer's price and stock,
stop selling."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...forms.catalog import category_choices
from ...forms.fields import MAX_QUERY, clean_text
from ...forms.sell import BULK_ACTIONS, NewProductForm, OfferEditForm, OfferForm
from ...models import category as categories
from ...models import offer as offers
from ...models import photo as photos
from ...models import product as products
from ...money import format_money
from ...pagination import MAX_PAGE, is_small_int, page_arg, paginate
from ..helpers import guard_seller_pages, search_arg

bp = Blueprint("sell_inventory", __name__, url_prefix="/sell/inventory")
PER_PAGE = 20


guard_seller_pages(bp)


@bp.route("/new", methods=["GET", "POST"])
def new_product():
    form = NewProductForm()
    form.category.choices = category_choices(categories.all_categories())
    valid, same_name = form.validate_on_submit(), []
    if valid and not form.insist.data:
        # A product of that name in the category: offer to sell one like it.
        same_name = products.same_name_in_category(form.category.category_id, form.name.data)
    if valid and not same_name:
        product_id = products.create_product_with_offer(
            current_user.id, form.category.category_id, form.name.data, form.description.data or "",
            form.price.amount, form.quantity.number)
        flash("Your product is on sale.", "success")
        return redirect(url_for("catalog.product", product_id=product_id))
    return render_template("sell/inventory/new.html", form=form, same_name=same_name), \
        400 if form.errors else 409 if same_name else 200


def _offer_values(offer: dict) -> dict:
    """An offer's price and stock as an offer form shows them."""
    return {"price": f"{offer['price']:.2f}", "quantity": str(offer["quantity"])}


@bp.route("/new/<id:product_id>", methods=["GET", "POST"])
def sell_like_this(product_id: int):
    product = products.product_details(product_id, current_user.id)
    if product is None:
        abort(404, description="There is no such product.")
    mine = offers.seller_offer_for_product(current_user.id, product_id)
    form = OfferForm(data=_offer_values(mine) if mine else None)
    if form.validate_on_submit():
        created = offers.save_offer(current_user.id, product_id, form.price.amount, form.quantity.number)
        flash("You now sell this product." if created else "Your offer is updated.", "success")
        return redirect(url_for("catalog.product", product_id=product_id))
    return render_template("sell/inventory/sell.html", form=form, product=product, mine=mine,
                           photos=photos.product_photos(product_id)), \
        400 if form.errors else 200


@bp.route("")
def index():
    return inventory_page(page_arg(), search_arg())


def inventory_page(number: int, search: str, bulk: dict | None = None, ticked: frozenset = frozenset(),
                   status: int = 200):
    """The inventory page; `bulk` (scope, action, value, errors) and the
    `ticked` offer ids give a refused bulk change back as it was sent."""
    words = products.keywords(search)
    # A search made only of punctuation has no words: it matches nothing.
    if search and not words:
        page = paginate([], number, PER_PAGE, (0, True))
    else:
        page = paginate(offers.inventory(current_user.id, words, number, PER_PAGE), number, PER_PAGE,
                        offers.count_inventory(current_user.id, words))
    return render_template("sell/inventory/index.html", page=page, search=search, bulk_actions=BULK_ACTIONS,
                           bulk=bulk or {}, ticked=ticked), status


def _offer_or_404(offer_id: int) -> dict:
    offer = offers.offer_of_seller(offer_id, current_user.id)
    if offer is None:
        abort(404, description="You have no such offer.")
    return offer


def _back_to_inventory() -> str:
    """The inventory page the form or link came from (its page and search,
    sent along as return_page and return_q), else the first page."""
    number = request.values.get("return_page", "")
    search = clean_text(request.values.get("return_q", ""))[:MAX_QUERY]
    page = int(number) if is_small_int(number) and 1 < int(number) <= MAX_PAGE else None
    return url_for(".index", page=page, q=search or None)


@bp.route("/<id:offer_id>/edit", methods=["GET", "POST"])
def edit_offer(offer_id: int):
    offer = _offer_or_404(offer_id)
    form = OfferEditForm(data={**_offer_values(offer), "quantity_seen": str(offer["quantity"])})
    if form.validate_on_submit():
        try:
            offers.update_offer(offer_id, current_user.id, form.price.amount, form.quantity.number,
                                form.quantity_seen.number)
        except offers.StockChanged as exc:
            form.quantity.errors.append(f"Your stock changed to {exc.quantity} (a sale) since the page was "
                                        "loaded. Check the quantity and save again.")
            form.quantity_seen.data = str(exc.quantity)
        else:
            flash(f"“{offer['product_name']}” now sells at {format_money(form.price.amount)} "
                  f"with {form.quantity.number} in stock.", "success")
            return redirect(_back_to_inventory())
    return render_template("sell/inventory/edit.html", form=form, offer=offer), 400 if form.errors else 200


@bp.route("/<id:offer_id>/stop", methods=["GET", "POST"])
def stop_offer(offer_id: int):
    """GET asks first (no script needed); the POST from that page stops."""
    offer = _offer_or_404(offer_id)
    if request.method == "GET":
        return render_template(
            "confirm.html", question=f"Stop selling “{offer['product_name']}”?",
            explanation="Shoppers will no longer see your offer. Orders already placed keep their lines, "
                        "and you can sell it again later.",
            action=request.path, confirm="Stop selling", cancel="Keep selling",
            cancel_url=_back_to_inventory(),
            hidden={"return_page": request.args.get("return_page"), "return_q": request.args.get("return_q")})
    offers.stop_selling(offer_id, current_user.id)
    flash(f"You stopped selling “{offer['product_name']}”.", "success")
    return redirect(_back_to_inventory())
