"""Static files with their content's hash in the URL (style.css?v=1a2b3c4d5e),
so a browser may keep them for a year: a changed file gets a new URL.
The hashes are computed once, at start-up, and stylesheets are minified
then too: the file stays written for people, the wire gets it without
comments and indentation (a third of its compressed size)."""
import hashlib
import time
from io import BytesIO
from pathlib import Path

import rcssmin
from flask import request, send_file, url_for
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

YEAR = 365 * 24 * 3600


def _versions(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:10]
            for path in folder.rglob("*") if path.is_file()}


class SessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, with two changes:
    - no `Vary: Cookie` on static files: they are the same for everyone, but
      flask-login reads the session on every request, and the Vary made
      browsers revalidate the stylesheet whenever the session cookie had
      changed since they cached it;
    - a cookie this process has verified is not verified again while it
      comes back unchanged (a visitor sends the same one with every page):
      its data and signing time are kept by its exact text, for the
      session's lifetime, when its values are plain (a list, such as
      waiting messages, could be changed in place). Verifying took a
      tenth of a logged-in catalog page's time in Python."""

    VERIFIED_KEPT = 1024

    def __init__(self):
        self._verified: dict[tuple, tuple[dict, float]] = {}
        self._serializers: dict[tuple, object] = {}

    @staticmethod
    def _keys(app) -> tuple:
        return app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ())

    def get_signing_serializer(self, app):
        keys = self._keys(app)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer

    def open_session(self, app, request):
        text = request.cookies.get(self.get_cookie_name(app))
        serializer = self.get_signing_serializer(app)
        if not text or serializer is None:
            return super().open_session(app, request)
        max_age = app.permanent_session_lifetime.total_seconds()
        key = (self._keys(app), text)
        kept = self._verified.get(key)
        if kept is not None and time.time() - kept[1] <= max_age:
            return self.session_class(kept[0])
        try:
            data, signed_at = serializer.loads(text, max_age=int(max_age), return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(isinstance(value, str | int | float | None) for value in data.values()):
            if len(self._verified) >= self.VERIFIED_KEPT:
                self._verified.pop(next(iter(self._verified), None), None)  # the oldest
            self._verified[key] = (dict(data), signed_at.timestamp())
        return self.session_class(data)

    def save_session(self, app, session, response) -> None:
        super().save_session(app, session, response)
        if request.endpoint == "static":
            response.vary = [header for header in response.vary if header.lower() != "cookie"]


def _minified_stylesheets(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): rcssmin.cssmin(path.read_text("utf-8")).encode()
            for path in folder.rglob("*.css")}


def init_app(app) -> None:
    app.session_interface = SessionInterface()
    versions = _versions(Path(app.static_folder))
    stylesheets = _minified_stylesheets(Path(app.static_folder))
    send_static_file = app.view_functions["static"]

    def static(filename: str):
        css = stylesheets.get(filename)
        if css is None:
            return send_static_file(filename=filename)  # Flask passes it by keyword
        return send_file(BytesIO(css), mimetype="text/css", etag=versions[filename], conditional=True,
                         max_age=app.get_send_file_max_age(filename))

    app.view_functions["static"] = static

    def static_url(filename: str) -> str:
        """url_for('static', ...) with the file's version, for templates."""
        return url_for("static", filename=filename, v=versions.get(filename))

    @app.after_request
    def cache_versioned_files(response):
        # Only the URL of the current content is cached for long; an old or
        # missing ?v= gets the default lifetime.
        version = request.args.get("v") if request.endpoint == "static" else None
        if version and response.status_code == 200 and version == versions.get(request.view_args["filename"]):
            response.cache_control.max_age = YEAR
            response.cache_control.public = True
            response.cache_control.immutable = True
            response.headers.pop("Expires", None)  # max-age says it, and wins anyway
        return response

    app.jinja_env.globals["static_url"] = static_url
