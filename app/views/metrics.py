"""/metrics: Prometheus text format, for the monitoring server only.

Allowed: a client address in SOUK_METRICS_ALLOW (addresses or networks,
comma-separated; 127.0.0.1 and ::1 by default), a request bearing
`Authorization: Bearer $SOUK_METRICS_TOKEN`, or a logged-in operator.
Anyone else gets a 404, as for any unknown URL. Behind a proxy the client
address is the proxy's: use the token then."""
import hmac
import ipaddress

from flask import Blueprint, Response, abort, current_app, request

from .. import metrics
from .helpers import is_operator

bp = Blueprint("metrics", __name__)


def _address_allowed() -> bool:
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in current_app.config["METRICS_ALLOW"])


def _token_allowed() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


@bp.route("/metrics")
def scrape():
    if not (_address_allowed() or _token_allowed() or is_operator()):
        abort(404)
    return Response(metrics.exposition(current_app), mimetype="text/plain; version=0.0.4; charset=utf-8")
