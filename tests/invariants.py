"""Invariants of money and stock, checked straight in the database after any
amount of concurrent buying. Each check is one query returning the rows
that break it; `violations(dsn)` runs them all and `assert_invariants(dsn)`
fails with every broken one listed. Usable on any Souk database (tests,
generated data sets).

    from invariants import assert_invariants
    assert_invariants(database, initial_stock={offer_id: 10})
"""
import psycopg2

# name -> SQL returning the offending rows (none when the invariant holds).
CHECKS = {
    "balance equals its ledger sum": """
        SELECT u.id, u.balance, coalesce(l.total, 0) AS ledger
        FROM users u LEFT JOIN (SELECT user_id, sum(amount) AS total FROM ledger_entries GROUP BY user_id) l
             ON l.user_id = u.id
        WHERE u.balance <> coalesce(l.total, 0)""",
    "money is conserved (top-ups - withdrawals = sum of balances)": """
        SELECT money_in, balances FROM (
            SELECT (SELECT coalesce(sum(amount), 0) FROM ledger_entries
                    WHERE kind IN ('topup', 'withdrawal')) AS money_in,
                   (SELECT coalesce(sum(balance), 0) FROM users) AS balances) t
        WHERE money_in <> balances""",
    "each purchase's charge equals its total and its orders' subtotals": """
        SELECT pu.id, pu.total, -coalesce(c.charged, 0) AS charged, coalesce(o.subtotals, 0) AS subtotals
        FROM purchases pu
        LEFT JOIN (SELECT purchase_id, sum(amount) AS charged FROM ledger_entries
                   WHERE kind = 'purchase' GROUP BY purchase_id) c ON c.purchase_id = pu.id
        LEFT JOIN (SELECT purchase_id, sum(subtotal) AS subtotals FROM orders GROUP BY purchase_id) o
             ON o.purchase_id = pu.id
        WHERE pu.total <> -coalesce(c.charged, 0) OR pu.total <> coalesce(o.subtotals, 0)""",
    "each order's seller is credited its subtotal, which its lines add up to": """
        SELECT o.id, o.subtotal, coalesce(s.credited, 0) AS credited, coalesce(l.lines, 0) AS lines
        FROM orders o
        LEFT JOIN (SELECT purchase_id, user_id, sum(amount) AS credited FROM ledger_entries
                   WHERE kind = 'sale' GROUP BY purchase_id, user_id) s
             ON s.purchase_id = o.purchase_id AND s.user_id = o.seller_id
        LEFT JOIN (SELECT order_id, sum(quantity * unit_price) AS lines FROM order_lines GROUP BY order_id) l
             ON l.order_id = o.id
        WHERE o.subtotal <> coalesce(s.credited, 0) OR o.subtotal <> coalesce(l.lines, 0)""",
    "products.units_sold equals the units in order lines": """
        SELECT p.id, p.units_sold, coalesce(l.units, 0) AS lines
        FROM products p LEFT JOIN (SELECT product_id, sum(quantity) AS units FROM order_lines
                                   GROUP BY product_id) l ON l.product_id = p.id
        WHERE p.units_sold <> coalesce(l.units, 0)""",
    "flash sale units sold equal their order lines, within the units": """
        SELECT s.id, s.units_sold, s.units_total, coalesce(l.units, 0) AS lines
        FROM flash_sales s LEFT JOIN (SELECT flash_sale_id, sum(quantity) AS units FROM order_lines
                                      WHERE flash_sale_id IS NOT NULL GROUP BY flash_sale_id) l
             ON l.flash_sale_id = s.id
        WHERE s.units_sold <> coalesce(l.units, 0) OR s.units_sold > s.units_total""",
    "no customer bought more than a flash sale's limit": """
        SELECT s.id, o.buyer_id, sum(l.quantity) AS units, s.per_customer_limit, max(b.units) AS counted
        FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN flash_sales s ON s.id = l.flash_sale_id
        LEFT JOIN flash_sale_buyers b ON b.sale_id = s.id AND b.buyer_id = o.buyer_id
        GROUP BY s.id, o.buyer_id, s.per_customer_limit
        HAVING sum(l.quantity) > s.per_customer_limit OR sum(l.quantity) <> coalesce(max(b.units), 0)""",
}


def _stock_violations(cur, initial_stock: dict[int, int]) -> list[str]:
    cur.execute("""SELECT o.id, o.quantity, coalesce(sum(l.quantity), 0) AS sold
                   FROM offers o LEFT JOIN order_lines l ON l.offer_id = o.id
                   WHERE o.id = ANY(%s) GROUP BY o.id""", (list(initial_stock),))
    return [f"offer {offer_id}: {left} left + {sold} sold != {initial_stock[offer_id]} at first"
            for offer_id, left, sold in cur.fetchall() if left + sold != initial_stock[offer_id]]


def violations(dsn: str, initial_stock: dict[int, int] | None = None) -> list[str]:
    """Every broken invariant, as readable lines (empty when all hold).
    `initial_stock` ({offer_id: units at first}) adds: units sold + stock
    left = initial stock, for those offers."""
    found = []
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            for name, statement in CHECKS.items():
                cur.execute(statement)
                found += [f"{name}: {row}" for row in cur.fetchmany(5)]
            if initial_stock:
                found += _stock_violations(cur, initial_stock)
    finally:
        conn.close()
    return found


def assert_invariants(dsn: str, initial_stock: dict[int, int] | None = None) -> None:
    broken = violations(dsn, initial_stock)
    assert not broken, "Invariants broken:\n" + "\n".join(broken)
