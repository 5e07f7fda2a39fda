"""Plan what happened to each order after checkout, as the transitions of
app/models/order_state.py would have left it.

Old orders are mostly delivered, recent ones placed or shipped; a shipped
order is delivered within SOUK_AUTO_RELEASE_DAYS (the automatic release).
A few orders without flash-sale lines are cancelled (by the buyer or the
seller) soon after checkout: their units are cancelled and everything paid
comes back. A few delivered orders without flash-sale lines get a return
request for their first line within the return window: accepted (refunded,
units returned), refused, or still waiting when the data is made. Money:
an open order holds what was paid for it (subtotal and shipping fee), a
delivered one was released to its seller on delivery less the platform's
COMMISSION_PERCENT (as with SOUK_COMMISSION_PERCENT=5), a cancelled one
refunded in full; an accepted return is refunded from the seller's balance
and the platform's commission on it (models/escrow.py's rule). The ledger
rows of releases and refunds are planned in plan_ledger.py.
"""
import numpy as np

from .sampling import DAY, HOUR, MINUTE, later

STATES = ("placed", "shipped", "delivered", "cancelled")
PLACED, SHIPPED, DELIVERED, CANCELLED = range(4)
RETURN_STATES = ("requested", "accepted", "refused")
REQUESTED, ACCEPTED, REFUSED = range(3)
AUTO_RELEASE = 14 * DAY
RETURN_WINDOW = 30 * DAY
COMMISSION_PERCENT = 5


def plan_states(rng, now: int, orders: dict, lines: dict, starts: np.ndarray) -> dict:
    """Set the orders' state, times, money and the lines' cancelled and
    returned units; return the return requests (one line each)."""
    n = len(starts)
    created = orders["created"]
    line_order = lines["order"]
    on_sale = np.zeros(n, dtype=bool)
    on_sale[line_order[lines["flash_sale"] >= 0]] = True
    age = now - created
    cancelled = ~on_sale & (rng.random(n) < 0.03)
    shipped = ~cancelled & (rng.random(n) < np.clip(age / (5 * DAY), 0.05, 0.985))
    ship_at = created + (30 * MINUTE + rng.exponential(1.5 * DAY, n)).astype(np.int64)
    too_late = ship_at >= now
    ship_at[too_late] = later(rng, created[too_late], now)
    arrive_at = ship_at + np.minimum((HOUR + rng.exponential(2 * DAY, n)).astype(np.int64), AUTO_RELEASE)
    delivered = shipped & (arrive_at < now)
    cancel_at = later(rng, created, np.minimum(created + DAY, now), 1.0, 3.0)

    state = np.full(n, PLACED, dtype=np.int64)
    state[shipped] = SHIPPED
    state[delivered] = DELIVERED
    state[cancelled] = CANCELLED
    orders["state"] = state
    orders["shipped_at"] = np.where(shipped, ship_at, -1)
    orders["delivered_at"] = np.where(delivered, arrive_at, -1)
    orders["cancelled_at"] = np.where(cancelled, cancel_at, -1)
    orders["cancelled_by"] = np.where(cancelled, (rng.random(n) < 0.6).astype(np.int64), -1)  # 1: buyer
    paid = orders["subtotal"] + orders["shipping_fee"]
    orders["held"] = np.where((state == PLACED) | (state == SHIPPED), paid, 0)
    # Cents, rounded half up like escrow.commission_of.
    orders["commission"] = np.where(delivered, (paid * COMMISSION_PERCENT + 50) // 100, 0)
    lines["cancelled_quantity"] = np.where(cancelled[line_order], lines["quantity"], 0)
    returns = _returns(rng, now, orders, lines, starts, delivered & ~on_sale)
    orders["refunded"] = np.where(cancelled, paid, 0)
    accepted = returns["state"] == ACCEPTED
    orders["refunded"][returns["order"][accepted]] += returns["refund"][accepted]
    # The platform gives back its share of a return's refund: the refund
    # times commission / released, half up, never more than it took.
    taken, released = orders["commission"][returns["order"]], paid[returns["order"]]
    returns["commission_back"] = np.where(
        accepted, np.minimum((2 * returns["refund"] * taken + released) // (2 * released), taken), 0)
    return returns


def _returns(rng, now: int, orders: dict, lines: dict, starts: np.ndarray, may: np.ndarray) -> dict:
    """Return requests for the first line of some delivered orders."""
    asked = np.flatnonzero(may & (rng.random(len(may)) < 0.04))
    delivered_at = orders["delivered_at"][asked]
    asked_at = later(rng, delivered_at, np.minimum(delivered_at + RETURN_WINDOW, now), 1.0, 2.0)
    decided_at = later(rng, asked_at, asked_at + 3 * DAY, 1.0, 2.0)
    state = np.where(rng.random(len(asked)) < 0.75, ACCEPTED, REFUSED)
    state[decided_at >= now] = REQUESTED
    line = starts[asked]
    units = lines["quantity"][line]
    lines["returned_quantity"] = np.zeros(len(lines["quantity"]), dtype=np.int64)
    accepted = state == ACCEPTED
    lines["returned_quantity"][line[accepted]] = units[accepted]
    return {"order": asked, "seller": orders["seller"][asked], "line": line, "quantity": units,
            "state": state, "created": asked_at, "decided": np.where(state == REQUESTED, -1, decided_at),
            "refund": units * lines["unit_price"][line]}
