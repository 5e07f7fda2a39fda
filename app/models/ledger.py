"""Balances and their ledger. A balance changes only together with a ledger
row, in one transaction; the users.balance CHECK makes negative impossible."""
from decimal import Decimal

from .. import db


class InsufficientFunds(Exception):
    """The balance is lower than the amount asked for."""


def post_entry(user_id: int, kind: str, amount: Decimal, purchase_id: int | None = None,
               order_id: int | None = None) -> Decimal:
    """Add `amount` (negative to take) to a balance and write its ledger row.

    Must run inside a transaction. The conditional update takes the row lock,
    so concurrent changes queue up and balance_after is exact. Raises
    InsufficientFunds when the balance would go below zero."""
    new_balance = db.query_value(
        """UPDATE users SET balance = balance + %s
           WHERE id = %s AND balance + %s >= 0 RETURNING balance""",
        (amount, user_id, amount))
    if new_balance is None:
        raise InsufficientFunds(user_id)
    db.execute(
        """INSERT INTO ledger_entries (user_id, kind, amount, balance_after, purchase_id, order_id)
           VALUES (%s, %s, %s, %s, %s, %s)""",
        (user_id, kind, amount, new_balance, purchase_id, order_id))
    return new_balance


def top_up(user_id: int, amount: Decimal) -> Decimal:
    """Add money to a balance; returns the new balance."""
    return db.run_transaction(post_entry, user_id, "topup", amount)


def withdraw(user_id: int, amount: Decimal) -> Decimal:
    """Take money out; raises InsufficientFunds rather than go below zero."""
    return db.run_transaction(post_entry, user_id, "withdrawal", -amount)


def entries(user_id: int, page: int, per_page: int) -> list[dict]:
    """One page of a user's ledger, newest first, with the running balance.
    Returns per_page + 1 rows at most so the caller knows if more follow."""
    return db.query(
        """SELECT id, kind, amount, balance_after, purchase_id, order_id, created_at
           FROM ledger_entries WHERE user_id = %s
           ORDER BY id DESC LIMIT %s OFFSET %s""",
        (user_id, per_page + 1, (page - 1) * per_page))
