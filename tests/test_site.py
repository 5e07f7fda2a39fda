"""The base of every page: health check, errors, headers, compression."""


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "database": "ok"}


def test_error_pages_in_site_look(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True) and "style.css" in response.get_data(as_text=True)
    response = client.get("/auth/logout")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


def test_security_headers_and_cookie_flags(client, make_user, login):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    cookie = login(client, make_user()).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_responses_are_compressed(client):
    response = client.get("/static/style.css", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers.get("Content-Encoding") == "br"
    assert "max-age" in response.headers["Cache-Control"]
    page = client.get("/auth/register", headers={"Accept-Encoding": "gzip"})
    assert page.headers.get("Content-Encoding") == "gzip"
