"""Returns: the buyer asks to return units of a delivered order within the
return window; the seller accepts (the refund is paid when accepting, and
the units go back into stock) or refuses. The moves are rows of
order_state.TRANSITIONS; each is one transaction that locks the order row
first, as every other transition does."""
from .. import db
from . import escrow, order_notices
from .order_state import (
    MAX_REASON,
    RULES,
    STATE_LABELS,
    OrderNotFound,
    Outcome,
    TransitionRefused,
    _claim,
    _refund,
    clean_text,
)


def request_return(buyer_id: int, order_id: int, quantities: dict[int, int], reason: str,
                   window_days: int) -> Outcome:
    """Ask to return `quantities` ({line_id: units}) of a delivered order,
    giving a reason, within `window_days` of delivery. Refused for lines of
    another order, more units than bought (less those cancelled or already
    returned), or after the window. A second request while one is open
    changes nothing (done False)."""
    reason = clean_text(reason, MAX_REASON, "reason", required=True)
    quantities = {line_id: units for line_id, units in quantities.items() if units}
    if not quantities:
        raise TransitionRefused("Choose at least one unit to return.")
    if any(units < 0 for units in quantities.values()):
        raise TransitionRefused("Quantities to return cannot be negative.")
    return db.run_transaction(_request, buyer_id, order_id, quantities, reason, window_days)


def _request(buyer_id, order_id, quantities, reason, window_days) -> Outcome:
    order = _claim("request_return", order_id, buyer_id)
    in_window = db.query_value("SELECT delivered_at > now() - make_interval(days => %s) FROM orders "
                               "WHERE id = %s", (window_days, order_id))
    if not in_window:
        raise TransitionRefused(f"Order #{order_id} was delivered more than {window_days} days ago; "
                                "the return window has closed.")
    open_request = db.query_value(
        "SELECT id FROM return_requests WHERE order_id = %s AND state = 'requested'", (order_id,))
    if open_request:
        return Outcome(order_id, "request_return", False, order["state"],
                       f"You already asked to return items of order #{order_id}; the seller has not "
                       "answered yet.", return_id=open_request)
    lines = {line["id"]: line for line in escrow.order_lines(order_id)}
    for line_id, units in quantities.items():
        line = lines.get(line_id)
        if line is None:
            raise TransitionRefused(f"Line {line_id} is not part of order #{order_id}.")
        if units > line["net"]:
            raise TransitionRefused(f"You can return at most {line['net']} of {line['product_name']}; "
                                    f"you asked for {units}.")
    return_id = db.query_value(
        """INSERT INTO return_requests (order_id, seller_id, reason) VALUES (%s, %s, %s) RETURNING id""",
        (order_id, order["seller_id"], reason))
    db.execute("""INSERT INTO return_lines (return_id, line_id, quantity)
                  SELECT %s, * FROM unnest(%s::bigint[], %s::int[])""",
               (return_id, list(quantities), list(quantities.values())))
    what = ", ".join(f"{units} × {lines[line_id]['product_name']}" for line_id, units in quantities.items())
    order_notices.tell(order, "return_requested", f"{what}. The seller answers next.",
                       f"{what}. Reason: {reason}")
    return Outcome(order_id, "request_return", True, order["state"],
                   f"Your return request for order #{order_id} is sent to the seller.", return_id=return_id)


def accept_return(seller_id: int, return_id: int) -> Outcome:
    """The seller accepts a return: the buyer is refunded the returned units
    at the prices paid (from the seller's balance, as the order's money was
    released on delivery, less the platform's commission on it) and the
    units go back into stock."""
    return db.run_transaction(_decide, seller_id, return_id, "accept_return")


def refuse_return(seller_id: int, return_id: int) -> Outcome:
    """The seller refuses a return; nothing else changes."""
    return db.run_transaction(_decide, seller_id, return_id, "refuse_return")


def _decide(seller_id: int, return_id: int, action: str) -> Outcome:
    source, target, _ = RULES[action]
    # The order row first (as every transition and request_return lock it).
    order = db.query_one(
        """SELECT o.id, o.purchase_id, o.seller_id, o.buyer_id, o.state, o.subtotal, o.shipping_fee,
                  o.held_amount, o.refunded_amount, o.released_at
           FROM return_requests r JOIN orders o ON o.id = r.order_id
           WHERE r.id = %s AND r.seller_id = %s FOR NO KEY UPDATE OF o""", (return_id, seller_id))
    if order is None:
        raise OrderNotFound(return_id)
    returned = db.query(
        """SELECT l.id, l.offer_id, l.product_id, l.unit_price, l.flash_sale_id, rl.quantity
           FROM return_lines rl JOIN order_lines l ON l.id = rl.line_id WHERE rl.return_id = %s""",
        (return_id,))
    amount = sum(line["unit_price"] * line["quantity"] for line in returned)
    decided = db.query_value(
        """UPDATE return_requests SET state = %s, decided_at = now(), refund_amount = %s
           WHERE id = %s AND seller_id = %s AND state = %s RETURNING id""",
        (target, amount if target == "accepted" else None, return_id, seller_id, source))
    if decided is None:
        state = db.query_value("SELECT state FROM return_requests WHERE id = %s", (return_id,))
        if state == target:
            return Outcome(order["id"], action, False, order["state"],
                           f"This return was already {STATE_LABELS[state]}.", return_id=return_id)
        raise TransitionRefused(f"This return was {STATE_LABELS[state]}; it cannot be "
                                f"{'accepted' if target == 'accepted' else 'refused'} now.")
    if target == "refused":
        order_notices.tell(order, "return_refused", "The seller refused your return.",
                           "The buyer was told you refused the return.")
        return Outcome(order["id"], action, True, order["state"],
                       f"You refused the return for order #{order['id']}.", return_id=return_id)
    escrow.put_back(order["buyer_id"], [(line, line["quantity"]) for line in returned], "returned_quantity")
    _refund(order, amount)
    order_notices.tell(order, "return_accepted", f"{order_notices.money(amount)} is back in your balance.",
                       f"{order_notices.money(amount)} went back to the buyer from your balance.")
    return Outcome(order["id"], action, True, order["state"],
                   f"Return accepted: {order_notices.money(amount)} is refunded to the buyer.", amount,
                   return_id)
