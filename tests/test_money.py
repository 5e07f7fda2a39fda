"""Money typed with a decimal comma or point is read as meant, ambiguous
amounts are refused, and amounts are shown with the currency."""
from decimal import Decimal

import pytest

from app import db
from app.money import MoneyFormatError, format_money, parse_money


@pytest.mark.parametrize("text, amount", [
    ("12,50", "12.50"), ("12.50", "12.50"), ("1,234.50", "1234.50"), ("1.234,50", "1234.50"),
    ("1 234,50", "1234.50"), ("12,5", "12.5"), ("12", "12"), ("0,99", "0.99"), (",5", "0.5"),
    ("1,234,567.00", "1234567.00"), ("1.234.567", "1234567"), ("€12,50", "12.50"), ("12.50 EUR", "12.50"),
])
def test_a_decimal_comma_or_point_is_read_as_meant(text, amount):
    assert parse_money(text) == Decimal(amount)


@pytest.mark.parametrize("text, message", [
    ("1,234", "could mean 1234 or 1.234"), ("1.234", "could mean 1234 or 1.234"),
    ("0,500", "could mean 500 or 0.500"), ("1.23,50", "group thousands by three"),
    ("1,2,3", "group thousands by three"), ("12.345,678", "at most 2 decimals"),
    ("abc", "like 12.50 or 12,50"), ("1e3", "like 12.50 or 12,50"), ("", "Enter an amount."),
    ("\x00", "like 12.50"), ("9" * 60, "like 12.50"),
])
def test_ambiguous_or_malformed_amounts_are_refused(text, message):
    with pytest.raises(MoneyFormatError, match=message):
        parse_money(text)


def test_amounts_are_shown_with_the_currency():
    assert format_money(Decimal("1234.5")) == "1,234.50\u00a0EUR"
    assert format_money(None) == "—"


def balance_of(app, user) -> Decimal:
    with app.app_context():
        return db.query_value("SELECT balance FROM users WHERE id = %s", (user.id,))


def test_a_top_up_typed_with_a_comma_adds_what_was_typed(app, user_client):
    client, user = user_client()
    response = client.post("/account/topup", data={"topup-amount": "12,50"}, follow_redirects=True)
    assert "Added 12.50\u00a0EUR. Your balance is 12.50\u00a0EUR." in response.get_data(as_text=True)
    assert balance_of(app, user) == Decimal("12.50")
    response = client.post("/account/withdraw", data={"withdraw-amount": "2,25"})
    assert response.status_code == 302 and balance_of(app, user) == Decimal("10.25")


def test_an_ambiguous_top_up_changes_nothing_and_says_why(app, user_client):
    client, user = user_client()
    response = client.post("/account/topup", data={"topup-amount": "1,234"})
    assert response.status_code == 400
    assert "could mean 1234 or 1.234: write the cents" in response.get_data(as_text=True)
    assert balance_of(app, user) == 0


def test_a_price_typed_with_a_comma_is_listed_at_that_price(app, user_client, make_offer):
    client, seller = user_client()
    make_offer(category="Garden")
    with app.app_context():
        category_id = db.query_value("SELECT id FROM categories WHERE slug = 'garden'")
    response = client.post("/sell/inventory/new", data={
        "name": "Rake", "description": "", "category": str(category_id), "price": "12,50", "quantity": "3"})
    assert response.status_code == 302
    with app.app_context():
        price = db.query_value("SELECT price FROM offers WHERE seller_id = %s", (seller.id,))
    assert price == Decimal("12.50")
    assert "12.50\u00a0EUR" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_api_documents_its_currency(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert "EUR" in document["info"]["description"]
