"""Settling a dispute: an operator refunds units of an order's lines and/or
its shipping fee, with a reason. The move is a row of
order_state.TRANSITIONS for each state that still has money to give back
(refund_placed, refund_shipped, refund_delivered; actor "operator"), and
it moves money and stock with the same escrow functions as the buyer's and
seller's moves:

- placed: the refunded units are cancelled (back on sale, as the seller's
  "cancel lines"); when no unit is left the order is cancelled, shipping
  refunded too, as a cancellation.
- shipped, delivered: the refunded units count as returned (back in the
  seller's stock), recorded as a return the operator accepted; while the order's money is held
  it comes out of the order, after delivery from the seller's balance and
  the platform's commission on it (refused when that balance is too low).

One transaction locks the order row, claims the move, moves the money,
writes the audit row (models/audit.py, with the form's key) and tells the
buyer and the seller. The form carries a key made when it was shown: a
second request with the same key (a double click, a resent form) finds the
audit row under the same lock and changes nothing. Units that an open
return request names wait for the seller's answer and cannot be refunded
here, so the two can never refund the same unit."""
import uuid
from decimal import Decimal

from .. import db
from . import audit, escrow, order_notices
from .audit import Actor
from .order_notices import money
from .order_state import (
    MAX_REASON,
    STATE_LABELS,
    OrderNotFound,
    Outcome,
    TransitionRefused,
    _claim,
    _refund,
    clean_text,
)

# The operator's refund move of each state it is allowed in.
REFUND_ACTIONS = {"placed": "refund_placed", "shipped": "refund_shipped", "delivered": "refund_delivered"}
MAX_KEY = 64


def new_key() -> str:
    """A fresh key for a refund form (the double-click guard)."""
    return uuid.uuid4().hex


def refundable(order: dict) -> dict:
    """What an operator may still refund of an order (a row of
    models/order.py with its lines and returns): {line_id: units} and the
    shipping fee not refunded yet (0 when none is left)."""
    waiting = _waiting_units(order["returns"])
    units = {line["id"]: max(line["net"] - waiting.get(line["id"], 0), 0) for line in order["lines"]}
    return {"units": units, "shipping": escrow.shipping_left(order, order["lines"])}


def _waiting_units(returns: list[dict]) -> dict[int, int]:
    """Units of each line named by an open return request."""
    waiting: dict[int, int] = {}
    for request in returns:
        if request["state"] == "requested":
            for line in request["lines"]:
                waiting[line["line_id"]] = waiting.get(line["line_id"], 0) + line["quantity"]
    return waiting


def refund(actor: Actor, order_id: int, quantities: dict[int, int], shipping: bool, reason: str,
           key: str, write_off: bool = False) -> Outcome:
    """Refund `quantities` ({line_id: units}) of the order, and its shipping
    fee when `shipping`, giving `reason` (kept in the audit log and told to
    both sides). Raises OrderNotFound for an unknown order and
    TransitionRefused (with a message for people) for a line of another
    order, more units than are left to refund, nothing to refund, or an
    order in a state with nothing to give back. Refunded units go back into
    the seller's stock, unless shipped units are written off (`write_off`:
    a lost or broken parcel, which would otherwise sell stock the seller no
    longer has)."""
    reason = clean_text(reason, MAX_REASON, "reason", required=True)
    key = clean_text(key, MAX_KEY, "form key", required=True)
    if any(units < 0 for units in quantities.values()):
        raise TransitionRefused("Units to refund cannot be negative.")
    quantities = {line_id: units for line_id, units in quantities.items() if units}
    if not quantities and not shipping:
        raise TransitionRefused("Choose at least one unit or the shipping fee to refund.")
    return db.run_transaction(_refund_order, actor, order_id, quantities, shipping, reason, key, write_off)


def _refund_order(actor, order_id, quantities, shipping, reason, key, write_off) -> Outcome:
    state = db.query_value("SELECT state FROM orders WHERE id = %s FOR NO KEY UPDATE", (order_id,))
    if state is None:
        raise OrderNotFound(order_id)
    if _already_sent(order_id, key):
        return Outcome(order_id, "refund", False, state,
                       f"This refund of order #{order_id} was already made (the form was sent twice).")
    if state not in REFUND_ACTIONS:
        raise TransitionRefused(f"Order #{order_id} is {STATE_LABELS[state]}: "
                                "everything was refunded already.")
    action = REFUND_ACTIONS[state]
    order = _claim(action, order_id, None)
    lines = {line["id"]: line for line in escrow.order_lines(order_id)}
    waiting = _waiting_units(_open_returns(order_id))
    takes = []
    for line_id, units in sorted(quantities.items()):
        line = lines.get(line_id)
        if line is None:
            raise TransitionRefused(f"Line {line_id} is not part of order #{order_id}.")
        left = line["net"] - waiting.get(line_id, 0)
        if units > left:
            why = (f" ({waiting[line_id]} more wait for the seller's answer to a return)"
                   if line_id in waiting else "")
            raise TransitionRefused(f"At most {max(left, 0)} of {line['product_name']} can be refunded{why}; "
                                    f"you asked for {units}.")
        takes.append((line, units))
    column = "cancelled_quantity" if state == "placed" else "returned_quantity"
    restock = not write_off or state == "placed"
    amount = escrow.put_back(order["buyer_id"], takes, column, restock) if takes else Decimal("0.00")
    if takes and column == "returned_quantity":
        _accepted_return(order, takes, amount, reason, restock)
    still_sold = sum(line["net"] for line in lines.values()) - sum(units for _, units in takes)
    cancels = state == "placed" and still_sold == 0
    fee = escrow.shipping_left(order, list(lines.values())) if shipping or cancels else Decimal("0.00")
    if shipping and not fee and not takes:
        raise TransitionRefused(f"The shipping fee of order #{order_id} was already refunded and "
                                "no unit was chosen.")
    amount += fee
    if cancels:
        db.execute("""UPDATE orders SET state = 'cancelled', cancelled_at = now(), cancelled_by = 'operator'
                      WHERE id = %s""", (order_id,))
        state = "cancelled"
    _refund(order, amount)
    what = ", ".join([f"{units} × {line['product_name']}" for line, units in takes]
                     + (["shipping"] if fee else []))
    audit.record(actor, "refund_order", "order", order_id, reason,
                 {"key": key, "amount": amount, "from_state": order["state"], "state": state,
                  "lines": {str(line["id"]): units for line, units in takes}, "shipping": fee,
                  "restocked": restock and bool(takes)})
    order_notices.tell(order, "operator_refund",
                       f"The marketplace refunded {what}: {money(amount)} is back in your balance. {reason}",
                       f"The marketplace refunded {what} to the buyer: {money(amount)}"
                       f"{' from your balance' if order['released_at'] else ''}. {reason}")
    settled = " and cancelled" if state == "cancelled" else ""
    return Outcome(order_id, action, True, state, f"Order #{order_id} is refunded{settled}: "
                   f"{money(amount)} ({what}) went back to the buyer.", amount)


def _accepted_return(order: dict, takes: list[tuple[dict, int]], amount: Decimal, reason: str,
                     restocked: bool) -> None:
    """Record units refunded after shipping as a return the operator
    accepted, with their reason and whether they went back into stock:
    returned units are always those of accepted returns, and both sides
    see it among the order's returns."""
    return_id = db.query_value(
        """INSERT INTO return_requests (order_id, seller_id, state, reason, refund_amount, decided_at,
                                        restocked)
           VALUES (%s, %s, 'accepted', %s, %s, now(), %s) RETURNING id""",
        (order["id"], order["seller_id"], reason, amount, restocked))
    db.execute("""INSERT INTO return_lines (return_id, line_id, quantity)
                  SELECT %s, * FROM unnest(%s::bigint[], %s::int[])""",
               (return_id, [line["id"] for line, _ in takes], [units for _, units in takes]))


def _already_sent(order_id: int, key: str) -> bool:
    """A refund with this form key is in the audit log (audit_log_subject:
    the few rows about this order)."""
    return db.query_value(
        """SELECT 1 FROM audit_log WHERE subject_kind = 'order' AND subject_id = %s
           AND action = 'refund_order' AND details->>'key' = %s""", (order_id, key)) is not None


def _open_returns(order_id: int) -> list[dict]:
    return db.query(
        """SELECT 'requested' AS state,
                  json_agg(json_build_object('line_id', rl.line_id, 'quantity', rl.quantity)) AS lines
           FROM return_requests r JOIN return_lines rl ON rl.return_id = r.id
           WHERE r.order_id = %s AND r.state = 'requested' GROUP BY r.id""", (order_id,))
