"""Helpers of the JSON API tests: tokens, auth headers, the error shape."""
from .accounts import PASSWORD


def get_token(client, user, password=PASSWORD) -> str:
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": password})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def auth(client, user) -> dict:
    """Auth headers for a fresh token of `user`."""
    return bearer(get_token(client, user))


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is the API's one error shape with this status; returns
    the error object."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert {"code", "message", "fields"} <= set(error)
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if code:
        assert error["code"] == code
    return error
