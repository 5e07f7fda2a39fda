"""The catalog cache (app/cache.py): prices and stock within the stated bound
on every page that shows them, guests' pages shared and revalidated, and
nothing personal ever served to anybody else."""
import re
import socket
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest

from app import create_app
from app.cache import cache
from tests.conftest import SoukClient
from tests.support import count_statements, log_in, make_purchase


def login(client, user):
    """Log in, then drop the skip-the-cache mark the log-in POST left (see
    app/cache.py) and the welcome message, so the next pages use the cache
    as any later page would."""
    log_in(client, user)
    with client.session_transaction() as session:
        session.pop("cache_skip_until", None)
        session.pop("_flashes", None)

BOUND = 1  # seconds: CATALOG_CACHE_SECONDS of the app under test


def _make_app(database, **settings):
    app = create_app({"TESTING": True, "DATABASE_URL": database, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "DB_POOL_MAX": 4, "CATALOG_CACHE_SECONDS": BOUND, **settings})
    app.test_client_class = SoukClient
    return app


@pytest.fixture(scope="module")
def cached_app(database):
    return _make_app(database)


@pytest.fixture(autouse=True)
def _empty_cache(cached_app):
    with cached_app.app_context():
        cache.clear()


@pytest.fixture
def teapot(make_offer):
    offer = make_offer(name="Blue Teapot", category="Kitchen", price="10.00", quantity=5)
    offer["pages"] = ["/", "/c/kitchen", "/search?q=teapot", f"/products/{offer['product_id']}"]
    return offer


def _sql(database, statement, params=()):
    conn = psycopg2.connect(database)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
    finally:
        conn.close()


def _seconds_until_every_page_shows(client, pages, pattern, limit):
    """Poll the pages until each shows `pattern`; how long the slowest took."""
    started, pending, took = time.monotonic(), set(pages), 0.0
    while pending and time.monotonic() - started < limit:
        for page in sorted(pending):
            if re.search(pattern, client.get(page).get_data(as_text=True)):
                pending.discard(page)
                took = time.monotonic() - started
        time.sleep(0.05)
    assert not pending, f"still stale after {limit} s: {pending}"
    return took


def test_a_price_change_shows_on_every_guest_page_within_the_bound(cached_app, database, teapot):
    guest = cached_app.test_client()
    for page in teapot["pages"]:
        assert "10.00" in guest.get(page).get_data(as_text=True), page
    _sql(database, "UPDATE offers SET price = 7.77 WHERE id = %s", (teapot["offer_id"],))
    took = _seconds_until_every_page_shows(guest, teapot["pages"], r">7\.77\xa0EUR<|From 7\.77", BOUND + 3)
    assert took <= BOUND + 0.5


def test_a_stock_change_shows_within_the_bound(cached_app, database, teapot):
    guest = cached_app.test_client()
    product_page = teapot["pages"][-1]
    assert "Out of stock" not in guest.get(product_page).get_data(as_text=True)
    _sql(database, "UPDATE offers SET quantity = 0 WHERE id = %s", (teapot["offer_id"],))
    took = _seconds_until_every_page_shows(guest, [product_page, "/c/kitchen"],
                                           r"Out of stock|Currently unavailable", BOUND + 3)
    assert took <= BOUND + 0.5


def test_a_guest_page_is_served_from_the_cache_with_validators(cached_app, teapot, monkeypatch):
    guest = cached_app.test_client()
    statements = count_statements(monkeypatch)
    first = guest.get(teapot["pages"][-1])
    assert first.status_code == 200 and statements
    assert first.headers["Cache-Control"] == f"public, max-age={BOUND}"
    statements.clear()
    again = guest.get(teapot["pages"][-1])
    assert again.get_data() == first.get_data() and statements == []  # no SQL at all
    assert again.headers["Cache-Control"] == f"public, max-age={BOUND}"
    assert "Cookie" in again.headers["Vary"] and again.headers["ETag"] and again.headers["Last-Modified"]
    assert "Set-Cookie" not in again.headers
    revalidated = guest.get(teapot["pages"][-1], headers={"If-None-Match": again.headers["ETag"]})
    assert revalidated.status_code == 304 and revalidated.get_data() == b""
    since = guest.get(teapot["pages"][-1], headers={"If-Modified-Since": again.headers["Last-Modified"]})
    assert since.status_code == 304


def test_a_logged_in_page_never_comes_from_a_guest_entry(cached_app, teapot, make_user):
    guest = cached_app.test_client()
    for page in teapot["pages"]:
        assert "Log out" not in guest.get(page).get_data(as_text=True)
    shopper = make_user(first_name="Wanda")
    client = cached_app.test_client()
    login(client, shopper)
    for page in teapot["pages"]:
        response = client.get(page)
        html = response.get_data(as_text=True)
        assert "Wanda" in html and "Log out" in html, page
        assert "public" not in response.headers["Cache-Control"]
        assert "private" in response.headers["Cache-Control"]
    # The shopper's product page has a real cart form; the guest's has none.
    assert 'name="csrf_token"' in client.get(teapot["pages"][-1]).get_data(as_text=True)
    assert "csrf_token" not in guest.get(teapot["pages"][-1]).get_data(as_text=True)


def test_a_guest_never_gets_a_logged_in_page(cached_app, teapot, make_user):
    client = cached_app.test_client()
    login(client, make_user(first_name="Xavier"))
    for page in teapot["pages"]:
        client.get(page)
    guest = cached_app.test_client()
    for page in teapot["pages"]:
        html = guest.get(page).get_data(as_text=True)
        assert "Xavier" not in html and "Log out" not in html and "csrf_token" not in html, page


def test_two_users_never_see_each_others_pages(cached_app, teapot, make_user):
    clients = {}
    for name in ("Yara", "Zeno"):
        clients[name] = cached_app.test_client()
        login(clients[name], make_user(first_name=name))
    clients["Yara"].post("/cart/add", data={"offer_id": teapot["offer_id"], "quantity": "2"})
    for _ in range(2):
        for page in teapot["pages"]:
            yara = clients["Yara"].get(page).get_data(as_text=True)
            zeno = clients["Zeno"].get(page).get_data(as_text=True)
            assert "Yara" in yara and "Zeno" not in yara and "Cart (2)" in yara, page
            assert "Zeno" in zeno and "Yara" not in zeno and "Cart (2)" not in zeno, page


def test_a_guest_with_a_message_waiting_gets_it_not_the_cached_page(cached_app, teapot):
    cached_app.test_client().get(teapot["pages"][-1])  # cached by another guest
    guest = cached_app.test_client()
    with guest.session_transaction() as session:
        session["_flashes"] = [("info", "A message for this guest only.")]
    assert "A message for this guest only." in guest.get(teapot["pages"][-1]).get_data(as_text=True)
    assert "A message for this guest only." not in guest.get(teapot["pages"][-1]).get_data(as_text=True)


def test_a_guest_holding_a_csrf_token_never_shares_it(cached_app, teapot, monkeypatch):
    guest = cached_app.test_client()
    guest.get("/auth/login")  # the session now holds a CSRF token
    guest.get(teapot["pages"][-1])  # (flask-login marks the session not fresh: not stored)
    html = guest.get(teapot["pages"][-1]).get_data(as_text=True)
    assert "csrf_token" not in html
    statements = count_statements(monkeypatch)
    assert cached_app.test_client().get(teapot["pages"][-1]).get_data(as_text=True) == html
    assert statements == []  # the impersonal page was shared


def test_a_seller_sees_their_own_price_change_at_once(cached_app, make_user, teapot):
    seller = make_user(first_name="Sol")
    offer_page = teapot["pages"][-1]
    client = cached_app.test_client()
    login(client, seller)
    assert "10.00" in client.get(offer_page).get_data(as_text=True)  # the offers box is now cached
    other = _offer_of(client, cached_app, seller, teapot)
    response = client.post(f"/sell/inventory/{other}/edit", data={"price": "3.21", "quantity": "4",
                                                                 "quantity_seen": "4"})
    assert response.status_code == 302
    assert ">3.21\u00a0EUR<" in client.get(offer_page).get_data(as_text=True)


def _offer_of(client, app, seller, teapot) -> int:
    """The seller's own offer for the teapot, created through the model."""
    from app import db

    with app.app_context():
        return db.query_value("""INSERT INTO offers (product_id, seller_id, price, quantity)
                                 VALUES (%s, %s, 9.00, 4) RETURNING id""", (teapot["product_id"], seller.id))


def test_private_pages_are_never_public(cached_app, make_user):
    client = cached_app.test_client()
    login(client, make_user())
    for page in ("/cart", "/account", "/purchases", "/sell/inventory"):
        response = client.get(page, follow_redirects=True)
        assert response.status_code == 200, page
        assert "private" in response.headers["Cache-Control"], page


def _redis_running() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_running(), reason="no Redis on 127.0.0.1:6379 (the default needs none)")
def test_nodes_share_one_redis_cache(database, teapot, monkeypatch):
    settings = {"CACHE_REDIS_URL": "redis://127.0.0.1:6379/0", "CATALOG_CACHE_SECONDS": 30,
                "CACHE_KEY_PREFIX": f"souk-test-{uuid.uuid4().hex}:"}
    node_a, node_b = _make_app(database, **settings), _make_app(database, **settings)
    page = teapot["pages"][-1]
    first = node_a.test_client().get(page)
    statements = count_statements(monkeypatch)
    second = node_b.test_client().get(page)
    assert second.get_data() == first.get_data() and statements == []
    with node_a.app_context():
        cache.clear()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_shared_fragment_carries_each_viewers_own_csrf_token(cached_app, teapot, make_user):
    clients = []
    for name in ("Ada", "Bo"):
        client = cached_app.test_client()
        login(client, make_user(first_name=name))
        clients.append(client)
    pages = [client.get("/c/kitchen").get_data(as_text=True) for client in clients]  # the second from cache
    assert pages[0].count('action="/cart/add"') == pages[1].count('action="/cart/add"') == 1
    tokens = [_token(page.split('action="/cart/add"')[1]) for page in pages]
    assert tokens[0] != tokens[1]
    for client, token in zip(clients, tokens, strict=True):
        form = {"csrf_token": token, "offer_id": teapot["offer_id"], "quantity": "1", "next": "/c/kitchen"}
        response = client.post("/cart/add", csrf=False, data=form)
        assert response.status_code == 302 and "Cart (1)" in client.get("/c/kitchen").get_data(as_text=True)


def test_a_seller_never_gets_a_fragment_made_for_others(cached_app, teapot, make_user):
    shopper = cached_app.test_client()
    login(shopper, make_user())
    assert 'action="/cart/add"' in shopper.get("/c/kitchen").get_data(as_text=True)  # cached for others
    seller = cached_app.test_client()
    with cached_app.app_context():
        from app.models import user as users

        owner = users.get_user(teapot["seller_id"])
    login(seller, owner)
    html = seller.get("/c/kitchen").get_data(as_text=True)
    assert "Blue Teapot" in html and 'action="/cart/add"' not in html  # their own offer is not buyable


def test_a_logged_in_catalog_page_reads_only_what_is_the_viewers(database, teapot, make_user, monkeypatch):
    """With the shared data cached, a shopper's page reads their session
    (with the header's counts) and only the rows that are theirs."""
    # A time to live that a loaded machine cannot outrun between the pages.
    client = _make_app(database, CATALOG_CACHE_SECONDS=60).test_client()
    login(client, make_user())
    for page in teapot["pages"]:
        client.get(page)  # the shared data is cached
    statements = count_statements(monkeypatch)
    reads = {}
    for page in teapot["pages"]:
        statements.clear()
        assert client.get(page).status_code == 200
        reads[page] = len(statements)
    home, category, search, product = teapot["pages"]
    # The session (with whether they ever bought or sold): someone who did
    # neither gets every page from the shared shopper entry with their own
    # header spliced in.
    assert reads == {home: 1, category: 1, search: 1, product: 1}


def test_the_cached_flash_sales_show_each_shopper_their_own_limit(cached_app, database, teapot, make_user):
    sale_id = _sale(database, teapot)
    buyer, other = cached_app.test_client(), cached_app.test_client()
    buyer_user = make_user()
    login(buyer, buyer_user)
    login(other, make_user())
    make_purchase(cached_app, buyer_user, [(teapot, 2)])  # a checkout writes the order with the count
    _sql(database, "INSERT INTO flash_sale_buyers (sale_id, buyer_id, units) VALUES (%s, %s, 2)",
         (sale_id, buyer_user.id))
    for _ in range(2):  # the second time from the cache
        mine = buyer.get("/").get_data(as_text=True).split('id="flash-sales-heading"')[1]
        theirs = other.get("/").get_data(as_text=True).split('id="flash-sales-heading"')[1]
        assert "Limit reached: you bought 2" in mine.split("</section>")[0]
        assert "Limit reached" not in theirs and "Add to cart" in theirs.split("</section>")[0]


def _sale(database, offer) -> int:
    conn = psycopg2.connect(database)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("""INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total,
                                                    per_customer_limit)
                           VALUES (%s, 8, now() - interval '1 hour', now() + interval '1 hour', 5, 2)
                           RETURNING id""", (offer["offer_id"],))
            return cur.fetchone()[0]
    finally:
        conn.close()


def _blanked(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


def _main_part(html: str) -> str:
    """What a page shows below its header, with CSRF tokens blanked."""
    return _blanked(html.split("</header>", 1)[1])


def test_plain_shoppers_share_one_page_each_with_their_own_header(database, teapot, make_user, monkeypatch):
    """Shoppers who never sold share one rendered page per address; each
    gets their own name, cart count and CSRF token in it, with one query."""
    app = _make_app(database, CATALOG_CACHE_SECONDS=60)
    ada_user, bea_user = make_user(first_name="Ada"), make_user(first_name="Bea")
    ada, bea = app.test_client(), app.test_client()
    login(ada, ada_user)
    login(bea, bea_user)
    _sql(database, "INSERT INTO cart_items (user_id, offer_id, quantity, price_seen) VALUES (%s, %s, 3, 10)",
         (bea_user.id, teapot["offer_id"]))
    statements = count_statements(monkeypatch)
    for page in teapot["pages"]:
        first = ada.get(page).get_data(as_text=True)  # rendered, stored with slots
        statements.clear()
        second = bea.get(page).get_data(as_text=True)
        assert len(statements) == 1, page  # Bea's session user, nothing else
        assert "Ada" in first and "Bea" not in first and "Cart (3)" not in first, page
        assert "Bea" in second and "Ada" not in second and "Cart (3)" in second, page
        assert _token(first) != _token(second) and _token(first) not in second, page
        assert "souk-" not in first and "souk-" not in second, page  # no slot left unfilled
        assert _main_part(first) == _main_part(second), page
    # The token each got works for them.
    form = {"csrf_token": _token(second), "offer_id": teapot["offer_id"], "quantity": "1", "next": "/"}
    assert bea.post("/cart/add", csrf=False, data=form).status_code == 302


def test_a_seller_never_gets_a_shared_shopper_page(cached_app, database, teapot, make_user):
    shopper = cached_app.test_client()
    login(shopper, make_user())
    product_page = teapot["pages"][-1]
    assert "Sell one like this" in shopper.get(product_page).get_data(as_text=True)  # stored for shoppers
    seller = cached_app.test_client()
    with cached_app.app_context():
        from app.models import user as users

        owner = users.get_user(teapot["seller_id"])
    login(seller, owner)
    assert "Change your offer" in seller.get(product_page).get_data(as_text=True)
    # A shopper who starts selling sees their own offer on the next page.
    newcomer_user = make_user()
    newcomer = cached_app.test_client()
    login(newcomer, newcomer_user)
    assert "Sell one like this" in newcomer.get(product_page).get_data(as_text=True)
    _sql(database, "INSERT INTO offers (product_id, seller_id, price, quantity) VALUES (%s, %s, 9, 1)",
         (teapot["product_id"], newcomer_user.id))
    assert "Change your offer" in newcomer.get(product_page).get_data(as_text=True)


def test_a_buyer_shares_lists_but_not_pages_that_show_purchases(cached_app, teapot, make_user, make_offer,
                                                               monkeypatch):
    buyer_user = make_user(first_name="Bob")
    make_purchase(cached_app, buyer_user, [(make_offer(name="Old Kettle", category="Kitchen"), 1)])
    login(cached_app.test_client(), make_user())
    shopper = cached_app.test_client()
    login(shopper, make_user())
    buyer = cached_app.test_client()
    login(buyer, buyer_user)
    statements = count_statements(monkeypatch)
    for page in teapot["pages"]:
        shopper.get(page)  # stored for shoppers
        statements.clear()
        assert "Bob" in buyer.get(page).get_data(as_text=True)
        if page.startswith(("/c/", "/search")):
            assert len(statements) == 1, page  # lists show nothing of their purchases: shared
        else:
            assert len(statements) > 1, page  # recommendations, the review form: theirs


def test_a_shopper_with_a_message_waiting_gets_it(cached_app, teapot, make_user):
    login(cached_app.test_client(), make_user())
    cached_app.test_client().get(teapot["pages"][-1])
    shopper = cached_app.test_client()
    login(shopper, make_user())
    shopper.get(teapot["pages"][-1])  # the shared entry exists
    with shopper.session_transaction() as session:
        session["_flashes"] = [("info", "A message for this shopper only.")]
    assert "A message for this shopper only." in shopper.get(teapot["pages"][-1]).get_data(as_text=True)
    assert "A message for this shopper only." not in shopper.get(teapot["pages"][-1]).get_data(as_text=True)


def test_a_web_worker_imports_no_drawing_or_job_queue_libraries(database):
    """Pillow, matplotlib, numpy and the job queue (procrastinate, psycopg 3)
    weigh on every worker's memory: loaded only by what draws or queues,
    not by serving pages."""
    script = ("import sys; from app import create_app; app = create_app({'DATABASE_URL': sys.argv[1]}); "
              "client = app.test_client(); [client.get(p) for p in ('/', '/c/kitchen', '/search?q=a')]; "
              "print(' '.join(sorted(m for m in ('PIL', 'matplotlib', 'numpy', 'procrastinate', 'psycopg') "
              "if m in sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", script, database], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parent.parent).stdout.strip()
    assert loaded == ""


def test_the_header_follows_its_viewer_at_once(cached_app, database, teapot, make_user):
    """The logged-in header is rendered once per set of values it shows
    (app/cache.py, _menu_key): a change of any of them shows on the next
    page, and its log-out form carries this session's own token."""
    from app.models import ledger

    user = make_user(first_name="Ada")
    client = cached_app.test_client()
    login(client, user)

    def header():
        return client.get("/cart").get_data(as_text=True).split("</header>", 1)[0]

    first = header()
    assert "Ada" in first and "Cart (" not in first and "souk-" not in first
    assert _blanked(header()) == _blanked(first)  # the same values: the same header
    _sql(database, "INSERT INTO cart_items (user_id, offer_id, quantity, price_seen) VALUES (%s, %s, 2, 10)",
         (user.id, teapot["offer_id"]))
    assert "Cart (2)" in header()
    _sql(database, "UPDATE users SET first_name = 'Adele' WHERE id = %s", (user.id,))
    with cached_app.app_context():
        ledger.top_up(user.id, Decimal("7.50"))
    last = header()
    assert "Adele" in last and "7.50" in last and "Cart (2)" in last and "souk-" not in last
    assert client.post("/auth/logout", csrf=False, data={"csrf_token": _token(last)}).status_code == 302
    assert client.get("/cart").status_code == 302  # logged out: to the log-in page
