"""Brute-force limit counters in PostgreSQL (SOUK_RATELIMIT_STORAGE_URL=database):
two app nodes, each with its own storage, count against the same limit."""
import time

import pytest
from limits import parse
from limits.strategies import FixedWindowRateLimiter

from app.limits import PostgresStorage, storage_settings

pytestmark = pytest.mark.usefixtures("app")  # the suite's limiter, reset after each test


def test_two_nodes_share_one_count(database):
    node_a, node_b = PostgresStorage(dsn=database), PostgresStorage(dsn=database)
    limiter_a, limiter_b = FixedWindowRateLimiter(node_a), FixedWindowRateLimiter(node_b)
    five = parse("5 per minute")
    assert [limiter_a.hit(five, "login", "bob@example.com") for _ in range(3)] == [True] * 3
    assert [limiter_b.hit(five, "login", "bob@example.com") for _ in range(3)] == [True, True, False]
    assert not limiter_a.test(five, "login", "bob@example.com")
    assert limiter_a.hit(five, "login", "alice@example.com")  # another key counts on its own
    reset_at, remaining = limiter_b.get_window_stats(five, "login", "bob@example.com")
    assert remaining == 0 and time.time() + 50 < reset_at <= time.time() + 61
    node_a.clear(five.key_for("login", "bob@example.com"))
    assert limiter_b.hit(five, "login", "bob@example.com")
    assert node_b.check() and node_a.reset() == 2


def test_a_window_that_is_over_starts_again(database):
    storage = PostgresStorage(dsn=database)
    assert storage.incr("k", 0.3) == 1 and storage.incr("k", 0.3) == 2
    time.sleep(0.4)
    assert storage.get("k") == 0 and storage.incr("k", 60) == 1


def test_an_unreachable_database_is_reported_unhealthy():
    storage = PostgresStorage(dsn="postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    assert storage.check() is False  # Flask-Limiter then counts in memory for a while


def test_database_setting_names_the_apps_own_database():
    config = {"RATELIMIT_STORAGE_URI": "database", "DATABASE_DSN": "postgresql://x@h/souk"}
    storage_settings(config)
    assert config["RATELIMIT_STORAGE_URI"] == "souk+postgresql://"
    assert config["RATELIMIT_STORAGE_OPTIONS"] == {"dsn": "postgresql://x@h/souk"}
    redis = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/1"}
    storage_settings(redis)
    assert redis == {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/1"}
