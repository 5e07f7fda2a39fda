"""Probes for load balancers and orchestrators: /healthz says the process
answers (it never touches the database, so a database outage does not get
every app node restarted); /readyz says the database answers too."""
from flask import Blueprint

from .. import db
from ..models import health

bp = Blueprint("health", __name__)
TEXT = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/healthz")
def healthz():
    return "ok\n", 200, TEXT


@bp.get("/readyz")
def readyz():
    try:
        health.database_answers()
    except (db.Busy, *db.CONNECTION_ERRORS):
        return "database unavailable\n", 503, {**TEXT, "Retry-After": "2"}
    return "ready\n", 200, TEXT
