"""Jinja filters and globals shared by every template."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, request, url_for
from flask_login import current_user
from markupsafe import Markup

from . import zones
from .money import format_money


def viewer_zone() -> ZoneInfo:
    """The time zone the viewer reads and types times in: their profile's,
    else the site's (SOUK_TIMEZONE)."""
    name = current_user.time_zone if current_user.is_authenticated else None
    return zones.zone(name, current_app.config["TIMEZONE"])


def _time(value: datetime, text: str) -> Markup:
    """A <time> element: the stylesheet keeps it on one line, so a date
    never wraps mid-number on a narrow screen."""
    return Markup('<time datetime="{}">{}</time>').format(value.isoformat(timespec="minutes"), text)


def when_text(value: datetime) -> str:
    """when() as plain text, for messages: 2026-11-21 15:05 CET."""
    return zones.moment_text(value, viewer_zone())


def when(value: datetime | None) -> Markup | str:
    """A moment in the viewer's time zone, minute precision, the zone named:
    2026-11-21 15:05 CET. The one filter every shown time goes through."""
    return _time(value, zones.moment_text(value, viewer_zone())) if value else ""


def clock(value: datetime | None) -> Markup | str:
    """The time of day of a moment in the viewer's time zone: 15:05 (for
    moments minutes away, such as the end of a hold in the cart)."""
    return _time(value, value.astimezone(viewer_zone()).strftime("%H:%M")) if value else ""


def day(value: datetime | None) -> Markup | str:
    """The date of a moment in the viewer's time zone: 2026-11-21."""
    return _time(value, value.astimezone(viewer_zone()).strftime("%Y-%m-%d")) if value else ""


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
    app.jinja_env.filters.update(money=format_money, when=when, day=day, clock=clock)
    # current_user as a global too (flask-login puts it only in the context),
    # so that macro files are imported without context: such an import is
    # made once per process, one "with context" once per render (0.1-0.3 ms
    # a page for the catalog's macros).
    app.jinja_env.globals.update(url_with=url_with, viewer_zone=viewer_zone, save_data=save_data,
                                 current_user=current_user)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
