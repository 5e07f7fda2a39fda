"""The fake data generator (db/generated): same seed, same bytes; every
invariant holds on what it loads; loads are all or nothing; bad requests are
refused clearly; the app works on the generated shop."""
import hashlib
import re
import sys
from dataclasses import replace
from datetime import UTC, datetime

import psycopg2
import pytest
from psycopg2 import sql

import db.generated.plan as plan_module
from app.db import init_db_command
from db.generated import (
    PASSWORD,
    PRESETS,
    TABLE_ORDER,
    GeneratorError,
    check_database,
    ddl,
    generate_csv,
    generate_into,
    load_demo_if_empty,
    midnight_utc,
)
from db.generated.__main__ import main
from db.generated.pools import build_pools, password_hash

NOW = midnight_utc(datetime(2025, 6, 1, tzinfo=UTC))
TINY = replace(PRESETS["small"], users=300, categories=6, products=400, offers=1_200, cart_items=150,
               purchases=500, order_lines=1_500, reviews=400, seller_reviews=200, flash_sales=20)


def digests(dsn: str) -> dict[str, tuple]:
    """Row count and a hash of every generated table's rows."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            result = {}
            for table in TABLE_ORDER:
                cur.execute(sql.SQL("SELECT count(*), md5(coalesce(string_agg(t::text, '|' "
                                    "ORDER BY t::text), '')) FROM {} t").format(sql.Identifier(table)))
                result[table] = cur.fetchone()
            return result
    finally:
        conn.close()


def query(dsn: str, statement: str, params=()) -> list[tuple]:
    """Run a statement (committed) and return its rows."""
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall()
    finally:
        conn.close()


def cli(monkeypatch, capsys, *args) -> tuple[int, str]:
    """Run `python -m db.generated ARGS` in-process: (exit status, stderr)."""
    monkeypatch.setattr(sys, "argv", ["db.generated", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return exit_info.value.code, capsys.readouterr().err


def test_same_seed_writes_the_same_bytes(tmp_path):
    def hashes(directory):
        return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in directory.glob("*.csv")}

    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        build_pools.cache_clear()  # build the Faker pools and the hash again, as a new process would
        password_hash.cache_clear()
        generate_csv(tmp_path / name, TINY, seed, NOW)
    first = hashes(tmp_path / "a")
    assert sorted(first) == sorted(f"{table}.csv" for table in TABLE_ORDER)
    assert hashes(tmp_path / "b") == first
    other = hashes(tmp_path / "c")
    assert all(other[name] != first[name] for name in ("users.csv", "products.csv", "order_lines.csv"))
    header, alice = (tmp_path / "a" / "users.csv").read_text().splitlines()[:2]
    assert header.startswith("id,email,password_hash,first_name,last_name")
    assert alice.startswith('1,"alice@example.com",scrypt:')


def test_generated_shop_holds_every_invariant(database, monkeypatch, capsys):
    status, _ = cli(monkeypatch, capsys, "--scale", "small", "--seed", "3", "--now", "2025-06-01",
                    "--database-url", database, "--reset", "--quiet")
    assert status == 0
    assert check_database(database, fresh=True) == []
    counts = dict(query(database, """SELECT 'users', count(*) FROM users
                                     UNION ALL SELECT 'lines', count(*) FROM order_lines
                                     UNION ALL SELECT 'reviews', count(*) FROM product_reviews"""))
    assert counts == {"users": 2_000, "lines": 12_000, "reviews": 3_000}
    # Ratings skew to 4 and 5 stars; 1 to 5 only (the schema's CHECK).
    [(high_share,)] = query(database, "SELECT avg((rating >= 4)::int) FROM product_reviews")
    assert 0.6 < high_share < 0.95
    # A few products have many sellers, most have few.
    [(median, most)] = query(database, "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY seller_count), "
                                       "max(seller_count) FROM products")
    assert median <= 3 and most >= 20
    # Flash sales in all three states for the whole day the data is for.
    states = dict(query(database, """SELECT CASE WHEN ends_at <= %(day)s THEN 'past'
                                                 WHEN starts_at > %(day)s + interval '1 day' THEN 'upcoming'
                                                 WHEN starts_at <= %(day)s
                                                  AND ends_at > %(day)s + interval '1 day' THEN 'live' END,
                                            count(*) FROM flash_sales GROUP BY 1""",
                        {"day": datetime(2025, 6, 1, tzinfo=UTC)}))
    assert set(states) == {"past", "live", "upcoming"}
    # Every kind of ledger row, and one shared password hash.
    kinds = {row[0] for row in query(database, "SELECT DISTINCT kind FROM ledger_entries")}
    assert kinds == {"topup", "purchase", "sale", "withdrawal", "refund"}
    # Orders in every state, returns in every state, money held and released.
    order_states = dict(query(database, "SELECT state, count(*) FROM orders GROUP BY 1"))
    assert set(order_states) == {"placed", "shipped", "delivered", "cancelled"}
    assert order_states["delivered"] > order_states["placed"] > 0
    return_states = {row[0] for row in query(database, "SELECT DISTINCT state FROM return_requests")}
    assert return_states == {"requested", "accepted", "refused"}
    [(held, released, returned)] = query(database, """
        SELECT sum(held_amount), count(*) FILTER (WHERE released_at IS NOT NULL),
               (SELECT sum(returned_quantity) FROM order_lines) FROM orders""")
    assert held > 0 and released > 0 and returned > 0
    # Shipping fees (some sellers charge one, some free from a subtotal) and
    # the platform's commission on delivery, part of it given back on returns.
    [(charged, free, commissions, given_back)] = query(database, """
        SELECT (SELECT count(*) FROM orders WHERE shipping_fee > 0),
               (SELECT count(*) FROM orders o JOIN seller_shipping s ON s.seller_id = o.seller_id
                WHERE o.shipping_fee = 0 AND o.subtotal >= s.free_from),
               (SELECT count(*) FROM platform_ledger WHERE kind = 'commission'),
               (SELECT count(*) FROM platform_ledger WHERE kind = 'commission_refund')""")
    assert charged > 0 and free > 0 and commissions == order_states["delivered"] and given_back > 0
    assert query(database, "SELECT count(DISTINCT password_hash) FROM users") == [(1,)]


def test_check_lists_what_is_broken(database, monkeypatch, capsys):
    generate_into(database, TINY, 1, NOW, reset=True)
    query(database, """UPDATE users SET balance = balance + 1 WHERE id = 5;
                       UPDATE orders SET subtotal = subtotal + 1 WHERE id = 7;
                       UPDATE seller_product_sales SET units = units + 1 WHERE seller_id = 1;
                       UPDATE products SET units_sold = units_sold + 3 WHERE id = 9 RETURNING 1""")
    broken = {v.name: v.examples for v in check_database(database)}
    assert set(broken) == {"balance equals ledger", "order subtotals", "purchase totals", "units sold",
                           "seller sales summary", "money conserved", "order money"}
    assert broken["balance equals ledger"] == ["user 5"] and broken["order subtotals"] == ["order 7"]
    assert broken["units sold"] == ["product 9"]
    status, err = cli(monkeypatch, capsys, "check", "--database-url", database)
    assert status == 1 and "balance equals ledger: 1 violation(s)" in err


def test_rerun_with_reset_gives_the_same_shop(database, monkeypatch, capsys):
    generate_into(database, TINY, 5, NOW, reset=True)
    first = digests(database)
    assert first["users"][0] == 300 and first["ledger_entries"][0] > 300
    status, err = cli(monkeypatch, capsys, "--scale", "small", "--database-url", database, "--quiet")
    assert status == 1 and "already has data" in err and "--reset" in err
    assert digests(database) == first
    generate_into(database, TINY, 5, NOW, reset=True)
    assert digests(database) == first
    # Identity sequences continue after the loaded ids.
    [(new_id,)] = query(database, "INSERT INTO categories (name, slug) VALUES ('New', 'new') RETURNING id")
    assert new_id == TINY.categories + 1


def test_csv_files_load_to_the_same_shop(database, tmp_path, monkeypatch, capsys):
    generate_into(database, TINY, 11, NOW, reset=True)
    direct = digests(database)
    generate_csv(tmp_path, TINY, 11, NOW)
    status, _ = cli(monkeypatch, capsys, "load", str(tmp_path), "--database-url", database, "--reset",
                    "--yes", "--quiet")
    assert status == 0
    assert digests(database) == direct
    assert check_database(database, fresh=True) == []


@pytest.mark.parametrize("superuser, column, value", [
    (True, "amount", 0),  # breaks a CHECK while the last table is copied
    (False, "user", 10**9),  # no such user: the foreign key fails when re-added after the COPYs
])
def test_a_failed_load_changes_nothing(database, monkeypatch, superuser, column, value):
    generate_into(database, TINY, 2, NOW, reset=True)
    before = digests(database)
    schema = query(database, """SELECT (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'),
                                       (SELECT count(*) FROM pg_constraint WHERE contype = 'f'),
                                       (SELECT count(*) FROM pg_trigger WHERE tgenabled = 'O')""")
    real_plan_ledger = plan_module.plan_ledger

    def broken_ledger(*args):
        ledger = real_plan_ledger(*args)
        ledger[column][-1] = value
        return ledger

    monkeypatch.setattr(plan_module, "plan_ledger", broken_ledger)
    monkeypatch.setattr(ddl, "_superuser", lambda cur: superuser)
    with pytest.raises(GeneratorError, match="rolled back, nothing changed"):
        generate_into(database, TINY, 3, NOW, reset=True)
    assert digests(database) == before
    assert query(database, """SELECT (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'),
                                     (SELECT count(*) FROM pg_constraint WHERE contype = 'f'),
                                     (SELECT count(*) FROM pg_trigger WHERE tgenabled = 'O')""") == schema


def test_without_superuser_foreign_keys_are_rebuilt_and_checked(database, monkeypatch):
    monkeypatch.setattr(ddl, "_superuser", lambda cur: False)
    generate_into(database, TINY, 4, NOW, reset=True)
    assert check_database(database, fresh=True) == []
    validated = query(database, "SELECT bool_and(convalidated) FROM pg_constraint WHERE contype = 'f'")
    assert validated == [(True,)]


@pytest.mark.parametrize("args, message", [
    (["--scale", "huge"], "unknown scale 'huge'"),
    (["--users", "0"], "--users must be at least 1"),
    (["--offers", "-5"], "--offers must be at least 1"),
    (["--scale", "demo", "--reviews", "100000"], "reviews (100,000) cannot exceed order lines"),
    (["--scale", "demo", "--offers", "100"], "offers (100) must be at least products (200)"),
    (["--scale", "demo", "--database-url", "postgresql://127.0.0.1:1/nowhere"], "cannot reach the database"),
])
def test_bad_requests_are_refused_clearly(args, message, monkeypatch, capsys, database):
    status, err = cli(monkeypatch, capsys, *args, "--quiet")
    assert status == 1 and message in err
    assert query(database, "SELECT count(*) FROM users") == [(0,)]


def test_counts_the_purchases_cannot_support_are_refused(database):
    one_product = replace(TINY, users=20, categories=1, products=1, offers=3, cart_items=1, purchases=40,
                          order_lines=40, reviews=40, seller_reviews=1, flash_sales=1)
    with pytest.raises(GeneratorError, match="cannot exceed the .* distinct buyer/product pairs"):
        generate_into(database, one_product, 1, NOW)
    assert query(database, "SELECT count(*) FROM users") == [(0,)]


def test_command_line_typos_are_usage_errors(monkeypatch, capsys):
    status, err = cli(monkeypatch, capsys, "--users", "lots")
    assert status == 2 and "'lots' is not a whole number" in err


def test_init_db_loads_the_demo_shop_once(app, database):
    with app.app_context():  # as `python -m app init-db` (./setup.sh) runs it
        result = app.test_cli_runner().invoke(init_db_command)
    assert result.exit_code == 0 and "Demo data loaded" in result.output and PASSWORD in result.output
    assert query(database, "SELECT email FROM users WHERE id <= 3 ORDER BY id") == [
        ("alice@example.com",), ("bob@example.com",), ("carol@example.com",)]
    assert load_demo_if_empty(database).startswith("Demo data: the database already has users")
    assert check_database(database, fresh=True) == []


def test_app_pages_work_on_generated_data(app, client, database):
    generate_into(database, PRESETS["demo"], 1, midnight_utc())
    [(product_id, name, slug)] = query(database, """SELECT p.id, p.name, c.slug FROM products p
                                                   JOIN categories c ON c.id = p.category_id
                                                   WHERE p.seller_count > 1
                                                   ORDER BY p.units_sold DESC LIMIT 1""")
    escaped = name.replace("'", "&#39;")
    assert client.get("/").status_code == 200
    assert escaped in client.get(f"/c/{slug}?sort=best_selling").get_data(as_text=True)
    page = client.get(f"/products/{product_id}").get_data(as_text=True)
    assert escaped in page and "Add to cart" in page
    assert escaped in client.get("/search", query_string={"q": name.split(",")[0]}).get_data(as_text=True)
    [(email,)] = query(database, "SELECT email FROM users WHERE id = 30")
    for login in ("alice@example.com", email):
        response = client.post("/auth/login", data={"email": login, "password": PASSWORD})
        assert response.status_code == 302, login
        assert client.get("/account/").status_code == 200
        client.post("/auth/logout")


def test_reset_of_a_database_with_data_needs_a_yes(database, monkeypatch, capsys):
    generate_into(database, TINY, 6, NOW, reset=True)
    first = digests(database)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    reset = ("--scale", "demo", "--database-url", database, "--reset", "--quiet")
    status, err = cli(monkeypatch, capsys, *reset)
    assert status == 1 and "300 users" in err and "pass --yes" in err
    assert digests(database) == first
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    status, err = cli(monkeypatch, capsys, *reset)
    assert status == 1 and "Nothing was deleted." in err and digests(database) == first
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    status, _ = cli(monkeypatch, capsys, *reset)
    assert status == 0 and query(database, "SELECT count(*) FROM users") == [(50,)]
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    status, _ = cli(monkeypatch, capsys, "--scale", "demo", "--seed", "2", "--database-url", database,
                    "--reset", "--yes", "--quiet")
    assert status == 0


def test_help_shows_the_preset_sizes(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["db.generated", "--help"])
    with pytest.raises(SystemExit):
        main()
    out = capsys.readouterr().out
    assert "demo    50 users, 8 categories, 200 products, 700 offers" in out
    assert "large   1,000,000 users" in out and "--yes" in out


def test_check_lists_every_check_with_counts(database, monkeypatch, capsys):
    generate_into(database, TINY, 1, NOW, reset=True)
    monkeypatch.setattr(sys, "argv", ["db.generated", "check", "--database-url", database])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "  ok  balance equals ledger: users.balance is the sum of the user's ledger amounts" in out
    assert "  ok  foreign key " in out and "users 300" in out and "Checked over " in out
    assert re.search(r"OK: all \d+ checks hold\.", out)
