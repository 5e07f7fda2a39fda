"""Email copies of notices through the real background worker
(`python -m app worker` in a subprocess, against the test database) and a
real SMTP server (aiosmtpd) on a free loopback port."""
import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes

import procrastinate
import psycopg2
import pytest
from aiosmtpd.controller import Controller

from app import db, jobs, mail
from app.models import notification as notifications

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAIT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """Keeps every message the SMTP server accepted."""

    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        with self._lock:
            self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"

    def received(self) -> list:
        with self._lock:
            return list(self.messages)


class SmtpSink:
    """An SMTP server on a fixed port, started and stopped by the test."""

    def __init__(self, port: int):
        self.port = port
        self.sink = Sink()
        self.controller = None

    def start(self):
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SmtpSink(free_port())
    yield server
    server.stop()


@pytest.fixture
def start_worker(database, tmp_path):
    """Start `python -m app worker` processes on the test database, sending
    to `smtp_port`; all are stopped (SIGTERM, as ./setup.sh does) at the end,
    and their output is printed (pytest shows it when a test fails)."""
    processes = []

    def start(smtp_port: int):
        output = open(tmp_path / f"worker-{len(processes)}.log", "w")
        env = {**os.environ, "DATABASE_URL": database, "SOUK_SMTP_HOST": "127.0.0.1",
               "SOUK_SMTP_PORT": str(smtp_port), "SOUK_MAIL_POLL_SECONDS": "1",
               "SOUK_MAIL_RETRY_SECONDS": "1", "SOUK_BASE_URL": "https://souk.example",
               "SOUK_DB_POOL_MAX": "4"}
        process = subprocess.Popen([sys.executable, "-m", "app", "worker"], cwd=ROOT, env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
        output.close()
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for log in sorted(tmp_path.glob("worker-*.log")):
        print(f"--- {log.name}\n{log.read_text()}")


def wait_for(condition, what: str, seconds: float = WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


def email_states(app) -> list[dict]:
    with app.app_context():
        return db.query("SELECT id, email_state, email_attempts FROM notifications ORDER BY id")


def test_a_committed_notice_is_mailed_once_and_a_rolled_back_one_never(app, make_user, smtp, start_worker):
    smtp.start()
    user = make_user(email="buyer@example.com", first_name="Ada")
    with app.app_context():
        with pytest.raises(RuntimeError), db.transaction():
            notifications.notify(user.id, "order_cancelled", "Rolled back", "never committed")
            jobs.defer_in_transaction(jobs.send_notice_emails, timestamp=0)
            raise RuntimeError("the cancellation failed")
        assert db.query_value("SELECT count(*) FROM procrastinate_jobs") == 0
        with db.transaction():
            nid = notifications.notify(user.id, "order_shipped", "Your order #5 has shipped",
                                       "Carrier: DHL\nTracking: AB123", "/purchases/5")
            # A job queued in the same transaction; the worker runs it too.
            job_id = jobs.defer_in_transaction(jobs.send_notice_emails, timestamp=0)
        job = db.query_one("SELECT task_name, status, args FROM procrastinate_jobs WHERE id = %s", (job_id,))
    assert job == {"task_name": jobs.send_notice_emails.name, "status": "todo", "args": {"timestamp": 0}}
    start_worker(smtp.port)
    received = wait_for(smtp.sink.received, "the mail")
    with app.app_context():  # done, and deleted as every successful job is
        wait_for(lambda: not db.query("SELECT 1 FROM procrastinate_jobs WHERE id = %s", (job_id,)),
                 "the deferred job to run")
    time.sleep(2)  # two more runs of the periodic job: still one mail
    assert len(smtp.sink.received()) == 1
    recipients, message = received[0]
    assert recipients == ["buyer@example.com"] and message["Subject"] == "Your order #5 has shipped"
    assert message["Message-ID"] == f"<notice-{nid}@souk.example>"
    text = message.get_payload(decode=True).decode()
    assert "Hello Ada," in text and "Tracking: AB123" in text
    assert "https://souk.example/purchases/5" in text and "https://souk.example/inbox/" in text
    assert email_states(app) == [{"id": nid, "email_state": "sent", "email_attempts": 1}]


def test_two_workers_send_each_of_many_mails_exactly_once(app, make_user, smtp, start_worker):
    smtp.start()
    users = [make_user() for _ in range(4)]
    with app.app_context(), db.transaction():
        for i in range(40):
            notifications.notify(users[i % 4].id, "order_placed", f"Order #{i} placed", "")
    start_worker(smtp.port)
    start_worker(smtp.port)
    wait_for(lambda: len(smtp.sink.received()) >= 40, "40 mails")
    time.sleep(2)
    subjects = sorted(message["Subject"] for _, message in smtp.sink.received())
    assert subjects == sorted(f"Order #{i} placed" for i in range(40))
    assert {row["email_state"] for row in email_states(app)} == {"sent"}


def test_a_mail_that_fails_while_smtp_is_down_is_retried_and_sent_once(app, make_user, smtp, start_worker):
    user = make_user(email="seller@example.com")
    with app.app_context():
        nid = notifications.notify(user.id, "return_requested", "A return was requested", "Reason: too small")
    start_worker(smtp.port)  # nothing listens on the port yet
    wait_for(lambda: email_states(app)[0]["email_attempts"] >= 1, "a failed attempt")
    assert email_states(app)[0]["email_state"] == "pending" and smtp.sink.received() == []
    smtp.start()
    wait_for(lambda: email_states(app)[0]["email_state"] == "sent", "the retried mail")
    time.sleep(2)
    received = smtp.sink.received()
    assert len(received) == 1 and received[0][0] == ["seller@example.com"]
    assert email_states(app)[0]["email_attempts"] >= 2 and email_states(app)[0]["id"] == nid


def test_without_smtp_mails_are_written_to_the_log(app, make_user, caplog):
    user = make_user(email="nosmtp@example.com")
    settings = {**app.config, "SMTP_HOST": None}
    with app.app_context():
        notifications.notify(user.id, "order_delivered", "Order #3 delivered", "Enjoy", "/purchases/3")
        with caplog.at_level("INFO", logger="souk.mail"):
            assert mail.deliver_due_emails(settings) == {"sent": 0, "logged": 1, "failed": 0}
            assert mail.deliver_due_emails(settings) == {"sent": 0, "logged": 0, "failed": 0}
        assert db.query_value("SELECT email_state FROM notifications") == "logged"
    assert "nosmtp@example.com" in caplog.text and "Order #3 delivered" in caplog.text


def test_a_refused_recipient_is_given_up_at_once_and_retries_stop_after_the_last_attempt(app, make_user):
    settings = {**app.config, "MAIL_MAX_ATTEMPTS": 3, "MAIL_RETRY_SECONDS": 1}
    assert [mail.retry_delay(settings, n) for n in range(3)] == [
        mail.retry_delay(settings, 0), mail.retry_delay(settings, 0) * 2, None]
    user = make_user()

    server = SmtpSink(free_port())
    server.sink.handle_RCPT = _refuse_recipient
    server.start()
    try:
        with app.app_context():
            notifications.notify(user.id, "order_refunded", "Refund", "")
            counts = mail.deliver_due_emails({**settings, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port})
            assert counts == {"sent": 0, "logged": 0, "failed": 1}
            assert db.query_one("SELECT email_state, email_attempts FROM notifications") == {
                "email_state": "failed", "email_attempts": 1}
    finally:
        server.stop()


async def _refuse_recipient(server, session, envelope, address, rcpt_options):
    return "550 No such user here"


def test_the_queue_schema_is_applied_once_and_upgraded_by_newer_migrations(database, tmp_path, monkeypatch):
    real_latest = jobs._queue_migrations()[-1]
    fake = tmp_path / "procrastinate_sql"
    (fake / "migrations").mkdir(parents=True)
    (fake / "migrations" / "01.00.00_01_first.sql").write_text("SELECT 1")
    (fake / "migrations" / "01.01.00_01_second.sql").write_text("CREATE TABLE queue_upgrade_probe (id int)")
    conn = psycopg2.connect(database)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            def begin():
                cur.execute("BEGIN")

            assert jobs.ensure_queue_schema(cur, begin) is None  # the test database has the current one
            monkeypatch.setattr(jobs, "_QUEUE_SQL", fake)
            cur.execute("COMMENT ON TABLE procrastinate_jobs IS '01.00.00_01_first.sql'")
            upgraded = jobs.ensure_queue_schema(cur, begin)
            assert upgraded == "procrastinate schema upgraded to 01.01.00_01_second.sql"
            assert jobs.ensure_queue_schema(cur, begin) is None
            cur.execute("SELECT to_regclass('queue_upgrade_probe') IS NOT NULL")
            assert cur.fetchone()[0]
    finally:
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS queue_upgrade_probe")
            cur.execute("COMMENT ON TABLE procrastinate_jobs IS %s", (real_latest,))
        conn.close()
    monkeypatch.undo()
    assert db.migrate(database) == []


def test_jobs_of_a_worker_that_died_are_run_again(app, database):
    with app.app_context():
        dead = db.query_value("""INSERT INTO procrastinate_workers (last_heartbeat)
                                 VALUES (now() - interval '10 minutes') RETURNING id""")
        alive = db.query_value("INSERT INTO procrastinate_workers DEFAULT VALUES RETURNING id")
        orphan, running = (db.query_value(
            """INSERT INTO procrastinate_jobs (queue_name, task_name, status, worker_id, attempts)
               VALUES ('default', 'app.jobs.send_notice_emails', 'doing', %s, 1) RETURNING id""", (worker,))
            for worker in (dead, alive))

    async def recover() -> int:
        with jobs.queue.replace_connector(procrastinate.PsycopgConnector(conninfo=database)):
            async with jobs.queue.open_async():
                return await jobs.recover_stalled_jobs(timestamp=0)

    # In a thread of its own: playwright's sync API may hold this thread's event loop.
    with ThreadPoolExecutor(1) as executor:
        assert executor.submit(asyncio.run, recover()).result(timeout=60) == 1
    with app.app_context():
        states = {row["id"]: row["status"] for row in db.query("SELECT id, status FROM procrastinate_jobs")}
    assert states == {orphan: "todo", running: "doing"}
