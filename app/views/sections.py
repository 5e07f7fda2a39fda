"""Review sections that several pages show (a product page, a user page,
the seller's reviews page): the template variables each one needs."""
from flask import abort, request
from flask_login import current_user

from ..cache import remember
from ..forms.reviews import ReviewForm
from ..models import review as reviews
from ..pagination import page_arg, paginate

REVIEWS_PER_PAGE = 10


def _sort_arg(name: str = "reviews_sort") -> str:
    sort = request.args.get(name, "newest")
    if sort not in reviews.SORTS:
        abort(400, description="Sort reviews by newest, highest or lowest.")
    return sort


def product_reviews(product_id: int) -> dict | None:
    """The review section of a product page (reviews/_product_section.html):
    summary, one page of reviews in the asked order, the viewer's review or a
    form to write one. Reads ?reviews_page= and ?reviews_sort=."""
    number, sort = page_arg("reviews_page"), _sort_arg()
    data = _section(reviews.PRODUCT, product_id, sort, number)
    if data is None:
        return None
    return {**data, "subject_id": product_id, "sort": sort, "sorts": reviews.SORTS,
            "page": paginate(data["rows"], number, REVIEWS_PER_PAGE), "form": _write_form(data)}


def _section(kind: reviews.Kind, subject_id: int, sort: str, number: int) -> dict | None:
    """reviews.section() for the viewer: the summary and the page of reviews
    are the same for everybody and come from the catalog cache; whether the
    viewer bought and reviewed is read for them."""
    data = remember("review_section", reviews.section, kind, subject_id, None, sort, number, REVIEWS_PER_PAGE)
    # Only a buyer can have bought this or reviewed it: for anyone who never
    # bought anything (the session user says), the shared "not bought, no
    # review" holds without asking.
    if data is None or not current_user.is_authenticated or not current_user.has_orders:
        return data
    return {**data, **reviews.viewer_status(kind, subject_id, current_user.id)}


def _write_form(section: dict) -> ReviewForm | None:
    """The form to write a review, only for a buyer who has not written one:
    making a form makes a CSRF token, and a guest's page must hold none."""
    return ReviewForm(prefix="review") if section["bought"] and not section["review"] else None


def seller_reviews(seller_id: int) -> dict | None:
    """The seller review section (reviews/_seller_section.html): summary, one
    page of reviews newest first (?reviews_page=), the viewer's review or form."""
    number = page_arg("reviews_page")
    data = _section(reviews.SELLER, seller_id, "newest", number)
    if data is None:
        return None
    return {**data, "subject_id": seller_id, "page": paginate(data["rows"], number, REVIEWS_PER_PAGE),
            "form": _write_form(data)}


def user_page_reviews(user_id: int) -> dict:
    """Template variables for the review sections of a public user page: the
    reviews about them as a seller and those they wrote (?written_page=)."""
    number = page_arg("written_page")
    written = reviews.reviews_by_author(user_id, number, REVIEWS_PER_PAGE)
    return {"seller_reviews": seller_reviews(user_id),
            "written_reviews": paginate(written, number, REVIEWS_PER_PAGE)}
