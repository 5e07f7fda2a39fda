"""Buyer and seller analytics: spending, revenue, sales by category, best
sellers. Each is one query over covering indexes or the per-seller sales
summary (migration 0030), so its cost follows the size of one buyer's or
seller's history, never the size of the whole order table."""
from datetime import UTC, date, datetime

from psycopg2 import sql

from .. import db

MONTHS = 12
TOP_PRODUCTS = 10


def month_starts(months: int = MONTHS, today: date | None = None) -> list[date]:
    """The first day of each of the last `months` months (UTC), oldest first."""
    today = today or datetime.now(UTC).date()
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - months + 1, index + 1)]


def _by_month(rows: list[dict], starts: list[date]) -> list[dict]:
    """One row per month, oldest first; months without orders have zeros."""
    found = {row["month"]: row for row in rows}
    return [found.get(month, {"month": month, "total": 0, "orders": 0, "refunds": 0}) for month in starts]


def _since(starts: list[date]) -> datetime:
    return datetime(starts[0].year, starts[0].month, 1, tzinfo=UTC)


# What counts, per side: the buyer spent what they paid less refunds, on
# orders not cancelled; the seller earned the same on completed (delivered)
# orders only, as held money is not theirs yet.
_COUNTED = {"buyer_id": "state <> 'cancelled'", "seller_id": "state = 'delivered'"}


def _orders_by_month(party: str, user_id: int, months: int) -> list[dict]:
    """Money of the orders where `party` ('buyer_id' or 'seller_id') is the
    user, per month of the last `months`, oldest first: total (paid with
    shipping, less refunds, of the orders that count for that side), orders
    (how many count) and refunds (refunded on any of them). Reads the
    orders_<party>_created index only."""
    starts = month_starts(months)
    rows = db.query(
        sql.SQL("""SELECT (date_trunc('month', created_at AT TIME ZONE 'UTC'))::date AS month,
                          coalesce(sum(subtotal + shipping_fee - refunded_amount) FILTER (WHERE {counted}), 0)
                              AS total,
                          count(*) FILTER (WHERE {counted}) AS orders, sum(refunded_amount) AS refunds
                   FROM orders WHERE {party} = %s AND created_at >= %s GROUP BY 1""").format(
            party=sql.Identifier(party), counted=sql.SQL(_COUNTED[party])),
        (user_id, _since(starts)))
    return _by_month(rows, starts)


def buyer_spending_by_month(buyer_id: int, months: int = MONTHS) -> list[dict]:
    """What a buyer spent in each of the last `months` months, oldest first:
    month (a date), total (paid less refunds), orders (not cancelled),
    refunds."""
    return _orders_by_month("buyer_id", buyer_id, months)


def buyer_spending_by_category(buyer_id: int) -> list[dict]:
    """What a buyer spent per category over all time, biggest first:
    category, total, units."""
    return db.query(
        """SELECT c.name AS category, sum(l.quantity * l.unit_price) AS total, sum(l.quantity) AS units
           FROM orders o
           JOIN order_lines l ON l.order_id = o.id
           JOIN products p ON p.id = l.product_id
           JOIN categories c ON c.id = p.category_id
           WHERE o.buyer_id = %s
           GROUP BY c.id, c.name ORDER BY total DESC, c.name""", (buyer_id,))


def seller_revenue_by_month(seller_id: int, months: int = MONTHS) -> list[dict]:
    """A seller's revenue in each of the last `months` months, oldest first:
    month (a date), total (of completed orders, less refunds), orders
    (completed), refunds (on any of their orders)."""
    return _orders_by_month("seller_id", seller_id, months)


def fold_pending_sales() -> int:
    """Add the sales that order lines appended to sales_pending to
    products.units_sold and seller_product_sales (migration 0090: checkout
    leaves those hot rows alone). The periodic job calls it every few
    seconds; returns how many (seller, product) pairs it folded."""
    return db.run_transaction(db.query_value, "SELECT fold_pending_sales()")


def _fold_for(seller_id: int) -> None:
    """A seller's analytics read their summary with nothing pending."""
    if db.query_value("SELECT EXISTS (SELECT 1 FROM sales_pending WHERE seller_id = %s)", (seller_id,)):
        fold_pending_sales()


def seller_sales_by_category(seller_id: int) -> list[dict]:
    """A seller's all-time sales per category, biggest revenue first:
    category, units, total. An index-only range of seller_product_sales."""
    _fold_for(seller_id)
    return db.query(
        """SELECT c.name AS category, sum(s.units) AS units, sum(s.revenue) AS total
           FROM seller_product_sales s JOIN categories c ON c.id = s.category_id
           WHERE s.seller_id = %s AND s.units > 0
           GROUP BY c.id, c.name ORDER BY total DESC, c.name""", (seller_id,))


def seller_best_products(seller_id: int, top: int = TOP_PRODUCTS) -> list[dict]:
    """A seller's `top` best-selling products over all time, most units first:
    product_id, product, units, total. The first rows of seller_product_sales_top."""
    _fold_for(seller_id)
    return db.query(
        """SELECT s.product_id, p.name AS product, s.units, s.revenue AS total
           FROM seller_product_sales s JOIN products p ON p.id = s.product_id
           WHERE s.seller_id = %s AND s.units > 0
           ORDER BY s.units DESC, s.revenue DESC, s.product_id LIMIT %s""", (seller_id, top))
