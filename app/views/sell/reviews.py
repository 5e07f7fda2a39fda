"""The reviews about me as a seller (/sell/reviews)."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..sections import seller_reviews

bp = Blueprint("sell_reviews", __name__, url_prefix="/sell/reviews")


@bp.route("")
@login_required
def index():
    return render_template("sell/reviews.html", reviews=seller_reviews(current_user.id))
