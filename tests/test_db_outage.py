"""The database going away: a restart and a stop of the suite's own
embedded PostgreSQL while threads keep requesting pages from the live
server. Never a 500; 503 with Retry-After while it is down; the app serves
again by itself, with no restart of its own."""
import http.client
import json
import os
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app import embedded
from tests.support import log_in

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="DATABASE_URL points at a server this suite cannot restart; "
           "the outage tests restart only the embedded server")


INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def fetch(address: str, path: str, cookie: str = "") -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(address, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


class Traffic:
    """Threads requesting a few pages in a loop, recording every answer."""

    def __init__(self, address: str, paths: list[str], cookie: str, threads: int = 4):
        self.address, self.paths, self.cookie = address, paths, cookie
        self.answers: list[tuple[float, int, str, dict]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)]

    def _run(self, n: int) -> None:
        for i in range(10_000):  # bounded; stop() normally ends it within seconds
            if self._stop.is_set():
                return
            path = self.paths[(n + i) % len(self.paths)]
            status, headers, _ = fetch(self.address, path, self.cookie)
            self.answers.append((time.monotonic(), status, path, headers))

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def first_success_after(self, moment: float) -> float | None:
        times = [t for t, status, _, _ in list(self.answers) if t > moment and status == 200]
        return min(times) if times else None


@pytest.fixture
def database_comes_back():
    """Whatever the test does, the server is running again afterwards."""
    yield
    embedded.start(INSTANCE)


def test_requests_during_restart_and_stop_get_503_never_500(app, live_server, make_user, make_offer,
                                                             database_comes_back):
    offer = make_offer()
    user = make_user()
    client = app.test_client()
    log_in(client, user)
    cookie = "session=" + client.get_cookie("session").value
    address = urlsplit(live_server).netloc
    paths = ["/", f"/products/{offer['product_id']}", "/account/", "/cart", "/api/v1/products"]
    assert fetch(address, "/account/", cookie)[0] == 200

    with Traffic(address, paths, cookie) as traffic:
        time.sleep(0.5)
        embedded.control(INSTANCE, "restart")
        time.sleep(0.5)
        embedded.control(INSTANCE, "stop")
        down_until = time.monotonic() + 2
        while time.monotonic() < down_until:  # a 503 for the site and for the API, seen while down
            time.sleep(0.2)
        embedded.start(INSTANCE)
        back = time.monotonic()
        deadline = back + 10
        while traffic.first_success_after(back) is None and time.monotonic() < deadline:
            time.sleep(0.1)

    statuses = Counter(status for _, status, _, _ in traffic.answers)
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[503] > 0, "the stop was not noticed: the test did not exercise an outage"
    unavailable = [(path, headers) for _, status, path, headers in traffic.answers if status == 503]
    assert all(headers.get("retry-after", "").isdigit() for _, headers in unavailable)
    kinds = {headers["content-type"].split(";")[0] for _, headers in unavailable}
    assert kinds <= {"text/html", "application/json"}
    recovered = traffic.first_success_after(back)
    assert recovered is not None and recovered - back < 5, "the app did not recover by itself"
    # Every page works again, the logged-in one too.
    for path in paths:
        assert fetch(address, path, cookie)[0] == 200, path


def test_site_page_and_api_while_the_database_is_stopped(live_server, make_offer, database_comes_back):
    make_offer()
    address = urlsplit(live_server).netloc
    assert fetch(address, "/")[0] == 200
    embedded.control(INSTANCE, "stop")
    try:
        status, headers, body = fetch(address, "/")
        assert status == 503 and headers["retry-after"] == "2"
        assert b"cannot reach its database" in body and b"<header>" in body  # the site's own page
        status, headers, body = fetch(address, "/api/v1/products")
        assert status == 503 and headers["retry-after"] == "2"
        assert json.loads(body)["error"]["code"] == "unavailable"
        assert fetch(address, "/readyz")[0] == 503
        assert fetch(address, "/healthz")[0] == 200  # the process itself is alive
    finally:
        embedded.start(INSTANCE)
    assert fetch(address, "/")[0] == 200
    assert fetch(address, "/readyz")[0] == 200


def test_pooled_connections_killed_by_an_idle_restart_are_replaced(app, live_server, make_user):
    user = make_user()
    client = app.test_client()
    log_in(client, user)
    cookie = "session=" + client.get_cookie("session").value
    address = urlsplit(live_server).netloc
    # Fill the pool with idle connections, then restart while nothing runs.
    threads = [threading.Thread(target=fetch, args=(address, "/account/", cookie)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    embedded.control(INSTANCE, "restart")
    answers = [fetch(address, path, cookie)[0] for path in ("/account/", "/", "/account/", "/cart")]
    assert answers == [200, 200, 200, 200]
