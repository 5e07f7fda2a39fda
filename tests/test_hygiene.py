"""Headers and probes: private pages never cached, the TLS setting, no
server software banner, liveness and readiness."""
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app import create_app
from tests.support import PASSWORD

ROOT = Path(__file__).resolve().parent.parent


def get_pages(app) -> list[str]:
    """Every GET page without URL arguments, found from the app's routes."""
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and not rule.arguments
                  and not rule.rule.startswith(("/api/", "/static")))


def test_every_page_made_for_a_logged_in_user_is_never_stored(app, client, user_client, make_offer):
    logged_in, user = user_client()
    make_offer(seller=user)
    checked = set()
    for path in get_pages(app):
        response = logged_in.get(path)
        if response.status_code == 200 and response.mimetype == "text/html":
            assert "no-store" in response.headers.get("Cache-Control", ""), path
            checked.add(path)
    # Among them, every page that needs a login (account, purchases, cart,
    # checkout, the seller pages).
    private = {path for path in checked if "login" in client.get(path).headers.get("Location", "")}
    assert len(private) >= 10, private
    assert sum(path.startswith("/sell") for path in private) >= 5


def test_public_pages_for_visitors_and_static_files_stay_cacheable(client, user_client, make_offer):
    offer = make_offer()
    for path in ("/", f"/products/{offer['product_id']}", "/search?q=test"):
        assert "no-store" not in client.get(path).headers.get("Cache-Control", ""), path
    logged_in, _ = user_client()
    style = logged_in.get("/static/style.css")
    assert style.status_code == 200 and "max-age" in style.headers["Cache-Control"]


def test_https_setting_makes_cookies_secure_and_sends_hsts(monkeypatch, app, database, make_user, client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    monkeypatch.setenv("SOUK_HTTPS", "1")
    tls_app = create_app({"TESTING": True, "DATABASE_URL": database, "DB_POOL_MAX": 2,
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    tls_app.test_client_class = app.test_client_class
    try:
        tls_client = tls_app.test_client()
        assert tls_client.get("/").headers["Strict-Transport-Security"].startswith("max-age=31536000")
        # Over HTTPS, Flask-WTF also wants a same-site Referer (as browsers send).
        response = tls_client.post("/auth/login", data={"email": make_user().email, "password": PASSWORD,
                                                   "remember": "y"},
                                   headers={"Referer": "https://localhost/auth/login"})
        assert response.status_code == 302, response.get_data(as_text=True)
        cookies = response.headers.getlist("Set-Cookie")
        assert cookies and all("Secure" in cookie for cookie in cookies)
    finally:
        tls_app.extensions["souk_pool"].closeall()


def headers_of(address: str, path: str) -> dict:
    conn = http.client.HTTPConnection(address, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return {"status": response.status, **{k.lower(): v for k, v in response.getheaders()}}
    finally:
        conn.close()


def test_the_test_server_sends_no_banner(live_server):
    headers = headers_of(urlsplit(live_server).netloc, "/healthz")
    assert headers["status"] == 200 and "server" not in headers and "date" in headers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_as_setup_runs_it_sends_no_banner(database, tmp_path):
    gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    if not gunicorn.exists():
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 -- closed below
    server = subprocess.Popen(
        [str(gunicorn), "--config", "gunicorn.conf.py", "--workers", "1", "--bind", f"127.0.0.1:{port}",
         "app:create_app()"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database}, stdout=log, stderr=subprocess.STDOUT)
    try:
        headers = None
        deadline = time.monotonic() + 30
        while headers is None and time.monotonic() < deadline:
            try:
                headers = headers_of(f"127.0.0.1:{port}", "/healthz")
            except OSError:
                time.sleep(0.2)
        assert headers is not None, (tmp_path / "gunicorn.log").read_text()
        assert headers["status"] == 200 and "server" not in headers and "date" in headers
        assert headers_of(f"127.0.0.1:{port}", "/readyz")["status"] == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_need_no_login_and_are_not_cached(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
