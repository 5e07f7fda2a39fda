"""Jinja filters and globals shared by every template."""
from datetime import UTC, datetime
from decimal import Decimal

from flask import request, url_for


def money(value) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}"


def when(value: datetime | None) -> str:
    """A timestamp in UTC, minute precision: 2026-11-21 14:05 UTC."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def day(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d") if value else ""


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
