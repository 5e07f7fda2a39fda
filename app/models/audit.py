"""The audit log: who did what to what, when and why. Append-only: rows are
only ever inserted (a trigger of 0110_operator refuses UPDATE and DELETE),
and always in the transaction of the change they record, so the log holds
exactly the changes that happened."""
import json
from dataclasses import dataclass

from psycopg2 import sql

from .. import db

# Every action the console (and the command line) records, with its label.
ACTIONS = {
    "grant_operator": "Made operator",
    "revoke_operator": "Operator role removed",
    "suspend_user": "User suspended",
    "reinstate_user": "User reinstated",
    "hide_product": "Product hidden",
    "restore_product": "Product restored",
    "hide_offer": "Offer hidden",
    "restore_offer": "Offer restored",
    "hide_review": "Review hidden",
    "restore_review": "Review restored",
    "add_category": "Category added",
    "rename_category": "Category renamed",
    "merge_category": "Categories merged",
    "refund_order": "Order refunded",
    "end_sale": "Flash sale ended early",
}
SUBJECT_KINDS = ("user", "product", "offer", "product_review", "seller_review", "category", "order",
                 "flash_sale")
MAX_REASON = 1000


@dataclass(frozen=True)
class Actor:
    """Who acts: an operator (id and email) or the command line (id None)."""

    id: int | None
    label: str


def record(actor: Actor, action: str, subject_kind: str, subject_id: int | None, reason: str = "",
           details: dict | None = None) -> int:
    """Append one row; call it inside the transaction of the change. Returns its id."""
    if action not in ACTIONS or subject_kind not in SUBJECT_KINDS:
        raise ValueError(f"unknown audit action or subject: {action!r}, {subject_kind!r}")
    return db.query_value(
        """INSERT INTO audit_log (actor_id, actor_label, action, subject_kind, subject_id, reason, details)
           VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (actor.id, actor.label[:300], action, subject_kind, subject_id, reason[:MAX_REASON],
         json.dumps(details or {}, default=str)))


@dataclass(frozen=True)
class Search:
    """What the log page is narrowed to; every part optional."""

    action: str | None = None
    subject_kind: str | None = None
    subject_id: int | None = None
    actor_id: int | None = None


def search(where: Search, page: int, per_page: int) -> list[dict]:
    """One page of the log, newest first, narrowed by `where`; per_page + 1
    rows at most. Each narrowing has an index that starts with it
    (audit_log_action, _subject, _actor), newest first."""
    parts, params = [sql.SQL("TRUE")], {}
    for column, value in (("action", where.action), ("subject_kind", where.subject_kind),
                          ("subject_id", where.subject_id), ("actor_id", where.actor_id)):
        if value is not None:
            parts.append(sql.SQL("{} = {}").format(sql.Identifier("a", column), sql.Placeholder(column)))
            params[column] = value
    params.update(limit=per_page + 1, offset=(page - 1) * per_page)
    return db.query(sql.SQL(
        """SELECT a.id, a.actor_id, a.actor_label, a.action, a.subject_kind, a.subject_id, a.reason,
                  a.details, a.created_at
           FROM audit_log a WHERE {} ORDER BY a.id DESC LIMIT %(limit)s OFFSET %(offset)s""").format(
        sql.SQL(" AND ").join(parts)), params)


def for_subject(subject_kind: str, subject_id: int, limit: int = 20) -> list[dict]:
    """The latest rows about one thing (a user's page shows its history)."""
    return search(Search(subject_kind=subject_kind, subject_id=subject_id), 1, limit)[:limit]
