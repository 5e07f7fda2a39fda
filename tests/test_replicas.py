"""Read routing to a real streaming standby, with read-your-writes.

A primary and a hot standby (app/replication.py: the embedded server's own
initdb, pg_ctl and pg_basebackup -R, wal_level=replica) run for this module
beside the suite's own server. Where a read ran is checked on the servers
themselves: pg_stat_statements on the standby, and what a page shows while
the standby's replay is paused (pg_wal_replay_pause()).
"""
import secrets
import time

import pytest
from flask import request

from app import create_app, db, metrics
from app.models import user as users
from app.replication import Pair
from tests.conftest import ROOT, SUITE_RATE_LIMITS, SoukClient
from tests.support import add_category, add_offer, add_product, log_in, value

PRODUCT_READS = """SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
                   WHERE query ILIKE '%%FROM products%%' AND query NOT ILIKE '%%pg_stat_statements%%'"""


@pytest.fixture(scope="module")
def pair():
    pair = Pair(ROOT / "instance" / f"replication-test-{secrets.token_hex(3)}", settings={"fsync": "off"})
    try:
        pair.create()
        pair.primary.sql("CREATE DATABASE souk")
        db.migrate(pair.primary.dsn("souk"))
        pair.primary.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", dbname="souk")
        pair.wait_for_replay()
        yield pair
    finally:
        pair.remove()


def make_app(pair: Pair, **overrides):
    app = create_app({"TESTING": True, "DATABASE_URL": pair.primary.dsn("souk"),
                      "DATABASE_REPLICA_URLS": [pair.standby.dsn("souk")],
                      "REPLICA_MAX_LAG_SECONDS": 60.0, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "RATE_LIMITS": SUITE_RATE_LIMITS, "CATALOG_CACHE_SECONDS": 0, **overrides})
    app.test_client_class = SoukClient
    return app


@pytest.fixture(scope="module")
def app(pair):
    return make_app(pair)


@pytest.fixture
def shop(app, pair):
    """A product with one offer, by a fresh creator; replayed on the standby."""
    with app.app_context():
        creator = users.create_user(f"creator-{secrets.token_hex(4)}@example.com", "correct-horse-9", "Cora",
                                    "Creator", "1 Road", app.config["PASSWORD_HASH_METHOD"])
    category = value(app, "SELECT id FROM categories WHERE slug = 'kitchen'") or add_category(app, "Kitchen")
    product_id = add_product(app, creator, category, f"Kettle {secrets.token_hex(3)}", "Boils.")
    add_offer(app, product_id, creator, "30.00")
    pair.wait_for_replay()
    return {"creator": creator, "product_id": product_id, "category": category}


def routes(target: str, reason: str) -> float:
    return metrics.DB_READ_ROUTES.labels(target, reason)._value.get()


@pytest.fixture
def resume(pair):
    yield
    pair.standby.sql("SELECT pg_wal_replay_resume()")


def test_catalog_reads_run_on_the_standby_and_writes_on_the_primary(app, pair, shop):
    standby_before = pair.standby.sql(PRODUCT_READS, dbname="souk")[0]
    primary_before = pair.primary.sql(PRODUCT_READS, dbname="souk")[0]
    guest = app.test_client()
    for url in (f"/products/{shop['product_id']}", "/search?q=kettle", "/c/kitchen", "/",
                f"/api/v1/products/{shop['product_id']}"):
        assert guest.get(url).status_code == 200, url
    assert pair.standby.sql(PRODUCT_READS, dbname="souk")[0] > standby_before
    assert pair.primary.sql(PRODUCT_READS, dbname="souk")[0] == primary_before

    client = app.test_client()
    log_in(client, shop["creator"], password="correct-horse-9")
    response = client.post(f"/products/{shop['product_id']}/edit",
                           data={"name": "Whistling kettle", "description": "Boils loud.",
                                 "category": str(shop["category"])})
    assert response.status_code == 302
    assert pair.primary.sql("SELECT name FROM products WHERE id = %s", (shop["product_id"],),
                            dbname="souk")[0] == "Whistling kettle"
    # The cart and checkout never read from the standby.
    before = pair.standby.sql(PRODUCT_READS, dbname="souk")[0]
    assert client.get("/cart").status_code == 200
    assert pair.standby.sql(PRODUCT_READS, dbname="souk")[0] == before


def test_a_user_sees_their_own_write_at_once_while_the_standby_lags(app, pair, shop, resume):
    creator = app.test_client()
    log_in(creator, shop["creator"], password="correct-horse-9")
    pair.wait_for_replay()  # the log-in itself is replayed: the creator reads from the standby again
    url = f"/products/{shop['product_id']}"
    before = routes("replica", "ok")
    assert creator.get(url).status_code == 200 and routes("replica", "ok") == before + 1

    pair.standby.sql("SELECT pg_wal_replay_pause()")
    response = creator.post(f"{url}/edit", data={"name": "Renamed kettle", "description": "Boils.",
                                                 "category": str(shop["category"])})
    assert response.status_code == 302
    own = routes("primary", "own_write")
    assert "Renamed kettle" in creator.get(url).get_data(as_text=True)  # from the primary
    assert routes("primary", "own_write") == own + 1
    guest = app.test_client()
    page = guest.get(url).get_data(as_text=True)  # another user: the paused standby
    assert "Renamed kettle" not in page and "Kettle" in page

    pair.standby.sql("SELECT pg_wal_replay_resume()")
    pair.wait_for_replay()
    before = routes("replica", "ok")
    assert "Renamed kettle" in guest.get(url).get_data(as_text=True)
    assert "Renamed kettle" in creator.get(url).get_data(as_text=True)
    assert routes("replica", "ok") == before + 2  # both back on the standby


def test_a_standby_lagging_past_the_bound_is_skipped_until_it_catches_up(pair, shop, resume):
    app = make_app(pair, REPLICA_MAX_LAG_SECONDS=0.5)
    url = f"/products/{shop['product_id']}"
    guest = app.test_client()
    pair.standby.sql("SELECT pg_wal_replay_pause()")
    pair.primary.sql("UPDATE products SET name = 'Lagging kettle' WHERE id = %s", (shop["product_id"],),
                     dbname="souk")
    pair.primary.sql("SELECT pg_sleep(0.8)")  # the standby falls more than 0.5 s behind
    lagging = routes("primary", "lagging")
    assert "Lagging kettle" in guest.get(url).get_data(as_text=True)
    assert routes("primary", "lagging") == lagging + 1

    pair.standby.sql("SELECT pg_wal_replay_resume()")
    pair.wait_for_replay()
    time.sleep(1.1)  # the process's view of the standby's lag is renewed each second
    before = pair.standby.sql(PRODUCT_READS, dbname="souk")[0]
    assert "Lagging kettle" in guest.get(url).get_data(as_text=True)
    assert pair.standby.sql(PRODUCT_READS, dbname="souk")[0] > before


def test_a_write_the_router_takes_for_a_read_runs_on_the_primary(app, pair, shop):
    """txid_current() writes (it assigns a transaction id): the standby
    refuses it as read-only, and it runs again on the primary."""
    with app.test_request_context(f"/products/{shop['product_id']}"):
        assert request.endpoint == "catalog.product"
        failed = routes("primary", "failed")
        assert db.query_value("SELECT txid_current()") > 0
        assert routes("primary", "failed") == failed + 1


def test_a_stopped_standby_costs_no_error(app, pair, shop):
    url = f"/products/{shop['product_id']}"
    guest = app.test_client()
    assert guest.get(url).status_code == 200  # a pooled standby connection exists
    pair.standby.stop()
    try:
        down = routes("primary", "down") + routes("primary", "failed")
        for page in (url, "/search?q=kettle", "/c/kitchen", "/"):
            response = guest.get(page)
            assert response.status_code == 200, page
        assert routes("primary", "down") + routes("primary", "failed") >= 4 + down
    finally:
        pair.standby.start()
    pair.wait_for_replay()


@pytest.mark.parametrize(("statement", "kind"), [
    ("SELECT id FROM products WHERE id = %s", db.READ),
    ("  (SELECT 1) UNION (SELECT 2)", db.READ),
    ("WITH picked AS (SELECT id FROM offers) SELECT * FROM picked", db.READ),
    ("SELECT user_id FROM user_sessions WHERE id = %s", db.PRIMARY_READ),
    ("SELECT id FROM api_tokens WHERE digest = %s", db.PRIMARY_READ),
    ("SELECT (account).id FROM session_account(%s, %s)", db.PRIMARY_READ),
    ("begin isolation level serializable", db.BEGIN),
    ("SELECT id FROM offers WHERE id = %s FOR UPDATE", db.WRITE),
    ("SELECT id FROM offers WHERE id = %s FOR NO KEY UPDATE", db.WRITE),
    ("WITH gone AS (DELETE FROM carts RETURNING id) SELECT count(*) FROM gone", db.WRITE),
    ("SELECT nextval('orders_id_seq')", db.WRITE),
    ("SELECT pg_advisory_xact_lock(1)", db.WRITE),
    ("UPDATE offers SET quantity = 0", db.WRITE),
    ("SET LOCAL statement_timeout = 100", db.WRITE),
])
def test_statements_are_routed_by_what_they_do(statement, kind):
    """Anything unsure counts as a write; the answer is the same when cached."""
    assert db._kind(statement) == kind
    assert db._kind(statement) == kind
