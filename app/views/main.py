"""Home page, public user pages and the health check."""
from flask import Blueprint, abort, jsonify, render_template

from .. import db
from ..models import user as users

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    return render_template("main/home.html")


@bp.route("/users/<int:user_id>")
def user_page(user_id: int):
    profile = users.public_profile(user_id)
    if profile is None:
        abort(404, description="There is no such user.")
    return render_template("main/user.html", profile=profile)


@bp.route("/healthz")
def healthz():
    try:
        db.query_value("SELECT 1")
    except Exception as exc:  # any database failure means unhealthy
        return jsonify(status="unavailable", database=type(exc).__name__), 503
    return jsonify(status="ok", database="ok")
