"""The seller's inventory: list and search their offers, change price and
stock inline, stop selling; nobody else can touch their offers."""
import re

import pytest

from tests.support import add_category, add_offer, add_product, log_in, rows, value


@pytest.fixture
def stock(app, user_client, make_user):
    """A logged-in seller with four offers and a rival with one."""
    client, seller = user_client()
    rival = make_user()
    category = add_category(app, "Home")
    names = ["Blue Mug", "Red Mug", "100% Cotton Towel", "Under_score Shelf"]
    offers = {}
    for name in names:
        product_id = add_product(app, seller, category, name)
        offers[name] = add_offer(app, product_id, seller, "10.00", quantity=5)
    rival_offer = add_offer(app, add_product(app, rival, category, "Rival Lamp"), rival, "7.00")
    return {"client": client, "seller": seller, "rival": rival, "offers": offers, "rival_offer": rival_offer}


def offer_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/sell/inventory/(\d+)/stop', html)]


def test_inventory_lists_own_offers_newest_first(stock):
    response = stock["client"].get("/sell/inventory")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert offer_ids(html) == list(reversed(stock["offers"].values()))
    assert "Rival Lamp" not in html
    assert 'href="/sell/inventory/new">Sell a new product</a>' in html
    assert '<a href="/sell/inventory">Inventory</a>' in html  # the selling header
    for offer_id in stock["offers"].values():
        assert f'<label for="price-{offer_id}">Price<span class="sr"> of ' in html
        assert f'<label for="quantity-{offer_id}">Stock<span class="sr"> of ' in html
    assert "<button>Save<span class=\"sr\"> the price and stock of " in html
    assert '>Stop selling<span class="sr">' in html


def test_header_links_to_the_inventory(stock):
    assert '<a href="/sell/inventory">Selling</a>' in stock["client"].get("/").get_data(as_text=True)


@pytest.mark.parametrize("query, expected", [
    ("mug", ["Red Mug", "Blue Mug"]), ("MUGS", ["Red Mug", "Blue Mug"]), ("blu", ["Blue Mug"]),
    ("red mug", ["Red Mug"]), ("100", ["100% Cotton Towel"]), ("under_score", ["Under_score Shelf"]),
    ("lamp", []), ("%", []), ("'; --", []), ("a:* | !blu", ["Blue Mug"]),
    ("\x00mug", ["Red Mug", "Blue Mug"]),
])
def test_inventory_search_by_product_name(stock, query, expected):
    response = stock["client"].get("/sell/inventory", query_string={"q": query})
    names = {offer_id: name for name, offer_id in stock["offers"].items()}
    assert response.status_code == 200
    assert [names[n] for n in offer_ids(response.get_data(as_text=True))] == expected
    if not expected:
        assert "None of your offers is for a product named like" in response.get_data(as_text=True)


def test_inventory_bad_arguments(stock):
    client = stock["client"]
    assert client.get("/sell/inventory", query_string={"q": "x" * 201}).status_code == 400
    for page in ("0", "-1", "abc", "9999999999"):
        assert client.get(f"/sell/inventory?page={page}").status_code == 400
    assert "no more offers" in client.get("/sell/inventory?page=7").get_data(as_text=True)


def test_inventory_is_paginated(app, user_client):
    client, seller = user_client()
    category = add_category(app, "Bulk")
    for n in range(23):
        add_offer(app, add_product(app, seller, category, f"Item {n}"), seller, "1.00")
    first = client.get("/sell/inventory").get_data(as_text=True)
    second = client.get("/sell/inventory?page=2").get_data(as_text=True)
    assert len(offer_ids(first)) == 20 and len(offer_ids(second)) == 3
    assert set(offer_ids(first)).isdisjoint(offer_ids(second))
    assert 'rel="next" href="/sell/inventory?page=2"' in first
    assert "1–20 of 23" in first and "21–23 of 23" in second  # counted: a seller's offers, index only
    assert 'aria-label="Page 2">2</a>' in first
    searched = client.get("/sell/inventory?q=item").get_data(as_text=True)
    assert "1–20 of 23" in searched


def test_change_price_and_stock_inline(app, stock):
    offer_id = stock["offers"]["Blue Mug"]
    response = stock["client"].post(f"/sell/inventory/{offer_id}/edit", data={
        "price": "8.25", "quantity": "12", "quantity_seen": "5", "return_page": "2", "return_q": "mug"})
    assert response.status_code == 302 and response.headers["Location"] == "/sell/inventory?page=2&q=mug"
    offer = rows(app, "SELECT price, quantity FROM offers WHERE id = %s", (offer_id,))[0]
    assert (str(offer["price"]), offer["quantity"]) == ("8.25", 12)
    assert value(app, "SELECT min_price FROM products p JOIN offers o ON o.product_id = p.id "
                      "WHERE o.id = %s", (offer_id,)) == 8.25
    html = stock["client"].get("/sell/inventory").get_data(as_text=True)
    assert "“Blue Mug” now sells at 8.25\u00a0EUR with 12 in stock." in html


def test_edit_page_and_its_errors(app, stock):
    offer_id = stock["offers"]["Red Mug"]
    url = f"/sell/inventory/{offer_id}/edit"
    form = stock["client"].get(url).get_data(as_text=True)
    assert "Your offer for “Red Mug”" in form and 'value="10.00"' in form
    assert 'name="quantity_seen" type="hidden" value="5"' in form
    for data, message in (({"price": "0", "quantity": "3"}, "more than 0"),
                          ({"price": "1.9999", "quantity": "3"}, "at most 2 decimals"),
                          ({"price": "2", "quantity": "-3"}, "from 0 to 1,000,000"),
                          ({"price": "2", "quantity": "3.5"}, "whole number")):
        response = stock["client"].post(url, data={**data, "quantity_seen": "5"})
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    tampered = {"price": "2", "quantity": "3", "quantity_seen": "x"}
    assert stock["client"].post(url, data=tampered).status_code == 400
    offer = rows(app, "SELECT price, quantity FROM offers WHERE id = %s", (offer_id,))[0]
    assert (str(offer["price"]), offer["quantity"]) == ("10.00", 5)


def test_a_sale_since_the_form_was_loaded_is_not_undone(app, stock):
    offer_id = stock["offers"]["Red Mug"]
    with app.app_context():  # a shopper buys 2 meanwhile
        from app import db
        db.execute("UPDATE offers SET quantity = quantity - 2 WHERE id = %s", (offer_id,))
    response = stock["client"].post(f"/sell/inventory/{offer_id}/edit",
                                    data={"price": "9.00", "quantity": "5", "quantity_seen": "5"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Your stock changed to 3" in html
    assert 'name="quantity_seen" type="hidden" value="3"' in html
    assert value(app, "SELECT quantity FROM offers WHERE id = %s", (offer_id,)) == 3
    response = stock["client"].post(f"/sell/inventory/{offer_id}/edit",
                                    data={"price": "9.00", "quantity": "5", "quantity_seen": "3"})
    assert response.status_code == 302 and value(app, "SELECT quantity FROM offers WHERE id = %s",
                                                 (offer_id,)) == 5


def test_stop_selling_keeps_past_orders(app, stock, make_user):
    offer_id = stock["offers"]["Blue Mug"]
    product_id = value(app, "SELECT product_id FROM offers WHERE id = %s", (offer_id,))
    buyer = make_user()
    with app.app_context():  # a past order line pointing at the offer
        from app import db
        purchase = db.query_value("INSERT INTO purchases (buyer_id, total) VALUES (%s, 20) RETURNING id",
                                  (buyer.id,))
        order = db.query_value("""INSERT INTO orders (purchase_id, seller_id, buyer_id, subtotal)
                                  VALUES (%s, %s, %s, 20) RETURNING id""",
                               (purchase, stock["seller"].id, buyer.id))
        db.execute("""INSERT INTO order_lines (order_id, offer_id, product_id, quantity, unit_price)
                      VALUES (%s, %s, %s, 2, 10)""", (order, offer_id, product_id))
    response = stock["client"].post(f"/sell/inventory/{offer_id}/stop", data={"return_page": "1"})
    assert response.status_code == 302 and response.headers["Location"] == "/sell/inventory"
    assert value(app, "SELECT active FROM offers WHERE id = %s", (offer_id,)) is False
    assert value(app, "SELECT unit_price * quantity FROM order_lines") == 20
    product_page = make_user_client_page(app, make_user, f"/products/{product_id}")
    assert "Currently unavailable" in product_page and "/cart/add" not in product_page
    html = stock["client"].get("/sell/inventory").get_data(as_text=True)
    assert "You stopped selling “Blue Mug”." in html
    sell_again = f'<a href="/sell/inventory/new/{product_id}">Sell again<span class="sr">: Blue Mug</span>'
    assert f"Stopped · {sell_again}</a>" in html
    assert offer_id not in offer_ids(html)


def test_stop_selling_asks_first_without_a_script(app, stock):
    offer_id = stock["offers"]["Blue Mug"]
    inventory = stock["client"].get("/sell/inventory?q=mug").get_data(as_text=True)
    ask_url = f"/sell/inventory/{offer_id}/stop?return_page=1&return_q=mug"
    link = f'href="{ask_url.replace("&", "&amp;")}">Stop selling<span class="sr"> Blue Mug</span>…</a>'
    assert link in inventory and f'action="/sell/inventory/{offer_id}/stop"' not in inventory
    ask = stock["client"].get(ask_url)
    html = ask.get_data(as_text=True)
    assert ask.status_code == 200 and "<h1>Stop selling “Blue Mug”?</h1>" in html
    # Asking changes nothing.
    assert value(app, "SELECT active FROM offers WHERE id = %s", (offer_id,)) is True
    assert f'<form method="post" action="/sell/inventory/{offer_id}/stop"' in html
    assert '<input type="hidden" name="return_q" value="mug">' in html
    assert '<a href="/sell/inventory?q=mug">Keep selling</a>' in html
    edit_page = stock["client"].get(f"/sell/inventory/{offer_id}/edit").get_data(as_text=True)
    assert f'href="/sell/inventory/{offer_id}/stop">Stop selling this product…</a>' in edit_page
    assert stock["client"].get(f"/sell/inventory/{stock['rival_offer']}/stop").status_code == 404


def make_user_client_page(app, make_user, url) -> str:
    client = app.test_client()
    log_in(client, make_user())
    return client.get(url).get_data(as_text=True)


def test_another_user_cannot_touch_an_offer(app, stock):
    rival_offer = stock["rival_offer"]
    client = stock["client"]
    assert client.get(f"/sell/inventory/{rival_offer}/edit").status_code == 404
    response = client.post(f"/sell/inventory/{rival_offer}/edit",
                           data={"price": "1.00", "quantity": "0", "quantity_seen": "5"})
    assert response.status_code == 404
    assert client.post(f"/sell/inventory/{rival_offer}/stop").status_code == 404
    offer = rows(app, "SELECT price, quantity, active FROM offers WHERE id = %s", (rival_offer,))[0]
    assert (str(offer["price"]), offer["quantity"], offer["active"]) == ("7.00", 5, True)
    assert client.post("/sell/inventory/999999/stop").status_code == 404
    assert client.get("/sell/inventory/99999999999999999999/edit").status_code == 404


def test_offer_forms_need_csrf(app, stock):
    offer_id = stock["offers"]["Blue Mug"]
    assert stock["client"].post(f"/sell/inventory/{offer_id}/stop", csrf=False).status_code == 400
    data = {"price": "1.00", "quantity": "1", "quantity_seen": "5"}
    assert stock["client"].post(f"/sell/inventory/{offer_id}/edit", csrf=False, data=data).status_code == 400
    assert value(app, "SELECT active::text || price FROM offers WHERE id = %s", (offer_id,)) == "true10.00"


def test_return_fields_cannot_redirect_elsewhere(stock):
    offer_id = stock["offers"]["Blue Mug"]
    response = stock["client"].post(f"/sell/inventory/{offer_id}/edit", data={
        "price": "9.00", "quantity": "5", "quantity_seen": "5", "return_page": "https://evil.example",
        "return_q": "//evil.example"})
    assert response.headers["Location"] == "/sell/inventory?q=//evil.example"
