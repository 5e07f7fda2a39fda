"""gunicorn settings for `./setup.sh --prod`, read from the working directory.

gunicorn always writes `Server: gunicorn` and has no setting to drop it, so
its responses' default headers are filtered here (a banner only helps an
attacker). With PROMETHEUS_MULTIPROC_DIR set, each worker writes its metrics
to files there; a worker that exits is marked dead so its live gauges drop
out (its counters stay counted, as Prometheus expects of counters)."""
import os

from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _without_server_banner(self):
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _without_server_banner


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
