"""Serving without a software banner: `python -m app serve` (what
`./setup.sh` runs) is werkzeug's threaded server minus its `Server:
Werkzeug/x Python/y` header; gunicorn.conf.py does the same for gunicorn.
A banner only tells an attacker which versions to look up."""
import click
from flask import current_app
from werkzeug.serving import WSGIRequestHandler, run_simple


class QuietRequestHandler(WSGIRequestHandler):
    """werkzeug's handler, sending the Date header but no Server header."""

    def send_response(self, code, message=None):
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve_command(host: str, port: int) -> None:
    """Serve the app with werkzeug's threaded server (development)."""
    run_simple(host, port, current_app._get_current_object(), threaded=True,
               request_handler=QuietRequestHandler)


def init_app(app) -> None:
    app.cli.add_command(serve_command)
