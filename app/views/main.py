"""The home page and the health check."""
from flask import Blueprint, jsonify, render_template

from .. import db
from ..cache import guest_page, remember
from ..models import category as categories
from ..models import product as products
from ..models import recommend
from ..models import sale as sales
from .helpers import viewer_id

bp = Blueprint("main", __name__)
HOME_PRODUCTS = 20


@bp.route("/")
@guest_page
def home():
    # One key per section of the page; a new section adds its own.
    user_id = viewer_id()
    best_sellers = remember("list_products", products.list_products, products.Filters(), "best_selling", 1,
                            HOME_PRODUCTS)[:HOME_PRODUCTS]
    context = {
        "categories": remember("categories", categories.all_categories),
        "best_sellers": products.for_viewer(best_sellers, user_id),
        "recommendations": recommend.recommendations(user_id) if user_id else None,
        "flash_sales": sales.home_sales(user_id),
    }
    return render_template("main/home.html", **context)


@bp.route("/healthz")
def healthz():
    try:
        db.query_value("SELECT 1")
    except Exception as exc:  # any database failure means unhealthy
        return jsonify(status="unavailable", database=type(exc).__name__), 503
    return jsonify(status="ok", database="ok")
