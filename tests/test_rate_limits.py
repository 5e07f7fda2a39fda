"""Brute-force limits: 429 with Retry-After once an account or an address
has used up its attempts (JSON under /api/), and attempts again once the
window has passed. The suite runs with generous limits; these tests set
the shipped ones, or short windows, for themselves."""
import time

import pytest

from app import config, create_app
from app.limits import limiter
from tests.support import PASSWORD, log_in


@pytest.fixture
def rate_limits(app):
    """set(limits) replaces RATE_LIMITS for this test (default: as shipped)."""
    saved = app.config["RATE_LIMITS"]

    def set_limits(limits=None):
        app.config["RATE_LIMITS"] = limits or config.RATE_LIMITS
        limiter.reset()

    yield set_limits
    app.config["RATE_LIMITS"] = saved
    limiter.reset()


def tight(**actions) -> dict:
    generous = {"account": "1000 per minute", "address": "1000 per minute"}
    return {action: {**generous, **actions.get(action, {})}
            for action in config.RATE_LIMITS}


def wrong_login(client, email, **kwargs):
    return client.post("/auth/login", data={"email": email, "password": "not-the-password"}, **kwargs)


def test_sixth_wrong_password_for_an_account_gets_429_even_with_the_right_password(
        client, make_user, rate_limits):
    rate_limits()  # as shipped: 5 failed log-ins per account per minute
    user = make_user()
    assert [wrong_login(client, user.email).status_code for _ in range(5)] == [400] * 5
    response = client.post("/auth/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many attempts" in response.get_data(as_text=True)
    # Another account from the same address is not locked out by this one.
    log_in(client, make_user())


def test_300_wrong_passwords_from_one_address_are_cut_off_early(client, make_user, rate_limits):
    rate_limits()  # as shipped: 30 failed log-ins per address per minute
    users = [make_user() for _ in range(3)]
    statuses = [wrong_login(client, users[n % 3].email).status_code for n in range(300)]
    assert 400 in statuses and statuses.index(429) <= 30
    assert statuses[31:] == [429] * (300 - 31)


def test_api_token_guesses_count_with_web_log_ins_and_answer_json(client, make_user, rate_limits):
    rate_limits()
    user = make_user()
    for _ in range(3):
        assert wrong_login(client, user.email).status_code == 400
    for _ in range(2):
        response = client.post("/api/v1/tokens", json={"email": user.email, "password": "nope-nope"})
        assert response.status_code == 401
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert response.get_json()["error"]["code"] == "rate_limited"


def test_each_client_address_has_its_own_count(client, app, make_user, rate_limits):
    rate_limits(tight(login={"address": "3 per minute"}))
    for _ in range(3):
        assert wrong_login(client, make_user().email).status_code == 400
    assert wrong_login(client, make_user().email).status_code == 429
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert wrong_login(elsewhere, make_user().email).status_code == 400


def test_successful_log_ins_do_not_use_up_attempts(client, make_user, rate_limits):
    rate_limits(tight(login={"account": "2 per minute"}))
    user = make_user()
    for _ in range(4):
        log_in(client, user)
        client.post("/auth/logout")


def test_the_limit_lifts_when_its_window_has_passed(client, make_user, rate_limits):
    rate_limits(tight(login={"account": "2 per 2 seconds"}))
    user = make_user()
    assert [wrong_login(client, user.email).status_code for _ in range(3)] == [400, 400, 429]
    time.sleep(2.1)
    log_in(client, user)


def test_registration_password_change_and_top_ups_are_limited(client, user_client, rate_limits):
    rate_limits(tight(register={"address": "2 per minute"}, password={"account": "2 per minute"},
                      topup={"account": "2 per minute"}))
    for n in range(2):
        assert client.post("/auth/register", data={"email": f"r{n}@example.com"}).status_code == 400
    assert client.post("/auth/register", data={"email": "r9@example.com"}).status_code == 429
    logged_in, _ = user_client()
    wrong = {"current": "not-it", "password": "brand-new-pass", "confirm": "brand-new-pass"}
    assert [logged_in.post("/account/password", data=wrong).status_code for _ in range(3)] == [400, 400, 429]
    assert logged_in.get("/account/password").status_code == 200  # only POSTs are limited
    topups = [logged_in.post("/account/topup", data={"topup-amount": "5"}).status_code for _ in range(3)]
    assert topups == [302, 302, 429]
    assert "Balance: 10.00" in logged_in.get("/account/").get_data(as_text=True)  # the third never ran


def test_api_token_creation_is_limited_per_account(client, make_user, rate_limits):
    rate_limits(tight(token={"account": "2 per minute"}))
    user = make_user()
    credentials = {"email": user.email, "password": PASSWORD}
    for _ in range(2):
        assert client.post("/api/v1/tokens", json=credentials).status_code == 201
    response = client.post("/api/v1/tokens", json=credentials)
    assert response.status_code == 429 and response.get_json()["error"]["code"] == "rate_limited"


# --- guests' catalog lists ------------------------------------------------------

def test_a_guests_later_pages_and_filtered_lists_are_limited_per_address(
        app, client, user_client, make_offer, rate_limits):
    rate_limits(tight(guest_deep_lists={"address": "3 per minute"}))
    make_offer(name="Blue Teapot", category="Kitchen")
    costly = ["/search?q=teapot&page=2", "/c/kitchen?sort=price_asc", "/search?q=teapot&price_min=5",
              "/c/kitchen?in_stock=y&page=1"]
    assert [client.get(url).status_code for url in costly] == [200, 200, 200, 429]
    response = client.get("/search?q=teapot&category=kitchen")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert "Too many searches and list pages from your address" in page and "more words" in page
    # Plain first pages still answer, and so do the same lists for another
    # address and for a logged-in shopper.
    assert client.get("/search?q=teapot").status_code == 200
    assert client.get("/c/kitchen").status_code == 200
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.8"
    assert elsewhere.get(costly[0]).status_code == 200
    shopper, _ = user_client()
    assert all(shopper.get(url).status_code == 200 for url in costly * 2)
    # The API's JSON lists are not these pages.
    assert client.get("/api/v1/products?q=teapot&page=2").status_code != 429


def test_every_guest_list_the_cache_cannot_answer_counts_and_cached_ones_do_not(
        database, make_offer, rate_limits):
    limits = tight(guest_lists={"address": "3 per minute"})
    cached = create_app({"TESTING": True, "DATABASE_URL": database, "DB_POOL_MAX": 2,
                         "CATALOG_CACHE_SECONDS": 30, "RATE_LIMITS": limits})
    make_offer(name="Blue Teapot", category="Kitchen")
    guest = cached.test_client()
    # One search, asked 20 times: rendered once, then served from the cache.
    assert {guest.get("/search?q=teapot").status_code for _ in range(20)} == {200}
    # A new word each time (what a cache-busting crawler sends) is work each time.
    assert [guest.get(f"/search?q=teapot+{word}").status_code
            for word in ("blue", "red")] == [200, 200]
    response = guest.get("/search?q=teapot+green")
    assert response.status_code == 429
    assert guest.get("/search?q=teapot").status_code == 200  # still cached
