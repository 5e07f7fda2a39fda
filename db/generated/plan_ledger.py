"""Plan the ledger: every balance change as a row, with running balances.

Most users top up when they sign up; at checkout the buyer is debited the
purchase total (the money is held on the orders); a seller is credited an
order's subtotal and shipping fee less the platform's commission when it is
delivered; a cancelled order is refunded to its buyer when cancelled, an
accepted return to its buyer from its seller (less the commission the
platform gives back) when accepted; when a row would take a balance below zero the user first tops
up, in round amounts; afterwards some users with money left withdraw part
of it. Ledger
ids follow time, so balance_after, the running sum in id order, is never
negative and the last one is the user's balance.
"""
import numpy as np

from .plan_states import ACCEPTED, CANCELLED, DELIVERED
from .sampling import MINUTE, group_cumsum, group_sizes, group_starts, later, sort_order

KINDS = ("topup", "purchase", "sale", "withdrawal", "refund")
TOPUP, PURCHASE, SALE, WITHDRAWAL, REFUND = range(5)
TOPUP_STEP = 5_000  # top-ups before a purchase are whole multiples of 50.00
COLUMNS = ("user", "kind", "amount", "time", "seq", "purchase", "balance_after", "order")


def plan_ledger(rng, now: int, users: dict, purchases: dict, orders: dict, returns: dict) -> dict:
    """The ledger rows in id order; sets users["balance"]."""
    n_users, n_purchases = len(users["created"]), len(purchases["buyer"])
    # `seq` orders rows within one second: sign-ups first, then each
    # purchase's rows (top-up, debit, credits), withdrawals last.
    slot = n_users + 1 + np.arange(n_purchases) * 32
    signed_up = np.flatnonzero(rng.random(n_users) < 0.7)
    n_orders = len(orders["purchase"])
    # Rows after checkout (releases and refunds) come at their own times;
    # their seq only orders rows of the same second.
    after = slot[-1] + 32 + 3 * np.arange(n_orders) if n_purchases else np.zeros(0, dtype=np.int64)
    done = np.flatnonzero(orders["state"] == DELIVERED)
    cancelled = np.flatnonzero(orders["state"] == CANCELLED)
    accepted = np.flatnonzero(returns["state"] == ACCEPTED)
    taken_back = returns["order"][accepted]
    paid = orders["subtotal"] + orders["shipping_fee"]
    ledger = _stack(
        (signed_up, TOPUP, rng.integers(2, 31, len(signed_up)) * 1_000, users["created"][signed_up],
         signed_up),
        (purchases["buyer"], PURCHASE, -purchases["total"], purchases["created"], slot + 1,
         np.arange(n_purchases)),
        (orders["seller"][done], SALE, paid[done] - orders["commission"][done], orders["delivered_at"][done],
         after[done], orders["purchase"][done], 0, done),
        (orders["buyer"][cancelled], REFUND, paid[cancelled], orders["cancelled_at"][cancelled],
         after[cancelled], orders["purchase"][cancelled], 0, cancelled),
        (returns["seller"][accepted], REFUND, (returns["commission_back"] - returns["refund"])[accepted],
         returns["decided"][accepted], after[taken_back] + 1, orders["purchase"][taken_back], 0, taken_back),
        (orders["buyer"][taken_back], REFUND, returns["refund"][accepted], returns["decided"][accepted],
         after[taken_back] + 2, orders["purchase"][taken_back], 0, taken_back),
    )
    ledger = _take(ledger, sort_order(ledger["time"] - ledger["time"].min(initial=0), ledger["seq"]))
    final = _add_topups(ledger)
    ledger = _add_topup_rows(ledger)
    users["balance"] = np.zeros(n_users, dtype=np.int64)
    users["balance"][final[0]] = final[1]
    return _add_withdrawals(rng, now, ledger, users["balance"],
                            slot[-1] + 32 + 3 * n_orders if n_purchases else n_users + 1)


def _stack(*parts) -> dict:
    """Rows given as (user, kind, amount, time, seq[, purchase, balance_after,
    order]) tuples of columns."""
    columns = {name: [] for name in COLUMNS}
    for part in parts:
        values = dict(zip(COLUMNS, part, strict=False))  # purchase and balance_after may be left out
        values.setdefault("purchase", -1)
        values.setdefault("balance_after", 0)
        values.setdefault("order", -1)
        for name in COLUMNS:
            columns[name].append(np.broadcast_to(np.asarray(values[name], dtype=np.int64), (len(part[0]),)))
    return {name: np.concatenate(values) for name, values in columns.items()}


def _take(ledger: dict, rows: np.ndarray) -> dict:
    return {name: column[rows] for name, column in ledger.items()}


def _add_topups(ledger: dict) -> tuple[np.ndarray, np.ndarray]:
    """Work out, per user in time order, the smallest round top-ups that keep
    the balance >= 0; stores the top-up due before each row and each row's
    balance_after. Returns (users, final balances)."""
    by_user = np.argsort(ledger["user"], kind="stable")
    starts = group_starts(ledger["user"][by_user])
    balance = group_cumsum(ledger["amount"][by_user], starts)
    # Running maximum of the shortfall per user, in one pass: each user's
    # values are lifted above all earlier users' so nothing carries over.
    shortfall = np.maximum(-balance, 0)
    lift = np.repeat(np.arange(len(starts), dtype=np.int64), group_sizes(starts, len(balance)))
    lift *= int(shortfall.max(initial=0)) + 1
    covered = -(-(np.maximum.accumulate(shortfall + lift) - lift) // TOPUP_STEP) * TOPUP_STEP
    topup = covered - np.r_[0, covered[:-1]]
    topup[starts] = covered[starts]
    ledger["topup"] = np.empty_like(topup)
    ledger["topup"][by_user] = topup
    ledger["balance_after"][by_user] = balance + covered
    last = by_user[np.r_[starts[1:], len(by_user)] - 1]
    return ledger["user"][last], ledger["balance_after"][last]


def _add_topup_rows(ledger: dict) -> dict:
    """Insert each top-up just before the debit that needed it."""
    topup = ledger.pop("topup")
    at = np.flatnonzero(topup > 0)
    rows = {"user": ledger["user"][at], "kind": np.full(len(at), TOPUP), "amount": topup[at],
            "time": ledger["time"][at], "seq": ledger["seq"][at] - 1, "purchase": np.full(len(at), -1),
            "order": np.full(len(at), -1),
            # The balance after the top-up is the one before the debit.
            "balance_after": ledger["balance_after"][at] - ledger["amount"][at]}
    return _insert(ledger, at, rows)


def _insert(ledger: dict, at: np.ndarray, rows: dict) -> dict:
    """np.insert of rows before positions `at` (ascending) for every column."""
    size = len(ledger["user"]) + len(at)
    inserted = at + np.arange(len(at))
    kept = np.ones(size, dtype=bool)
    kept[inserted] = False
    merged = {}
    for name in COLUMNS:
        merged[name] = np.empty(size, dtype=np.int64)
        merged[name][kept] = ledger[name]
        merged[name][inserted] = rows[name]
    return merged


def _add_withdrawals(rng, now: int, ledger: dict, balance: np.ndarray, seq: int) -> dict:
    """Some users with more than 100.00 left take out a round part of it,
    after their last ledger row."""
    wants = np.flatnonzero((balance > 10_000) & (rng.random(len(balance)) < 0.3))
    amount = (balance[wants] * rng.uniform(0.3, 0.9, len(wants))).astype(np.int64) // 1_000 * 1_000
    last_time = np.zeros(len(balance), dtype=np.int64)
    np.maximum.at(last_time, ledger["user"], ledger["time"])
    rows = {"user": wants, "kind": np.full(len(wants), WITHDRAWAL), "amount": -amount,
            "time": later(rng, last_time[wants], now - MINUTE), "seq": seq + wants,
            "purchase": np.full(len(wants), -1), "balance_after": balance[wants] - amount,
            "order": np.full(len(wants), -1)}
    balance[wants] -= amount
    order = np.lexsort((rows["seq"], rows["time"]))
    at = np.searchsorted(ledger["time"], rows["time"][order], side="right")
    return _insert(ledger, at, {name: column[order] for name, column in rows.items()})
