"""Purchases as the buyer sees them and orders as each seller sees them,
with their states, refunds and returns. The moves between states are in
models/order_state.py."""
from datetime import UTC, datetime, timedelta

from .. import db
from . import order_state

# Filters of the purchase history: fixed SQL fragments, values always bound.
_PURCHASE_FILTERS = {
    "since": "pu.created_at >= %(since)s",
    "before": "pu.created_at < %(before)s",
    "seller": "EXISTS (SELECT 1 FROM orders o WHERE o.purchase_id = pu.id AND o.seller_id = %(seller)s)",
    "state": """pu.id IN (SELECT o.purchase_id FROM orders o
                          WHERE o.buyer_id = %(buyer)s AND o.state = %(state)s)""",
    "keyword": """EXISTS (SELECT 1 FROM orders o JOIN order_lines l ON l.order_id = o.id
                           JOIN products p ON p.id = l.product_id
                          WHERE o.purchase_id = pu.id AND p.name ILIKE %(keyword)s)""",
}


def _like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def purchases_for_buyer(buyer_id: int, page: int, per_page: int, since: datetime | None = None,
                        before: datetime | None = None, seller_id: int | None = None,
                        keyword: str | None = None, state: str | None = None) -> list[dict]:
    """One page of the buyer's purchases, newest first (per_page + 1 rows at
    most), optionally only from `since` up to `before`, with a seller, with
    an order in `state`, or with a product whose name contains `keyword`.
    Each row has id, total, created_at, sellers (names), units, orders and
    states ({state: number of orders})."""
    params = {"buyer": buyer_id, "since": since, "before": before, "seller": seller_id, "state": state,
              "keyword": _like_pattern(keyword) if keyword else None,
              "limit": per_page + 1, "offset": (page - 1) * per_page}
    where = ["pu.buyer_id = %(buyer)s"] + [fragment for name, fragment in _PURCHASE_FILTERS.items()
                                           if params[name] is not None]
    purchases = db.query(
        f"""SELECT pu.id, pu.total, pu.created_at FROM purchases pu
            WHERE {" AND ".join(where)}
            ORDER BY pu.created_at DESC, pu.id DESC LIMIT %(limit)s OFFSET %(offset)s""", params)
    summaries = {row["purchase_id"]: row for row in db.query(
        """SELECT o.purchase_id, count(DISTINCT o.id) AS orders,
                  array_agg(o.state) AS order_states,
                  string_agg(DISTINCT u.first_name || ' ' || u.last_name, ', ') AS sellers,
                  sum(l.units) AS units
           FROM orders o JOIN users u ON u.id = o.seller_id
           JOIN (SELECT order_id, sum(quantity) AS units FROM order_lines
                 WHERE order_id IN (SELECT id FROM orders WHERE purchase_id = ANY(%(ids)s))
                 GROUP BY order_id) l ON l.order_id = o.id
           WHERE o.purchase_id = ANY(%(ids)s) GROUP BY o.purchase_id""",
        {"ids": [p["id"] for p in purchases]})}
    for purchase in purchases:
        summary = summaries.get(purchase["id"], {})
        purchase.update({key: value for key, value in summary.items()
                         if key not in ("purchase_id", "order_states")})
        purchase["states"] = {state: (summary.get("order_states") or []).count(state)
                              for state in order_state.STATES if state in (summary.get("order_states") or [])}
    return purchases


def sellers_of_buyer(buyer_id: int, limit: int = 200) -> list[dict]:
    """The sellers a buyer has bought from (id, name), by name, for the
    history's seller filter."""
    return db.query(
        """SELECT u.id, u.first_name || ' ' || u.last_name AS name
           FROM (SELECT DISTINCT seller_id FROM orders WHERE buyer_id = %s) s
           JOIN users u ON u.id = s.seller_id
           ORDER BY name, u.id LIMIT %s""", (buyer_id, limit))


_ORDER_COLUMNS = """o.id, o.purchase_id, o.seller_id, o.buyer_id, o.subtotal, o.shipping_fee,
    o.subtotal + o.shipping_fee AS total, o.state, o.created_at, o.ship_to, o.carrier, o.tracking_number,
    o.shipped_at, o.delivered_at, o.cancelled_at, o.cancelled_by, o.held_amount, o.refunded_amount,
    o.released_at"""


def purchase_for_buyer(buyer_id: int, purchase_id: int) -> dict | None:
    """A purchase with its orders (one per seller: state, shipping, tracking,
    refunds, returns) and their lines, or None when it does not exist or
    belongs to someone else."""
    purchase = db.query_one("""SELECT id, total, created_at FROM purchases WHERE id = %s AND buyer_id = %s""",
                            (purchase_id, buyer_id))
    if purchase is None:
        return None
    orders = db.query(
        f"""SELECT {_ORDER_COLUMNS}, u.first_name || ' ' || u.last_name AS seller_name
            FROM orders o JOIN users u ON u.id = o.seller_id
            WHERE o.purchase_id = %s ORDER BY seller_name, o.id""", (purchase_id,))
    purchase["orders"] = _with_details(orders)
    return purchase


def order_for_seller(seller_id: int, order_id: int) -> dict | None:
    """One of the seller's orders with its lines, refunds, returns and the
    buyer's name, or None when it is not theirs."""
    orders = db.query(
        f"""SELECT {_ORDER_COLUMNS}, u.first_name || ' ' || u.last_name AS buyer_name
            FROM orders o JOIN users u ON u.id = o.buyer_id
            WHERE o.id = %s AND o.seller_id = %s""", (order_id, seller_id))
    return _with_details(orders)[0] if orders else None


def order_for_console(order_id: int) -> dict | None:
    """Any order with its lines, refunds, returns and both parties' names
    and emails, for the operator console."""
    orders = db.query(
        f"""SELECT {_ORDER_COLUMNS}, b.email AS buyer_email, b.first_name || ' ' || b.last_name AS buyer_name,
                   s.email AS seller_email, s.first_name || ' ' || s.last_name AS seller_name,
                   s.balance AS seller_balance
            FROM orders o JOIN users b ON b.id = o.buyer_id JOIN users s ON s.id = o.seller_id
            WHERE o.id = %s""", (order_id,))
    return _with_details(orders)[0] if orders else None


def _with_details(orders: list[dict]) -> list[dict]:
    """Attach each order's lines (product, quantity, unit price paid,
    cancelled and returned units), its refunds (the buyer's refund ledger
    rows) and its return requests with their lines: four queries for any
    number of orders."""
    ids = [order["id"] for order in orders]
    lines = db.query(
        """SELECT l.id, l.order_id, l.offer_id, l.product_id, p.name AS product_name, l.quantity,
                  l.unit_price, l.quantity * l.unit_price AS line_total, l.flash_sale_id,
                  l.cancelled_quantity, l.returned_quantity,
                  l.quantity - l.cancelled_quantity - l.returned_quantity AS net
           FROM order_lines l JOIN products p ON p.id = l.product_id
           WHERE l.order_id = ANY(%s) ORDER BY l.order_id, p.name, l.id""", (ids,))
    refunds = db.query(
        """SELECT e.order_id, e.amount, e.created_at FROM ledger_entries e JOIN orders o ON o.id = e.order_id
           WHERE e.order_id = ANY(%s) AND e.kind = 'refund' AND e.user_id = o.buyer_id
           ORDER BY e.order_id, e.id""", (ids,))
    returns = db.query(
        """SELECT r.id, r.order_id, r.state, r.reason, r.refund_amount, r.created_at, r.decided_at,
                  r.restocked, json_agg(json_build_object('line_id', rl.line_id, 'product_name', p.name,
                                             'quantity', rl.quantity) ORDER BY rl.line_id) AS lines
           FROM return_requests r JOIN return_lines rl ON rl.return_id = r.id
           JOIN order_lines l ON l.id = rl.line_id JOIN products p ON p.id = l.product_id
           WHERE r.order_id = ANY(%s) GROUP BY r.id ORDER BY r.order_id, r.id""", (ids,))
    by_order = {order["id"]: order for order in orders}
    for order in orders:
        order.update(lines=[], refunds=[], returns=[])
    for line in lines:
        by_order[line["order_id"]]["lines"].append(line)
    for refund in refunds:
        by_order[refund["order_id"]]["refunds"].append(refund)
    for request in returns:
        by_order[request["order_id"]]["returns"].append(request)
    for order in orders:
        order["open_return"] = next((r for r in order["returns"] if r["state"] == "requested"), None)
    return orders


# The seller's order list: one fixed query per filter, each an index range
# scan of orders_seller_state (or orders_seller for all, and
# return_requests_seller_open for open returns).
_SELLER_FILTERS = {
    "all": "",
    **{state: "AND o.state = %(status)s" for state in order_state.STATES},
    "returns": """AND o.id IN (SELECT order_id FROM return_requests
                             WHERE seller_id = %(seller)s AND state = 'requested')""",
}


def orders_for_seller(seller_id: int, status: str, page: int, per_page: int) -> list[dict]:
    """One page of the seller's orders, newest first (per_page + 1 rows at
    most): status 'all', a state, or 'returns' (an open return request);
    each with its lines, refunds, returns, the buyer's name and the address
    to ship to."""
    orders = db.query(
        f"""SELECT {_ORDER_COLUMNS}, u.first_name || ' ' || u.last_name AS buyer_name
            FROM orders o JOIN users u ON u.id = o.buyer_id
            WHERE o.seller_id = %(seller)s {_SELLER_FILTERS[status]}
            ORDER BY o.created_at DESC, o.id DESC LIMIT %(limit)s OFFSET %(offset)s""",
        {"seller": seller_id, "status": status, "limit": per_page + 1, "offset": (page - 1) * per_page})
    return _with_details(orders)


def seller_money(seller_id: int) -> dict:
    """What a seller is owed but not paid yet (held on their placed and
    shipped orders) and how many such orders: {pending, orders}."""
    return db.query_one(
        """SELECT coalesce(sum(held_amount), 0) AS pending, count(*) AS orders FROM orders
           WHERE seller_id = %s AND state IN ('placed', 'shipped')""", (seller_id,))


def order_for_buyer(buyer_id: int, order_id: int) -> dict | None:
    """One seller's order of the buyer's purchases with its lines, refunds,
    returns and the seller's name, or None when it is not the buyer's."""
    orders = db.query(
        f"""SELECT {_ORDER_COLUMNS}, u.first_name || ' ' || u.last_name AS seller_name
            FROM orders o JOIN users u ON u.id = o.seller_id
            WHERE o.id = %s AND o.buyer_id = %s""", (order_id, buyer_id))
    return _with_details(orders)[0] if orders else None


def purchase_of_order(buyer_id: int, order_id: int) -> int | None:
    """The purchase an order of the buyer belongs to (None: not theirs)."""
    return db.query_value("SELECT purchase_id FROM orders WHERE id = %s AND buyer_id = %s",
                          (order_id, buyer_id))


def order_of_return(seller_id: int, return_id: int) -> int | None:
    """The order a return request to this seller is about (None: not theirs)."""
    return db.query_value("SELECT order_id FROM return_requests WHERE id = %s AND seller_id = %s",
                          (return_id, seller_id))


def with_actions(orders: list[dict], role: str, window_days: int) -> list[dict]:
    """Add to each order (rows of this module) `actions`, what `role`
    ('buyer' or 'seller') may do with it now, `return_until` (the last day
    a return may be asked, or None) and, for an open return, its refund."""
    now = datetime.now(UTC)
    for order in orders:
        order["actions"] = order_state.actions_for(order, role, now, window_days)
        order["return_until"] = (order["delivered_at"] + timedelta(days=window_days)
                                 if order["delivered_at"] else None)
        if order["open_return"]:
            prices = {line["id"]: line["unit_price"] for line in order["lines"]}
            order["open_return"]["refund_due"] = sum(prices[line["line_id"]] * line["quantity"]
                                                     for line in order["open_return"]["lines"])
    return orders
