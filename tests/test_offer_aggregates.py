"""products.min_price / seller_count, kept by the per-statement triggers on
offers (migration 0121): equal to the truth over offers after single-row
and many-row inserts, updates (price, stock to and from zero, stop selling,
a product moved) and deletes, in one statement or several."""
from decimal import Decimal

from app import db
from tests.support import add_category, add_offer, add_product, rows

TRUTH = """SELECT p.id, p.min_price, p.seller_count, s.min_price AS true_min,
                  coalesce(s.sellers, 0) AS true_count
           FROM products p LEFT JOIN (SELECT product_id, min(price) AS min_price, count(*)::int AS sellers
                                      FROM offers WHERE active AND quantity > 0 GROUP BY product_id) s
                ON s.product_id = p.id
           WHERE p.id = ANY(%s) ORDER BY p.id"""


def assert_exact(app, products):
    for row in rows(app, TRUTH, (products,)):
        assert (row["min_price"], row["seller_count"]) == (row["true_min"], row["true_count"]), row


def test_aggregates_stay_exact_through_every_kind_of_write(app, make_user):
    sellers = [make_user() for _ in range(3)]
    category = add_category(app, "Garden")
    products = [add_product(app, sellers[0], category, f"Rake {n}") for n in range(4)]
    offers = [add_offer(app, product, seller, f"{10 + n + 3 * m}.00", quantity=2)
              for n, product in enumerate(products) for m, seller in enumerate(sellers)]
    products.append(add_product(app, sellers[0], category, "Rake without offers"))
    assert_exact(app, products)
    with app.app_context():
        steps = [
            # many rows at once: every price of one seller, then stock to zero for another
            ("UPDATE offers SET price = price - 5 WHERE seller_id = %s", (sellers[0].id,)),
            ("UPDATE offers SET quantity = 0 WHERE seller_id = %s", (sellers[1].id,)),
            # single rows: a sale of the last unit, a restock, a stop-selling, a price raise
            ("UPDATE offers SET quantity = quantity - 2 WHERE id = %s", (offers[0],)),
            ("UPDATE offers SET quantity = 7 WHERE id = %s", (offers[1],)),
            ("UPDATE offers SET listed = false WHERE id = %s", (offers[2],)),
            ("UPDATE offers SET price = 99 WHERE id = %s", (offers[3],)),
            # a stock change that leaves the aggregates alone, and one that touches nothing
            ("UPDATE offers SET quantity = quantity + 1 WHERE id = %s", (offers[4],)),
            ("UPDATE offers SET low_stock_alerted = true WHERE id = %s", (offers[5],)),
            # an offer moved to another product, and every offer of a product deleted
            ("UPDATE offers SET product_id = %s WHERE id = %s", (products[4], offers[7])),
            ("DELETE FROM offers WHERE product_id = %s", (products[3],)),
            # a multi-row insert, one of them without stock
            ("""INSERT INTO offers (product_id, seller_id, price, quantity)
                VALUES (%s, %s, 1.50, 3), (%s, %s, 0.50, 0)""",
             (products[3], sellers[0].id, products[3], sellers[1].id)),
        ]
        for statement, params in steps:
            db.execute(statement, params)
            assert_exact(app, products)
        with db.transaction():  # several statements in one transaction
            db.execute("UPDATE offers SET price = price + 1 WHERE product_id = ANY(%s)", (products,))
            db.execute("UPDATE offers SET listed = true, quantity = 1 WHERE seller_id = %s", (sellers[1].id,))
        assert_exact(app, products)
    found = {r["id"]: r for r in rows(app, TRUTH, (products,))}
    # The offer without stock counts again once restocked: 2.50 and 1.50.
    assert (found[products[3]]["seller_count"], found[products[3]]["min_price"]) == (2, Decimal("1.50"))
