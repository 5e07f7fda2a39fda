"""Prometheus metrics and one structured log line per request.

Counters and histograms live in this process (prometheus_client). Under
gunicorn, several worker processes each count their own requests, so
./setup.sh --prod sets PROMETHEUS_MULTIPROC_DIR: every worker then writes
its values to files there (one directory per node: each node is scraped on
its own, so no node needs another's files) and /metrics adds them up; the
gunicorn hook in gunicorn.conf.py marks exited workers dead.

Values that describe the platform rather than this process (flash-sale
units left, the job queue, the email outbox) are read from PostgreSQL at
scrape time by DatabaseCollector, so every worker and node reports the same
truth and nothing has to be kept in step.

The log line: JSON on stderr (logger "souk.request") with the request id,
user id, endpoint, method, status and milliseconds. The request id is the
client's X-Request-Id when it is a short token, else a new one; it is sent
back in X-Request-Id and shown on error pages so a user can quote it."""
import json
import logging
import os
import re
import sys
import time
import uuid

from flask import g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

REQUESTS = Counter("souk_http_requests", "HTTP requests answered, by endpoint, method and status.",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("souk_http_request_duration_seconds", "Time to answer a request, by endpoint.",
                    ["endpoint"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
CHECKOUTS = Counter("souk_checkouts", "Checkouts placed, and refused by reason.", ["outcome", "reason"])
POOL_WAITS = Counter("souk_db_pool_waits", "Requests that waited for a free database connection.")
POOL_WAIT_SECONDS = Counter("souk_db_pool_wait_seconds", "Time spent waiting for a free database connection.")
POOL_TIMEOUTS = Counter("souk_db_pool_timeouts", "Waits for a database connection that gave up (a 503).")
DB_READ_ROUTES = Counter("souk_db_read_routes", "Requests of read-only pages by where their reads went "
                         "(replica, primary) and why (see app/db.py).", ["target", "reason"])

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
request_log = logging.getLogger("souk.request")


def count_checkout(problems: list[dict] | None = None, replayed: bool = False) -> None:
    """Count one checkout: placed, replayed (an idempotent retry), or
    refused for the reason of its first problem."""
    if problems:
        CHECKOUTS.labels("refused", problems[0].get("reason") or "unknown").inc()
    else:
        CHECKOUTS.labels("replayed" if replayed else "placed", "").inc()


class DatabaseCollector:
    """Gauges read from PostgreSQL when /metrics is scraped."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        from .models import notification, platform

        with self.app.app_context():
            sales = platform.live_sale_units()
            jobs = platform.job_queue_counts()
            outbox = notification.pending_email_count()
            replicas = platform.replica_lag()
        units = GaugeMetricFamily("souk_flash_sale_units_left", "Units left in each live flash sale.",
                                  labels=["sale_id"])
        for sale in sales:
            units.add_metric([str(sale["id"])], sale["units_left"])
        yield units
        depth = GaugeMetricFamily("souk_job_queue_jobs", "Jobs in the queue, by status (failed: given up).",
                                  labels=["status"])
        for status in ("todo", "doing", "failed"):
            depth.add_metric([status], jobs.get(status, 0))
        yield depth
        yield GaugeMetricFamily("souk_email_outbox", "Notice emails waiting to be sent.", value=outbox)
        lag = GaugeMetricFamily("souk_replica_lag_seconds", "Replay lag of each streaming replica.",
                                labels=["replica"])
        for row in replicas:
            lag.add_metric([row["replica"] or "unnamed"], row["seconds"])
        yield lag


def exposition(app) -> bytes:
    """The text format of every metric: this process's (or, in multiprocess
    mode, every worker's of this node) and the database's."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        for collector in (REQUESTS, LATENCY, CHECKOUTS, POOL_WAITS, POOL_WAIT_SECONDS, POOL_TIMEOUTS):
            registry.register(collector)
    registry.register(DatabaseCollector(app))
    return generate_latest(registry)


def _start():
    incoming = request.headers.get("X-Request-Id", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response):
    started = g.pop("request_started", None)
    seconds = time.perf_counter() - started if started is not None else 0.0
    endpoint = request.endpoint or "unmatched"  # unknown URLs share one label
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    LATENCY.labels(endpoint).observe(seconds)
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers["X-Request-Id"] = request_id
    user = g.get("_login_user")  # flask-login's cache: never loads the user just to log it
    request_log.info(json.dumps({
        "request_id": request_id, "user_id": getattr(user, "id", None), "method": request.method,
        "path": request.path[:200], "endpoint": endpoint, "status": response.status_code,
        "ms": round(seconds * 1000, 1)}))
    return response


def init_app(app) -> None:
    """Time every request and log it; call first in create_app() so the
    timer starts before anything else runs (a cached page is timed too)."""
    if not request_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        request_log.addHandler(handler)
        request_log.setLevel(logging.INFO)
        request_log.propagate = False
    app.before_request(_start)
    app.after_request(_finish)
    app.jinja_env.globals["request_id"] = lambda: g.get("request_id")
