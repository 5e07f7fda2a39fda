"""/ops/sales: flash sales not over yet; end one early, with a reason."""
from flask import render_template, url_for

from ...forms.ops import ReasonForm
from ...models import moderation
from ...pagination import page_arg, paginate
from . import actor, console_blueprint, done, refused

bp = console_blueprint("sales", "/sales")
PER_PAGE = 25


def _index_page(form: ReasonForm | None = None, status: int = 200):
    number = page_arg()
    rows = moderation.live_and_upcoming_sales(number, PER_PAGE)
    return render_template("ops/sales.html", page=paginate(rows, number, PER_PAGE),
                           form=form or ReasonForm()), status


@bp.route("/")
def index():
    return _index_page()


@bp.route("/<id:sale_id>/end", methods=["POST"])
def end(sale_id: int):
    form = ReasonForm()
    if not form.validate_on_submit():
        return _index_page(form, 400)
    try:
        changed = moderation.end_sale(actor(), sale_id, form.reason.data)
    except moderation.Refused as exc:
        return refused(exc, url_for(".index"))
    return done(changed, f"Flash sale #{sale_id} is over.", f"Flash sale #{sale_id} was already over.",
                url_for(".index"))
