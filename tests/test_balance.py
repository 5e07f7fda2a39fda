"""Balance and ledger: top up, withdraw, bad amounts, ledger equals balance."""
import re
from decimal import Decimal

import pytest


def balance_and_ledger(app, user_id):
    with app.app_context():
        from app import db
        balance = db.query_value("SELECT balance FROM users WHERE id = %s", (user_id,))
        ledger_sum = db.query_value(
            "SELECT coalesce(sum(amount), 0) FROM ledger_entries WHERE user_id = %s", (user_id,))
        return balance, ledger_sum


def ledger_rows(html: str) -> list[tuple[str, str, str]]:
    """(what, amount, balance after) of each row of the page's ledger table, top to bottom."""
    body = html.split('id="ledger"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        _, what, amount, after = [re.sub(r"<[^>]+>", "", cell).strip()
                                  for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows.append((what, amount, after))
    return rows


def test_top_up_and_withdraw(app, user_client):
    client, user = user_client()
    assert client.post("/account/topup", data={"topup-amount": "100.50"}).status_code == 302
    assert client.post("/account/withdraw", data={"withdraw-amount": "40"}).status_code == 302
    page = client.get("/account/").get_data(as_text=True)
    assert ledger_rows(page) == [("Withdrawal", "-40.00\u00a0EUR", "60.50\u00a0EUR"),
                                 ("Topup", "100.50\u00a0EUR", "100.50\u00a0EUR")]
    assert balance_and_ledger(app, user.id) == (Decimal("60.50"), Decimal("60.50"))


def test_withdraw_never_below_zero(app, user_client):
    client, user = user_client(balance="10")
    response = client.post("/account/withdraw", data={"withdraw-amount": "10.01"})
    assert response.status_code == 400
    assert "more than your balance" in response.get_data(as_text=True)
    assert balance_and_ledger(app, user.id) == (Decimal("10.00"), Decimal("10.00"))


@pytest.mark.parametrize("amount, message", [
    ("-5", "more than 0"), ("0", "more than 0"), ("abc", "as a number"), ("1.2345", "at most 2 decimals"),
    ("99999999999", "at most 1,000,000"), ("", "Enter an amount"), ("NaN", "as a number"),
    ("Infinity", "as a number"), ("1e400", "as a number"), ("9" * 5000, "as a number"),
])
def test_bad_amounts(app, user_client, amount, message):
    client, user = user_client(balance="5")
    for form in ("topup", "withdraw"):
        response = client.post(f"/account/{form}", data={f"{form}-amount": amount})
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert message.lower() in page.lower()
    assert balance_and_ledger(app, user.id) == (Decimal("5.00"), Decimal("5.00"))


def test_ledger_is_paginated_with_running_balance(app, user_client):
    client, user = user_client()
    for _ in range(25):
        client.post("/account/topup", data={"topup-amount": "1"})
    # Newest first, 20 to a page, each row with the running balance after it.
    first = client.get("/account/").get_data(as_text=True)
    assert ledger_rows(first) == [("Topup", "1.00\u00a0EUR", f"{n}.00\u00a0EUR") for n in range(25, 5, -1)]
    assert 'rel="next"' in first
    second = client.get("/account/?page=2").get_data(as_text=True)
    assert ledger_rows(second) == [("Topup", "1.00\u00a0EUR", f"{n}.00\u00a0EUR") for n in range(5, 0, -1)]
    assert 'rel="next"' not in second
    assert client.get("/account/?page=abc").status_code == 400
    assert client.get("/account/?page=-1").status_code == 400
    assert balance_and_ledger(app, user.id) == (Decimal("25.00"), Decimal("25.00"))


def test_database_refuses_negative_balance(app, make_user):
    import psycopg2

    from app import db
    user = make_user()
    with app.app_context(), pytest.raises(psycopg2.errors.CheckViolation):
        db.execute("UPDATE users SET balance = -1 WHERE id = %s", (user.id,))


def test_other_users_cannot_see_your_ledger(user_client):
    alice_client, alice = user_client(balance="77.77")
    bob_client, bob = user_client()
    page = bob_client.get("/account/").get_data(as_text=True)
    assert "77.77" not in page and alice.email not in page
