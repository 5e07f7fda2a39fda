"""Helpers that several view modules share. View modules import from here
(and from app/views/sections.py), never from one another."""
from urllib.parse import urlsplit

from flask import abort, request
from flask_login import current_user, login_required

from ..forms.fields import MAX_QUERY, clean_text


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def viewer_id() -> int | None:
    """The logged-in user's id, None for a visitor."""
    return current_user.id if current_user.is_authenticated else None


def search_arg(name: str = "q") -> str:
    """A seller's own search box (?q=), cleaned; a 400 when absurdly long."""
    text = clean_text(request.args.get(name, ""))
    if len(text) > MAX_QUERY:
        abort(400, description=f"Search for at most {MAX_QUERY} characters.")
    return text


def is_operator() -> bool:
    """Whether the viewer runs the marketplace: an operator not suspended."""
    return bool(current_user.is_authenticated and current_user.is_operator and not current_user.suspended_at)


def refuse_if_suspended(what: str) -> None:
    """A 403 naming the reason when the logged-in user is suspended: they
    may still buy and read, but not sell or withdraw."""
    if current_user.is_authenticated and current_user.suspended_at:
        abort(403, description=f"Your account is suspended, so you cannot {what}. "
                               f"Reason: {current_user.suspension_reason or 'not given'}")


def guard_seller_pages(bp) -> None:
    """Every page of a selling blueprint acts for the logged-in seller; a
    suspended seller may look at the blueprint's list (its `index`), nothing more."""

    @bp.before_request
    @login_required
    def require_login():
        if request.endpoint != f"{bp.name}.index":
            refuse_if_suspended("sell")
