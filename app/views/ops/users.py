"""/ops/users: find users, suspend and reinstate them, grant and revoke the
operator role."""
from flask import abort, render_template, url_for

from ...forms.ops import ReasonForm
from ...models import audit, moderation
from ...models import review as reviews
from ...pagination import page_arg, paginate
from ..helpers import search_arg
from . import actor, console_blueprint, done, refused

bp = console_blueprint("users", "/users")
PER_PAGE = 25


@bp.route("/")
def index():
    text, number = search_arg(), page_arg()
    rows = moderation.find_users(text, number, PER_PAGE)
    return render_template("ops/users.html", page=paginate(rows, number, PER_PAGE), search=text)


def _user_page(user_id: int, form: ReasonForm | None = None, status: int = 200):
    user = moderation.user_for_console(user_id)
    if user is None:
        abort(404, description="There is no such user.")
    number = page_arg("reviews_page")
    rows = moderation.reviews_for_console(reviews.SELLER, user_id, number, PER_PAGE)
    return render_template("ops/user.html", user=user, form=form or ReasonForm(),
                           reviews=paginate(rows, number, PER_PAGE),
                           history=audit.for_subject("user", user_id)), status


@bp.route("/<id:user_id>")
def show(user_id: int):
    return _user_page(user_id)


ACTIONS = {
    "suspend": (moderation.suspend_user, "The user is suspended; their offers are off sale.",
                "The user was already suspended."),
    "reinstate": (moderation.reinstate_user, "The user is reinstated.", "The user was not suspended."),
    "grant-operator": (lambda who, user_id, reason: moderation.set_operator(who, user_id, True, reason),
                       "The user is now an operator.", "The user already was an operator."),
    "revoke-operator": (lambda who, user_id, reason: moderation.set_operator(who, user_id, False, reason),
                        "The user is no longer an operator.", "The user was not an operator."),
}


@bp.route("/<id:user_id>/<any(suspend, reinstate, 'grant-operator', 'revoke-operator'):action>",
          methods=["POST"])
def act(user_id: int, action: str):
    form = ReasonForm()
    if not form.validate_on_submit():
        return _user_page(user_id, form, 400)
    change, message, unchanged = ACTIONS[action]
    try:
        changed = change(actor(), user_id, form.reason.data)
    except moderation.Refused as exc:
        return refused(exc, url_for(".show", user_id=user_id))
    return done(changed, message, unchanged, url_for(".show", user_id=user_id))
