"""Error pages in the site's look, and JSON errors under /api/."""
import psycopg2.errors
from flask import g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from psycopg2.extensions import TransactionRollbackError
from werkzeug.exceptions import HTTPException, InternalServerError

from . import db
from .db import CONNECTION_ERRORS, Busy, Unavailable

# Seconds a client should wait before trying again after a 503. A restart
# of PostgreSQL takes well under a second; a short wait is enough.
RETRY_AFTER_SECONDS = 2

TITLES = {400: "Bad request", 401: "Please log in", 403: "Not allowed", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 413: "Too large", 415: "Unsupported type",
          429: "Too many requests", 500: "Something went wrong", 503: "Busy right now"}


def error_response(status: int, message: str, code: str | None = None, fields: dict | None = None,
                   details: dict | None = None):
    """One error, as JSON under /api/ and as a page elsewhere. `details`
    adds members to the JSON error (e.g. the lines a checkout refused)."""
    if request.path.startswith("/api/"):
        body = {"error": {"code": code or TITLES.get(status, "error").lower().replace(" ", "_"),
                          "message": message, "fields": fields or {}, **(details or {})}}
        return make_response(jsonify(body), status)
    return make_response(render_template("error.html", status=status, title=TITLES.get(status, "Error"),
                                         message=message), status)


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(400, "The form expired or was not sent from this site. "
                                   "Go back, reload the page and try again.", "csrf")

    def busy(exc):
        response = error_response(503, "The store is very busy right now. Please try again in a moment.")
        response.headers["Retry-After"] = "1"
        return response

    # Lost races and timed-out statements are OperationalErrors too, but the
    # database is up: they are "busy", not "unreachable".
    for error in (Busy, TransactionRollbackError, psycopg2.errors.QueryCanceled):
        app.register_error_handler(error, busy)

    def database_down(exc):
        # The page must render without the database: if the user could not
        # be loaded, the header shows the logged-out links instead of
        # asking the database again.
        db.drop_broken_connection()
        if "_login_user" not in g:
            from . import login_manager

            g._login_user = login_manager.anonymous_user()
        app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path,
                           str(exc.__cause__ or exc).strip())
        response = error_response(503, "The store cannot reach its database right now. "
                                       "Please try again in a few seconds.", "unavailable")
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    for error in (Unavailable, *CONNECTION_ERRORS):
        app.register_error_handler(error, database_down)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        response = error_response(exc.code or 500, exc.description or TITLES.get(exc.code, "Error"))
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected(exc):
        if app.testing:  # let tests see the real traceback
            raise exc
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(500, InternalServerError.description)
