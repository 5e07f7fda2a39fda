"""Recommendations for the home page.

The candidates are the platform's CANDIDATES best-selling products, read from
the top of the products_best_selling index (products.units_sold is kept by
checkout), so no request ever scans the order lines of the whole platform.
A logged-in user's taste is their units bought per category, from their own
orders only. Candidates in the categories they like come first (the more
units, the earlier), the rest fill up in best-seller order; what they already
bought, what is out of stock and their own offers are left out. A new user
gets the best sellers."""
from .. import db
from .product import CHEAPEST_OFFER

CANDIDATES = 50
SHOWN = 8
_CHEAPEST = CHEAPEST_OFFER.format(product="t.id")


def recommendations(user_id: int, limit: int = SHOWN) -> dict:
    """Up to `limit` products for the user: {"personal": bool, "products": [...]}.

    Products have the columns of the catalog's list rows (id, name, min_price,
    seller_count, rating_avg, rating_count, category_name, category_slug,
    cheapest_offer_id, cheapest_seller_id, cheapest_price, cheapest_on_sale, photo),
    where the price and offer are what "Buy the cheapest" adds for the user
    (product.CHEAPEST_OFFER), plus units_sold and weight (units
    the user bought in its category). "personal" is true when the user has
    bought anything, so the list is theirs rather than the plain best sellers."""
    rows = db.query(
        f"""WITH bought AS (
               SELECT l.product_id, sum(l.quantity) AS units
               FROM orders o JOIN order_lines l ON l.order_id = o.id
               WHERE o.buyer_id = %(user)s
               GROUP BY l.product_id),
           taste AS (
               SELECT p.category_id, sum(b.units) AS weight
               FROM bought b JOIN products p ON p.id = b.product_id
               GROUP BY p.category_id),
           candidates AS (
               SELECT id, category_id, name, seller_count, rating_avg, rating_count, units_sold
               FROM products WHERE units_sold > 0
               ORDER BY units_sold DESC, id DESC LIMIT %(candidates)s)
           SELECT t.id, t.name, cheapest.price AS min_price, t.seller_count, t.rating_avg, t.rating_count,
                  c.name AS category_name, c.slug AS category_slug, cheapest.id AS cheapest_offer_id,
                  cheapest.seller_id AS cheapest_seller_id, cheapest.price AS cheapest_price,
                  cheapest.on_sale AS cheapest_on_sale, t.units_sold,
                  coalesce(taste.weight, 0) AS weight, EXISTS (SELECT 1 FROM bought) AS personal,
                  (SELECT ph.sha256 FROM product_photos pp JOIN photos ph ON ph.id = pp.photo_id
                   WHERE pp.product_id = t.id AND pp.position = 1) AS photo
           FROM candidates t
           JOIN categories c ON c.id = t.category_id
           LEFT JOIN taste ON taste.category_id = t.category_id
           CROSS JOIN {_CHEAPEST} cheapest
           WHERE t.id NOT IN (SELECT product_id FROM bought)
           ORDER BY weight DESC, t.units_sold DESC, t.id DESC
           LIMIT %(limit)s""",
        {"user": user_id, "viewer": user_id, "candidates": CANDIDATES, "limit": limit})
    return {"personal": bool(rows) and rows[0]["personal"], "products": rows}
