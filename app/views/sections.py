"""Review sections that several pages show (a product page, a user page,
the seller's reviews page): the template variables each one needs."""
from flask import abort, request

from ..forms.reviews import ReviewForm
from ..models import review as reviews
from ..pagination import page_arg, paginate
from .helpers import viewer_id

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
    data = reviews.section(reviews.PRODUCT, product_id, viewer_id(), sort, number, REVIEWS_PER_PAGE)
    if data is None:
        return None
    return {**data, "subject_id": product_id, "sort": sort, "sorts": reviews.SORTS,
            "page": paginate(data["rows"], number, REVIEWS_PER_PAGE), "form": _write_form(data)}


def _write_form(section: dict) -> ReviewForm | None:
    """The form to write a review, only for a buyer who has not written one:
    making a form makes a CSRF token, and a guest's page must hold none."""
    return ReviewForm(prefix="review") if section["bought"] and not section["review"] else None


def seller_reviews(seller_id: int) -> dict | None:
    """The seller review section (reviews/_seller_section.html): summary, one
    page of reviews newest first (?reviews_page=), the viewer's review or form."""
    number = page_arg("reviews_page")
    data = reviews.section(reviews.SELLER, seller_id, viewer_id(), "newest", number, REVIEWS_PER_PAGE)
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
