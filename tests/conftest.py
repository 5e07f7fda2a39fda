"""Test fixtures: a fresh PostgreSQL database per run (the embedded server by
default, DATABASE_URL's server when set), tests isolated by emptying every
table after each test, a CSRF-aware test client, a live server and Chromium."""
import os
import secrets
import shutil
import threading
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from werkzeug.serving import make_server

from app import create_app, db, embedded, pgbouncer, replication
from app.limits import limiter
from app.models import ledger
from app.models import user as users
from app.serving import QuietRequestHandler
from tests.support import PASSWORD, log_in

ROOT = Path(__file__).resolve().parent.parent
SUITE_RATE_LIMITS = {action: {"account": "1000 per minute", "address": "10000 per minute"}
                     for action in ("login", "register", "token", "password", "topup", "guest_lists",
                                    "guest_deep_lists")}
CHROMIUM = "/usr/bin/chromium"
BROWSER_TIMEOUT_MS = 15_000
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _server_dsn() -> str:
    if os.environ.get("DATABASE_URL"):
        return db.with_dbname(os.environ["DATABASE_URL"], "postgres")
    return embedded.start(ROOT / "instance")


@pytest.fixture(scope="session")
def database():
    """DSN of a database created for this test run and dropped after it.
    With SOUK_TEST_PGBOUNCER=1 (./setup.sh test's second pass), the DSN is
    a PgBouncer in transaction pooling mode in front of it (app/pgbouncer.py)."""
    server = _server_dsn()
    name = f"souk_test_{os.getpid()}_{secrets.token_hex(3)}"
    db.create_database(server, name)
    bouncer = None
    if os.environ.get("SOUK_TEST_PGBOUNCER") == "1":
        if not pgbouncer.available():
            pytest.exit("SOUK_TEST_PGBOUNCER=1 but PgBouncer is not installed (apt-get install pgbouncer)", 2)
        # The suite stops and restarts the server (tests/test_db_outage.py):
        # pooled server connections are checked before each use, queries
        # wait 2 s at most for a server that is down, and a (re)start waits
        # until PgBouncer connects again (it refuses clients until its next
        # try, up to a second after the server is back).
        bouncer = pgbouncer.Bouncer(ROOT / "instance" / f"pgbouncer-test-{os.getpid()}", server,
                                    port=replication.free_port(), check_delay=0, wait_timeout=2)
        bouncer.start()
        _wait_for_bouncer_after(bouncer, name, "start", "control")
        # The worker's LISTEN needs a session: it bypasses PgBouncer (subprocesses inherit this).
        os.environ["SOUK_QUEUE_DATABASE_URL"] = db.with_dbname(server, name)
    dsn = bouncer.dsn(name) if bouncer else db.with_dbname(server, name)
    db.migrate(dsn)
    yield dsn
    if bouncer:
        bouncer.stop()
        shutil.rmtree(bouncer.workdir, ignore_errors=True)
    db.drop_database(server, name)


@pytest.fixture(scope="session")
def app(database):
    app = create_app({"TESTING": True, "DATABASE_URL": database,
                      # A cheap hash keeps the suite fast; production uses scrypt.
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "DB_POOL_MAX": 30,
                      # Limits stay on, but far above what any test does from
                      # one address; tests/test_rate_limits.py tightens them.
                      "RATE_LIMITS": SUITE_RATE_LIMITS,
                      # Tests change data and read pages at once; tests/test_cache.py
                      # checks the cache with an app of its own.
                      "CATALOG_CACHE_SECONDS": 0})
    app.test_client_class = SoukClient
    return app


@pytest.fixture(scope="session")
def _tables(database):
    conn = psycopg2.connect(database)
    with conn, conn.cursor() as cur:
        cur.execute("""SELECT quote_ident(tablename) FROM pg_tables
                       WHERE schemaname = 'public' AND tablename <> 'schema_migrations'""")
        tables = [row[0] for row in cur.fetchall()]
    conn.close()
    return tables


@pytest.fixture(autouse=True)
def _isolate(database, _tables):
    """Each test starts from empty tables and fresh rate-limit counters."""
    yield
    limiter.reset()
    conn = psycopg2.connect(database)
    with conn, conn.cursor() as cur:
        cur.execute("TRUNCATE " + ", ".join(_tables) + " RESTART IDENTITY CASCADE")
    conn.close()


def _wait_for_bouncer_after(bouncer, dbname: str, *names) -> None:
    """Make embedded.start() and .control() return only once PgBouncer
    reaches the server again (when they leave it running)."""

    def waiting(original):
        def then_wait(*args, **kwargs):
            result = original(*args, **kwargs)
            if embedded._is_running((ROOT / "instance" / "pgdata").resolve()):
                bouncer.wait_ready(dbname)
            return result

        return then_wait

    for name in names:
        setattr(embedded, name, waiting(getattr(embedded, name)))


class SoukClient(FlaskClient):
    """A test client whose POSTs carry a valid CSRF token unless csrf=False."""

    def csrf_token(self) -> str:
        app = self.application
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", secrets.token_hex(20))
        return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)

    def post(self, *args, csrf: bool = True, **kwargs):
        data = kwargs.get("data")
        if csrf and (data is None or isinstance(data, dict)) and "json" not in kwargs:
            kwargs["data"] = {"csrf_token": self.csrf_token(), **(data or {})}
        return super().post(*args, **kwargs)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """Create a user directly through the model: make_user(balance=Decimal('50'))."""

    def make(email=None, password=PASSWORD, first_name="Test", last_name="User",
             address="1 Test Road", balance=Decimal("0")):
        with app.app_context():
            user = users.create_user(email or f"user-{uuid.uuid4().hex[:10]}@example.com", password,
                                     first_name, last_name, address, app.config["PASSWORD_HASH_METHOD"])
            if balance:
                ledger.top_up(user.id, Decimal(balance))
            return users.get_user(user.id)

    return make


@pytest.fixture
def login():
    """Log a test client in through the login form:
    login(client, user, password=PASSWORD, remember=False)."""
    return log_in


@pytest.fixture
def user_client(app, make_user):
    """A client logged in as a fresh user: returns (client, user)."""

    def make(**kwargs):
        user = make_user(**kwargs)
        client = app.test_client()
        log_in(client, user)
        return client, user

    return make


@pytest.fixture
def operator_client(app, user_client):
    """A client logged in as an operator of the console: returns (client, user)."""
    client, user = user_client(email="ops@example.com")
    with app.app_context():
        db.execute("UPDATE users SET is_operator = true WHERE id = %s", (user.id,))
    return client, user


@pytest.fixture(scope="session")
def live_server(app):
    """The app served over real HTTP on a free loopback port (threaded)."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def chromium():
    """A headless Debian Chromium driven by playwright. Skips outside CI when
    Chromium is missing; in CI (CI=true) a missing browser is a failure."""
    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}: install Debian's chromium to run browser tests"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    # expect(...) waits as long as page actions do (see the page fixture):
    # the machine running the suite may be busy.
    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser context (cookies, cache) and page per test."""
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    yield page
    context.close()


@pytest.fixture
def make_offer(app, make_user):
    """Create a category/product/offer with plain SQL, independent of the
    catalog code: make_offer(seller=user, price='9.99', quantity=5).
    Pass product_id to add another seller's offer for the same product.
    Returns a dict with offer_id, product_id, seller_id, price, quantity."""

    def make(seller=None, price="10.00", quantity=5, product_id=None, name="Test product",
             category="General", description="A product for tests."):
        seller = seller or make_user()
        with app.app_context():
            if product_id is None:
                category_id = db.query_value(
                    """INSERT INTO categories (name, slug) VALUES (%s, %s)
                       ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id""",
                    (category, category.lower().replace(" ", "-")))
                product_id = db.query_value(
                    """INSERT INTO products (category_id, creator_id, name, description)
                       VALUES (%s, %s, %s, %s) RETURNING id""", (category_id, seller.id, name, description))
            offer_id = db.query_value(
                """INSERT INTO offers (product_id, seller_id, price, quantity)
                   VALUES (%s, %s, %s, %s) RETURNING id""", (product_id, seller.id, Decimal(price), quantity))
        return {"offer_id": offer_id, "product_id": product_id, "seller_id": seller.id,
                "price": Decimal(price), "quantity": quantity}

    return make
