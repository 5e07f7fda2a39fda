"""Flash sales: a seller puts one offer on sale for a time window, with a
number of units and a limit per customer. Checkout (models/checkout.py)
applies the sale price and counts the units; this module creates and lists
sales."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from .. import db
from ..money import format_money
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


def _window_errors(starts_at: datetime | None, ends_at: datetime | None, now: datetime) -> dict[str, str]:
    errors = {}
    if starts_at is not None and starts_at < now - START_GRACE:
        errors["starts_at"] = "The sale cannot start in the past."
    if starts_at is None or ends_at is None:
        return errors
    if ends_at <= starts_at:
        errors["ends_at"] = "The end must be after the start."
    elif ends_at - starts_at > MAX_DURATION:
        errors["ends_at"] = f"A flash sale lasts at most {MAX_DURATION.days} days."
    return errors


def _sale_errors(offer: dict, values: dict, now: datetime, show_time, sale_id: int | None) -> dict[str, str]:
    """Every reason the sale `values` (sale_price, starts_at, ends_at, units,
    per_customer_limit; None for a value the form already refused) cannot be
    a sale of `offer`, by field. One read of other sales of the offer."""
    errors = _window_errors(values["starts_at"], values["ends_at"], now)
    price, units, limit = values["sale_price"], values["units"], values["per_customer_limit"]
    if not offer["active"]:
        errors["offer"] = "You stopped selling this offer; sell it again before putting it on sale."
    if price is not None and price >= offer["price"]:
        errors["sale_price"] = ("The sale price must be below the regular price "
                                f"({format_money(offer['price'])}).")
    if units is not None and not 1 <= units <= offer["quantity"]:
        errors["units"] = f"Enter from 1 to {offer['quantity']:,} units (your stock)."
    if limit is not None and units is not None and not 1 <= limit <= units:
        errors["per_customer_limit"] = "The limit per customer must be from 1 to the units for the sale."
    if values["starts_at"] is not None and values["ends_at"] is not None and "ends_at" not in errors:
        overlapping = db.query_one(
            """SELECT starts_at, ends_at FROM flash_sales
               WHERE offer_id = %s AND starts_at < %s AND ends_at > %s AND id IS DISTINCT FROM %s
               LIMIT 1""", (offer["id"], values["ends_at"], values["starts_at"], sale_id))
        if overlapping:
            errors.setdefault("starts_at", f"This offer already has a flash sale from "
                                           f"{show_time(overlapping['starts_at'])} to "
                                           f"{show_time(overlapping['ends_at'])}; sales cannot overlap.")
    return errors


def check_sale(seller_id: int, offer_id: int, values: dict, show_time, sale_id: int | None = None
               ) -> dict[str, str]:
    """What is wrong with a new sale (or new values of the upcoming sale
    `sale_id`) of one of the seller's offers, by field, without writing:
    lets a form report every error in one round, the ones of its own fields
    (values None) and these. `show_time` writes a moment for the seller.
    Raises LookupError when the offer is not the seller's."""
    offer = db.query_one("SELECT id, price, quantity, active FROM offers WHERE id = %s AND seller_id = %s",
                         (offer_id, seller_id))
    if offer is None:
        raise LookupError(offer_id)
    return _sale_errors(offer, values, datetime.now(UTC), show_time, sale_id)


def create_sale(seller_id: int, offer_id: int, sale_price: Decimal, starts_at: datetime, ends_at: datetime,
                units: int, per_customer_limit: int, show_time=str) -> int:
    """Put one of the seller's offers on sale; returns the sale id.

    Raises LookupError when the offer is not the seller's, SaleRejected
    (errors by field) when the window is wrong or in the past, the price is
    not below the regular price, the units exceed the stock, the limit is
    not between 1 and the units, or another sale of this offer overlaps."""
    values = {"sale_price": sale_price, "starts_at": starts_at, "ends_at": ends_at, "units": units,
              "per_customer_limit": per_customer_limit}
    return db.run_transaction(_create_sale, seller_id, offer_id, values, show_time)


def _locked_offer(seller_id: int, offer_id: int) -> dict:
    # Locking the offer serialises sale changes per offer, so two requests
    # cannot both see "no overlap"; NO KEY UPDATE lets checkouts' foreign-key
    # checks through.
    offer = db.query_one("""SELECT id, price, quantity, active FROM offers WHERE id = %s AND seller_id = %s
                            FOR NO KEY UPDATE""", (offer_id, seller_id))
    if offer is None:
        raise LookupError(offer_id)
    return offer


def _create_sale(seller_id, offer_id, values, show_time) -> int:
    offer = _locked_offer(seller_id, offer_id)
    errors = _sale_errors(offer, values, datetime.now(UTC), show_time, None)
    if errors:
        raise SaleRejected(errors)
    return db.query_value(
        """INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total, per_customer_limit)
           VALUES (%(offer)s, %(sale_price)s, %(starts_at)s, %(ends_at)s, %(units)s, %(per_customer_limit)s)
           RETURNING id""", {"offer": offer_id, **values})


def sale_of_seller(seller_id: int, sale_id: int) -> dict | None:
    """One of the seller's sales (None when not theirs or unknown): the sale's
    columns, its offer's product_id, product_name, price (regular) and
    quantity (stock), and status: upcoming, live or ended."""
    return db.query_one(
        """SELECT s.id, s.offer_id, s.sale_price, s.starts_at, s.ends_at, s.units_total,
                  sale_units_bought(s) AS units_sold, sale_units_held(s) AS units_held,
                  s.per_customer_limit, o.product_id, p.name AS product_name, o.price, o.quantity,
                  CASE WHEN s.ends_at <= now() THEN 'ended' WHEN s.starts_at > now() THEN 'upcoming'
                       ELSE 'live' END AS status
           FROM flash_sales s JOIN offers o ON o.id = s.offer_id JOIN products p ON p.id = o.product_id
           WHERE s.id = %s AND o.seller_id = %s""", (sale_id, seller_id))


def _locked_sale(seller_id: int, sale_id: int) -> dict:
    """The seller's sale, locked against checkouts until the transaction
    ends (they update its units_sold and wait for this lock), with the
    offer's stock read as it is now; LookupError when not theirs."""
    sale = db.query_one(
        """SELECT s.id, s.offer_id, s.starts_at, s.ends_at, s.units_total, s.units_sold, o.quantity,
                  now() AS now
           FROM flash_sales s JOIN offers o ON o.id = s.offer_id
           WHERE s.id = %s AND o.seller_id = %s FOR UPDATE OF s""", (sale_id, seller_id))
    if sale is None:
        raise LookupError(sale_id)
    if sale["ends_at"] <= sale["now"]:
        raise SaleRejected({"sale": "This flash sale has ended; it can no longer change."})
    return sale


def update_upcoming_sale(seller_id: int, sale_id: int, values: dict, show_time=str) -> None:
    """Change everything of a sale that has not started (values as for
    create_sale: sale_price, starts_at, ends_at, units, per_customer_limit),
    by the same rules, in one transaction. Raises LookupError when the sale
    is not the seller's, SaleRejected (by field; "sale" for the sale as a
    whole) when a rule is broken or the sale has started meanwhile."""
    db.run_transaction(_update_upcoming_sale, seller_id, sale_id, values, show_time)


def _update_upcoming_sale(seller_id, sale_id, values, show_time) -> None:
    offer_id = db.query_value("""SELECT s.offer_id FROM flash_sales s JOIN offers o ON o.id = s.offer_id
                                 WHERE s.id = %s AND o.seller_id = %s""", (sale_id, seller_id))
    if offer_id is None:
        raise LookupError(sale_id)
    # The offer first, then the sale: the order checkout locks them in.
    offer = _locked_offer(seller_id, offer_id)
    sale = _locked_sale(seller_id, sale_id)
    if sale["starts_at"] <= sale["now"]:
        raise SaleRejected({"sale": "This flash sale has started: now you can only end it earlier or "
                                    "add units."})
    errors = _sale_errors(offer, values, sale["now"], show_time, sale_id)
    if errors:
        raise SaleRejected(errors)
    db.execute("""UPDATE flash_sales SET sale_price = %(sale_price)s, starts_at = %(starts_at)s,
                         ends_at = %(ends_at)s, units_total = %(units)s,
                         per_customer_limit = %(per_customer_limit)s
                  WHERE id = %(sale)s""", {"sale": sale_id, **values})


def change_live_sale(seller_id: int, sale_id: int, ends_at: datetime | None, add_units: int | None,
                     show_time=str) -> None:
    """During a sale: end it earlier (`ends_at` between now and its end)
    and/or add units (no more units left than the stock), in one
    transaction that holds the sale's row, so a checkout counting units at
    the same moment waits and then sees the new total. None leaves a value
    as it is. Raises LookupError (not the seller's) or SaleRejected (by
    field: ends_at, add_units, or "sale")."""
    db.run_transaction(_change_live_sale, seller_id, sale_id, ends_at, add_units or 0, show_time)


def _change_live_sale(seller_id, sale_id, ends_at, add_units, show_time) -> None:
    sale = _locked_sale(seller_id, sale_id)
    if sale["starts_at"] > sale["now"]:
        raise SaleRejected({"sale": "This flash sale has not started yet: edit it instead."})
    errors = {}
    if ends_at is not None and ends_at <= sale["now"]:
        errors["ends_at"] = "The new end must be in the future; to end the sale now, cancel it."
    elif ends_at is not None and ends_at > sale["ends_at"]:
        errors["ends_at"] = (f"A running sale can only end earlier: at {show_time(sale['ends_at'])} "
                             "at the latest.")
    left = sale["units_total"] - sale["units_sold"]
    if left + add_units > sale["quantity"]:
        room = max(0, sale["quantity"] - left)
        errors["add_units"] = (f"You have {sale['quantity']:,} in stock and {left:,} left in the sale: "
                               f"add at most {room:,}.")
    if errors:
        raise SaleRejected(errors)
    db.execute("""UPDATE flash_sales SET ends_at = coalesce(%s, ends_at), units_total = units_total + %s
                  WHERE id = %s""", (ends_at, add_units, sale_id))


def cancel_sale(seller_id: int, sale_id: int) -> str:
    """Cancel a sale: one that has not started is deleted ("deleted"); a
    running one ends now ("ended"), keeping what it sold. Raises
    LookupError (not the seller's) or SaleRejected (it has ended)."""
    return db.run_transaction(_cancel_sale, seller_id, sale_id)


def _cancel_sale(seller_id, sale_id) -> str:
    sale = _locked_sale(seller_id, sale_id)
    if sale["starts_at"] > sale["now"]:
        db.execute("DELETE FROM flash_sales WHERE id = %s", (sale_id,))
        return "deleted"
    db.execute("UPDATE flash_sales SET ends_at = greatest(now(), starts_at + interval '1 second') "
               "WHERE id = %s", (sale_id,))
    return "ended"


def sales_for_seller(seller_id: int, page: int, per_page: int) -> list[dict]:
    """One page of the seller's sales, latest start first (per_page + 1 rows
    at most), with product, prices, units sold and status (upcoming, live,
    sold out, ended)."""
    return db.query(
        """SELECT s.id, s.offer_id, o.product_id, p.name AS product_name, o.price, s.sale_price,
                  s.starts_at, s.ends_at, s.units_total, sale_units_bought(s) AS units_sold,
                  sale_units_held(s) AS units_held, s.per_customer_limit,
                  CASE WHEN s.ends_at <= now() THEN 'ended'
                       WHEN s.starts_at > now() THEN 'upcoming'
                       WHEN sale_units_left(s) <= 0 THEN 'sold out'
                       ELSE 'live' END AS status
           FROM flash_sales s JOIN offers o ON o.id = s.offer_id JOIN products p ON p.id = o.product_id
           WHERE o.seller_id = %s
           ORDER BY s.starts_at DESC, s.id DESC LIMIT %s OFFSET %s""",
        (seller_id, per_page + 1, (page - 1) * per_page))


def home_sales(limit: int = 6) -> dict:
    """Sales for the home page: {'live': ending soonest first, 'upcoming':
    starting soonest first}, at most `limit` of each, leaving out sold-out
    sales and offers no longer sold. Each has offer_id, product_id, seller_id,
    product_name, seller_name, price, sale_price, units_left,
    per_customer_limit, starts_at, ends_at. The same for everybody (the
    home page caches it); units_bought() adds a shopper's own."""
    columns = """s.id, s.offer_id, o.product_id, o.seller_id, p.name AS product_name,
                 u.first_name || ' ' || u.last_name AS seller_name, o.price, s.sale_price,
                 least(sale_units_left(s), o.quantity) AS units_left, s.per_customer_limit,
                 s.starts_at, s.ends_at
                 FROM flash_sales s JOIN offers o ON o.id = s.offer_id
                 JOIN products p ON p.id = o.product_id JOIN users u ON u.id = o.seller_id"""
    params = {"limit": limit}
    live = db.query(
        f"""SELECT {columns}
            WHERE s.ends_at > now() AND s.starts_at <= now() AND sale_units_left(s) > 0
              AND o.active AND o.quantity > 0
            ORDER BY s.ends_at, s.id LIMIT %(limit)s""", params)
    upcoming = db.query(
        f"""SELECT {columns}
            WHERE s.starts_at > now() AND o.active
            ORDER BY s.starts_at, s.id LIMIT %(limit)s""", params)
    return {"live": live, "upcoming": upcoming}


def give_back_stale_holds(max_offers: int = 500) -> int:
    """Give back the units of holds whose time is up (migration 0090,
    reclaim_holds), offer by offer, each in its own short transaction so no
    offer's row stays locked while others are done. Returns the units."""
    rows = db.query("""SELECT DISTINCT offer_id FROM sale_holds WHERE expires_at <= now()
                       ORDER BY offer_id LIMIT %s""", (max_offers,))
    return sum(db.run_transaction(db.query_value, "SELECT reclaim_holds(%s)", (row["offer_id"],))
               for row in rows)


def units_bought(buyer_id: int, sale_ids: list[int]) -> dict[int, int]:
    """{sale id: units the buyer already bought in it} for those sales (by
    the primary key of flash_sale_buyers; a sale they bought nothing in is
    left out)."""
    rows = db.query("""SELECT sale_id, units FROM flash_sale_buyers
                       WHERE buyer_id = %s AND sale_id = ANY(%s)""", (buyer_id, sale_ids))
    return {row["sale_id"]: row["units"] for row in rows}
