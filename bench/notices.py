"""Benchmark: what notices cost the transactions that send them, the unread
count in every page's header, and how fast the worker mails them.

    .venv/bin/python bench/notices.py [--threads 8] [--seconds 5] [--inbox 200000] [--mails 2000]

On a scratch database (souk_bench_notices_<pid>, on the embedded server or
on DATABASE_URL's server, dropped at the end):

1. notify under concurrency: `threads` threads run one-statement
   transactions for `seconds` each, three ways: notify() to one seller (a
   flash sale's seller getting a notice per order), notify() to a different
   user each, and the design notify() avoids: the same notice plus an
   unread counter kept on the seller's users row. It prints transactions/s
   and the ratios one-seller/spread (1.0 = no hot row) and
   one-seller/counter (what the counter would have cost).
2. the session-user query, which carries the header's unread count, for a
   user with `inbox` notices (half unread) and for one with none: median
   and p95, and their ratio (1.0 = the count costs nothing extra).
3. the worker's mail drain: `mails` pending notices sent by
   mail.deliver_due_emails to an SMTP sink (aiosmtpd) on a free loopback
   port, against the same number of messages sent over one SMTP connection
   with no database (the ceiling): mails/s and their ratio.
"""
import argparse
import os
import smtplib
import socket
import statistics
import sys
import threading
import time
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app, db, embedded, mail  # noqa: E402
from app.models import notification as notifications  # noqa: E402
from app.models import user as users  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def seed_users(app, count: int) -> list[int]:
    with app.app_context():
        return [row["id"] for row in db.query(
            """INSERT INTO users (email, password_hash, first_name, last_name)
               SELECT 'bench-' || i || '@bench.example', 'no-login', 'Bench', 'User' || i
               FROM generate_series(1, %s) i RETURNING id""", (count,))]


def hammer(app, threads: int, seconds: float, work) -> float:
    """Transactions per second of `threads` threads each running
    `work(thread_number, i)` in its own transaction for `seconds`."""
    done = [0] * threads
    stop = time.monotonic() + seconds
    barrier = threading.Barrier(threads)

    def run(n: int) -> None:
        with app.app_context():
            db.query_value("SELECT 1")  # take the connection before the clock starts
            barrier.wait()
            i = 0
            while time.monotonic() < stop:
                with db.transaction():
                    work(n, i)
                i += 1
            done[n] = i

    started = time.monotonic()
    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done) / (time.monotonic() - started)


def bench_notify(app, threads: int, seconds: float, user_ids: list[int]) -> None:
    seller = user_ids[0]

    def notice(user_id, n, i):
        notifications.notify(user_id, "order_placed", f"Order #{n}-{i} placed", "1 unit", "/sell/orders")

    def one_seller(n, i):
        notice(seller, n, i)

    def spread(n, i):
        notice(user_ids[1 + n], n, i)

    def with_counter(n, i):
        notice(seller, n, i)
        db.execute("UPDATE users SET seller_rating_count = seller_rating_count WHERE id = %s", (seller,))

    rates = {name: hammer(app, threads, seconds, work)
             for name, work in (("one seller", one_seller), ("spread", spread), ("counter", with_counter))}
    print(f"1. notify() in its own transaction, {threads} threads x {seconds:.0f} s:")
    for name, rate in rates.items():
        print(f"   {name:>10}: {rate:8.0f} transactions/s")
    print(f"   ratio one seller / spread: {rates['one seller'] / rates['spread']:.2f}; "
          f"one seller / with a counter on the seller's row: {rates['one seller'] / rates['counter']:.2f}")


def bench_unread(app, inbox: int, user_ids: list[int], samples: int = 300) -> None:
    busy, idle = user_ids[-1], user_ids[-2]
    with app.app_context():
        db.execute("""INSERT INTO notifications (user_id, kind, subject, read_at, email_state)
                      SELECT %s, 'order_placed', 'Order ' || i, CASE WHEN i %% 2 = 0 THEN now() END, 'sent'
                      FROM generate_series(1, %s) i""", (busy, inbox))
        db.execute("ANALYZE notifications")
        timings = {}
        for name, user_id in (("busy", busy), ("empty", idle)):
            session_id = f"{user_id}:0"
            for _ in range(20):
                users.load_session_user(session_id)
            runs = []
            for _ in range(samples):
                started = time.perf_counter()
                user = users.load_session_user(session_id)
                runs.append((time.perf_counter() - started) * 1000)
            timings[name] = (runs, user.unread_notices)
    print(f"2. session user with the header's unread count ({samples} queries each):")
    for name, (runs, count) in timings.items():
        label = f"{inbox:,} notices" if name == "busy" else "no notices"
        print(f"   {label:>16}: median {statistics.median(runs):.2f} ms, p95 {percentile(runs, 0.95):.2f} ms"
              f" (count read: {count})")
    print(f"   ratio busy / empty (median): "
          f"{statistics.median(timings['busy'][0]) / statistics.median(timings['empty'][0]):.2f}")


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_mail(app, mails: int, user_ids: list[int]) -> None:
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = {**app.config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port}
        with app.app_context():
            db.execute("UPDATE notifications SET email_state = 'sent' WHERE email_state = 'pending'")
            db.execute("""INSERT INTO notifications (user_id, kind, subject, body, link)
                          SELECT %s, 'order_shipped', 'Order #' || i || ' has shipped', 'Tracking: ' || i,
                                 '/purchases/' || i
                          FROM generate_series(1, %s) i""", (user_ids[1], mails))
            started = time.perf_counter()
            sent = 0
            while sent < mails:
                counts = mail.deliver_due_emails(settings, max_seconds=600)
                if not counts["sent"]:
                    break
                sent += counts["sent"]
            drain = sent / (time.perf_counter() - started)
        smtp = smtplib.SMTP("127.0.0.1", port)
        started = time.perf_counter()
        for i in range(mails):
            message = EmailMessage()
            message["From"], message["To"] = settings["SMTP_FROM"], "bench@bench.example"
            message["Subject"] = f"Order #{i} has shipped"
            message.set_content(f"Hello,\n\nTracking: {i}\n")
            smtp.send_message(message)
        ceiling = mails / (time.perf_counter() - started)
        smtp.quit()
    finally:
        controller.stop()
    print(f"3. mail drain: {sent:,} mails, {drain:.0f} mails/s through the outbox; "
          f"{ceiling:.0f} mails/s over plain SMTP with no database; ratio {drain / ceiling:.2f}"
          f" (sink received {sink.count:,})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--inbox", type=int, default=200_000)
    parser.add_argument("--mails", type=int, default=2000)
    args = parser.parse_args()
    server = (db.with_dbname(os.environ["DATABASE_URL"], "postgres") if os.environ.get("DATABASE_URL")
              else embedded.start(ROOT / "instance"))
    name = f"souk_bench_notices_{os.getpid()}"
    db.create_database(server, name)
    dsn = db.with_dbname(server, name)
    try:
        db.migrate(dsn)
        app = create_app({"DATABASE_URL": dsn, "DB_POOL_MAX": args.threads + 2})
        user_ids = seed_users(app, args.threads + 3)
        bench_notify(app, args.threads, args.seconds, user_ids)
        bench_unread(app, args.inbox, user_ids)
        bench_mail(app, args.mails, user_ids)
    finally:
        db.drop_database(server, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
