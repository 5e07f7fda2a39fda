"""Background jobs on PostgreSQL, with procrastinate: no server besides the
database. `python -m app worker` runs them (./setup.sh starts it with the app).

Register work here, each job a thin function over a model function:

    @task(retry=5)                          # run once per defer, retried on error
    def import_inventory(upload_id: int) -> None:
        inventory.import_upload(upload_id)

    @periodic("*/10 * * * *")               # cron; an optional 6th field is seconds
    def expire_holds(timestamp: int) -> None:
        sale.expire_holds()

A job runs inside a Flask app context of its own, so model functions and
app.db work as in a request. Jobs may run twice (a retry after a crash, two
workers): write them so a second run changes nothing.

To start a job from a request atomically with the request's own writes, call
`defer_in_transaction(import_inventory, upload_id=3)` inside `db.transaction()`:
it inserts the job through procrastinate's SQL function on our connection, so
the job exists only if the transaction commits.

Email copies of notices do not go through defer: the notice row itself is the
outbox (see app/models/notification.py) and the periodic `send_notice_emails`
drains it. That keeps notify() to one INSERT in the order's transaction, with
none of the queue's triggers and NOTIFY on the checkout path.
"""
import functools
import json
import logging
import os
from datetime import datetime
from importlib import resources

import click
import procrastinate
from flask import Flask, current_app

from . import db

log = logging.getLogger("souk.jobs")

# procrastinate's own connector (psycopg 3, async) is given its DSN when the
# worker starts; jobs use app.db (psycopg2) like the rest of the app.
queue = procrastinate.App(connector=procrastinate.PsycopgConnector())
_flask_app: Flask | None = None

# How often the outbox of email copies is drained, in seconds.
MAIL_POLL_SECONDS = max(1, min(59, int(os.environ.get("SOUK_MAIL_POLL_SECONDS", "5"))))


def _app() -> Flask:
    global _flask_app
    if _flask_app is None:
        from . import create_app

        _flask_app = create_app()
    return _flask_app


def task(_fn=None, *, retry: int | procrastinate.RetryStrategy = 5, **options):
    """Register a function as a job (see the module docstring). `retry` is
    how many times a failing run is tried again, waiting 2, 4, 8... seconds
    (or a RetryStrategy; 0 for none); other options go to procrastinate's
    App.task (queue, queueing_lock, priority...)."""

    def register(fn):
        @functools.wraps(fn)
        def in_app_context(*args, **kwargs):
            with _app().app_context():
                return fn(*args, **kwargs)

        if isinstance(retry, int) and retry:
            options["retry"] = procrastinate.RetryStrategy(max_attempts=retry, exponential_wait=2)
        elif retry:
            options["retry"] = retry
        return queue.task(**options)(in_app_context)

    return register(_fn) if _fn else register


def periodic(cron: str, **options):
    """Register a function as a job run on a cron schedule by the worker. It
    receives `timestamp` (the scheduled time, Unix seconds). A run that is
    still waiting blocks the next one (queueing lock), so a slow worker never
    piles up copies of the same periodic job."""

    def register(fn):
        options.setdefault("queueing_lock", fn.__name__)
        options.setdefault("retry", 0)  # the next scheduled run is the retry
        return queue.periodic(cron=cron)(task(**options)(fn))

    return register


def defer_in_transaction(job, *, scheduled_at: datetime | None = None, **kwargs) -> int:
    """Queue `job` (a function registered with @task) with JSON-able keyword
    arguments, inside the current app.db transaction: the job is visible to
    workers only once that transaction commits. Returns the job id."""
    return db.query_value(
        """SELECT (procrastinate_defer_jobs_v1(ARRAY[
                    ROW(%s, %s, %s, %s, %s, %s::jsonb, %s)::procrastinate_job_to_defer_v1]))[1]""",
        (job.queue, job.name, job.priority, job.lock, job.queueing_lock, json.dumps(kwargs), scheduled_at))


# --- the jobs ----------------------------------------------------------------

@periodic(f"* * * * * */{MAIL_POLL_SECONDS}")
def send_notice_emails(timestamp: int) -> dict:
    """Send the email copies of notices that are due (see app/mail.py)."""
    from . import mail

    counts = mail.deliver_due_emails(current_app.config)
    if any(counts.values()):
        log.info("Notice emails: %(sent)s sent, %(logged)s logged, %(failed)s failed", counts)
    return counts


@periodic("5 0 * * *")
def summarize_platform_days(timestamp: int) -> int:
    """Summarize yesterday (and any missed day of the last 30) for the
    console's charts just after midnight UTC, so no operator waits for it."""
    from .models import platform_days

    return len(platform_days.daily(30))


@periodic("*/10 * * * *")
def release_shipped_orders(timestamp: int) -> int:
    """Complete the orders shipped SOUK_AUTO_RELEASE_DAYS ago or more that
    nobody marked delivered, paying their sellers (models/order_state.py);
    each order in its own transaction, so a run that dies half-way is
    finished by the next one. Returns how many it completed."""
    from .models import order_state

    done = order_state.release_due(current_app.config["AUTO_RELEASE_DAYS"])
    if done:
        log.info("Auto-release: %s shipped order(s) completed", done)
    return done


@periodic("* * * * * */10")
def fold_pending_sales(timestamp: int) -> int:
    """Add new sales to products.units_sold and the sellers' summaries
    (checkout only appends them to sales_pending; models/analytics.py)."""
    from .models import analytics

    return analytics.fold_pending_sales()


@periodic("* * * * *")
def give_back_stale_holds(timestamp: int) -> int:
    """Give the units of flash-sale holds whose time is up back to their
    offers and sales for good (reads count them as free already; the next
    "Add to cart" of the offer gives them back too). Returns how many."""
    from .models import sale

    return sale.give_back_stale_holds()


@task(retry=3)
def check_inventory_upload(upload_id: int) -> None:
    """Check a large inventory file into its preview (a retry starts over)."""
    from .models import inventory_file

    inventory_file.check_upload(upload_id)


@task(retry=3)
def apply_inventory_upload(upload_id: int) -> None:
    """Apply a confirmed inventory file in one transaction (a second run
    changes nothing)."""
    from .models import inventory_file

    inventory_file.apply_upload(upload_id)


@periodic("* * * * *")
def send_low_stock_alerts(timestamp: int) -> int:
    """Tell sellers, once, about offers whose stock fell to their low-stock
    threshold; sales never wait for it (nothing runs on the checkout path).
    Returns how many offers were reported."""
    from .models import inventory_file

    return inventory_file.send_low_stock_alerts()


# Housekeeping of the queue itself: procrastinate's own job manager, so these
# two are async tasks without an app context.
STALLED_WORKER_SECONDS = 60
KEEP_FINISHED_HOURS = 7 * 24


@queue.periodic(cron="* * * * *")
@queue.task(queueing_lock="recover_stalled_jobs")
async def recover_stalled_jobs(timestamp: int) -> int:
    """Run again the jobs a worker was running when it died (killed, machine
    lost): its heartbeat stopped STALLED_WORKER_SECONDS ago. Jobs are
    idempotent, so a second run is safe. Returns how many were queued again."""
    stalled = await queue.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_WORKER_SECONDS)
    for job in stalled:
        await queue.job_manager.retry_job(job)
    return len(stalled)


@queue.periodic(cron="17 4 * * *")
@queue.task(queueing_lock="delete_old_jobs")
async def delete_old_jobs(timestamp: int) -> None:
    """Forget failed, cancelled and aborted jobs after a week (successful ones
    are deleted by the worker as soon as they end)."""
    await queue.job_manager.delete_old_jobs(nb_hours=KEEP_FINISHED_HOURS, include_failed=True,
                                            include_cancelled=True, include_aborted=True)


# --- the queue's schema and the worker ---------------------------------------

_QUEUE_SQL = resources.files("procrastinate.sql")


def _queue_migrations() -> list[str]:
    """procrastinate's migration files, oldest first (their names sort by version)."""
    return sorted(p.name for p in (_QUEUE_SQL / "migrations").iterdir() if p.name.endswith(".sql"))


def ensure_queue_schema(cur, begin_locked) -> str | None:
    """Create procrastinate's tables on first run, or apply its migrations
    newer than the last one recorded, each in its own transaction, as its
    docs ask. What is applied is recorded as the comment of procrastinate_jobs
    (the installed version's schema.sql already contains every migration it
    ships). Called by db.migrate with an autocommit cursor; begin_locked()
    starts a transaction holding the migration lock, under which the next
    step is chosen. Returns what was done, or None when the schema is current."""
    migrations = _queue_migrations()
    created = None
    while True:
        begin_locked()
        try:
            cur.execute("""SELECT obj_description(t, 'pg_class') FROM to_regclass('procrastinate_jobs') t
                           WHERE t IS NOT NULL""")
            row = cur.fetchone()
            newer = [name for name in migrations if row is not None and row[0] is not None and name > row[0]]
            if row is not None and row[0] is not None and not newer:  # current (or newer than ours)
                cur.execute("COMMIT")
                break
            if row is None:
                created, script = True, (_QUEUE_SQL / "schema.sql").read_text(encoding="utf-8")
                marker = migrations[-1]
            elif row[0] is None:  # made by procrastinate's own CLI: taken as current
                created, script, marker = created or False, "SELECT 1", migrations[-1]
            else:
                marker = newer[0]
                created = created or False
                script = (_QUEUE_SQL / "migrations" / marker).read_text(encoding="utf-8")
            cur.execute(script)
            cur.execute("COMMENT ON TABLE procrastinate_jobs IS %s", (marker,))
            cur.execute("COMMIT")
        except Exception:
            cur.execute("ROLLBACK")
            raise
    if created is None:
        return None
    return f"procrastinate schema {'created' if created else 'upgraded'} to {migrations[-1]}"


@click.command("worker")
@click.option("--concurrency", default=2, show_default=True, help="Jobs run at the same time.")
def worker_command(concurrency: int) -> None:
    """Run the background worker (email copies of notices, periodic jobs)."""
    global _flask_app
    _flask_app = current_app._get_current_object()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    # LISTEN/NOTIFY needs a session: SOUK_QUEUE_DATABASE_URL bypasses PgBouncer.
    conninfo = current_app.config.get("QUEUE_DATABASE_URL") or current_app.config["DATABASE_DSN"]
    connector = procrastinate.PsycopgConnector(conninfo=conninfo,
                                              min_size=1, max_size=concurrency + 2)
    with queue.replace_connector(connector):
        click.echo(f"Worker running ({concurrency} at a time); Ctrl+C to stop.")
        # Successful jobs are deleted at once (periodic runs would pile up);
        # failed ones stay in procrastinate_jobs for a look.
        queue.run_worker(concurrency=concurrency, delete_jobs="successful")

