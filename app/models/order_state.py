"""The life of a seller's order after checkout, as one table of allowed
moves: (state, action) -> (new state, who may do it).

    placed --ship (seller)--> shipped --deliver (seller)------------> delivered
       |                         |--confirm_delivery (buyer)--------^
       |                         '--auto_release (system, N days)---^
       |--cancel (buyer), seller_cancel (seller)--> cancelled
       '--cancel_lines (seller): some lines; all of them --> cancelled
    placed, shipped, delivered --refund_<state> (operator, settling a
       dispute): lines or shipping refunded, the state kept (a placed
       order with no line left --> cancelled); models/order_dispute.py
    delivered --request_return (buyer, within the window)--> a return request:
    requested --accept_return (seller)--> accepted (refunded at once)
              '--refuse_return (seller)--> refused

Every transition is one transaction (db.run_transaction) that first claims
the order with one conditional UPDATE whose WHERE names the order, its
owner (buyer or seller) and the state it must be in; that takes the row
lock, so a concurrent transition of the same order waits and then finds
the state changed. When nothing matched, a second read tells apart an
order that is not the user's (OrderNotFound), one that already reached the
target (a repeated click: Outcome.done is False, nothing changes) and one
in any other state (TransitionRefused, with a message for people). Money
and stock move in the same transaction (models/escrow.py)."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app

from .. import db
from . import escrow, order_notices
from .order_notices import money

# (state, action) -> (new state, who may do it). Return requests have their
# own states (requested, accepted, refused).
TRANSITIONS = {
    ("placed", "ship"): ("shipped", "seller"),
    ("shipped", "deliver"): ("delivered", "seller"),
    ("shipped", "confirm_delivery"): ("delivered", "buyer"),
    ("shipped", "auto_release"): ("delivered", "system"),
    ("placed", "cancel"): ("cancelled", "buyer"),
    ("placed", "seller_cancel"): ("cancelled", "seller"),
    ("placed", "cancel_lines"): ("placed", "seller"),
    ("delivered", "request_return"): ("delivered", "buyer"),
    ("placed", "refund_placed"): ("placed", "operator"),
    ("shipped", "refund_shipped"): ("shipped", "operator"),
    ("delivered", "refund_delivered"): ("delivered", "operator"),
    ("requested", "accept_return"): ("accepted", "seller"),
    ("requested", "refuse_return"): ("refused", "seller"),
}
RULES = {action: (state, target, actor) for (state, action), (target, actor) in TRANSITIONS.items()}
assert len(RULES) == len(TRANSITIONS), "each action moves from exactly one state"

STATES = ("placed", "shipped", "delivered", "cancelled")
STATE_LABELS = {"placed": "placed (not shipped yet)", "shipped": "shipped", "delivered": "delivered",
                "cancelled": "cancelled", "requested": "waiting for the seller", "accepted": "accepted",
                "refused": "refused"}
_DOING = {"ship": "shipped", "deliver": "marked delivered", "confirm_delivery": "confirmed as received",
          "auto_release": "completed", "cancel": "cancelled", "seller_cancel": "cancelled",
          "cancel_lines": "changed", "request_return": "returned", "accept_return": "accepted",
          "refuse_return": "refused", "refund_placed": "refunded", "refund_shipped": "refunded",
          "refund_delivered": "refunded"}
# Operators act on any order (the console's guard lets only them in).
_OWNER = {"buyer": "buyer_id = %(actor)s", "seller": "seller_id = %(actor)s", "system": "TRUE",
          "operator": "TRUE"}
_ORDER_COLUMNS = """id, purchase_id, seller_id, buyer_id, state, subtotal, shipping_fee, held_amount,
                    refunded_amount, released_at, delivered_at, carrier, tracking_number"""
# Completing sets both at once (a delivered order has always been released:
# a CHECK of migration 0065); escrow.release then moves the money.
_DELIVERED = "delivered_at = now(), released_at = coalesce(released_at, now())"
MAX_TRACKING = 100
MAX_REASON = 1000


class OrderNotFound(LookupError):
    """No such order (or return request) for this user."""


class TransitionRefused(Exception):
    """The move is not allowed now; `message` says why, for people."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Outcome:
    """What a transition did. done is False when it had already been done
    (a double click): then nothing changed and message says so."""

    order_id: int
    action: str
    done: bool
    state: str
    message: str
    refunded: Decimal = Decimal("0.00")
    return_id: int | None = None


def setting(name: str):
    return current_app.config[name]


def _claim(action: str, order_id: int, actor_id: int | None, sets: str = "", **params) -> dict | None:
    """Move the order from the action's state to its target, if it is the
    actor's and in that state. Returns the order row after the move, or
    None when it already was in the target state (a repeated action)."""
    source, target, actor = RULES[action]
    params.update(id=order_id, actor=actor_id, source=source, target=target)
    row = db.query_one(
        f"""UPDATE orders SET state = %(target)s {sets}
            WHERE id = %(id)s AND {_OWNER[actor]} AND state = %(source)s
            RETURNING {_ORDER_COLUMNS}""", params)
    if row is not None:
        return row
    current = db.query_value(f"SELECT state FROM orders WHERE id = %(id)s AND {_OWNER[actor]}", params)
    if current is None:
        raise OrderNotFound(order_id)
    if current == target and source != target:
        return None
    raise TransitionRefused(refusal(action, order_id, current))


def refusal(action: str, order_id: int, state: str) -> str:
    """Why `action` is not allowed on an order in `state`, for people."""
    return f"Order #{order_id} is {STATE_LABELS[state]}, so it cannot be {_DOING[action]} now."


def actions_for(order: dict, role: str, now: datetime, window_days: int) -> list[str]:
    """The actions `role` ('buyer' or 'seller') may take on an order (a row
    of models/order.py with its returns) now, for the pages' buttons."""
    actions = [action for (state, action), (_, actor) in TRANSITIONS.items()
               if state == order["state"] and actor == role]
    if "request_return" in actions and (
            order["open_return"] or not any(line["net"] > 0 for line in order["lines"])
            or order["delivered_at"] is None or now - order["delivered_at"] > timedelta(days=window_days)):
        actions.remove("request_return")
    if "cancel_lines" in actions and sum(line["net"] > 0 for line in order["lines"]) < 2:
        actions.remove("cancel_lines")  # one line left: cancelling it is cancelling the order
    if role == "seller" and order["open_return"]:
        actions += ["accept_return", "refuse_return"]
    return actions


def _already(order_id: int, action: str, state: str) -> Outcome:
    return Outcome(order_id, action, False, state, f"Order #{order_id} was already {STATE_LABELS[state]}.")


def clean_text(value: str | None, limit: int, what: str, required: bool = False) -> str | None:
    """Trimmed text for a transition, or TransitionRefused naming the field."""
    text = (value or "").strip()
    if "\x00" in text:
        raise TransitionRefused(f"The {what} cannot contain a NUL character.")
    if len(text) > limit:
        raise TransitionRefused(f"The {what} can have at most {limit:,} characters.")
    if required and not text:
        raise TransitionRefused(f"Enter the {what}.")
    return text or None


def ship(seller_id: int, order_id: int, carrier: str | None = None, tracking: str | None = None) -> Outcome:
    """The seller ships a placed order, optionally naming carrier and
    tracking number."""
    carrier = clean_text(carrier, MAX_TRACKING, "carrier")
    tracking = clean_text(tracking, MAX_TRACKING, "tracking number")
    return db.run_transaction(_ship, seller_id, order_id, carrier, tracking)


def _ship(seller_id, order_id, carrier, tracking) -> Outcome:
    order = _claim("ship", order_id, seller_id, ", carrier = %(carrier)s, tracking_number = %(tracking)s, "
                   "shipped_at = now()", carrier=carrier, tracking=tracking)
    if order is None:
        return _already(order_id, "ship", "shipped")
    tracking = " ".join(filter(None, (order["carrier"], order["tracking_number"])))
    said = f"Tracking: {tracking}." if tracking else "Sent without tracking."
    order_notices.tell(order, "shipped", said, said)
    return Outcome(order_id, "ship", True, "shipped", f"Order #{order_id} is marked shipped.")


def deliver(seller_id: int, order_id: int) -> Outcome:
    """The seller marks a shipped order delivered; its money goes to them."""
    return db.run_transaction(_complete, "deliver", order_id, seller_id)


def confirm_delivery(buyer_id: int, order_id: int) -> Outcome:
    """The buyer confirms they received a shipped order; its money goes to
    the seller."""
    return db.run_transaction(_complete, "confirm_delivery", order_id, buyer_id)


def auto_release(order_id: int, days: int) -> Outcome:
    """Complete a shipped order `days` after it shipped, as if delivered."""
    return db.run_transaction(_complete, "auto_release", order_id, None, days)


def _complete(action: str, order_id: int, actor_id: int | None, days: int | None = None) -> Outcome:
    if days is None:
        order = _claim(action, order_id, actor_id, ", " + _DELIVERED)
    else:
        order = _claim_due(order_id, days)
    if order is None:
        return _already(order_id, action, "delivered")
    share = escrow.release(order, Decimal(setting("COMMISSION_PERCENT")))
    how = {"deliver": "The seller marked it delivered.",
           "confirm_delivery": "The buyer confirmed it arrived.",
           "auto_release": "It shipped long enough ago to count as delivered."}[action]
    order_notices.tell(order, "delivered", how, f"{how} {money(share)} is now in your balance.")
    return Outcome(order_id, action, True, "delivered",
                   f"Order #{order_id} is delivered; {money(share)} is paid to the seller.")


def _claim_due(order_id: int, days: int) -> dict | None:
    """The automatic release claims only an order shipped `days` ago."""
    row = db.query_one(
        f"""UPDATE orders SET state = 'delivered', {_DELIVERED}
            WHERE id = %s AND state = 'shipped' AND shipped_at <= now() - make_interval(days => %s)
            RETURNING {_ORDER_COLUMNS}""", (order_id, days))
    if row is None:
        current = db.query_value("SELECT state FROM orders WHERE id = %s", (order_id,))
        if current is None:
            raise OrderNotFound(order_id)
        if current == "delivered":
            return None
        raise TransitionRefused(f"Order #{order_id} is {STATE_LABELS[current]} and not due for release.")
    return row


def due_for_release(days: int, limit: int = 500) -> list[int]:
    """Ids of orders shipped at least `days` ago and still not delivered,
    oldest shipment first (the orders_shipped_at index)."""
    return [row["id"] for row in db.query(
        """SELECT id FROM orders WHERE state = 'shipped' AND shipped_at <= now() - make_interval(days => %s)
           ORDER BY shipped_at, id LIMIT %s""", (days, limit))]


def release_due(days: int, limit: int = 500) -> int:
    """Complete every order due for the automatic release (each in its own
    transaction); returns how many this call completed."""
    done = 0
    for order_id in due_for_release(days, limit):
        try:
            done += auto_release(order_id, days).done
        except TransitionRefused:
            continue  # cancelled or delivered by someone else meanwhile
    return done


def cancel(buyer_id: int, order_id: int) -> Outcome:
    """The buyer cancels an order that has not shipped: everything they paid
    for it (shipping too) comes back, and the units go back on sale."""
    return db.run_transaction(_cancel_whole, "cancel", order_id, buyer_id)


def seller_cancel(seller_id: int, order_id: int) -> Outcome:
    """The seller cancels a whole order that has not shipped (full refund)."""
    return db.run_transaction(_cancel_whole, "seller_cancel", order_id, seller_id)


def _cancel_whole(action: str, order_id: int, actor_id: int) -> Outcome:
    by = RULES[action][2]
    order = _claim(action, order_id, actor_id, ", cancelled_at = now(), cancelled_by = %(by)s", by=by)
    if order is None:
        return _already(order_id, action, "cancelled")
    takes = [(line, line["net"]) for line in escrow.order_lines(order_id) if line["net"] > 0]
    escrow.put_back(order["buyer_id"], takes, "cancelled_quantity")
    amount = order["subtotal"] + order["shipping_fee"] - order["refunded_amount"]
    _refund(order, amount)
    order_notices.tell(order, "cancelled", f"Cancelled by the {by}; {money(amount)} is back in your balance.",
                       f"Cancelled by the {by}; {money(amount)} went back to the buyer.")
    return Outcome(order_id, action, True, "cancelled",
                   f"Order #{order_id} is cancelled; {money(amount)} is refunded to the buyer.", amount)


def cancel_lines(seller_id: int, order_id: int, line_ids: list[int]) -> Outcome:
    """The seller cancels lines of a placed order they cannot fulfil: those
    lines are refunded and their units go back on sale. When no line is
    left, the order is cancelled and its shipping refunded too."""
    if not line_ids:
        raise TransitionRefused("Choose the lines to cancel.")
    return db.run_transaction(_cancel_lines, seller_id, order_id, sorted(set(line_ids)))


def _cancel_lines(seller_id: int, order_id: int, line_ids: list[int]) -> Outcome:
    order = _claim("cancel_lines", order_id, seller_id)
    lines = {line["id"]: line for line in escrow.order_lines(order_id)}
    strangers = [line_id for line_id in line_ids if line_id not in lines]
    if strangers:
        raise TransitionRefused(f"Line {strangers[0]} is not part of order #{order_id}.")
    takes = [(lines[line_id], lines[line_id]["net"]) for line_id in line_ids if lines[line_id]["net"] > 0]
    if not takes:
        return Outcome(order_id, "cancel_lines", False, "placed", "Those lines were already cancelled.")
    amount = escrow.put_back(order["buyer_id"], takes, "cancelled_quantity")
    left = sum(line["net"] for line in lines.values()) - sum(quantity for _, quantity in takes)
    state = "placed"
    if left == 0:
        amount += escrow.shipping_left(order, list(lines.values()))
        state = "cancelled"
        db.execute("""UPDATE orders SET state = 'cancelled', cancelled_at = now(), cancelled_by = 'seller'
                      WHERE id = %s""", (order_id,))
    _refund(order, amount)
    names = ", ".join(line["product_name"] for line, _ in takes)
    event = "cancelled" if state == "cancelled" else "lines_cancelled"
    order_notices.tell(order, event,
                       f"The seller cancelled {names}; {money(amount)} is back in your balance.",
                       f"You cancelled {names}; {money(amount)} went back to the buyer.")
    message = (f"Order #{order_id} is cancelled (no line was left)" if state == "cancelled"
               else f"Cancelled {names} in order #{order_id}")
    return Outcome(order_id, "cancel_lines", True, state,
                   f"{message}; {money(amount)} is refunded to the buyer.", amount)


def _refund(order: dict, amount: Decimal) -> None:
    try:
        escrow.refund(order, amount)
    except escrow.CannotRefund as exc:
        raise TransitionRefused(
            f"The seller's balance ({money(exc.balance)}) cannot cover the refund of {money(exc.amount)} "
            "already paid out for this order; the seller must top up first.") from None

