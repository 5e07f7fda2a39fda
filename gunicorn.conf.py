"""gunicorn settings for `./setup.sh --prod`: gunicorn always writes
`Server: gunicorn` and has no setting to drop it, so its response's default
headers are filtered here (a banner only helps an attacker)."""
from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _without_server_banner(self):
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _without_server_banner
