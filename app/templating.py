"""Jinja filters and globals shared by every template."""
from datetime import UTC, datetime
from decimal import Decimal

from flask import request, url_for
from markupsafe import Markup


def money(value) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}"


def _time(value: datetime, text_format: str) -> Markup:
    """A <time> element: the stylesheet keeps it on one line, so a date
    never wraps mid-number on a narrow screen."""
    utc = value.astimezone(UTC)
    return Markup('<time datetime="{}">{}</time>').format(utc.isoformat(timespec="minutes"),
                                                         utc.strftime(text_format))


def when(value: datetime | None) -> Markup | str:
    """A timestamp in UTC, minute precision: 2026-11-21 14:05 UTC."""
    return _time(value, "%Y-%m-%d %H:%M UTC") if value else ""


def day(value: datetime | None) -> Markup | str:
    return _time(value, "%Y-%m-%d") if value else ""


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (None removes one)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def save_data() -> bool:
    """The browser asks for fewer bytes (`Save-Data: on`): lists leave their
    thumbnails out. Part of every cache key of a page or fragment."""
    return request.headers.get("Save-Data", "").strip().lower() == "on"


def init_app(app) -> None:
    app.jinja_env.filters.update(money=money, when=when, day=day)
    app.jinja_env.globals.update(url_with=url_with, save_data=save_data)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
