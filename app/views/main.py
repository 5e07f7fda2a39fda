"""Home page, public user pages and the health check."""
from flask import Blueprint, abort, jsonify, render_template
from flask_login import current_user

from .. import db
from ..cache import guest_page, remember
from ..models import category as categories
from ..models import offer as offers
from ..models import product as products
from ..models import recommend
from ..models import sale as sales
from ..models import user as users
from ..pagination import page_arg, paginate
from .reviews import user_page_reviews

bp = Blueprint("main", __name__)
HOME_PRODUCTS = 20
USER_OFFERS_PER_PAGE = 20


@bp.route("/")
@guest_page
def home():
    # One key per section of the page; a new section adds its own.
    viewer = current_user.id if current_user.is_authenticated else None
    best_sellers = remember("list_products", products.list_products, products.Filters(), "best_selling", 1,
                            HOME_PRODUCTS)[:HOME_PRODUCTS]
    context = {
        "categories": remember("categories", categories.all_categories),
        "best_sellers": products.for_viewer(best_sellers, viewer),
        "recommendations": recommend.recommendations(viewer) if viewer else None,
        "flash_sales": sales.home_sales(viewer),
    }
    return render_template("main/home.html", **context)


@bp.route(f"/users/<int(max={2**63 - 1}):user_id>")
def user_page(user_id: int):
    profile = users.public_profile(user_id)
    if profile is None:
        abort(404, description="There is no such user.")
    number = page_arg("offers_page")
    rows = offers.active_offers_of_seller(user_id, number, USER_OFFERS_PER_PAGE)
    return render_template("main/user.html", profile=profile,
                           offers=paginate(rows, number, USER_OFFERS_PER_PAGE), **user_page_reviews(user_id))


@bp.route("/healthz")
def healthz():
    try:
        db.query_value("SELECT 1")
    except Exception as exc:  # any database failure means unhealthy
        return jsonify(status="unavailable", database=type(exc).__name__), 503
    return jsonify(status="ok", database="ok")
