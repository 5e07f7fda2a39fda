"""Error pages in the site's look, and JSON errors under /api/."""
from flask import jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .db import Busy

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

    @app.errorhandler(Busy)
    def busy(exc):
        response = error_response(503, "The store is very busy right now. Please try again in a moment.")
        response.headers["Retry-After"] = "1"
        return response

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
