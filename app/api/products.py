"""GET /api/v1/products (search, filters, sorts) and GET /api/v1/products/<id>
with one page of its offers."""
from flask import jsonify, request

from ..models import category as categories
from ..models import offer as offers
from ..models import product as products
from ..pagination import paginate
from . import bp, serialize, validation
from .validation import OFFERS_PER_PAGE, ApiError

# The query parameters of GET /products that its `next` link carries on.
PRODUCT_LIST_ARGS = ("per_page", "q", "category", "sort", "price_min", "price_max", "min_rating", "in_stock")


def _category_filter(args) -> int | None:
    """The category id for ?category=, given as a slug or an id."""
    wanted = args.get("category", "")
    if not wanted:
        return None
    for category in categories.all_categories():
        if wanted in (category["slug"], str(category["id"])):
            return category["id"]
    raise ApiError(404, "There is no category with this slug or id.", "not_found",
                   {"category": "No such category."})


def _product_filters(args) -> products.Filters:
    return products.Filters(
        keywords=products.keywords(validation.search_arg(args)), category_id=_category_filter(args),
        price_min=validation.price_arg(args, "price_min"), price_max=validation.price_arg(args, "price_max"),
        min_rating=validation.int_arg(args, "min_rating", None, 1, 5),
        in_stock=validation.bool_arg(args, "in_stock"))


@bp.get("/products")
def list_products():
    number, per_page = validation.page_args(request.args)
    sort = validation.choice_arg(request.args, "sort", products.SORTS, "relevance")
    filters = _product_filters(request.args)
    # A search made only of punctuation has no keywords: it matches nothing.
    # A page past the first MAX_RESULTS products is empty, as past the end:
    # each page costs the scan of every row before it.
    searched_nothing = bool(request.args.get("q", "").strip()) and not filters.keywords
    too_deep = not products.within_reach(number, per_page)
    rows = [] if searched_nothing or too_deep else products.list_products(filters, sort, number, per_page)
    page = paginate(rows, number, per_page, max_items=products.MAX_RESULTS)
    stock = offers.stock_by_product([row["id"] for row in page.items]) if page.items else {}
    return jsonify({"items": [serialize.product_item(row, stock[row["id"]]) for row in page.items],
                    **serialize.page_meta(page, keep=PRODUCT_LIST_ARGS)})


@bp.get("/products/<id:product_id>")
def product(product_id: int):
    number, per_page = validation.page_args(request.args, OFFERS_PER_PAGE, prefix="offers_")
    row = products.product_details(product_id)
    if row is None or row["hidden_reason"]:
        raise ApiError(404, "There is no such product.", "not_found")
    page = paginate(offers.offers_for_product(product_id, number, per_page), number, per_page)
    stock = offers.stock_by_product([product_id])[product_id]
    return jsonify(serialize.product(row, stock, page.items,
                                     serialize.page_meta(page, "offers_page", keep=("offers_per_page",))))
