"""Flash sales: a seller puts one offer on sale for a time window, with a
number of units and a limit per customer. Checkout (models/checkout.py)
applies the sale price and counts the units; this module creates and lists
sales."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from .. import db
from . import product

# A form filled in a minute ago may start "now": starts up to this far in
# the past are accepted.
START_GRACE = timedelta(minutes=5)
MAX_DURATION = timedelta(days=30)


class SaleRejected(Exception):
    """The sale cannot be created; `errors` maps form fields to messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def offer_for_sale(seller_id: int, offer_id: int) -> dict | None:
    """One of the seller's offers (id, product_id, product_name, price,
    quantity, active), or None when it is not theirs or does not exist."""
    return db.query_one(
        """SELECT o.id, o.product_id, p.name AS product_name, o.price, o.quantity, o.active
           FROM offers o JOIN products p ON p.id = o.product_id
           WHERE o.id = %s AND o.seller_id = %s""", (offer_id, seller_id))


def offers_to_put_on_sale(seller_id: int, search: str, page: int, per_page: int) -> list[dict]:
    """One page of the seller's offers that could go on sale (selling, in
    stock), newest first; with a `search`, only products whose name has
    words starting with its words (the inventory's search, through the
    full-text index)."""
    words = product.keywords(search)
    return db.query(
        """SELECT o.id, o.product_id, p.name AS product_name, o.price, o.quantity
           FROM offers o JOIN products p ON p.id = o.product_id
           WHERE o.seller_id = %(seller)s AND o.active AND o.quantity > 0
             AND (%(query)s::text IS NULL OR p.search_vector @@ to_tsquery('english', %(query)s))
           ORDER BY o.id DESC LIMIT %(limit)s OFFSET %(offset)s""",
        {"seller": seller_id, "query": product.name_prefix_tsquery(words) if words else None,
         "limit": per_page + 1, "offset": (page - 1) * per_page})


def _window_errors(starts_at: datetime, ends_at: datetime, now: datetime) -> dict[str, str]:
    errors = {}
    if starts_at < now - START_GRACE:
        errors["starts_at"] = "The sale cannot start in the past."
    if ends_at <= starts_at:
        errors["ends_at"] = "The end must be after the start."
    elif ends_at - starts_at > MAX_DURATION:
        errors["ends_at"] = f"A flash sale lasts at most {MAX_DURATION.days} days."
    return errors


def create_sale(seller_id: int, offer_id: int, sale_price: Decimal, starts_at: datetime, ends_at: datetime,
                units: int, per_customer_limit: int) -> int:
    """Put one of the seller's offers on sale; returns the sale id.

    Raises LookupError when the offer is not the seller's, SaleRejected
    (errors by field) when the window is wrong or in the past, the price is
    not below the regular price, the units exceed the stock, the limit is
    not between 1 and the units, or another sale of this offer overlaps."""
    return db.run_transaction(_create_sale, seller_id, offer_id, sale_price, starts_at, ends_at,
                              units, per_customer_limit)


def _create_sale(seller_id, offer_id, sale_price, starts_at, ends_at, units, per_customer_limit) -> int:
    # Locking the offer serialises sale creation per offer, so two requests
    # cannot both see "no overlap"; NO KEY UPDATE lets checkouts' foreign-key
    # checks through.
    offer = db.query_one("""SELECT price, quantity, active FROM offers WHERE id = %s AND seller_id = %s
                            FOR NO KEY UPDATE""", (offer_id, seller_id))
    if offer is None:
        raise LookupError(offer_id)
    errors = _window_errors(starts_at, ends_at, datetime.now(UTC))
    if not offer["active"]:
        errors["offer"] = "You stopped selling this offer; sell it again before putting it on sale."
    if sale_price >= offer["price"]:
        errors["sale_price"] = f"The sale price must be below the regular price ({offer['price']:,.2f})."
    if units < 1 or units > offer["quantity"]:
        errors["units"] = f"Enter from 1 to {offer['quantity']:,} units (your stock)."
    if per_customer_limit < 1 or per_customer_limit > units:
        errors["per_customer_limit"] = "The limit per customer must be from 1 to the units for the sale."
    overlapping = db.query_one(
        """SELECT starts_at, ends_at FROM flash_sales
           WHERE offer_id = %s AND starts_at < %s AND ends_at > %s LIMIT 1""", (offer_id, ends_at, starts_at))
    if overlapping:
        errors["starts_at"] = (f"This offer already has a flash sale from "
                               f"{overlapping['starts_at']:%Y-%m-%d %H:%M} to "
                               f"{overlapping['ends_at']:%Y-%m-%d %H:%M} UTC; sales cannot overlap.")
    if errors:
        raise SaleRejected(errors)
    return db.query_value(
        """INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total, per_customer_limit)
           VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
        (offer_id, sale_price, starts_at, ends_at, units, per_customer_limit))


def sales_for_seller(seller_id: int, page: int, per_page: int) -> list[dict]:
    """One page of the seller's sales, latest start first (per_page + 1 rows
    at most), with product, prices, units sold and status (upcoming, live,
    sold out, ended)."""
    return db.query(
        """SELECT s.id, s.offer_id, o.product_id, p.name AS product_name, o.price, s.sale_price,
                  s.starts_at, s.ends_at, s.units_total, s.units_sold, s.per_customer_limit,
                  CASE WHEN s.ends_at <= now() THEN 'ended'
                       WHEN s.starts_at > now() THEN 'upcoming'
                       WHEN s.units_sold >= s.units_total THEN 'sold out'
                       ELSE 'live' END AS status
           FROM flash_sales s JOIN offers o ON o.id = s.offer_id JOIN products p ON p.id = o.product_id
           WHERE o.seller_id = %s
           ORDER BY s.starts_at DESC, s.id DESC LIMIT %s OFFSET %s""",
        (seller_id, per_page + 1, (page - 1) * per_page))


def home_sales(buyer_id: int | None = None, limit: int = 6) -> dict:
    """Sales for the home page: {'live': ending soonest first, 'upcoming':
    starting soonest first}, at most `limit` of each, leaving out sold-out
    sales and offers no longer sold. Each has offer_id, product_id, seller_id,
    product_name, seller_name, price, sale_price, units_left,
    per_customer_limit, starts_at, ends_at, and `bought`: the units `buyer_id`
    (None for a guest) already bought in the sale."""
    columns = """s.id, s.offer_id, o.product_id, o.seller_id, p.name AS product_name,
                 u.first_name || ' ' || u.last_name AS seller_name, o.price, s.sale_price,
                 least(s.units_total - s.units_sold, o.quantity) AS units_left, s.per_customer_limit,
                 s.starts_at, s.ends_at, coalesce(b.units, 0) AS bought
                 FROM flash_sales s JOIN offers o ON o.id = s.offer_id
                 JOIN products p ON p.id = o.product_id JOIN users u ON u.id = o.seller_id
                 LEFT JOIN flash_sale_buyers b ON b.sale_id = s.id AND b.buyer_id = %(buyer)s"""
    params = {"buyer": buyer_id, "limit": limit}
    live = db.query(
        f"""SELECT {columns}
            WHERE s.ends_at > now() AND s.starts_at <= now() AND s.units_sold < s.units_total
              AND o.active AND o.quantity > 0
            ORDER BY s.ends_at, s.id LIMIT %(limit)s""", params)
    upcoming = db.query(
        f"""SELECT {columns}
            WHERE s.starts_at > now() AND o.active
            ORDER BY s.starts_at, s.id LIMIT %(limit)s""", params)
    return {"live": live, "upcoming": upcoming}
