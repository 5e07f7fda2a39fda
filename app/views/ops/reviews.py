"""/ops/reviews: hide or restore one product or seller review with a reason
(the lists are on the console's product and user pages)."""
from flask import abort, render_template, url_for

from ...forms.ops import ReasonForm
from ...models import moderation
from ...models import review as reviews
from . import actor, console_blueprint, done, refused

bp = console_blueprint("reviews", "/reviews")


def _back(kind: reviews.Kind, subject_id: int) -> str:
    if kind is reviews.PRODUCT:
        return url_for("ops_products.show", product_id=subject_id)
    return url_for("ops_users.show", user_id=subject_id)


@bp.route("/<any(product, seller):kind>/<id:review_id>/<any(hide, restore):action>", methods=["POST"])
def moderate(kind: str, review_id: int, action: str):
    review_kind = reviews.KINDS[kind]
    review = reviews.get_review(review_kind, review_id)
    if review is None:
        abort(404, description="There is no such review.")
    subject_id = review["subject_id"]
    form = ReasonForm()
    if not form.validate_on_submit():
        return render_template("ops/review.html", review=review, kind=kind, action=action, form=form,
                               back=_back(review_kind, subject_id)), 400
    change = moderation.hide_review if action == "hide" else moderation.restore_review
    try:
        changed = change(actor(), review_kind, review_id, form.reason.data)
    except moderation.Refused as exc:
        return refused(exc, _back(review_kind, subject_id))
    return done(changed, f"The review is {'hidden' if action == 'hide' else 'restored'}.",
                f"The review already was {'hidden' if action == 'hide' else 'shown'}.",
                _back(review_kind, subject_id))
