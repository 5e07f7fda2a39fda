"""Browsing the catalog: category pages, keyword search with filters and
sorts, product pages, and editing a product's details (its creator only)."""
import dataclasses
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..cache import guest_page, remember
from ..forms.catalog import FiltersForm, ProductForm, category_choices, category_filter_choices
from ..forms.fields import MAX_QUERY
from ..limits import guest_limited
from ..models import category as categories
from ..models import offer as offers
from ..models import photo as photos
from ..models import product as products
from ..models import search_words
from ..pagination import page_arg, paginate
from .helpers import is_operator, viewer_id
from .sections import product_reviews

bp = Blueprint("catalog", __name__)
PER_PAGE = 20
OFFERS_PER_PAGE = 20
# A keyword search with fewer results than this on its first page looks for
# a better spelling ("did you mean ...").
FEW_RESULTS = 5
_SLUG = re.compile(r"^[a-z0-9-]{1,100}$")
# Arguments that narrow or reorder a list (the search's category among them).
_FILTERS = ("category", "price_min", "price_max", "min_rating", "in_stock", "sort")


def _past_first_page_or_filtered() -> bool:
    """A list request that costs more than a plain first page: a later page
    (an index scan over the rows before it) or filters and sorts (fewer
    index shortcuts, and countless combinations no cache holds)."""
    page = request.args.get("page", "1").strip()
    return page not in ("", "1") or any(request.args.get(name, "").strip() for name in _FILTERS)


def _category_in(all_categories: list[dict], slug: str) -> dict:
    for category in all_categories:
        if category["slug"] == slug:
            return category
    abort(404, description="There is no such category.")


def _product_list(form: FiltersForm, category: dict | None, title: str):
    """Validate the filters and render one page of matching products;
    invalid filters re-render the form with the errors and status 400."""
    number = page_arg()
    if not form.validate():
        return render_template("catalog/list.html", form=form, category=category, title=title,
                               page=None), 400
    filters = products.Filters(
        keywords=products.keywords(form.q.data), category_id=category["id"] if category else None,
        price_min=form.price_min.amount, price_max=form.price_max.amount,
        min_rating=form.min_rating_value, in_stock=form.in_stock.data)
    context = {"form": form, "category": category, "title": title, "suggestion": None, "corrected": None}
    if not products.within_reach(number, PER_PAGE):
        return render_template("catalog/list.html", **context, page=None, too_deep=products.MAX_RESULTS)
    # A query made only of punctuation has no keywords: it matches nothing.
    if bool(form.q.data) and not filters.keywords:
        page = paginate([], number, PER_PAGE, (0, True))
    else:
        page = _page_of(filters, form.sort.data, number)
        if filters.keywords and number == 1 and len(page.items) < FEW_RESULTS:
            page, context["suggestion"], context["corrected"] = _better_spelling(filters, form.sort.data,
                                                                                 page)
    return render_template("catalog/list.html", **context, page=page)


def _better_spelling(filters: products.Filters, sort: str, page):
    """For a search that found little: (the page to show, the words to
    suggest or None, the words shown instead of what was typed or None).
    Nothing found: the results of the nearest spelling, if it finds any.
    A few found: a suggestion, if it finds more."""
    words = remember("suggest", search_words.suggest, filters.keywords)
    if not words:
        return page, None, None
    better = dataclasses.replace(filters, keywords=words)
    if not page.items:
        corrected = _page_of(better, sort, 1)
        return (corrected, None, " ".join(words)) if corrected.items else (page, None, None)
    more = remember("count_products", products.count_products, better)[0] > page.total
    return page, words if more else None, None


def _rows_and_count(filters: products.Filters, sort: str, number: int) -> tuple[list, tuple[int, bool]]:
    return products.list_products(filters, sort, number, PER_PAGE), products.count_products(filters)


def _page_of(filters: products.Filters, sort: str, number: int):
    """One page of a product list with its count, from the cache when fresh."""
    rows, count = remember("product_list", _rows_and_count, filters, sort, number)
    rows = products.for_viewer(rows, viewer_id())  # the shared rows, less the viewer's own offers
    return paginate(rows, number, PER_PAGE, count, products.MAX_RESULTS)


# Guests' lists that the page cache did not answer, per address (numbers in
# config.RATE_LIMITS): any, and those past page 1 or filtered, more tightly.
@bp.route("/search")
@guest_page(buyers_alike=True)
@guest_limited("guest_lists")
@guest_limited("guest_deep_lists", _past_first_page_or_filtered)
def search():
    all_categories = remember("categories", categories.all_categories)
    form = FiltersForm(request.args)
    form.category.choices = category_filter_choices(all_categories)
    category = _category_in(all_categories, form.category.data) if form.category.data else None
    title = f"Results for “{form.q.data}”" if 0 < len(form.q.data) <= MAX_QUERY else "Search"
    return _product_list(form, category, title)


@bp.route("/c/<slug>")
@guest_page(buyers_alike=True)
@guest_limited("guest_lists")
@guest_limited("guest_deep_lists", _past_first_page_or_filtered)
def category_page(slug: str):
    category = remember("category", categories.category_by_slug, slug) if _SLUG.match(slug) else None
    if category is None:
        abort(404, description="There is no such category.")
    form = FiltersForm(request.args)
    form.category.choices = category_filter_choices([category])
    form.category.data = slug
    return _product_list(form, category, category["name"])


def _product_or_404(product_id: int) -> dict:
    product = products.product_details(product_id, viewer_id())
    if product is None:
        abort(404, description="There is no such product.")
    # A hidden product stays visible to its creator (with the reason) and to operators.
    if product["hidden_reason"] and not (product["creator_id"] == viewer_id() or is_operator()):
        abort(404, description="This product was taken down by the marketplace.")
    return product


def product_context(product: dict) -> dict:
    """Template variables of the product page: the product and one page of
    its offers box (?offers_page=). Other sections add their own keys."""
    number = page_arg("offers_page")
    rows = remember("offers_for_product", offers.offers_for_product, product["id"], number, OFFERS_PER_PAGE)
    return {"product": product, "offers": paginate(rows, number, OFFERS_PER_PAGE),
            "photos": remember("product_photos", photos.product_photos, product["id"]),
            "reviews": product_reviews(product["id"])}


@bp.route("/products/<id:product_id>")
@guest_page
def product(product_id: int):
    return render_template("catalog/product.html", **product_context(_product_or_404(product_id)))


@bp.route("/products/<id:product_id>/edit", methods=["GET", "POST"])
@login_required
def edit_product(product_id: int):
    product = _product_or_404(product_id)
    if product["creator_id"] != current_user.id:
        abort(403, description="Only the seller who created this product can edit its details.")
    form = ProductForm(data={"name": product["name"], "description": product["description"],
                             "category": str(product["category_id"])})
    form.category.choices = category_choices(categories.all_categories())
    if form.validate_on_submit():
        products.update_product(product_id, current_user.id, form.name.data, form.description.data,
                                form.category.category_id)
        flash("The product's details are saved.", "success")
        return redirect(url_for(".product", product_id=product_id))
    return render_template("catalog/edit.html", form=form, product=product), 400 if form.errors else 200
