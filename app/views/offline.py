"""Shopping offline: the service worker (/sw.js, at the root so its scope is
the whole site) and the page it shows for a page not saved (/offline).

The worker's cache is named after the deployment: a hash of every file of
the app (code, templates, static files), so any new deployment installs a
new worker, which deletes the old caches when it takes over."""
import hashlib
from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, make_response, render_template, request

bp = Blueprint("offline", __name__)
APP_DIR = Path(__file__).resolve().parent.parent


@cache
def deployment() -> str:
    """The hash of every file under app/, computed once per process."""
    digest = hashlib.sha256()
    for path in sorted(APP_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(APP_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@bp.route("/sw.js")
def service_worker():
    source = (Path(current_app.static_folder) / "sw.js").read_text()
    response = make_response(f'"use strict";\nconst V = "{deployment()}";\n{source}')
    response.mimetype = "text/javascript"
    # Browsers ask for the worker again after navigations (its update
    # check): never from a cache, but a 304 when the deployment is the same.
    response.cache_control.no_cache = True
    response.set_etag(deployment())
    return response.make_conditional(request)


@bp.route("/offline")
def offline_page():
    return render_template("offline/page.html")
