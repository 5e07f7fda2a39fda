"""/ops/: the console's first page: figures of orders, money and sellers,
what moderation holds, the latest audit rows, and links to every tool."""
from flask import render_template

from ...models import audit, platform
from . import console_blueprint

bp = console_blueprint("dashboard", "")


@bp.route("/")
def index():
    return render_template("ops/dashboard.html", figures=platform.dashboard(),
                           latest=audit.search(audit.Search(), 1, 10)[:10], actions=audit.ACTIONS)
