"""Reviews of products and sellers: write, edit, delete your own; the review
sections other pages include; "reviews I wrote" and "reviews about me"."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import error_response
from ..models import review as reviews
from ..pagination import page_arg, paginate
from ..review_forms import ReviewForm

bp = Blueprint("reviews", __name__)
PER_PAGE = 10
KIND_PATH = "<any(product, seller):kind>"
# Ids are bigint: a larger number in a URL is simply not found.
BIGINT = 2**63 - 1


def _viewer_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _sort_arg(name: str = "reviews_sort") -> str:
    sort = request.args.get(name, "newest")
    if sort not in reviews.SORTS:
        abort(400, description="Sort reviews by newest, highest or lowest.")
    return sort


def product_reviews_context(product_id: int) -> dict | None:
    """The review section of a product page (reviews/_product_section.html):
    summary, one page of reviews in the asked order, the viewer's review or a
    form to write one. Reads ?reviews_page= and ?reviews_sort=."""
    number, sort = page_arg("reviews_page"), _sort_arg()
    data = reviews.section(reviews.PRODUCT, product_id, _viewer_id(), sort, number, PER_PAGE)
    if data is None:
        return None
    return {**data, "subject_id": product_id, "sort": sort, "sorts": reviews.SORTS,
            "page": paginate(data["rows"], number, PER_PAGE), "form": _write_form(data)}


def _write_form(section: dict) -> ReviewForm | None:
    """The form to write a review, only for a buyer who has not written one:
    making a form makes a CSRF token, and a guest's page must hold none."""
    return ReviewForm(prefix="review") if section["bought"] and not section["review"] else None


def seller_reviews_context(seller_id: int) -> dict | None:
    """The seller review section (reviews/_seller_section.html): summary, one
    page of reviews newest first (?reviews_page=), the viewer's review or form."""
    number = page_arg("reviews_page")
    data = reviews.section(reviews.SELLER, seller_id, _viewer_id(), "newest", number, PER_PAGE)
    if data is None:
        return None
    return {**data, "subject_id": seller_id, "page": paginate(data["rows"], number, PER_PAGE),
            "form": _write_form(data)}


def user_page_reviews(user_id: int) -> dict:
    """Template variables for the review sections of a public user page: the
    reviews about them as a seller and those they wrote (?written_page=)."""
    number = page_arg("written_page")
    written = reviews.reviews_by_author(user_id, number, PER_PAGE)
    return {"seller_reviews": seller_reviews_context(user_id),
            "written_reviews": paginate(written, number, PER_PAGE)}


def subject_url(kind: str, subject_id: int) -> str:
    """The page that shows reviews of the product or seller, at its review section."""
    if kind == "product":
        return url_for("catalog.product", product_id=subject_id, _anchor="reviews")
    return url_for("main.user_page", user_id=subject_id, _anchor="seller-reviews")


def _kind(name: str) -> reviews.Kind:
    return reviews.KINDS[name]


# --- write, edit, delete -----------------------------------------------------------

def _write(kind_name: str, subject_id: int):
    kind = _kind(kind_name)
    name = reviews.subject_name(kind, subject_id)
    if name is None:
        abort(404, description=f"There is no such {kind_name}.")
    status = reviews.viewer_status(kind, subject_id, current_user.id)
    if status["review"]:
        flash(f"You have already reviewed this {kind_name}; you can edit your review here.", "info")
        return redirect(url_for(".edit", kind=kind_name, review_id=status["review"]["id"]))
    if not status["bought"]:
        what = "this product" if kind_name == "product" else "from this seller"
        abort(403, description=f"Only buyers who bought {what} can review it.")
    form = ReviewForm(prefix="review")
    if form.validate_on_submit():
        try:
            reviews.create_review(kind, subject_id, current_user.id, form.rating.stars,
                                  form.title.data or "", form.body.data)
        except reviews.AlreadyReviewed as exc:
            flash(str(exc), "error")
            return redirect(subject_url(kind_name, subject_id))
        except reviews.NotVerified as exc:
            abort(403, description=str(exc))
        flash("Thank you, your review is published.", "success")
        return redirect(subject_url(kind_name, subject_id))
    return render_template("reviews/form.html", form=form, kind=kind_name, subject_name=name,
                           subject_url=subject_url(kind_name, subject_id), review=None,
                           action=request.path), 400 if form.errors else 200


@bp.route(f"/products/<int(max={BIGINT}):product_id>/reviews/new", methods=["GET", "POST"])
@login_required
def write_product_review(product_id: int):
    return _write("product", product_id)


@bp.route(f"/users/<int(max={BIGINT}):seller_id>/reviews/new", methods=["GET", "POST"])
@login_required
def write_seller_review(seller_id: int):
    return _write("seller", seller_id)


def _own_review(kind_name: str, review_id: int) -> dict:
    review = reviews.get_review(_kind(kind_name), review_id)
    if review is None:
        abort(404, description="There is no such review.")
    if review["author_id"] != current_user.id:
        abort(403, description="You can only change your own reviews.")
    return review


@bp.route(f"/reviews/{KIND_PATH}/<int(max={BIGINT}):review_id>/edit", methods=["GET", "POST"])
@login_required
def edit(kind: str, review_id: int):
    review = _own_review(kind, review_id)
    form = ReviewForm(prefix="review", data={"rating": str(review["rating"]), "title": review["title"],
                                             "body": review["body"]})
    if form.validate_on_submit():
        subject_id = reviews.update_review(_kind(kind), review_id, current_user.id, form.rating.stars,
                                           form.title.data or "", form.body.data)
        flash("Your review is saved.", "success")
        return redirect(subject_url(kind, subject_id))
    return render_template("reviews/form.html", form=form, kind=kind, subject_name=review["subject_name"],
                           subject_url=subject_url(kind, review["subject_id"]), review=review,
                           action=request.path), 400 if form.errors else 200


@bp.route(f"/reviews/{KIND_PATH}/<int(max={BIGINT}):review_id>/delete", methods=["POST"])
@login_required
def delete(kind: str, review_id: int):
    subject_id = reviews.delete_review(_kind(kind), review_id, current_user.id)
    flash("Your review is deleted.", "success")
    return redirect(subject_url(kind, subject_id))


@bp.errorhandler(reviews.NotFound)
def review_not_found(exc):
    """A review that vanished between the page and the change."""
    return error_response(404, str(exc))


@bp.errorhandler(reviews.NotYours)
def review_not_yours(exc):
    return error_response(403, str(exc))


# --- lists -------------------------------------------------------------------------

@bp.route("/account/reviews")
@login_required
def mine():
    number = page_arg()
    rows = reviews.reviews_by_author(current_user.id, number, PER_PAGE)
    return render_template("reviews/mine.html", page=paginate(rows, number, PER_PAGE))


@bp.route("/sell/reviews")
@login_required
def about_me():
    data = seller_reviews_context(current_user.id)
    return render_template("reviews/about_me.html", reviews=data)
