"""/ops/products: a product with all its offers and reviews; hide or
restore the product, one offer, or one review, each with a reason."""
from flask import abort, redirect, render_template, request, url_for

from ...forms.ops import ReasonForm
from ...ids import MAX_ID
from ...models import audit, moderation
from ...models import review as reviews
from ...pagination import page_arg, paginate
from . import actor, console_blueprint, done, refused

bp = console_blueprint("products", "/products")
PER_PAGE = 25


@bp.route("/")
def index():
    """Go to a product by its id (from a complaint, a link, the audit log)."""
    wanted = request.args.get("id", "").strip()
    if wanted:
        if wanted.isdigit() and 0 < int(wanted) <= MAX_ID:
            return redirect(url_for(".show", product_id=int(wanted)))
        return render_template("ops/products.html", error="Enter a product number, like 42."), 400
    return render_template("ops/products.html", error=None)


def _product_page(product_id: int, form: ReasonForm | None = None, status: int = 200):
    product = moderation.product_for_console(product_id)
    if product is None:
        abort(404, description="There is no such product.")
    offers_number, reviews_number = page_arg("offers_page"), page_arg("reviews_page")
    offers = moderation.offers_of_product(product_id, offers_number, PER_PAGE)
    rows = moderation.reviews_for_console(reviews.PRODUCT, product_id, reviews_number, PER_PAGE)
    return render_template("ops/product.html", product=product, form=form or ReasonForm(),
                           offers=paginate(offers, offers_number, PER_PAGE),
                           reviews=paginate(rows, reviews_number, PER_PAGE),
                           history=audit.for_subject("product", product_id)), status


@bp.route("/<id:product_id>")
def show(product_id: int):
    return _product_page(product_id)


@bp.route("/<id:product_id>/<any(hide, restore):action>", methods=["POST"])
def hide_product(product_id: int, action: str):
    form = ReasonForm()
    if not form.validate_on_submit():
        return _product_page(product_id, form, 400)
    change = moderation.hide_product if action == "hide" else moderation.restore_product
    try:
        changed = change(actor(), product_id, form.reason.data)
    except moderation.Refused as exc:
        return refused(exc, url_for(".show", product_id=product_id))
    return done(changed, f"The product is {'hidden' if action == 'hide' else 'restored'}.",
                f"The product already was {'hidden' if action == 'hide' else 'shown'}.",
                url_for(".show", product_id=product_id))


@bp.route("/<id:product_id>/offers/<id:offer_id>/<any(hide, restore):action>", methods=["POST"])
def hide_offer(product_id: int, offer_id: int, action: str):
    form = ReasonForm()
    if not form.validate_on_submit():
        return _product_page(product_id, form, 400)
    change = moderation.hide_offer if action == "hide" else moderation.restore_offer
    try:
        changed = change(actor(), offer_id, form.reason.data)
    except moderation.Refused as exc:
        return refused(exc, url_for(".show", product_id=product_id))
    return done(changed, f"Offer #{offer_id} is {'hidden' if action == 'hide' else 'restored'}.",
                f"Offer #{offer_id} already was {'hidden' if action == 'hide' else 'shown'}.",
                url_for(".show", product_id=product_id))
