"""The reviews I wrote (/account/reviews), newest first."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ...models import review as reviews
from ...pagination import page_arg, paginate
from ..sections import REVIEWS_PER_PAGE

bp = Blueprint("account_reviews", __name__, url_prefix="/account/reviews")


@bp.route("")
@login_required
def index():
    number = page_arg()
    rows = reviews.reviews_by_author(current_user.id, number, REVIEWS_PER_PAGE, include_hidden=True)
    return render_template("account/reviews.html", page=paginate(rows, number, REVIEWS_PER_PAGE))
