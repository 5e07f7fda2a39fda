"""The home page."""
from flask import Blueprint, render_template
from flask_login import current_user

from ..cache import guest_page, remember
from ..models import category as categories
from ..models import product as products
from ..models import recommend
from ..models import sale as sales

bp = Blueprint("main", __name__)
HOME_PRODUCTS = 20


@bp.route("/")
@guest_page
def home():
    # One key per section of the page; a new section adds its own. What is
    # the same for everybody comes from the cache, what is the viewer's is
    # read for them.
    user = current_user if current_user.is_authenticated else None
    best_sellers = remember("list_products", products.list_products, products.Filters(), "best_selling", 1,
                            HOME_PRODUCTS)[:HOME_PRODUCTS]
    flash_sales = remember("home_sales", sales.home_sales)
    if user and flash_sales["live"]:
        # Only a buyer can have bought in a sale (the session user says).
        bought = (sales.units_bought(user.id, [sale["id"] for sale in flash_sales["live"]])
                  if user.has_orders else {})
        flash_sales = {**flash_sales, "live": [{**sale, "bought": bought.get(sale["id"], 0)}
                                               for sale in flash_sales["live"]]}
    context = {
        "categories": remember("categories", categories.all_categories),
        "best_sellers": products.for_viewer(best_sellers, user.id if user else None),
        # Only a buyer's own purchases make recommendations theirs; without
        # any the page shows the best sellers alone (the session user says).
        "recommendations": recommend.recommendations(user.id) if user and user.has_orders else None,
        "flash_sales": flash_sales,
    }
    return render_template("main/home.html", **context)


