"""Purchases as the buyer sees them, orders as each seller sees them, and
fulfilment (an order is fulfilled when its last line is)."""
from datetime import datetime

from .. import db

# Filters of the purchase history: fixed SQL fragments, values always bound.
_PURCHASE_FILTERS = {
    "since": "pu.created_at >= %(since)s",
    "before": "pu.created_at < %(before)s",
    "seller": "EXISTS (SELECT 1 FROM orders o WHERE o.purchase_id = pu.id AND o.seller_id = %(seller)s)",
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
                        keyword: str | None = None) -> list[dict]:
    """One page of the buyer's purchases, newest first (per_page + 1 rows at
    most), optionally only from `since` up to `before`, with a seller, or
    with a product whose name contains `keyword`. Each row has id, total,
    created_at, sellers (names), units, orders and fulfilled (order counts)."""
    params = {"buyer": buyer_id, "since": since, "before": before, "seller": seller_id,
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
                  count(DISTINCT o.id) FILTER (WHERE o.fulfilled_at IS NOT NULL) AS fulfilled,
                  string_agg(DISTINCT u.first_name || ' ' || u.last_name, ', ') AS sellers,
                  sum(l.quantity) AS units
           FROM orders o JOIN users u ON u.id = o.seller_id JOIN order_lines l ON l.order_id = o.id
           WHERE o.purchase_id = ANY(%s) GROUP BY o.purchase_id""", ([p["id"] for p in purchases],))}
    for purchase in purchases:
        purchase.update({key: value for key, value in summaries.get(purchase["id"], {}).items()
                         if key != "purchase_id"})
    return purchases


def sellers_of_buyer(buyer_id: int, limit: int = 200) -> list[dict]:
    """The sellers a buyer has bought from (id, name), by name, for the
    history's seller filter."""
    return db.query(
        """SELECT u.id, u.first_name || ' ' || u.last_name AS name
           FROM (SELECT DISTINCT seller_id FROM orders WHERE buyer_id = %s) s
           JOIN users u ON u.id = s.seller_id
           ORDER BY name, u.id LIMIT %s""", (buyer_id, limit))


def purchase_for_buyer(buyer_id: int, purchase_id: int) -> dict | None:
    """A purchase with its orders (one per seller) and their lines, or None
    when it does not exist or belongs to someone else."""
    purchase = db.query_one("""SELECT id, total, created_at FROM purchases WHERE id = %s AND buyer_id = %s""",
                            (purchase_id, buyer_id))
    if purchase is None:
        return None
    orders = db.query(
        """SELECT o.id, o.seller_id, u.first_name || ' ' || u.last_name AS seller_name, o.subtotal,
                  o.created_at, o.fulfilled_at
           FROM orders o JOIN users u ON u.id = o.seller_id
           WHERE o.purchase_id = %s ORDER BY seller_name, o.id""", (purchase_id,))
    purchase["orders"] = _with_lines(orders)
    return purchase


def _with_lines(orders: list[dict]) -> list[dict]:
    """Attach each order's lines (product, quantity, unit price paid,
    fulfilment), all read in one query."""
    lines = db.query(
        """SELECT l.id, l.order_id, l.offer_id, l.product_id, p.name AS product_name, l.quantity,
                  l.unit_price, l.quantity * l.unit_price AS line_total, l.flash_sale_id, l.fulfilled_at
           FROM order_lines l JOIN products p ON p.id = l.product_id
           WHERE l.order_id = ANY(%s) ORDER BY l.order_id, p.name, l.id""", ([o["id"] for o in orders],))
    by_order = {order["id"]: order for order in orders}
    for order in orders:
        order["lines"] = []
    for line in lines:
        by_order[line["order_id"]]["lines"].append(line)
    return orders


# The seller's order list: one fixed query per status, each an index range scan.
_SELLER_STATUS = {
    "all": "",
    "open": "AND o.fulfilled_at IS NULL",
    "fulfilled": "AND o.fulfilled_at IS NOT NULL",
}


def orders_for_seller(seller_id: int, status: str, page: int, per_page: int) -> list[dict]:
    """One page of the seller's orders, newest first (per_page + 1 rows at
    most), status 'all', 'open' or 'fulfilled', each with its lines and the
    buyer's name and address (to ship to)."""
    orders = db.query(
        f"""SELECT o.id, o.purchase_id, o.subtotal, o.created_at, o.fulfilled_at, o.buyer_id,
                   u.first_name || ' ' || u.last_name AS buyer_name, u.address AS buyer_address
            FROM orders o JOIN users u ON u.id = o.buyer_id
            WHERE o.seller_id = %s {_SELLER_STATUS[status]}
            ORDER BY o.created_at DESC, o.id DESC LIMIT %s OFFSET %s""",
        (seller_id, per_page + 1, (page - 1) * per_page))
    return _with_lines(orders)


def fulfil_line(seller_id: int, line_id: int) -> dict | None:
    """Mark one of the seller's order lines fulfilled, and its order too when
    it was the last open line. Returns {order_id, line_fulfilled (False if
    it already was), order_fulfilled}, or None when the seller has no such
    line."""
    return db.run_transaction(_fulfil, seller_id, line_id=line_id)


def fulfil_order(seller_id: int, order_id: int) -> dict | None:
    """Mark every open line of one of the seller's orders fulfilled (and so
    the order). Same answer as fulfil_line."""
    return db.run_transaction(_fulfil, seller_id, order_id=order_id)


def _fulfil(seller_id: int, line_id: int | None = None, order_id: int | None = None) -> dict | None:
    # The order row is locked first, so two lines fulfilled at once cannot
    # both miss that they completed the order.
    order = db.query_one(
        """SELECT o.id FROM orders o
           WHERE o.seller_id = %s
             AND o.id = coalesce(%s, (SELECT order_id FROM order_lines WHERE id = %s))
           FOR NO KEY UPDATE""", (seller_id, order_id, line_id))
    if order is None:
        return None
    if line_id is not None:
        touched = db.execute("""UPDATE order_lines SET fulfilled_at = now()
                                WHERE id = %s AND order_id = %s AND fulfilled_at IS NULL""",
                             (line_id, order["id"]))
    else:
        touched = db.execute("UPDATE order_lines SET fulfilled_at = now() WHERE order_id = %s "
                             "AND fulfilled_at IS NULL", (order["id"],))
    completed = db.execute(
        """UPDATE orders SET fulfilled_at = now()
           WHERE id = %s AND fulfilled_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM order_lines WHERE order_id = %s AND fulfilled_at IS NULL)""",
        (order["id"], order["id"]))
    return {"order_id": order["id"], "line_fulfilled": bool(touched), "order_fulfilled": bool(completed)}
