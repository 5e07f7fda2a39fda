"""Accounts: register, log in and out, profile, password, public page."""
import re

from tests.support import PASSWORD


def register(client, **overrides):
    data = {"email": "new@example.com", "first_name": "Nora", "last_name": "New",
            "address": "2 Lane", "password": "long-enough-1", "confirm": "long-enough-1", **overrides}
    return client.post("/auth/register", data=data)


def test_register_logs_in_and_shows_home(client):
    response = register(client)
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Nora" in home and "Log out" in home


def test_register_duplicate_email_any_case(client, make_user):
    make_user(email="taken@example.com")
    response = register(client, email="TAKEN@Example.com")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "already exists" in page
    assert 'value="Nora"' in page  # keeps what was typed
    assert "long-enough-1" not in page  # never echoes passwords


def test_register_weak_password_and_missing_fields(client):
    response = register(client, password="short", confirm="short", first_name="", email="bad")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Use 8 to 200 characters." in page
    assert "Required." in page
    assert "Enter an email like name@example.com." in page


def test_register_password_mismatch(client):
    response = register(client, confirm="something-else")
    assert response.status_code == 400 and "The passwords differ." in response.get_data(as_text=True)


def test_login_logout_and_wrong_password(client, make_user, login):
    user = make_user()
    wrong = client.post("/auth/login", data={"email": user.email, "password": "nope-nope"})
    assert wrong.status_code == 400 and "Wrong email or password." in wrong.get_data(as_text=True)
    login(client, user)
    assert client.get("/account/").status_code == 200
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/account/").status_code == 302


def test_login_email_is_case_insensitive(client, make_user):
    make_user(email="Mixed@Example.com")
    response = client.post("/auth/login", data={"email": "mixed@example.COM", "password": PASSWORD})
    assert response.status_code == 302


def test_login_returns_to_next_page_and_refuses_offsite(client, make_user):
    user = make_user()
    response = client.get("/account/edit")
    assert response.status_code == 302 and "next=%2Faccount%2Fedit" in response.headers["Location"]
    response = client.post("/auth/login?next=/account/edit", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/account/edit"
    client.post("/auth/logout")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/auth/login", query_string={"next": evil},
                               data={"email": user.email, "password": PASSWORD})
        assert response.headers["Location"] == "/"
        client.post("/auth/logout")


def test_remember_me_sets_cookie(client, make_user, login):
    user = make_user()
    response = login(client, user, remember=True)
    assert any(c.startswith("remember_token=") for c in response.headers.getlist("Set-Cookie"))


def test_profile_edit(client, make_user, login):
    user = make_user()
    login(client, user)
    response = client.post("/account/edit", data={"email": "changed@example.com", "first_name": "Zed",
                                                  "last_name": "Zulu", "address": "9 Road"})
    assert response.status_code == 302
    page = client.get("/account/").get_data(as_text=True)
    assert "changed@example.com" in page and "Zed Zulu" in page


def test_profile_edit_rejects_taken_email_and_bad_values(client, make_user, login):
    make_user(email="other@example.com")
    login(client, make_user())
    response = client.post("/account/edit", data={"email": "OTHER@example.com", "first_name": "A",
                                                  "last_name": "B", "address": ""})
    assert response.status_code == 400 and "Another account" in response.get_data(as_text=True)
    response = client.post("/account/edit", data={"email": "ok@example.com", "first_name": "x" * 101,
                                                  "last_name": "", "address": "y" * 501})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "At most 100 characters." in page and "At most 500 characters." in page


def test_password_change(app, make_user, login):
    user = make_user()
    client, other_session = app.test_client(), app.test_client()
    login(client, user)
    login(other_session, user)
    bad = client.post("/account/password", data={"current": "wrong-one", "password": "brand-new-pass",
                                                  "confirm": "brand-new-pass"})
    assert bad.status_code == 400 and "not your current password" in bad.get_data(as_text=True)
    good = client.post("/account/password", data={"current": PASSWORD, "password": "brand-new-pass",
                                                   "confirm": "brand-new-pass"})
    assert good.status_code == 302
    assert client.get("/account/").status_code == 200  # this session continues
    assert other_session.get("/account/").status_code == 302  # others are logged out
    fresh = app.test_client()
    assert fresh.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 400
    login(fresh, user, password="brand-new-pass")


def test_public_page_hides_private_fields(client, make_user):
    user = make_user(email="secret@example.com", address="42 Hidden Street", balance="123.45")
    page = client.get(f"/users/{user.id}").get_data(as_text=True)
    assert "Test User" in page
    for private in ("secret@example.com", "42 Hidden Street", "123.45"):
        assert private not in page
    assert client.get("/users/999999").status_code == 404


def test_account_pages_require_login(client):
    for path in ("/account/", "/account/edit", "/account/password"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_post_without_csrf_token_is_rejected(client, make_user, login):
    user = make_user()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    login(client, user)
    assert client.post("/account/topup", data={"topup-amount": "10"}, csrf=False).status_code == 400


def test_forms_carry_csrf_tokens(client):
    page = client.get("/auth/register").get_data(as_text=True)
    assert re.search(r'name="csrf_token" type="hidden" value="[^"]+"', page)
