"""Users in tests: the one password every test user has, and logging a test
client in (the `login` fixture of conftest.py hands out log_in)."""

PASSWORD = "correct-horse-9"


def log_in(client, user, password=PASSWORD, remember=False):
    """Log `client` in as `user` through the login form; returns the redirect."""
    response = client.post("/auth/login", data={"email": user.email, "password": password,
                                                **({"remember": "y"} if remember else {})})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response
