"""app.db's transactions: BEGIN sent with the block's first statement, and
atomic_value, one statement committed in its own round trip."""
import psycopg2
import pytest

from app import db


def status(conn):
    return conn.get_transaction_status()


def test_the_begin_goes_with_the_first_statement_and_a_failed_block_rolls_back(app, make_user):
    user = make_user(balance="5")
    with app.app_context():
        with pytest.raises(ZeroDivisionError), db.transaction():
            db.execute("UPDATE users SET balance = 0 WHERE id = %s", (user.id,))
            assert status(db.connection()) == psycopg2.extensions.TRANSACTION_STATUS_INTRANS
            raise ZeroDivisionError
        assert db.query_value("SELECT balance FROM users WHERE id = %s", (user.id,)) == 5
        with db.transaction():
            pass  # nothing ran: nothing to commit, nothing left open
        assert status(db.connection()) == psycopg2.extensions.TRANSACTION_STATUS_IDLE


def test_a_cursor_of_its_own_inside_a_block_is_inside_the_transaction(app, make_user):
    user = make_user(balance="5")
    with app.app_context():
        with pytest.raises(ZeroDivisionError), db.transaction():
            with db.connection().cursor() as cur:
                cur.execute("UPDATE users SET balance = 0 WHERE id = %s", (user.id,))
            raise ZeroDivisionError
        assert db.query_value("SELECT balance FROM users WHERE id = %s", (user.id,)) == 5


def test_atomic_value_commits_all_its_statements_or_none(app, make_user):
    user = make_user(balance="5")
    with app.app_context():
        assert db.atomic_value("UPDATE users SET balance = 7 WHERE id = %s; SELECT balance FROM users "
                               "WHERE id = %s", (user.id, user.id)) == 7
        with pytest.raises(psycopg2.errors.DivisionByZero):
            db.atomic_value("UPDATE users SET balance = 9 WHERE id = %s; SELECT 1 / 0", (user.id,))
        assert db.query_value("SELECT balance FROM users WHERE id = %s", (user.id,)) == 7
        with pytest.raises(RuntimeError), db.transaction():
            db.atomic_value("SELECT 1")
