"""Migration 0065 on purchases made before escrow: sellers were credited at
checkout, so every old order is recorded as held and released at once, a
fulfilled one as delivered, and the money invariants hold afterwards."""
import secrets

import psycopg2

from app import db
from tests.conftest import _server_dsn
from tests.support import violations

OLD_DATA = """
INSERT INTO users (id, email, password_hash, first_name, last_name, address, balance) VALUES
    (1, 'buyer@old.example', 'x', 'Old', 'Buyer', '1 Old Road', 70),
    (2, 'seller@old.example', 'x', 'Old', 'Seller', '', 30);
INSERT INTO ledger_entries (user_id, kind, amount, balance_after, purchase_id) VALUES
    (1, 'topup', 100, 100, NULL);
INSERT INTO categories (id, name, slug) VALUES (1, 'Old', 'old');
INSERT INTO products (id, category_id, creator_id, name, units_sold) VALUES (1, 1, 2, 'Old lamp', 3);
INSERT INTO offers (id, product_id, seller_id, price, quantity) VALUES (1, 1, 2, 10, 7);
INSERT INTO purchases (id, buyer_id, total) VALUES (1, 1, 20), (2, 1, 10);
INSERT INTO ledger_entries (user_id, kind, amount, balance_after, purchase_id) VALUES
    (1, 'purchase', -20, 80, 1), (2, 'sale', 20, 20, 1), (1, 'purchase', -10, 70, 2), (2, 'sale', 10, 30, 2);
INSERT INTO orders (id, purchase_id, seller_id, buyer_id, subtotal, fulfilled_at) VALUES
    (1, 1, 2, 1, 20, now()), (2, 2, 2, 1, 10, NULL);
INSERT INTO order_lines (order_id, offer_id, product_id, quantity, unit_price, fulfilled_at) VALUES
    (1, 1, 1, 2, 10, now()), (2, 1, 1, 1, 10, NULL);
"""


def test_orders_from_before_escrow_migrate_money_consistently():
    server = _server_dsn()
    name = f"souk_migration_{secrets.token_hex(4)}"
    db.create_database(server, name)
    dsn = db.with_dbname(server, name)
    try:
        conn = psycopg2.connect(dsn)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("""CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
                                                           applied_at timestamptz NOT NULL DEFAULT now())""")
            for version, stem, path in db.migration_files():
                if version < 65:
                    cur.execute(path.read_text())
                    cur.execute("INSERT INTO schema_migrations VALUES (%s, %s)", (version, stem))
            cur.execute(OLD_DATA)
        assert "0065_order_states" in db.migrate(dsn)
        with conn.cursor() as cur:
            cur.execute("""SELECT id, state, held_amount, released_at IS NOT NULL, ship_to
                           FROM orders ORDER BY id""")
            assert cur.fetchall() == [(1, "delivered", 0, True, "Old Buyer\n1 Old Road"),
                                      (2, "placed", 0, True, "Old Buyer\n1 Old Road")]
            cur.execute("SELECT count(*) FROM ledger_entries WHERE kind = 'sale' AND order_id IS NULL")
            assert cur.fetchone() == (0,)
            cur.execute("SELECT user_id, recipient, address, is_default FROM addresses")
            assert cur.fetchall() == [(1, "Old Buyer", "1 Old Road", True)]
        conn.close()
        assert violations(dsn) == []
    finally:
        db.drop_database(server, name)
