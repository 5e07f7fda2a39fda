"""The invariants of a Souk database, as SQL that lists what breaks them.

INVARIANTS hold on any Souk database, whatever wrote it: stored aggregates
equal the rows they summarise, money adds up (balances, money held on
orders and the platform's commission), order states agree with their money
and lines, reviews follow purchases, and (read from the catalog) every
foreign key has its row.
FRESH_INVARIANTS hold right after generation only (sellers change prices
later, so old lines no longer match their offer's price).
Each query returns one column `k` naming the offending row.
"""
from dataclasses import dataclass

from psycopg2 import sql

from .loader import connect

HISTOGRAM = """ARRAY[count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2),
                     count(*) FILTER (WHERE rating = 3), count(*) FILTER (WHERE rating = 4),
                     count(*) FILTER (WHERE rating = 5)]::int[]"""

INVARIANTS = [
    ("balance equals ledger", "users.balance is the sum of the user's ledger amounts", """
        SELECT 'user ' || u.id FROM users u
        LEFT JOIN (SELECT user_id, sum(amount) AS total FROM ledger_entries GROUP BY user_id) l
               ON l.user_id = u.id
        WHERE u.balance <> coalesce(l.total, 0)"""),
    ("money conserved", "money enters only by top-ups and leaves only by withdrawals: their sum is "
     "the sum of all balances, of the money held on orders and of the platform's commission", """
        SELECT 'top-ups - withdrawals ' || money_in || ' <> balances ' || balances || ' + held ' || held
               || ' + platform ' || platform FROM (
            SELECT (SELECT coalesce(sum(amount), 0) FROM ledger_entries
                    WHERE kind IN ('topup', 'withdrawal')) AS money_in,
                   (SELECT coalesce(sum(balance), 0) FROM users) AS balances,
                   (SELECT coalesce(sum(held_amount), 0) FROM orders) AS held,
                   (SELECT coalesce(sum(amount), 0) FROM platform_ledger) AS platform) t
        WHERE money_in <> balances + held + platform"""),
    ("running balance", "ledger balance_after is the running sum in id order (and never negative)", """
        SELECT 'ledger entry ' || id FROM (
            SELECT id, balance_after, sum(amount) OVER (PARTITION BY user_id ORDER BY id) AS running
            FROM ledger_entries) e
        WHERE balance_after <> running OR balance_after < 0"""),
    ("product offer aggregates", "products.min_price/seller_count match active offers in stock", """
        SELECT 'product ' || p.id FROM products p
        LEFT JOIN (SELECT product_id, min(price) AS cheapest, count(*) AS sellers FROM offers
                   WHERE active AND quantity > 0 GROUP BY product_id) o ON o.product_id = p.id
        WHERE p.min_price IS DISTINCT FROM o.cheapest OR p.seller_count <> coalesce(o.sellers, 0)"""),
    ("product ratings", "products.rating_count/sum/hist match product_reviews", f"""
        SELECT 'product ' || p.id FROM products p
        LEFT JOIN (SELECT product_id, count(*) AS n, sum(rating) AS total, {HISTOGRAM} AS hist
                   FROM product_reviews GROUP BY product_id) r ON r.product_id = p.id
        WHERE p.rating_count <> coalesce(r.n, 0) OR p.rating_sum <> coalesce(r.total, 0)
           OR p.rating_hist <> coalesce(r.hist, '{{0,0,0,0,0}}')"""),
    ("seller ratings", "users.seller_rating_count/sum (and hist) match seller_reviews", f"""
        SELECT 'user ' || u.id FROM users u
        LEFT JOIN (SELECT seller_id, count(*) AS n, sum(rating) AS total, {HISTOGRAM} AS hist
                   FROM seller_reviews GROUP BY seller_id) r ON r.seller_id = u.id
        WHERE u.seller_rating_count <> coalesce(r.n, 0) OR u.seller_rating_sum <> coalesce(r.total, 0)
           {{seller_hist}}"""),
    ("units sold", "products.units_sold plus its sales not yet folded (sales_pending) is the sum of its "
     "order lines' units still sold", """
        SELECT 'product ' || p.id FROM products p
        LEFT JOIN (SELECT product_id, sum(quantity - cancelled_quantity - returned_quantity) AS units
                   FROM order_lines GROUP BY product_id) l
               ON l.product_id = p.id
        LEFT JOIN (SELECT product_id, sum(units) AS units FROM sales_pending GROUP BY product_id) q
               ON q.product_id = p.id
        WHERE p.units_sold + coalesce(q.units, 0) <> coalesce(l.units, 0)"""),
    ("flash sale units", "flash_sales.units_sold (units taken) is the sum of its buyers' units and of the "
                         "units held in carts", """
        SELECT 'flash sale ' || s.id FROM flash_sales s
        LEFT JOIN (SELECT sale_id, sum(units) AS units FROM flash_sale_buyers GROUP BY sale_id) b
               ON b.sale_id = s.id
        LEFT JOIN (SELECT sale_id, sum(units) AS units FROM sale_holds GROUP BY sale_id) h
               ON h.sale_id = s.id
        WHERE s.units_sold <> coalesce(b.units, 0) + coalesce(h.units, 0)"""),
    ("sale holds", "a hold is on its sale's offer, ends by the sale's end, and with what its buyer "
                   "bought stays within the per-customer limit", """
        SELECT 'hold of buyer ' || h.buyer_id || ' on offer ' || h.offer_id FROM sale_holds h
        JOIN flash_sales s ON s.id = h.sale_id
        LEFT JOIN flash_sale_buyers b ON b.sale_id = h.sale_id AND b.buyer_id = h.buyer_id
        WHERE h.offer_id <> s.offer_id OR h.expires_at > s.ends_at
           OR h.units + coalesce(b.units, 0) > s.per_customer_limit"""),
    ("flash sale buyers", "each buyer's units match their sale lines and the per-customer limit", """
        SELECT 'flash sale ' || coalesce(b.sale_id, l.sale_id)
               || ' buyer ' || coalesce(b.buyer_id, l.buyer_id)
        FROM (SELECT b.*, s.per_customer_limit FROM flash_sale_buyers b
              JOIN flash_sales s ON s.id = b.sale_id) b
        FULL JOIN (SELECT ol.flash_sale_id AS sale_id, o.buyer_id,
                          sum(ol.quantity - ol.cancelled_quantity - ol.returned_quantity) AS units
                   FROM order_lines ol JOIN orders o ON o.id = ol.order_id
                   WHERE ol.flash_sale_id IS NOT NULL GROUP BY 1, 2) l
               ON l.sale_id = b.sale_id AND l.buyer_id = b.buyer_id
        WHERE coalesce(b.units, 0) <> coalesce(l.units, 0) OR b.units > b.per_customer_limit"""),
    ("flash sale lines", "a sale line buys the sale's offer at the sale price inside its window", """
        SELECT 'order line ' || ol.id FROM order_lines ol
        JOIN flash_sales s ON s.id = ol.flash_sale_id
        JOIN orders o ON o.id = ol.order_id JOIN purchases pu ON pu.id = o.purchase_id
        WHERE ol.offer_id <> s.offer_id OR ol.unit_price <> s.sale_price
           OR pu.created_at < s.starts_at OR pu.created_at >= s.ends_at"""),
    ("order subtotals", "orders.subtotal is the sum of quantity x unit price of its lines", """
        SELECT 'order ' || o.id FROM orders o
        LEFT JOIN (SELECT order_id, sum(quantity * unit_price) AS total FROM order_lines GROUP BY order_id) l
               ON l.order_id = o.id
        WHERE l.total IS DISTINCT FROM o.subtotal"""),
    ("purchase totals", "purchases.total is the sum of its orders' subtotals and shipping fees", """
        SELECT 'purchase ' || p.id FROM purchases p
        LEFT JOIN (SELECT purchase_id, sum(subtotal + shipping_fee) AS total FROM orders
                   GROUP BY purchase_id) o
               ON o.purchase_id = p.id
        WHERE o.total IS DISTINCT FROM p.total"""),
    ("order parties", "lines match their offer's product and seller; orders their purchase's buyer", """
        SELECT 'order line ' || ol.id FROM order_lines ol
        JOIN offers f ON f.id = ol.offer_id JOIN orders o ON o.id = ol.order_id
        JOIN purchases p ON p.id = o.purchase_id
        WHERE ol.product_id <> f.product_id OR f.seller_id <> o.seller_id OR o.buyer_id <> p.buyer_id
           OR o.buyer_id = o.seller_id"""),
    ("order money", "an order holds what it was paid less what went back or out: held_amount is the sum "
                    "of its money rows, refunded_amount its buyer's refunds, and paid = held + refunded + "
                    "the seller's net + the platform's", """
        SELECT 'order ' || o.id FROM orders o
        LEFT JOIN (SELECT order_id, sum(amount) AS held, sum(amount) FILTER (WHERE kind = 'hold') AS hold
                   FROM order_money GROUP BY order_id) m ON m.order_id = o.id
        LEFT JOIN (SELECT e.order_id, sum(e.amount) FILTER (WHERE e.user_id = x.buyer_id) AS refunded,
                          sum(e.amount) FILTER (WHERE e.user_id = x.seller_id) AS seller
                   FROM ledger_entries e JOIN orders x ON x.id = e.order_id
                   WHERE e.kind IN ('sale', 'refund') GROUP BY e.order_id) r ON r.order_id = o.id
        LEFT JOIN (SELECT order_id, sum(amount) AS platform FROM platform_ledger GROUP BY order_id) p
               ON p.order_id = o.id
        WHERE o.held_amount <> coalesce(m.held, 0) OR coalesce(m.hold, 0) <> o.subtotal + o.shipping_fee
           OR o.refunded_amount <> coalesce(r.refunded, 0)
           OR o.subtotal + o.shipping_fee <> o.held_amount + o.refunded_amount + coalesce(r.seller, 0)
                                             + coalesce(p.platform, 0)"""),
    ("order states", "a cancelled order is refunded in full, holds and pays nothing and sells no unit; "
                     "a delivered one is paid out; an open one holds what is not refunded", """
        SELECT 'order ' || o.id FROM orders o
        JOIN (SELECT order_id, sum(quantity - cancelled_quantity - returned_quantity) AS net,
                     sum(returned_quantity) AS returned FROM order_lines GROUP BY order_id) l
          ON l.order_id = o.id
        WHERE (o.state = 'cancelled' AND (o.held_amount <> 0 OR l.net <> 0 OR o.released_at IS NOT NULL
                                          OR o.refunded_amount <> o.subtotal + o.shipping_fee))
           OR (o.state <> 'cancelled' AND l.net = 0 AND l.returned = 0)
           OR (o.state = 'delivered' AND (o.released_at IS NULL OR o.held_amount <> 0))
           OR (o.state IN ('placed', 'shipped') AND o.released_at IS NULL
               AND o.held_amount <> o.subtotal + o.shipping_fee - o.refunded_amount)
           OR (o.released_at IS NOT NULL AND o.held_amount <> 0)"""),
    ("order times", "orders ship, arrive and are cancelled after their purchase, in that order", """
        SELECT 'order ' || o.id FROM orders o JOIN purchases p ON p.id = o.purchase_id
        WHERE o.shipped_at < p.created_at OR o.delivered_at < o.shipped_at OR o.cancelled_at < p.created_at
           OR (o.state IN ('shipped', 'delivered')) <> (o.shipped_at IS NOT NULL)
           OR (o.state = 'delivered') <> (o.delivered_at IS NOT NULL)"""),
    ("returns", "accepted returns are counted on their lines and refunded at the prices paid", """
        SELECT 'order line ' || l.id FROM order_lines l
        LEFT JOIN (SELECT rl.line_id, sum(rl.quantity) AS units FROM return_lines rl
                   JOIN return_requests q ON q.id = rl.return_id WHERE q.state = 'accepted'
                   GROUP BY rl.line_id) r ON r.line_id = l.id
        WHERE l.returned_quantity <> coalesce(r.units, 0)
        UNION ALL
        SELECT 'return ' || q.id FROM return_requests q
        WHERE q.state = 'accepted' AND q.refund_amount IS DISTINCT FROM (
            SELECT sum(rl.quantity * l.unit_price) FROM return_lines rl
            JOIN order_lines l ON l.id = rl.line_id
            WHERE rl.return_id = q.id)"""),
    ("product reviews by buyers", "a product review's author bought the product", """
        SELECT 'product review ' || r.id FROM product_reviews r
        WHERE NOT EXISTS (SELECT 1 FROM order_lines ol JOIN orders o ON o.id = ol.order_id
                          WHERE ol.product_id = r.product_id AND o.buyer_id = r.author_id)"""),
    ("seller reviews by buyers", "a seller review's author bought from the seller", """
        SELECT 'seller review ' || r.id FROM seller_reviews r
        WHERE NOT EXISTS (SELECT 1 FROM orders o
                          WHERE o.seller_id = r.seller_id AND o.buyer_id = r.author_id)"""),
    ("carts", "nobody has their own offer in their cart", """
        SELECT 'cart of user ' || c.user_id || ' offer ' || c.offer_id FROM cart_items c
        JOIN offers f ON f.id = c.offer_id WHERE f.seller_id = c.user_id"""),
    ("photo content hash", "a photo's key is the SHA-256 of its files (app.images.content_hash)", """
        SELECT 'photo ' || id FROM photos
        WHERE sha256 <> encode(sha256(int8send(length(thumb)) || thumb || int8send(length(thumb2x)) || thumb2x
                                      || int8send(length(medium)) || medium
                                      || int8send(length(medium2x)) || medium2x), 'hex')"""),
    ("photo positions", "a product's photos are at positions 1..n, without gaps", """
        SELECT 'product ' || product_id FROM product_photos
        GROUP BY product_id HAVING max(position) <> count(*)"""),
]

# Invariants of tables that later migrations added: checked where they exist.
OPTIONAL_INVARIANTS = {
    "seller_product_sales": (
        "seller sales summary", "seller_product_sales (plus sales_pending, not folded yet) has each "
        "seller's units, revenue, category per product",
        """
        SELECT 'seller ' || coalesce(s.seller_id, l.seller_id)
               || ' product ' || coalesce(s.product_id, l.product_id)
        FROM (SELECT coalesce(t.seller_id, q.seller_id) AS seller_id, coalesce(t.product_id, q.product_id)
                         AS product_id, t.category_id, coalesce(t.units, 0) + coalesce(q.units, 0) AS units,
                     coalesce(t.revenue, 0) + coalesce(q.revenue, 0) AS revenue
              FROM seller_product_sales t
              FULL JOIN (SELECT seller_id, product_id, sum(units) AS units, sum(revenue) AS revenue
                         FROM sales_pending GROUP BY 1, 2) q
                     ON q.seller_id = t.seller_id AND q.product_id = t.product_id) s
        FULL JOIN (SELECT f.seller_id, ol.product_id, p.category_id,
                          sum(ol.quantity - ol.cancelled_quantity - ol.returned_quantity) AS units,
                          sum((ol.quantity - ol.cancelled_quantity - ol.returned_quantity) * ol.unit_price)
                              AS revenue
                   FROM order_lines ol JOIN offers f ON f.id = ol.offer_id
                   JOIN products p ON p.id = ol.product_id
                   GROUP BY 1, 2, 3) l ON l.seller_id = s.seller_id AND l.product_id = s.product_id
        WHERE (s.units IS DISTINCT FROM l.units OR s.revenue IS DISTINCT FROM l.revenue
               OR (s.category_id IS DISTINCT FROM l.category_id AND s.category_id IS NOT NULL))
          AND NOT (l.units IS NULL AND s.units = 0 AND s.revenue = 0)"""),
}

FRESH_INVARIANTS = [
    ("prices paid", "lines outside flash sales were bought at their offer's price", """
        SELECT 'order line ' || ol.id FROM order_lines ol JOIN offers f ON f.id = ol.offer_id
        WHERE ol.flash_sale_id IS NULL AND ol.unit_price <> f.price"""),
    ("purchase debits", "each purchase debited its buyer the purchase total, once", """
        SELECT 'purchase ' || p.id FROM purchases p
        LEFT JOIN (SELECT purchase_id, count(*) AS n, sum(amount) AS total, min(user_id) AS who
                   FROM ledger_entries WHERE kind = 'purchase' GROUP BY purchase_id) l
               ON l.purchase_id = p.id
        WHERE l.n IS DISTINCT FROM 1 OR l.total <> -p.total OR l.who <> p.buyer_id"""),
    ("reviews after purchases", "reviews are written after the author's first purchase", """
        SELECT 'product review ' || r.id FROM product_reviews r
        WHERE r.created_at <= (SELECT min(p.created_at) FROM order_lines ol
                               JOIN orders o ON o.id = ol.order_id JOIN purchases p ON p.id = o.purchase_id
                               WHERE ol.product_id = r.product_id AND o.buyer_id = r.author_id)"""),
]


@dataclass
class Violation:
    name: str
    description: str
    count: int
    examples: list[str]

    def __str__(self) -> str:
        return (f"{self.name}: {self.count:,} violation(s) ({self.description}), "
                f"e.g. {', '.join(self.examples)}")


def check_database(dsn: str, fresh: bool = False) -> list[Violation]:
    """Run every invariant (and, with fresh, those of freshly generated
    data) and every foreign key; return what is broken (empty: all hold)."""
    return [result for result in run_checks(dsn, fresh) if result.count]


def run_checks(dsn: str, fresh: bool = False) -> list[Violation]:
    """Every check that check_database runs, in order, each with its count
    of violations (0 when it holds): what a report of the checks lists."""
    conn = connect(dsn)
    conn.set_session(readonly=True)
    results = []
    try:
        with conn.cursor() as cur:
            seller_hist = _seller_hist_condition(cur)
            invariants = INVARIANTS + _optional_invariants(cur) + (FRESH_INVARIANTS if fresh else [])
            checks = [(name, description, sql.SQL(query.replace("{seller_hist}", seller_hist)))
                      for name, description, query in invariants]
            for name, description, query in checks + _foreign_key_checks(cur):
                cur.execute(sql.SQL("WITH v(k) AS MATERIALIZED ({}) SELECT (SELECT count(*) FROM v), "
                                    "ARRAY(SELECT k FROM v LIMIT 5)").format(query))
                count, examples = cur.fetchone()
                results.append(Violation(name, description, count, examples))
    finally:
        conn.close()
    return results


def table_rows(dsn: str) -> dict[str, int]:
    """Rows of every table of the schema (exact counts), largest first: what
    the checks ran over."""
    conn = connect(dsn)
    conn.set_session(readonly=True)
    try:
        with conn.cursor() as cur:
            cur.execute("""SELECT tablename FROM pg_tables WHERE schemaname = current_schema()
                           AND tablename <> 'schema_migrations' ORDER BY tablename""")
            counts = {}
            for (table,) in cur.fetchall():
                cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
                counts[table] = cur.fetchone()[0]
    finally:
        conn.close()
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _foreign_key_checks(cur) -> list[tuple[str, str, sql.Composed]]:
    """One check per foreign key of the schema: every reference has its row
    (the loader may keep foreign keys unchecked during a bulk load)."""
    cur.execute("""SELECT c.conname, r.relname, f.relname, array_agg(a.attname ORDER BY k.n),
                          array_agg(b.attname ORDER BY k.n)
                   FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
                   JOIN pg_class f ON f.oid = c.confrelid
                   CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(col, ref, n)
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col
                   JOIN pg_attribute b ON b.attrelid = c.confrelid AND b.attnum = k.ref
                   WHERE c.contype = 'f' AND r.relnamespace = current_schema()::regnamespace
                   GROUP BY c.oid, c.conname, r.relname, f.relname ORDER BY c.oid""")
    checks = []
    for name, table, target, columns, references in cur.fetchall():
        child = [sql.SQL("x.{}").format(sql.Identifier(c)) for c in columns]
        query = sql.SQL("SELECT {} || ' ' || concat_ws(',', {}) FROM {} x WHERE {} AND NOT EXISTS "
                        "(SELECT 1 FROM {} p WHERE {})").format(
            sql.Literal(f"{table}.{','.join(columns)} ="), sql.SQL(", ").join(child), sql.Identifier(table),
            sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(c) for c in child), sql.Identifier(target),
            sql.SQL(" AND ").join(sql.SQL("p.{} = {}").format(sql.Identifier(ref), c)
                                  for ref, c in zip(references, child, strict=True)))
        checks.append((f"foreign key {name}", f"{table} references existing {target} rows", query))
    return checks


def _optional_invariants(cur) -> list[tuple[str, str, str]]:
    cur.execute("SELECT t FROM unnest(%s::text[]) t WHERE to_regclass(quote_ident(t)) IS NOT NULL",
                (list(OPTIONAL_INVARIANTS),))
    return [OPTIONAL_INVARIANTS[row[0]] for row in cur.fetchall()]


def _seller_hist_condition(cur) -> str:
    """users.seller_rating_hist came with a later migration; check it when present."""
    cur.execute("""SELECT 1 FROM pg_attribute WHERE attrelid = 'users'::regclass
                   AND attname = 'seller_rating_hist' AND NOT attisdropped""")
    return "OR u.seller_rating_hist <> coalesce(r.hist, '{0,0,0,0,0}')" if cur.fetchone() else ""
