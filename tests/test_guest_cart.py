"""A guest's "Add to cart" survives logging in and registering: the add
lands in the cart and the shopper is back on the page they came from."""
from decimal import Decimal

from app import db


def cart_of(app, user_id) -> dict:
    with app.app_context():
        return {row["offer_id"]: row["quantity"] for row in
                db.query("SELECT offer_id, quantity FROM cart_items WHERE user_id = %s", (user_id,))}


def guest_add(client, offer, quantity, next_url):
    response = client.post("/cart/add", data={"offer_id": str(offer["offer_id"]), "quantity": str(quantity),
                                              "next": next_url})
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login?next=")
    return response.headers["Location"]


def test_the_add_lands_in_the_cart_after_logging_in(app, client, make_user, make_offer):
    kettle = make_offer(quantity=10, name="Blue Kettle")
    teapot = make_offer(quantity=10, name="Teapot")
    guest_add(client, kettle, 2, "/search?q=kettle")
    login_url = guest_add(client, teapot, 1, "/search?q=kettle")
    assert "it goes into your cart" in client.get(login_url).get_data(as_text=True)
    buyer = make_user()
    response = client.post(login_url, data={"email": buyer.email, "password": "correct-horse-9"})
    assert response.headers["Location"] == "/search?q=kettle"
    assert cart_of(app, buyer.id) == {kettle["offer_id"]: 2, teapot["offer_id"]: 1}
    page = client.get("/search?q=kettle").get_data(as_text=True)
    assert "Added 2 × Blue Kettle to your cart" in page and "Cart (3)" in page
    # Done once: logging in again later adds nothing more.
    client.post("/auth/logout")
    client.post("/auth/login", data={"email": buyer.email, "password": "correct-horse-9"})
    assert cart_of(app, buyer.id) == {kettle["offer_id"]: 2, teapot["offer_id"]: 1}


def test_the_add_lands_in_the_cart_after_registering(app, client, make_offer):
    lamp = make_offer(quantity=10, name="Lamp")
    product_page = f"/products/{lamp['product_id']}"
    login_url = guest_add(client, lamp, 3, product_page)
    register_url = login_url.replace("/auth/login", "/auth/register")
    assert f'href="{register_url}"' in client.get(login_url).get_data(as_text=True)
    response = client.post(register_url, data={
        "email": "new.shopper@example.com", "first_name": "New", "last_name": "Shopper",
        "address": "1 Road", "password": "long-enough-1", "confirm": "long-enough-1"})
    assert response.status_code == 302 and response.headers["Location"] == product_page
    with app.app_context():
        user_id = db.query_value("SELECT id FROM users WHERE email = 'new.shopper@example.com'")
    assert cart_of(app, user_id) == {lamp["offer_id"]: 3}


def test_a_waiting_add_that_checkout_would_refuse_is_refused_with_a_message(
        app, client, make_user, make_offer):
    seller = make_user(balance=Decimal("0"))
    own = make_offer(seller=seller, quantity=10, name="Own Lamp")
    scarce = make_offer(quantity=1, name="Scarce Vase")
    guest_add(client, own, 1, "/")
    login_url = guest_add(client, scarce, 5, "/")
    client.post(login_url, data={"email": seller.email, "password": "correct-horse-9"})
    page = client.get("/").get_data(as_text=True)
    assert "Not added to your cart: This is your own offer" in page
    assert "Not added to your cart: Sold out: only 1 left, you asked for 5." in page
    assert cart_of(app, seller.id) == {}


def test_a_guests_get_form_add_waits_for_the_log_in(app, client, make_user, make_offer):
    """Guests' pages carry GET forms (they are cached for every guest): the
    add is kept all the same."""
    lamp = make_offer(quantity=10, name="Lamp", category="Lighting")
    product_page = f"/products/{lamp['product_id']}"
    assert 'method="get" action="/cart/add"' in client.get(product_page).get_data(as_text=True)
    response = client.get(f"/cart/add?offer_id={lamp['offer_id']}&quantity=2&next={product_page}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login?next=")
    buyer = make_user()
    response = client.post(response.headers["Location"], data={"email": buyer.email,
                                                                "password": "correct-horse-9"})
    assert response.headers["Location"] == product_page
    assert cart_of(app, buyer.id) == {lamp["offer_id"]: 2}
    # Bad values are not kept; the guest is still sent to log in.
    for query in ("offer_id=abc&quantity=1", "offer_id=1&quantity=0", "offer_id=1&quantity=99999"):
        guest = app.test_client()
        assert guest.get(f"/cart/add?{query}").headers["Location"].startswith("/auth/login")
        with guest.session_transaction() as session:
            assert "pending_cart_add" not in session
