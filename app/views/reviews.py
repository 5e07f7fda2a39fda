"""Reviews of products and sellers (/reviews): write, edit, delete your own.
The review sections other pages show are built in app/views/sections.py;
"reviews I wrote" is /account/reviews, "reviews about me" /sell/reviews."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import error_response
from ..forms.reviews import ReviewForm
from ..models import review as reviews

bp = Blueprint("reviews", __name__, url_prefix="/reviews")
KIND_PATH = "<any(product, seller):kind>"


def subject_url(kind: str, subject_id: int) -> str:
    """The page that shows reviews of the product or seller, at its review section."""
    if kind == "product":
        return url_for("catalog.product", product_id=subject_id, _anchor="reviews")
    return url_for("users.page", user_id=subject_id, _anchor="seller-reviews")


def _kind(name: str) -> reviews.Kind:
    return reviews.KINDS[name]


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


@bp.route("/product/<id:product_id>/new", methods=["GET", "POST"])
@login_required
def write_product_review(product_id: int):
    return _write("product", product_id)


@bp.route("/seller/<id:seller_id>/new", methods=["GET", "POST"])
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


@bp.route(f"/{KIND_PATH}/<id:review_id>/edit", methods=["GET", "POST"])
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


@bp.route(f"/{KIND_PATH}/<id:review_id>/delete", methods=["GET", "POST"])
@login_required
def delete(kind: str, review_id: int):
    """GET asks first (no script needed); the POST from that page deletes."""
    if request.method == "GET":
        review = _own_review(kind, review_id)
        about = review["subject_name"] if kind == "product" else f"seller {review['subject_name']}"
        return render_template(
            "confirm.html", question=f"Delete your review of {about}?",
            explanation="It disappears from the page and from the ratings; you can write a new one later.",
            action=request.path, confirm="Delete your review", hidden={}, cancel="Keep your review",
            cancel_url=subject_url(kind, review["subject_id"]))
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
