"""Sessions end on the server: a cookie copied before logging out opens
nothing afterwards; "log out everywhere" and a password change end the
other sessions, remember-me cookies and API tokens."""
import time

import psycopg2

from tests.support import PASSWORD, log_in


def copy_of(app, client):
    """A second client holding the same cookies (what a thief would copy)."""
    thief = app.test_client()
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name)
        if cookie is not None:
            thief.set_cookie(name, cookie.value)
    return thief


def remember_only(app, client):
    """A client holding only the remember-me cookie (a closed browser)."""
    browser = app.test_client()
    browser.set_cookie("remember_token", client.get_cookie("remember_token").value)
    return browser


def api_token(client, user) -> str:
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201
    return response.get_json()["token"]


def test_a_session_cookie_replayed_after_logout_is_refused(app, client, make_user):
    log_in(client, make_user())
    stolen = copy_of(app, client)
    assert stolen.get("/account/").status_code == 200  # the copy works while the session lives
    assert client.post("/auth/logout").status_code == 302
    response = stolen.get("/account/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_remember_me_cookie_replayed_after_logout_is_refused(app, client, make_user):
    log_in(client, make_user(), remember=True)
    remembered = client.get_cookie("remember_token").value
    assert remember_only(app, client).get("/account/").status_code == 200  # it logs back in
    client.post("/auth/logout")
    replay = app.test_client()
    replay.set_cookie("remember_token", remembered)
    assert replay.get("/account/").status_code == 302


def test_logout_deletes_the_session_row(app, database, client, make_user):
    user = make_user()
    log_in(client, user)
    other = app.test_client()
    log_in(other, user)
    conn = psycopg2.connect(database)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM user_sessions WHERE user_id = %s", (user.id,))
            assert cur.fetchone()[0] == 2
            client.post("/auth/logout")
            cur.execute("SELECT count(*) FROM user_sessions WHERE user_id = %s", (user.id,))
            assert cur.fetchone()[0] == 1  # the other browser stays logged in
    finally:
        conn.close()
    assert other.get("/account/").status_code == 200


def test_log_out_everywhere_ends_every_session_remember_me_and_api_token(app, client, make_user):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, user)
    log_in(phone, user, remember=True)
    closed_browser = remember_only(app, phone)
    token = api_token(client, user)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    page = laptop.get("/account/").get_data(as_text=True)
    assert "Log out everywhere" in page and 'action="/account/logout-everywhere"' in page
    assert laptop.post("/account/logout-everywhere", csrf=False).status_code == 400  # CSRF guarded
    response = laptop.post("/account/logout-everywhere")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]

    for browser in (laptop, phone, closed_browser):
        assert browser.get("/account/").status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    log_in(app.test_client(), user)  # the account itself is fine


def test_password_change_keeps_this_session_and_ends_the_others(app, client, make_user):
    user = make_user()
    log_in(client, user)
    other = app.test_client()
    log_in(other, user, remember=True)
    other_remembered = remember_only(app, other)
    token = api_token(app.test_client(), user)
    response = client.post("/account/password", data={"current": PASSWORD, "password": "brand-new-pass",
                                                       "confirm": "brand-new-pass"})
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200
    assert other.get("/account/").status_code == 302
    assert other_remembered.get("/account/").status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_forged_or_garbled_session_id_is_just_logged_out(app, client, make_user):
    log_in(client, make_user())
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"  # the old "id:epoch" form, or any guess
    response = client.get("/account/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_verified_session_cookie_is_kept_but_never_past_its_lifetime(app, client, make_user, monkeypatch):
    """The app verifies a session cookie once per process while it comes
    back unchanged (app/assets.py): a changed signature is still refused,
    and the kept cookie stops working when its lifetime is over."""
    log_in(client, make_user())
    cookie = client.get_cookie("session").value
    only_session = app.test_client()
    only_session.set_cookie("session", cookie)
    for _ in range(2):  # verified, then kept
        assert only_session.get("/account/").status_code == 200
    forged = app.test_client()
    forged.set_cookie("session", cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB"))
    assert forged.get("/account/").status_code == 302
    later = time.time() + app.permanent_session_lifetime.total_seconds() + 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = only_session.get("/account/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
