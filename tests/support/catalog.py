"""Catalog test data written with plain SQL, independent of the code under
test, and a counter of the SQL statements a request runs."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app import db

_BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def add_category(app, name: str) -> int:
    with app.app_context():
        return db.query_value("INSERT INTO categories (name, slug) VALUES (%s, %s) RETURNING id",
                              (name, name.lower().replace(" ", "-")))


def add_product(app, creator, category_id: int, name: str, description: str = "", units_sold: int = 0,
                stars: tuple[int, ...] = (), age_days: int = 0) -> int:
    """A product; `stars` are its ratings, `age_days` how long ago it was listed."""
    hist = [stars.count(n) for n in range(1, 6)]
    with app.app_context():
        return db.query_value(
            """INSERT INTO products (category_id, creator_id, name, description, units_sold,
                                     rating_count, rating_sum, rating_hist, created_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            (category_id, creator.id, name, description, units_sold, len(stars), sum(stars), hist,
             _BASE_TIME - timedelta(days=age_days)))


def add_offer(app, product_id: int, seller, price: str, quantity: int = 5, active: bool = True) -> int:
    with app.app_context():
        return db.query_value(
            """INSERT INTO offers (product_id, seller_id, price, quantity, active)
               VALUES (%s, %s, %s, %s, %s) RETURNING id""",
            (product_id, seller.id, Decimal(price), quantity, active))


def value(app, statement: str, params=()):
    with app.app_context():
        return db.query_value(statement, params)


def rows(app, statement: str, params=()):
    with app.app_context():
        return db.query(statement, params)


class _CountingCursor:
    def __init__(self, cursor, statements: list):
        self._cursor, self._statements = cursor, statements

    def execute(self, statement, params=None):
        self._statements.append(statement)
        return self._cursor.execute(statement, params)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._cursor.close()

    def __getattr__(self, name):
        return getattr(self._cursor, name)


class _CountingConnection:
    def __init__(self, conn, statements: list):
        self._conn, self._statements = conn, statements

    def cursor(self, *args, **kwargs):
        return _CountingCursor(self._conn.cursor(*args, **kwargs), self._statements)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def count_statements(monkeypatch) -> list:
    """From now on, every statement run through app.db is appended to the
    returned list."""
    statements: list = []
    real_connection = db.connection
    monkeypatch.setattr(db, "connection", lambda: _CountingConnection(real_connection(), statements))
    return statements
