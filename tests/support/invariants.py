"""The money and stock invariants, checked straight in the database after
any amount of concurrent buying. The invariants themselves are the data
generator's (db/generated/checks.py), written once for both: stored
aggregates equal their rows, balances their ledgers, each purchase's debit
its total, each order's money its state, flash sales their limits,
every foreign key its row. Tests add what only they know: the stock each
offer started with.

    from tests.support import assert_invariants
    assert_invariants(database, initial_stock={offer_id: 10})
"""
import psycopg2

from db.generated.checks import check_database


def _stock_violations(dsn: str, initial_stock: dict[int, int]) -> list[str]:
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            # Units held in carts (sale_holds) are off the stock too, and so
            # are returned units that never came back (written off).
            cur.execute("""SELECT o.id, o.quantity + coalesce((SELECT sum(units) FROM sale_holds h
                                                               WHERE h.offer_id = o.id), 0),
                                  coalesce(sum(l.quantity - l.cancelled_quantity - l.returned_quantity), 0)
                                  + coalesce((SELECT sum(rl.quantity)
                                              FROM return_lines rl
                                              JOIN return_requests r ON r.id = rl.return_id
                                              JOIN order_lines ol ON ol.id = rl.line_id
                                              WHERE ol.offer_id = o.id AND r.state = 'accepted'
                                                AND NOT r.restocked), 0)
                           FROM offers o LEFT JOIN order_lines l ON l.offer_id = o.id
                           WHERE o.id = ANY(%s) GROUP BY o.id""", (list(initial_stock),))
            rows = cur.fetchall()
    finally:
        conn.close()
    return [f"offer {offer_id}: {left} left or held + {sold} sold or written off != "
            f"{initial_stock[offer_id]} at first"
            for offer_id, left, sold in rows if left + sold != initial_stock[offer_id]]


def violations(dsn: str, initial_stock: dict[int, int] | None = None) -> list[str]:
    """Every broken invariant, as readable lines (empty when all hold).
    `initial_stock` ({offer_id: units at first}) adds: units sold + stock
    left = initial stock, for those offers."""
    # fresh=True: test data is checked right after it is written, so every
    # line is at its offer's price and every debit and credit is the one
    # checkout wrote.
    found = [str(violation) for violation in check_database(dsn, fresh=True)]
    return found + (_stock_violations(dsn, initial_stock) if initial_stock else [])


def assert_invariants(dsn: str, initial_stock: dict[int, int] | None = None) -> None:
    broken = violations(dsn, initial_stock)
    assert not broken, "Invariants broken:\n" + "\n".join(broken)
