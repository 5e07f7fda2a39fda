"""Public user pages: a user's offers, the reviews about them as a seller
and the reviews they wrote."""
from flask import Blueprint, abort, render_template

from ..models import offer as offers
from ..models import user as users
from ..pagination import page_arg, paginate
from .sections import user_page_reviews

bp = Blueprint("users", __name__, url_prefix="/users")
OFFERS_PER_PAGE = 20


@bp.route("/<id:user_id>")
def page(user_id: int):
    profile = users.public_profile(user_id)
    if profile is None:
        abort(404, description="There is no such user.")
    number = page_arg("offers_page")
    rows = offers.active_offers_of_seller(user_id, number, OFFERS_PER_PAGE)
    return render_template("users/page.html", profile=profile,
                           offers=paginate(rows, number, OFFERS_PER_PAGE), **user_page_reviews(user_id))
