"""The inbox: every user's notices (order changes, returns, sold-out sales),
newest first, and the unread count in every page's header."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..ids import MAX_ID
from ..models import notification as notifications
from ..pagination import MAX_PAGE, is_small_int, page_arg, paginate

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
PER_PAGE = 20


@bp.before_request
@login_required
def require_login():
    """An inbox is private to its owner."""


@bp.app_context_processor
def unread_notices():
    """"Inbox (n)" in every page's header, counted over a partial index by
    the query that loads the session user (user.load_session_user)."""
    if not current_user.is_authenticated:
        return {}
    count = current_user.unread_notices
    return {"unread_notices": f"{notifications.UNREAD_CAP}+" if count > notifications.UNREAD_CAP else count}


def _form_number(name: str, maximum: int) -> int | None:
    """A whole number from a hidden field (None when absent); a 400 with a
    clear message when it was tampered with."""
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    if not is_small_int(raw, digits=19) or not 1 <= int(raw) <= maximum:
        abort(400, description="This form was changed or damaged. Reload your inbox and try again.")
    return int(raw)


def _back_to_inbox():
    """The inbox page the form was sent from."""
    page = _form_number("page", MAX_PAGE)
    return redirect(url_for("inbox.index", page=page if page and page > 1 else None), code=303)


@bp.route("/")
def index():
    number = page_arg()
    rows = notifications.inbox(current_user.id, number, PER_PAGE)
    return render_template("inbox/index.html", notices=paginate(rows, number, PER_PAGE))


@bp.route("/<id:notification_id>")
def open_notice(notification_id: int):
    """Open a notice: mark it read, then follow its link (or show it when it
    has none). Reading is idempotent, so a GET may do it, as a mail client does."""
    notice = notifications.open_notice(current_user.id, notification_id)
    if notice is None:
        abort(404, description="You have no notice with this number.")
    if notice["link"]:
        return redirect(notice["link"], code=303)
    return render_template("inbox/notice.html", notice=notice)


@bp.route("/<id:notification_id>/read", methods=["POST"])
def mark_read(notification_id: int):
    if not notifications.mark_read(current_user.id, notification_id):
        abort(404, description="You have no notice with this number.")
    return _back_to_inbox()


@bp.route("/read-all", methods=["POST"])
def mark_all_read():
    marked = notifications.mark_all_read(current_user.id, _form_number("up_to", MAX_ID))
    flash(f"Marked {marked} notice{'s' if marked != 1 else ''} as read." if marked
          else "Everything was already read.", "success")
    return _back_to_inbox()
