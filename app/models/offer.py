"""Offers: one seller's price and stock for one product (the seller's
inventory). Changing an offer fires the trigger that keeps the product's
min_price and seller_count true."""
from decimal import Decimal

from .. import db
from . import product

# A seller's rating as shown next to their offers: one decimal, None when unrated.
_SELLER_RATING = """CASE WHEN u.seller_rating_count > 0
                         THEN round(u.seller_rating_sum::numeric / u.seller_rating_count, 1) END"""


class StockChanged(Exception):
    """The offer's stock changed (a sale) since the seller loaded the form."""

    def __init__(self, quantity: int):
        super().__init__(quantity)
        self.quantity = quantity


def offers_for_product(product_id: int, page: int, per_page: int) -> list[dict]:
    """One page of a product's active offers for the offers box: buyable ones
    first, cheapest first (at the flash-sale price while a sale is live, as
    the cart charges it), each with the seller's name and rating and the live
    sale's price, end and units left (a sold-out sale blocks the offer until
    it ends, as checkout does). Returns up to per_page + 1 rows."""
    return db.query(
        f"""SELECT o.id, o.seller_id, o.price, o.quantity,
                   s.sale_price, s.ends_at AS sale_ends_at, sale_units_left(s) AS sale_units_left,
                   u.first_name AS seller_first_name, u.last_name AS seller_last_name,
                   u.seller_rating_count, {_SELLER_RATING} AS seller_rating
            FROM offers o JOIN users u ON u.id = o.seller_id
            LEFT JOIN flash_sales s ON s.offer_id = o.id AND s.starts_at <= now() AND s.ends_at > now()
            WHERE o.product_id = %s AND o.active
            ORDER BY o.quantity = 0, least(o.price, s.sale_price), o.id
            LIMIT %s OFFSET %s""",
        (product_id, per_page + 1, (page - 1) * per_page))


def seller_offer_for_product(seller_id: int, product_id: int) -> dict | None:
    """The seller's offer for this product (active or stopped), or None."""
    return db.query_one(
        "SELECT id, price, quantity, active FROM offers WHERE seller_id = %s AND product_id = %s",
        (seller_id, product_id))


def save_offer(seller_id: int, product_id: int, price: Decimal, quantity: int) -> bool:
    """Offer a product at a price and stock. One offer per seller and product:
    when the seller already has one it is updated (and resumed if stopped).
    Returns True when a new offer was created."""
    return db.query_value(
        """INSERT INTO offers (seller_id, product_id, price, quantity) VALUES (%s, %s, %s, %s)
           ON CONFLICT (seller_id, product_id) DO UPDATE
               SET price = EXCLUDED.price, quantity = EXCLUDED.quantity, active = true, updated_at = now()
           RETURNING xmax = 0""",
        (seller_id, product_id, price, quantity))


def offer_of_seller(offer_id: int, seller_id: int) -> dict | None:
    """The offer with its product name, if it belongs to this seller; else None."""
    return db.query_one(
        """SELECT o.id, o.product_id, o.price, o.quantity, o.active, p.name AS product_name
           FROM offers o JOIN products p ON p.id = o.product_id
           WHERE o.id = %s AND o.seller_id = %s""", (offer_id, seller_id))


def update_offer(offer_id: int, seller_id: int, price: Decimal, quantity: int, quantity_seen: int) -> bool:
    """Set an offer's price and stock. The stock is only replaced if it is
    still `quantity_seen` (what the seller's form showed), so a sale made
    meanwhile is never silently undone: raises StockChanged then.
    Returns False when the seller has no such offer."""
    return db.run_transaction(_update_offer, offer_id, seller_id, price, quantity, quantity_seen)


def _update_offer(offer_id, seller_id, price, quantity, quantity_seen) -> bool:
    current = db.query_value("SELECT quantity FROM offers WHERE id = %s AND seller_id = %s FOR UPDATE",
                             (offer_id, seller_id))
    if current is None:
        return False
    if current != quantity_seen:
        raise StockChanged(current)
    db.execute("UPDATE offers SET price = %s, quantity = %s, updated_at = now() WHERE id = %s",
               (price, quantity, offer_id))
    return True


def stop_selling(offer_id: int, seller_id: int) -> bool:
    """Take an offer off sale (past order lines keep pointing to it).
    Returns False when the seller has no such offer."""
    return db.execute("""UPDATE offers SET active = false, listed = false, updated_at = now()
                         WHERE id = %s AND seller_id = %s""",
                      (offer_id, seller_id)) == 1


def inventory(seller_id: int, name_words: tuple[str, ...], page: int, per_page: int) -> list[dict]:
    """One page of a seller's offers (active and stopped), newest first;
    with `name_words` (from product.keywords()) only products whose name has
    words starting with each. Each row also has the product's lowest price on
    the site. Returns up to per_page + 1 rows.

    The name search goes through the full-text index, so PostgreSQL can
    start from whichever is smaller: the seller's offers or the products
    whose names match."""
    return db.query(
        """SELECT o.id, o.product_id, o.price, o.quantity, o.active, o.updated_at,
                  p.name AS product_name, p.min_price AS lowest_price
           FROM offers o JOIN products p ON p.id = o.product_id
           WHERE o.seller_id = %(seller)s
             AND (%(query)s IS NULL OR p.search_vector @@ to_tsquery('english', %(query)s))
           ORDER BY o.id DESC LIMIT %(limit)s OFFSET %(offset)s""",
        {"seller": seller_id, "query": product.name_prefix_tsquery(name_words) if name_words else None,
         "limit": per_page + 1, "offset": (page - 1) * per_page})


def count_inventory(seller_id: int, name_words: tuple[str, ...]) -> tuple[int, bool]:
    """How many offers inventory() pages through: (n, True) counted, or
    (an estimate, False) when counting would cost much (see db.count_about).
    All of a seller's offers are counted up to 20,000 (an index-only scan of
    offers_seller, about a millisecond for 10,000); a name search only when
    the planner finds it cheap, since each offer's product name is a heap read."""
    if not name_words:
        return db.count_about("SELECT 1 FROM offers o WHERE o.seller_id = %s", (seller_id,),
                              exact_up_to=20_000, max_cost=5_000)
    return db.count_about(
        """SELECT 1 FROM offers o JOIN products p ON p.id = o.product_id
           WHERE o.seller_id = %s AND p.search_vector @@ to_tsquery('english', %s)""",
        (seller_id, product.name_prefix_tsquery(name_words)))


def active_offers_of_seller(seller_id: int, page: int, per_page: int) -> list[dict]:
    """One page of what a seller offers now, newest first, for their public
    page. Returns up to per_page + 1 rows."""
    return db.query(
        """SELECT o.id, o.product_id, o.price, o.quantity, p.name AS product_name
           FROM offers o JOIN products p ON p.id = o.product_id
           WHERE o.seller_id = %s AND o.active
           ORDER BY o.id DESC LIMIT %s OFFSET %s""",
        (seller_id, per_page + 1, (page - 1) * per_page))


def stock_by_product(product_ids: list[int]) -> dict[int, int]:
    """Units on sale now per product (the sum over its active offers), for a
    page of products in one query; products without stock map to 0."""
    rows = db.query(
        """SELECT product_id, sum(quantity)::bigint AS stock FROM offers
           WHERE product_id = ANY(%s) AND active GROUP BY product_id""", (list(product_ids),))
    stock = dict.fromkeys(product_ids, 0)
    stock.update((row["product_id"], row["stock"]) for row in rows)
    return stock
