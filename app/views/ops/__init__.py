"""The operator console under /ops: one blueprint per page area, each
registered in create_app(), each refusing everyone but operators with a
404 so the console's existence is not advertised. Every action is a POST
(CSRF-checked like every form) with a reason, and lands in the audit log."""
from flask import Blueprint, abort, flash, redirect, request
from flask_login import current_user

from ...models.audit import Actor
from ...models.category import NoSuchCategory
from ...models.moderation import NotFound
from ..helpers import is_operator


def console_blueprint(name: str, url_prefix: str) -> Blueprint:
    """A blueprint of the console: `ops_<name>` under /ops<url_prefix>."""
    bp = Blueprint(f"ops_{name}", __name__, url_prefix=f"/ops{url_prefix}")
    bp.before_request(_operators_only)
    return bp


def _operators_only():
    if not is_operator():
        abort(404)


def hide_console():
    """For create_app() to run before the CSRF check: a console POST by a
    non-operator is a 404 like any unknown URL, not a "form expired" 400
    that would tell the console is there."""
    if request.blueprint and request.blueprint.startswith("ops_"):
        _operators_only()


def actor() -> Actor:
    """The operator acting, as the audit log names them."""
    return Actor(current_user.id, current_user.email)


def refused(exc: Exception, target: str):
    """An action the model refused: 404 for what does not exist, else the
    reason on the page it came from."""
    if isinstance(exc, (NotFound, NoSuchCategory)):
        abort(404, description=str(exc))
    flash(str(exc), "error")
    return redirect(target)


def done(changed: bool, message: str, unchanged: str, target: str):
    """Redirect after an action, saying what happened (or that it already had)."""
    flash(message if changed else unchanged, "success" if changed else "info")
    return redirect(target)
