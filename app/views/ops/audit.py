"""/ops/audit: the audit log, newest first, narrowed by action, subject or
operator. Read only: nothing here (nor anywhere) changes a row."""
from flask import abort, render_template, request

from ...ids import MAX_ID
from ...models import audit
from ...pagination import page_arg, paginate
from . import console_blueprint

bp = console_blueprint("audit", "/audit")
PER_PAGE = 50


def _id_arg(name: str) -> int | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    if not (text.isdigit() and 0 < int(text) <= MAX_ID):
        abort(400, description=f"“{name.replace('_', ' ')}” is a number, like 42.")
    return int(text)


def _choice_arg(name: str, allowed) -> str | None:
    text = request.args.get(name, "")
    if text and text not in allowed:
        abort(400, description=f"There is no {name.replace('_', ' ')} “{text[:40]}”.")
    return text or None


@bp.route("/")
def index():
    where = audit.Search(action=_choice_arg("action", audit.ACTIONS),
                         subject_kind=_choice_arg("subject_kind", audit.SUBJECT_KINDS),
                         subject_id=_id_arg("subject_id"), actor_id=_id_arg("actor_id"))
    number = page_arg()
    rows = audit.search(where, number, PER_PAGE)
    return render_template("ops/audit.html", page=paginate(rows, number, PER_PAGE), where=where,
                           actions=audit.ACTIONS, kinds=audit.SUBJECT_KINDS)
