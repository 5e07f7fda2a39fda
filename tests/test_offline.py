"""The offline part over HTTP: the script and the service worker are small,
served under the strict CSP, versioned, and a new deployment is a new worker."""
import gzip
import re

from app.views import offline


def script_url(html: str) -> str:
    return re.search(r'<script src="(/static/app\.js\?v=[0-9a-f]{10})" defer></script>', html).group(1)


def test_script_is_versioned_cached_for_a_year_and_the_csp_stays_strict(client):
    page = client.get("/")
    assert "script-src 'self';" in page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    script = client.get(script_url(page.get_data(as_text=True)), headers={"Accept-Encoding": "br"})
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert script.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_worker_and_registration_stay_under_5_kb_compressed(client):
    script = client.get(script_url(client.get("/").get_data(as_text=True))).get_data()
    worker = client.get("/sw.js").get_data()
    assert len(gzip.compress(script, 9)) + len(gzip.compress(worker, 9)) < 5 * 1024


def test_worker_is_served_at_the_root_named_after_the_deployment(client, monkeypatch):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    version = offline.deployment()
    assert re.fullmatch(r"[0-9a-f]{12}", version)
    assert response.get_data(as_text=True).startswith(f'"use strict";\nconst V = "{version}";\n')
    assert client.get("/sw.js", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    # Another deployment: another worker, whose activation drops the old caches.
    monkeypatch.setattr(offline, "deployment", lambda: "0123456789ab")
    assert 'const V = "0123456789ab";' in client.get("/sw.js").get_data(as_text=True)


def test_offline_page_says_checkout_needs_a_connection(client):
    page = client.get("/offline").get_data(as_text=True)
    assert "<h1>You are offline</h1>" in page and "Checkout needs a connection" in page
    assert 'id="saved-pages"' in page
