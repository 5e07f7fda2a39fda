"""The JSON API: tokens, profile, errors (products and orders are in
test_api_catalog.py and test_api_orders.py; fuzzing in test_api_fuzz.py)."""
from decimal import Decimal

import pytest

from app import db
from tests.support import PASSWORD, assert_error, auth, bearer, get_token


@pytest.fixture
def api_user(client, make_user):
    """A user with a balance and a live token: returns (user, auth headers)."""
    user = make_user(balance=Decimal("100.00"))
    return user, auth(client, user)


def test_token_then_me(client, api_user):
    user, headers = api_user
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {
        "id": user.id, "email": user.email, "first_name": "Test", "last_name": "User",
        "address": "1 Test Road", "balance": "100.00", "currency": "EUR",
        "created_at": response.get_json()["created_at"]}
    assert "password" not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers  # the API never starts a browser session


def test_token_is_stored_only_as_a_hash(app, client, make_user):
    user = make_user()
    response = client.post("/api/v1/tokens", json={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["token_type"] == "Bearer" and len(body["token"]) >= 43 and body["expires_at"].endswith("Z")
    with app.app_context():
        stored = db.query("SELECT token_hash, expires_at - created_at AS ttl FROM api_tokens")
    assert len(stored) == 1
    assert body["token"].encode() not in bytes(stored[0]["token_hash"])
    assert stored[0]["ttl"].days == 30


@pytest.mark.parametrize("body", [
    {"email": "nobody@example.com", "password": PASSWORD},
    {"email": "{email}", "password": "wrong-password"},
])
def test_wrong_credentials_are_401(client, make_user, body):
    user = make_user()
    body = {**body, "email": body["email"].format(email=user.email)}
    error = assert_error(client.post("/api/v1/tokens", json=body), 401, "invalid_credentials")
    assert "token" not in error


@pytest.mark.parametrize("raw", [b'{"email": "a\\u0000@example.com", "password": "x"}',
                                 b'{"email": "\\ud800@example.com", "password": "x"}',
                                 b'{"email": "a@example.com", "password": "\\udfff"}'])
def test_credentials_the_database_cannot_hold_are_401(client, raw):
    response = client.post("/api/v1/tokens", data=raw, content_type="application/json")
    assert_error(response, 401, "invalid_credentials")


@pytest.mark.parametrize("body, field", [
    ({}, "email"),
    ({"email": "a@example.com"}, "password"),
    ({"email": 5, "password": PASSWORD}, "email"),
    ({"email": "a@example.com", "password": ["x"]}, "password"),
    ({"email": "a" * 300, "password": PASSWORD}, "email"),
    ({"email": "a@example.com", "password": ""}, "password"),
])
def test_token_request_fields_are_checked(client, body, field):
    error = assert_error(client.post("/api/v1/tokens", json=body), 400, "invalid_fields")
    assert field in error["fields"]


def test_missing_and_malformed_tokens_are_401_with_challenge(client, api_user):
    for headers, code in [({}, "token_required"),
                          ({"Authorization": "Basic dXNlcjpwYXNz"}, "token_required"),
                          ({"Authorization": "Bearer"}, "token_required"),
                          ({"Authorization": "Bearer not-a-real-token"}, "invalid_token"),
                          ({"Authorization": "Bearer " + "x" * 5000}, "invalid_token")]:
        response = client.get("/api/v1/me", headers=headers)
        assert_error(response, 401, code)
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="souk"')


def test_bearer_scheme_is_case_insensitive(client, api_user):
    _, headers = api_user
    token = headers["Authorization"].split()[1]
    assert client.get("/api/v1/me", headers={"Authorization": f"bearer  {token}"}).status_code == 200


def test_revoked_token_stops_working(client, api_user):
    _, headers = api_user
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    assert_error(client.get("/api/v1/me", headers=headers), 401, "invalid_token")
    assert_error(client.delete("/api/v1/tokens/current", headers=headers), 401, "invalid_token")


def test_revoking_one_token_keeps_the_others(client, api_user):
    user, first = api_user
    second = bearer(get_token(client, user))
    assert client.delete("/api/v1/tokens/current", headers=first).status_code == 204
    assert client.get("/api/v1/me", headers=second).status_code == 200


def test_expired_token_is_401(app, client, api_user):
    _, headers = api_user
    with app.app_context():
        db.execute("UPDATE api_tokens SET expires_at = now() - interval '1 second', "
                   "created_at = now() - interval '1 day'")
    assert_error(client.get("/api/v1/me", headers=headers), 401, "invalid_token")


def test_token_lifetime_comes_from_config(app, client, make_user):
    user = make_user()
    app.config["API_TOKEN_TTL_SECONDS"] = 60
    try:
        body = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).get_json()
    finally:
        app.config["API_TOKEN_TTL_SECONDS"] = 30 * 24 * 3600
    with app.app_context():
        ttl = db.query_value("SELECT expires_at - created_at FROM api_tokens")
    assert ttl.total_seconds() == 60 and body["token"]


def test_password_change_ends_tokens(client, api_user, login):
    user, headers = api_user
    login(client, user)
    response = client.post("/account/password", data={"current": PASSWORD, "password": "another-pass-1",
                                                      "confirm": "another-pass-1"})
    assert response.status_code == 302
    assert_error(client.get("/api/v1/me", headers=headers), 401, "invalid_token")


def test_token_use_is_recorded(app, client, api_user):
    _, headers = api_user
    client.get("/api/v1/me", headers=headers)
    with app.app_context():
        assert db.query_value("SELECT last_used_at IS NOT NULL FROM api_tokens")


def test_browser_session_does_not_authenticate_the_api(client, make_user, login):
    user = make_user()
    login(client, user)
    assert_error(client.get("/api/v1/me"), 401, "token_required")


def test_api_posts_need_no_csrf_token(client, make_user):
    user = make_user()
    assert client.post("/auth/logout", csrf=False).status_code == 400  # the web still needs one
    response = client.post("/api/v1/tokens", csrf=False, content_type="application/json",
                           data=f'{{"email": "{user.email}", "password": "{PASSWORD}"}}')
    assert response.status_code == 201


@pytest.mark.parametrize("data, content_type, status, code", [
    (b'{"email": ', "application/json", 400, "invalid_json"),
    (b"[1, 2]", "application/json", 400, "invalid_json"),
    (b"null", "application/json", 400, "invalid_json"),
    (b"\xff\xfe", "application/json", 400, "invalid_json"),
    (b"[" * 100_000, "application/json", 413, "too_large"),
    (b"[" * 50_000, "application/json", 400, "invalid_json"),
    (b"email=a&password=b", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    (b'{"email": "a", "password": "b"}', "text/plain", 415, "unsupported_media_type"),
    (b'{"email": "a", "password": "b"}', None, 415, "unsupported_media_type"),
])
def test_bad_bodies(client, data, content_type, status, code):
    response = client.post("/api/v1/tokens", data=data, content_type=content_type)
    assert_error(response, status, code)


def test_ten_megabyte_body_is_413_json(client):
    response = client.post("/api/v1/tokens", data=b"x" * (10 * 1024 * 1024),
                           content_type="application/json")
    assert_error(response, 413, "too_large")


def test_unknown_path_and_wrong_method_are_json(client):
    assert_error(client.get("/api/v1/nothing-here"), 404)
    assert_error(client.get("/api/v2/products"), 404)
    response = client.put("/api/v1/tokens", json={})
    assert_error(response, 405)
    assert "POST" in response.headers["Allow"]
