"""The cart: add (also as a guest), change, remove, warnings, bad input."""
from decimal import Decimal

import pytest

from app import db


def cart_of(app, user) -> dict:
    with app.app_context():
        return {row["offer_id"]: row["quantity"] for row in
                db.query("SELECT offer_id, quantity FROM cart_items WHERE user_id = %s", (user.id,))}


def add(client, offer, quantity=1, next_url="/cart"):
    return client.post("/cart/add", data={"offer_id": str(offer["offer_id"]), "quantity": str(quantity),
                                          "next": next_url})


def test_cart_groups_lines_by_seller_with_subtotals(app, user_client, make_user, make_offer):
    client, buyer = user_client()
    ann = make_user(first_name="Ann", last_name="Seller")
    ben = make_user(first_name="Ben", last_name="Seller")
    kettle = make_offer(seller=ann, price="12.50", quantity=5, name="Kettle")
    teapot = make_offer(seller=ann, price="7.25", quantity=5, name="Teapot")
    kettle_from_ben = make_offer(seller=ben, price="11.00", quantity=5, product_id=kettle["product_id"])
    add(client, kettle, 2)
    add(client, teapot)
    add(client, kettle_from_ben)
    page = client.get("/cart").get_data(as_text=True)
    assert page.index("From <a") < page.index("Ann Seller") < page.index("Ben Seller")
    assert "Subtotal from Ann Seller" in page and "32.25" in page      # 2 × 12.50 + 7.25
    assert "Subtotal from Ben Seller" in page and "11.00" in page
    assert "Total: 43.25" in page and "(4 items)" in page
    assert "Cart (4)" in page


def test_adding_again_adds_to_the_line_and_returns_to_next(app, user_client, make_offer):
    client, buyer = user_client()
    offer = make_offer(quantity=10, name="Garden hose")
    response = add(client, offer, 2, next_url="/purchases/?page=1")
    assert response.status_code == 302 and response.headers["Location"] == "/purchases/?page=1"
    response = add(client, offer, 3)
    assert response.headers["Location"] == "/cart"
    page = client.get("/cart").get_data(as_text=True)
    assert "Added 3 × Garden hose to your cart (5 in it now)." in page
    assert cart_of(app, buyer) == {offer["offer_id"]: 5}


def test_unsafe_next_falls_back_to_the_product_page(user_client, make_offer):
    client, _ = user_client()
    offer = make_offer()
    for evil in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = add(client, offer, next_url=evil)
        assert response.headers["Location"] == f"/products/{offer['product_id']}"


def test_guest_is_sent_to_log_in_and_back_to_the_product(app, client, make_user, make_offer):
    offer = make_offer()
    product_page = f"/products/{offer['product_id']}"
    response = add(client, offer, next_url=product_page)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert "%2Fproducts%2F" in response.headers["Location"] or "/products/" in response.headers["Location"]
    # Without a usable `next`, the product page is where they come back to.
    response = add(client, offer, next_url="")
    login_url = response.headers["Location"]
    buyer = make_user()
    response = client.post(login_url, data={"email": buyer.email, "password": "correct-horse-9"})
    assert response.headers["Location"] == product_page
    assert cart_of(app, buyer) == {offer["offer_id"]: 2}  # both adds waited for the log-in


@pytest.mark.parametrize("quantity, message", [
    ("0", "from 1 to 1,000"), ("-2", "from 1 to 1,000"), ("abc", "whole number"), ("1.5", "whole number"),
    ("", "Enter a number"), ("1001", "from 1 to 1,000"), ("9" * 40, "whole number"),
])
def test_bad_quantities_are_refused(app, user_client, make_offer, quantity, message):
    client, buyer = user_client()
    offer = make_offer(quantity=5000)
    response = client.post("/cart/add", data={"offer_id": str(offer["offer_id"]), "quantity": quantity,
                                              "next": "/cart"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Not added to your cart" in response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)
    assert cart_of(app, buyer) == {}


def test_a_line_holds_at_most_1000_units(app, user_client, make_offer):
    client, buyer = user_client()
    offer = make_offer(quantity=5000)
    add(client, offer, 1000)
    add(client, offer, 1)
    page = client.get("/cart").get_data(as_text=True)
    assert "at most 1,000 units" in page
    assert cart_of(app, buyer) == {offer["offer_id"]: 1000}


@pytest.mark.parametrize("case", ["unknown", "huge id", "not a number", "own", "stopped", "too many"])
def test_offers_that_cannot_be_added(app, user_client, make_offer, case):
    client, buyer = user_client()
    offer = make_offer(seller=buyer if case == "own" else None, quantity=3)
    offer_id = str(offer["offer_id"])
    quantity = "4" if case == "too many" else "1"
    if case == "stopped":
        with app.app_context():
            db.execute("UPDATE offers SET active = false WHERE id = %s", (offer["offer_id"],))
    offer_id = {"unknown": "987654", "huge id": "9" * 30, "not a number": "x1"}.get(case, offer_id)
    response = client.post("/cart/add", data={"offer_id": offer_id, "quantity": quantity, "next": "/cart"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    expected = {"unknown": "no offer number 987654", "huge id": "Enter a whole number",
                "not a number": "whole number", "own": "your own offer", "stopped": "stopped selling",
                "too many": "only 3 left"}[case]
    assert response.status_code == 200 and expected in page
    assert cart_of(app, buyer) == {}


def test_cart_warns_about_price_stock_and_stopped_offers(app, user_client, make_offer):
    client, buyer = user_client()
    cheaper, scarce, stopped = (make_offer(name=name, quantity=5, price="10.00")
                                for name in ("Cheaper", "Scarce", "Stopped"))
    for offer in (cheaper, scarce, stopped):
        add(client, offer, 3)
    with app.app_context():
        db.execute("UPDATE offers SET price = 8.00 WHERE id = %s", (cheaper["offer_id"],))
        db.execute("UPDATE offers SET quantity = 1 WHERE id = %s", (scarce["offer_id"],))
        db.execute("UPDATE offers SET active = false WHERE id = %s", (stopped["offer_id"],))
    page = client.get("/cart").get_data(as_text=True)
    assert "The price changed from 10.00\u00a0EUR to 8.00\u00a0EUR since you added it." in page
    assert "Sold out: only 1 left, you asked for 3." in page
    assert "The seller stopped selling this." in page
    assert "Some lines cannot be bought as they are" in page


def test_change_quantity_and_remove(app, user_client, make_offer):
    client, buyer = user_client()
    offer = make_offer(quantity=9)
    add(client, offer, 2)
    response = client.post("/cart/update", data={"offer_id": str(offer["offer_id"]), "quantity": "7"})
    assert response.status_code == 302 and cart_of(app, buyer) == {offer["offer_id"]: 7}
    response = client.post("/cart/update", data={"offer_id": str(offer["offer_id"]), "quantity": "0"})
    assert response.status_code == 400 and "from 1 to 1,000" in response.get_data(as_text=True)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    response = client.post("/cart/remove", data={"offer_id": str(offer["offer_id"])})
    assert response.status_code == 302 and cart_of(app, buyer) == {}
    assert "Your cart is empty" in client.get("/cart").get_data(as_text=True)


def test_nobody_changes_another_users_cart(app, user_client, make_offer):
    alice_client, alice = user_client()
    mallory_client, mallory = user_client()
    offer = make_offer(quantity=9)
    add(alice_client, offer, 2)
    response = mallory_client.post("/cart/update", data={"offer_id": str(offer["offer_id"]), "quantity": "9"})
    assert response.status_code == 404
    response = mallory_client.post("/cart/remove", data={"offer_id": str(offer["offer_id"])})
    assert response.status_code == 404
    # A user id or price slipped into the form is ignored.
    add_data = {"offer_id": str(offer["offer_id"]), "quantity": "1", "user_id": str(alice.id),
                "price": "0.01", "next": "/cart"}
    mallory_client.post("/cart/add", data=add_data)
    assert cart_of(app, alice) == {offer["offer_id"]: 2}
    with app.app_context():
        assert db.query_value("SELECT price_seen FROM cart_items WHERE user_id = %s",
                              (mallory.id,)) == Decimal("10.00")


def test_cart_pages_need_login_and_csrf(client, user_client, make_offer):
    assert client.get("/cart").status_code == 302
    assert client.get("/checkout").status_code == 302
    logged_in, buyer = user_client()
    offer = make_offer()
    response = logged_in.post("/cart/add", data={"offer_id": str(offer["offer_id"]), "quantity": "1"},
                              csrf=False)
    assert response.status_code == 400
