"""Notifications: the in-site inbox of every user, and the outbox of their
email copies.

`notify()` is called by other models inside the transaction of the change it
reports (an order shipped, a return refused...). It writes one row and
nothing else: the row is both the inbox entry and the pending email, so the
notice and its mail commit or roll back with the change, and the worker
(app/jobs.py) sends the mail after the commit. It touches no other row (no
counter on the user), so a seller who gets hundreds of notices a second
during a flash sale has no hot row; the unread count is read from a partial
index instead.

Every function that reads or changes an inbox takes the owner's id and
matches it in its WHERE clause: a notice of another user is simply not found.
"""
from datetime import timedelta

from .. import db

# Every kind of notice, with the label the inbox shows. Add a kind here (no
# migration needed: the database only checks that a kind is well-formed).
KINDS = {
    "order_placed": "Order placed",
    "order_shipped": "Order shipped",
    "order_delivered": "Order delivered",
    "order_cancelled": "Order cancelled",
    "order_refunded": "Refund",
    "return_requested": "Return requested",
    "return_accepted": "Return accepted",
    "return_refused": "Return refused",
    "sale_sold_out": "Flash sale sold out",
    "low_stock": "Low stock",
    "moderation": "From the marketplace",
}

SUBJECT_MAX = 200
BODY_MAX = 4000
LINK_MAX = 500
# The header shows "99+" above this: counting stops there, so a neglected
# inbox costs no more than a tidy one.
UNREAD_CAP = 99


def _clean(text: str, limit: int) -> str:
    """Text PostgreSQL accepts and the columns hold: no NUL bytes, at most
    `limit` characters (an over-long product name must not make the caller's
    order transaction fail)."""
    text = str(text).replace("\x00", "").strip()
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def is_local_link(link: str) -> bool:
    """True for a path inside this site ("/purchases/12"), never another host
    ("//evil.example", "/\\evil.example", "https://...")."""
    return (link.startswith("/") and not link.startswith(("//", "/\\")) and len(link) <= LINK_MAX
            and link.isprintable() and " " not in link)


def notify(user_id: int, kind: str, subject: str, body: str, link: str | None = None) -> int:
    """Notify a user: one INSERT, joined to the caller's transaction when one
    is open (`with db.transaction():`), so the notice exists only if the
    change it reports commits. Its email copy is sent by the worker after the
    commit. `kind` is a key of KINDS; `link` a path inside the site that
    opening the notice leads to. Subject and body lose NUL bytes and are
    shortened to fit. Returns the notification's id."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if link is not None and not is_local_link(link):
        raise ValueError(f"a notification links to a path inside the site, not {link!r}")
    return db.query_value(
        """INSERT INTO notifications (user_id, kind, subject, body, link)
           VALUES (%s, %s, %s, %s, %s) RETURNING id""",
        (user_id, kind, _clean(subject, SUBJECT_MAX) or KINDS[kind], _clean(body, BODY_MAX), link))


def notice_columns(notices: list[tuple[int, str, str, str, str | None]]) -> tuple[list, ...]:
    """(user_id, kind, subject, body, link) tuples checked and cleaned as
    notify() does, as five column arrays for one INSERT ... unnest (checkout
    passes them to its SQL function, place_order_write)."""
    for _, kind, _, _, link in notices:
        if kind not in KINDS:
            raise ValueError(f"unknown notification kind {kind!r}")
        if link is not None and not is_local_link(link):
            raise ValueError(f"a notification links to a path inside the site, not {link!r}")
    return ([n[0] for n in notices], [n[1] for n in notices],
            [_clean(n[2], SUBJECT_MAX) or KINDS[n[1]] for n in notices],
            [_clean(n[3], BODY_MAX) for n in notices], [n[4] for n in notices])


def inbox(user_id: int, page: int, per_page: int) -> list[dict]:
    """One page of the user's notices, newest first (per_page + 1 rows at
    most, for the pager): id, kind, label, subject, body, link, created_at,
    read_at. Served by notifications_user_newest."""
    rows = db.query(
        """SELECT id, kind, subject, body, link, created_at, read_at FROM notifications
           WHERE user_id = %s ORDER BY id DESC LIMIT %s OFFSET %s""",
        (user_id, per_page + 1, (page - 1) * per_page))
    for row in rows:
        row["label"] = KINDS.get(row["kind"], row["kind"].replace("_", " ").capitalize())
    return rows


def open_notice(user_id: int, notification_id: int) -> dict | None:
    """Mark one of the user's notices read (once: the first reading time is
    kept) and return it, or None when the user has no such notice."""
    row = db.query_one(
        """UPDATE notifications SET read_at = coalesce(read_at, now())
           WHERE id = %s AND user_id = %s
           RETURNING id, kind, subject, body, link, created_at, read_at""",
        (notification_id, user_id))
    if row is not None:
        row["label"] = KINDS.get(row["kind"], row["kind"])
    return row


def mark_read(user_id: int, notification_id: int) -> bool:
    """Mark one of the user's notices read. False when the user has no such
    notice; marking a read notice again changes nothing and is True."""
    return open_notice(user_id, notification_id) is not None


def mark_all_read(user_id: int, up_to_id: int | None = None) -> int:
    """Mark the user's unread notices read, only those up to `up_to_id` when
    given (the newest the user had on screen, so a notice that arrived after
    the page was drawn stays unread). Returns how many were marked."""
    return db.execute(
        """UPDATE notifications SET read_at = now()
           WHERE user_id = %s AND read_at IS NULL AND (%s::bigint IS NULL OR id <= %s::bigint)""",
        (user_id, up_to_id, up_to_id))


# --- the outbox of email copies, used by the worker --------------------------

def claim_due_email() -> dict | None:
    """Lock the oldest email copy due now and return it with the recipient's
    address and name (id, subject, body, link, email_attempts, email,
    first_name), or None when none is due. Call it inside a transaction and
    record the outcome in the same one: the row lock keeps other workers off
    this mail (SKIP LOCKED: they take the next one) until then."""
    return db.query_one(
        """SELECT n.id, n.subject, n.body, n.link, n.email_attempts, u.email, u.first_name
           FROM notifications n JOIN users u ON u.id = n.user_id
           WHERE n.email_state = 'pending' AND n.email_next_at <= now()
           ORDER BY n.email_next_at, n.id LIMIT 1
           FOR UPDATE OF n SKIP LOCKED""")


def record_email_sent(notification_id: int, logged_only: bool = False) -> None:
    """The email copy went out (or was written to the log, without SMTP)."""
    db.execute("UPDATE notifications SET email_state = %s, email_attempts = email_attempts + 1 WHERE id = %s",
               ("logged" if logged_only else "sent", notification_id))


def record_email_failure(notification_id: int, retry_in: timedelta | None) -> None:
    """Sending failed: try again after `retry_in`, or give up when it is None."""
    db.execute(
        """UPDATE notifications
           SET email_attempts = email_attempts + 1,
               email_state = CASE WHEN %(retry)s::interval IS NULL THEN 'failed' ELSE 'pending' END,
               email_next_at = now() + coalesce(%(retry)s::interval, interval '0')
           WHERE id = %(id)s""", {"retry": retry_in, "id": notification_id})


def pending_email_count() -> int:
    """How many email copies wait to be sent (for metrics and the worker's log)."""
    return db.query_value("SELECT count(*) FROM notifications WHERE email_state = 'pending'")
