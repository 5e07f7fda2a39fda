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
    "money is conserved (top-ups - withdrawals = balances + held on orders + platform commission)": """
        SELECT money_in, balances, held, platform FROM (
            SELECT (SELECT coalesce(sum(amount), 0) FROM ledger_entries
                    WHERE kind IN ('topup', 'withdrawal')) AS money_in,
                   (SELECT coalesce(sum(balance), 0) FROM users) AS balances,
                   (SELECT coalesce(sum(held_amount), 0) FROM orders) AS held,
                   (SELECT coalesce(sum(amount), 0) FROM platform_ledger) AS platform) t
        WHERE money_in <> balances + held + platform""",
    "each purchase's charge equals its total and its orders' subtotals with shipping": """
        SELECT pu.id, pu.total, -coalesce(c.charged, 0) AS charged, coalesce(o.totals, 0) AS totals
        FROM purchases pu
        LEFT JOIN (SELECT purchase_id, sum(amount) AS charged FROM ledger_entries
                   WHERE kind = 'purchase' GROUP BY purchase_id) c ON c.purchase_id = pu.id
        LEFT JOIN (SELECT purchase_id, sum(subtotal + shipping_fee) AS totals FROM orders GROUP BY purchase_id) o
             ON o.purchase_id = pu.id
        WHERE pu.total <> -coalesce(c.charged, 0) OR pu.total <> coalesce(o.totals, 0)""",
    "each order's subtotal is its lines; held equals its money rows; paid = held + refunded + seller + platform": """
        SELECT o.id, o.subtotal, o.shipping_fee, o.held_amount, o.refunded_amount, l.lines, m.held, m.hold,
               r.refunded, s.seller, p.platform
        FROM orders o
        LEFT JOIN (SELECT order_id, sum(quantity * unit_price) AS lines FROM order_lines GROUP BY order_id) l
             ON l.order_id = o.id
        LEFT JOIN (SELECT order_id, sum(amount) AS held, sum(amount) FILTER (WHERE kind = 'hold') AS hold
                   FROM order_money GROUP BY order_id) m ON m.order_id = o.id
        LEFT JOIN (SELECT e.order_id, sum(e.amount) AS refunded FROM ledger_entries e JOIN orders x
                   ON x.id = e.order_id AND e.user_id = x.buyer_id WHERE e.kind = 'refund' GROUP BY e.order_id) r
             ON r.order_id = o.id
        LEFT JOIN (SELECT e.order_id, sum(e.amount) AS seller FROM ledger_entries e JOIN orders x
                   ON x.id = e.order_id AND e.user_id = x.seller_id WHERE e.kind IN ('sale', 'refund')
                   GROUP BY e.order_id) s ON s.order_id = o.id
        LEFT JOIN (SELECT order_id, sum(amount) AS platform FROM platform_ledger GROUP BY order_id) p
             ON p.order_id = o.id
        WHERE o.subtotal <> coalesce(l.lines, 0) OR o.held_amount <> coalesce(m.held, 0)
           OR coalesce(m.hold, 0) <> o.subtotal + o.shipping_fee
           OR o.refunded_amount <> coalesce(r.refunded, 0)
           OR o.subtotal + o.shipping_fee <> o.held_amount + o.refunded_amount + coalesce(s.seller, 0)
                                             + coalesce(p.platform, 0)""",
    "order states agree with money and lines (a cancelled order is refunded in full and pays nobody)": """
        SELECT o.id, o.state, o.held_amount, o.refunded_amount, o.released_at, l.net
        FROM orders o JOIN (SELECT order_id, sum(quantity - cancelled_quantity - returned_quantity) AS net,
                                   sum(returned_quantity) AS returned
                            FROM order_lines GROUP BY order_id) l ON l.order_id = o.id
        WHERE (o.state = 'cancelled' AND (o.held_amount <> 0 OR l.net <> 0
                                          OR o.refunded_amount <> o.subtotal + o.shipping_fee))
           OR (o.state <> 'cancelled' AND l.net = 0 AND l.returned = 0)
           OR (o.state = 'delivered' AND (o.released_at IS NULL OR o.held_amount <> 0))
           OR (o.state IN ('placed', 'shipped') AND o.released_at IS NULL
               AND o.held_amount <> o.subtotal + o.shipping_fee - o.refunded_amount)
           OR (o.released_at IS NOT NULL AND o.held_amount <> 0)""",
    "accepted returns are refunded at the prices paid and counted on their lines": """
        SELECT l.id, l.returned_quantity, coalesce(r.units, 0) AS accepted
        FROM order_lines l LEFT JOIN (
            SELECT rl.line_id, sum(rl.quantity) AS units FROM return_lines rl
            JOIN return_requests q ON q.id = rl.return_id WHERE q.state = 'accepted' GROUP BY rl.line_id) r
             ON r.line_id = l.id
        WHERE l.returned_quantity <> coalesce(r.units, 0)
        UNION ALL
        SELECT q.id, NULL, NULL FROM return_requests q
        WHERE q.state = 'accepted' AND q.refund_amount <> (
            SELECT sum(rl.quantity * l.unit_price) FROM return_lines rl JOIN order_lines l ON l.id = rl.line_id
            WHERE rl.return_id = q.id)""",
    "products.units_sold equals the units in order lines": """
        SELECT p.id, p.units_sold, coalesce(l.units, 0) AS lines
        FROM products p LEFT JOIN (SELECT product_id, sum(quantity - cancelled_quantity - returned_quantity) AS units
                                   FROM order_lines GROUP BY product_id) l ON l.product_id = p.id
        WHERE p.units_sold <> coalesce(l.units, 0)""",
    "flash sale units sold equal their order lines, within the units": """
        SELECT s.id, s.units_sold, s.units_total, coalesce(l.units, 0) AS lines
        FROM flash_sales s LEFT JOIN (SELECT flash_sale_id, sum(quantity - cancelled_quantity - returned_quantity)
                                             AS units FROM order_lines
                                      WHERE flash_sale_id IS NOT NULL GROUP BY flash_sale_id) l
             ON l.flash_sale_id = s.id
        WHERE s.units_sold <> coalesce(l.units, 0) OR s.units_sold > s.units_total""",
    "no customer bought more than a flash sale's limit": """
        SELECT s.id, o.buyer_id, sum(l.quantity - l.cancelled_quantity - l.returned_quantity) AS units,
               s.per_customer_limit, max(b.units) AS counted
        FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN flash_sales s ON s.id = l.flash_sale_id
        LEFT JOIN flash_sale_buyers b ON b.sale_id = s.id AND b.buyer_id = o.buyer_id
        GROUP BY s.id, o.buyer_id, s.per_customer_limit
        HAVING sum(l.quantity - l.cancelled_quantity - l.returned_quantity) > s.per_customer_limit
            OR sum(l.quantity - l.cancelled_quantity - l.returned_quantity) <> coalesce(max(b.units), 0)""",
    "the sellers' sales summary equals their lines still sold": """
        SELECT coalesce(s.seller_id, t.seller_id), coalesce(s.product_id, t.product_id), s.units, t.units
        FROM seller_product_sales s FULL JOIN (
            SELECT o.seller_id, l.product_id, sum(l.quantity - l.cancelled_quantity - l.returned_quantity) AS units,
                   sum((l.quantity - l.cancelled_quantity - l.returned_quantity) * l.unit_price) AS revenue
            FROM order_lines l JOIN offers o ON o.id = l.offer_id GROUP BY 1, 2) t
             ON t.seller_id = s.seller_id AND t.product_id = s.product_id
        WHERE coalesce(s.units, 0) <> coalesce(t.units, 0) OR coalesce(s.revenue, 0) <> coalesce(t.revenue, 0)""",
}


def _stock_violations(cur, initial_stock: dict[int, int]) -> list[str]:
    cur.execute("""SELECT o.id, o.quantity,
                          coalesce(sum(l.quantity - l.cancelled_quantity - l.returned_quantity), 0) AS sold
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
