"""Products: browsing and keyword search, the product page, creating and
editing a product.

Lists read the aggregates kept on the product row (min_price, seller_count,
rating_avg, units_sold) and page through an index that matches the sort, so
a page costs the same at ten products or a million."""
import re
from dataclasses import dataclass
from decimal import Decimal

from psycopg2 import sql

from .. import db

SORTS = ("relevance", "price_asc", "price_desc", "rating", "best_selling", "newest")
# Each order is served by an index of 0010_catalog (overall and per category);
# the id makes it total, so pages never repeat or skip a product.
_ORDER_BY = {
    "price_asc": "p.min_price ASC NULLS LAST, p.id ASC",
    "price_desc": "p.min_price DESC NULLS LAST, p.id DESC",
    "rating": "p.rating_avg DESC NULLS LAST, p.id DESC",
    "best_selling": "p.units_sold DESC, p.id DESC",
    "newest": "p.created_at DESC, p.id DESC",
}
MAX_KEYWORDS = 8
# Lists page through at most this many products (10 pages of 20). Every page
# costs an index scan over the rows before it: at a million products page 10
# of a common word costs about 4 times page 1, page 20 ten times, page 1,000
# half a second. Past the bound a list asks for more words or filters.
MAX_RESULTS = 200
_WORD = re.compile(r"[^\W_]+")

# The offer "Buy the cheapest" adds for the viewer (%(viewer)s, NULL for a
# guest): the one the cart would charge least for right now, at the live
# flash-sale price where one runs (as cart.line_problem and checkout price
# it), never the viewer's own, never one whose live sale is sold out (checkout
# refuses those until the sale ends). {product} names the product id column.
# It reads the product's buyable offers through offers_product_price and
# probes flash_sales_offer for each: its cost grows with the product's
# sellers, never with the catalog.
CHEAPEST_OFFER = """LATERAL (
    SELECT o.id, o.seller_id, least(o.price, s.sale_price) AS price, s.id IS NOT NULL AS on_sale
    FROM offers o
    LEFT JOIN flash_sales s ON s.offer_id = o.id AND s.starts_at <= now() AND s.ends_at > now()
    WHERE o.product_id = {product} AND o.active AND o.quantity > 0
      AND o.seller_id IS DISTINCT FROM %(viewer)s AND (s.id IS NULL OR sale_units_left(s) > 0)
    ORDER BY least(o.price, s.sale_price), o.id LIMIT 1)"""

# One list row: the product, its category, its cheapest buyable offer and
# the hash of its first photo (the key of product_photos).
_ROWS = """
SELECT p.id, p.name, p.min_price, p.seller_count, p.rating_avg, p.rating_count,
       c.name AS category_name, c.slug AS category_slug,
       cheapest.id AS cheapest_offer_id, cheapest.seller_id AS cheapest_seller_id,
       cheapest.price AS cheapest_price, cheapest.on_sale AS cheapest_on_sale,
       (SELECT ph.sha256 FROM product_photos pp JOIN photos ph ON ph.id = pp.photo_id
        WHERE pp.product_id = p.id AND pp.position = 1) AS photo
FROM ({page}) page
JOIN products p ON p.id = page.id
JOIN categories c ON c.id = p.category_id
LEFT JOIN """ + CHEAPEST_OFFER.format(product="p.id") + """ cheapest ON true
ORDER BY {order}
"""

# Relevance: products whose name has every keyword first, then those that
# have them only in the description; best sellers first within each. Each
# tier stops after the rows this page needs, so a common word reads a few
# rows of products_best_selling and a rare word a few GIN entries.
_RELEVANCE_PAGE = """
WITH name_hits AS MATERIALIZED (
    SELECT p.id, 1 AS tier, p.units_sold FROM products p
    WHERE {filters} AND p.search_vector @@ to_tsquery('english', %(name_query)s)
    ORDER BY p.units_sold DESC, p.id DESC LIMIT %(need)s),
text_hits AS MATERIALIZED (
    SELECT p.id, 2 AS tier, p.units_sold FROM products p
    WHERE {where} AND NOT p.search_vector @@ to_tsquery('english', %(name_query)s)
    ORDER BY p.units_sold DESC, p.id DESC
    LIMIT (SELECT %(need)s - count(*) FROM name_hits))
SELECT id, tier FROM (SELECT * FROM name_hits UNION ALL SELECT * FROM text_hits) hits
ORDER BY tier, units_sold DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s
"""


@dataclass(frozen=True)
class Filters:
    """What a product list is narrowed to. `keywords` come from keywords()."""

    keywords: tuple[str, ...] = ()
    category_id: int | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    min_rating: int | None = None
    in_stock: bool = False


def keywords(text: str) -> tuple[str, ...]:
    """The words of a search query: lower case, letters and digits only, at
    most MAX_KEYWORDS. Punctuation and operators never reach the SQL."""
    return tuple(_WORD.findall(text.lower()))[:MAX_KEYWORDS]


def _tsquery(words: tuple[str, ...], weight: str = "", prefix: bool = False) -> str:
    """to_tsquery input requiring every word; each word is quoted, and
    keywords() left no quote in it. `weight` 'A' restricts to the name;
    `prefix` matches words that start with each keyword."""
    label = ("*" if prefix else "") + weight
    return " & ".join(f"'{word}'{':' + label if label else ''}" for word in words)


def name_prefix_tsquery(words: tuple[str, ...]) -> str:
    """to_tsquery input matching products whose name has words starting
    with every one of `words` (from keywords()): "kett" finds kettles."""
    return _tsquery(words, "A", prefix=True)


def _where(filters: Filters, keywords: bool = True) -> tuple[sql.Composable, dict]:
    """The conditions of `filters` (without the keywords when `keywords` is
    False) and their parameters."""
    # Products an operator hid leave every list (0110_operator).
    parts, params = [sql.SQL("p.hidden_reason IS NULL")], {}
    conditions = (
        (keywords and filters.keywords, "p.search_vector @@ to_tsquery('english', %(query)s)", "query",
         _tsquery(filters.keywords)),
        (filters.category_id is not None, "p.category_id = %(category_id)s", "category_id",
         filters.category_id),
        (filters.price_min is not None, "p.min_price >= %(price_min)s", "price_min", filters.price_min),
        (filters.price_max is not None, "p.min_price <= %(price_max)s", "price_max", filters.price_max),
        (filters.min_rating is not None, "p.rating_avg >= %(min_rating)s", "min_rating", filters.min_rating),
        (filters.in_stock, "p.min_price IS NOT NULL", None, None),
    )
    for applies, condition, name, value in conditions:
        if applies:
            parts.append(sql.SQL(condition))
            if name:
                params[name] = value
    return sql.SQL(" AND ").join(parts), params


def list_products(filters: Filters, sort: str, page: int, per_page: int) -> list[dict]:
    """One page of products matching `filters` in the order `sort` (one of
    SORTS; 'relevance' without keywords means best selling). Returns up to
    per_page + 1 rows: the extra one only says a next page exists.

    Each row: id, name, min_price (None = unavailable), seller_count,
    rating_avg, rating_count, category_name, category_slug, and the offer
    the cart would charge least for now (see CHEAPEST_OFFER): cheapest_offer_id,
    cheapest_seller_id, cheapest_price, cheapest_on_sale (all None when
    nothing is buyable). The same for every viewer, so it can be cached:
    for_viewer() then swaps out the viewer's own offers. And photo: the
    sha256 of its first photo (or None)."""
    where, params = _where(filters)
    params.update(limit=per_page + 1, offset=(page - 1) * per_page, viewer=None)
    if sort == "relevance" and filters.keywords:
        params.update(need=params["limit"] + params["offset"],
                      name_query=_tsquery(filters.keywords, "A"))
        # The name tier's query implies the keywords: repeating them would
        # only mislead the planner's row estimate.
        page_sql = sql.SQL(_RELEVANCE_PAGE).format(where=where, filters=_where(filters, keywords=False)[0])
        order = sql.SQL("page.tier, p.units_sold DESC, p.id DESC")
    else:
        order = sql.SQL(_ORDER_BY.get(sort, _ORDER_BY["best_selling"]))
        page_sql = sql.SQL("SELECT p.id FROM products p WHERE {where} ORDER BY {order} "
                           "LIMIT %(limit)s OFFSET %(offset)s").format(where=where, order=order)
    return db.query(sql.SQL(_ROWS).format(page=page_sql, order=order), params)


def within_reach(page: int, per_page: int) -> bool:
    """Whether page `page` of a product list lies within MAX_RESULTS."""
    return (page - 1) * per_page < MAX_RESULTS


def count_products(filters: Filters) -> tuple[int, bool]:
    """How many products match `filters`: (n, True) when exact, (estimate,
    False) when there are more than a thousand, from the planner's statistics
    (see db.count_about): no list ever counts a big match."""
    where, params = _where(filters)
    return db.count_about(sql.SQL("SELECT 1 FROM products p WHERE {}").format(where), params)


def for_viewer(rows: list[dict], viewer_id: int | None) -> list[dict]:
    """List rows (of list_products) as `viewer_id` may buy them: where the
    cheapest offer is the viewer's own, the cheapest of the others instead
    (all None, and own_only True, when there is none). One query, and only
    when such rows exist; the rows passed in are not changed."""
    own = [row["id"] for row in rows if viewer_id is not None and row["cheapest_seller_id"] == viewer_id]
    if not own:
        return rows
    others = {row.pop("product_id"): row for row in db.query(
        f"""SELECT p.id AS product_id, cheapest.id AS cheapest_offer_id,
                   cheapest.seller_id AS cheapest_seller_id, cheapest.price AS cheapest_price,
                   cheapest.on_sale AS cheapest_on_sale
            FROM unnest(%(ids)s::bigint[]) AS p (id)
            LEFT JOIN {CHEAPEST_OFFER.format(product="p.id")} cheapest ON true""",
        {"ids": own, "viewer": viewer_id})}
    return [{**row, **others[row["id"]], "own_only": others[row["id"]]["cheapest_offer_id"] is None}
            if row["id"] in others else row for row in rows]


def product_details(product_id: int, viewer_id: int | None = None) -> dict | None:
    """Everything the product page shows about the product itself, or None.

    Includes the category, the creator's name, the review aggregates, and
    viewer_offer_id / viewer_offer_active: the viewer's own offer, if any."""
    return db.query_one(
        """SELECT p.id, p.name, p.description, p.created_at, p.category_id, p.creator_id,
                  p.min_price, p.seller_count, p.units_sold, p.hidden_reason,
                  p.rating_count, p.rating_avg, p.rating_hist,
                  c.name AS category_name, c.slug AS category_slug,
                  u.first_name AS creator_first_name, u.last_name AS creator_last_name,
                  mine.id AS viewer_offer_id, mine.active AS viewer_offer_active
           FROM products p
           JOIN categories c ON c.id = p.category_id
           JOIN users u ON u.id = p.creator_id
           LEFT JOIN offers mine ON mine.product_id = p.id AND mine.seller_id = %s
           WHERE p.id = %s""", (viewer_id, product_id))


def same_name_in_category(category_id: int, name: str, limit: int = 5) -> list[dict]:
    """Products of the category whose name is `name` but for case and
    surrounding spaces (id, name, min_price, seller_count), most sellers
    first, at most `limit`: "sell one like this" instead of a duplicate.
    Served by products_category_lower_name."""
    return db.query(
        """SELECT id, name, min_price, seller_count FROM products
           WHERE category_id = %s AND lower(name) = lower(%s)
           ORDER BY seller_count DESC, id LIMIT %s""", (category_id, name.strip(), limit))


def _insert_product_and_offer(creator_id, category_id, name, description, price, quantity) -> int:
    product_id = db.query_value(
        """INSERT INTO products (category_id, creator_id, name, description)
           VALUES (%s, %s, %s, %s) RETURNING id""", (category_id, creator_id, name, description))
    db.execute("INSERT INTO offers (product_id, seller_id, price, quantity) VALUES (%s, %s, %s, %s)",
               (product_id, creator_id, price, quantity))
    return product_id


def create_product_with_offer(creator_id: int, category_id: int, name: str, description: str,
                              price: Decimal, quantity: int) -> int:
    """Create a product and its creator's offer in one transaction; returns
    the product id."""
    return db.run_transaction(_insert_product_and_offer, creator_id, category_id, name.strip(),
                              description.strip(), price, quantity)


def update_product(product_id: int, creator_id: int, name: str, description: str, category_id: int) -> bool:
    """Change a product's details. Only its creator may: False when
    `creator_id` did not create it (or it does not exist)."""
    return db.execute(
        """UPDATE products SET name = %s, description = %s, category_id = %s
           WHERE id = %s AND creator_id = %s""",
        (name.strip(), description.strip(), category_id, product_id, creator_id)) == 1
