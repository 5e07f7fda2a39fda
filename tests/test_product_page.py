"""The product page: details, the offers box (order, seller ratings, cart
forms, the viewer's own offer), unavailable products, a bounded number of
queries, and the public seller page's list of offers."""
import re

import pytest

from tests.support import add_category, add_offer, add_product, count_statements, value


@pytest.fixture
def product(app, make_user):
    creator = make_user(first_name="Cora", last_name="Creator")
    category = add_category(app, "Kitchen")
    product_id = add_product(app, creator, category, "Cast Iron Skillet", "Pre-seasoned.\nOven safe.",
                             stars=(5, 4, 4))
    return {"id": product_id, "creator": creator, "url": f"/products/{product_id}"}


def offer_rows(html: str) -> list[str]:
    """The rows of the offers box, in order."""
    box = html.split('id="offers-heading"')[1].split("</section>")[0]
    return re.findall(r"<tr[^>]*>(.*?)</tr>", box, re.S)[1:]


def test_product_page_shows_details_and_offers_cheapest_first(app, client, make_user, product):
    sellers = [make_user(first_name=name, last_name="Seller") for name in ("Ann", "Ben", "Cat", "Dan")]
    add_offer(app, product["id"], sellers[0], "30.00", quantity=3)
    add_offer(app, product["id"], sellers[1], "19.99", quantity=1)
    add_offer(app, product["id"], sellers[2], "9.00", quantity=0)  # out of stock: after the buyable ones
    add_offer(app, product["id"], sellers[3], "5.00", active=False)  # stopped: not shown
    with app.app_context():
        from app import db
        db.execute("UPDATE users SET seller_rating_count = 2, seller_rating_sum = 9 WHERE id = %s",
                   (sellers[1].id,))
    html = client.get(product["url"]).get_data(as_text=True)
    assert "<h1>Cast Iron Skillet</h1>" in html and 'href="/c/kitchen">Kitchen</a>' in html
    assert "Pre-seasoned.\nOven safe." in html
    assert f'href="/users/{product["creator"].id}">Cora Creator' in html
    assert "★ 4.3" in html and "From 19.99\u00a0EUR, 2 sellers with stock." in html
    rows = offer_rows(html)
    assert [re.search(r">(\w+) Seller<", row).group(1) for row in rows] == ["Ben", "Ann", "Cat"]
    assert "★ 4.5" in rows[0] and "no ratings" in rows[1]
    assert f'href="/users/{sellers[1].id}"' in rows[0]
    assert "Out of stock" in rows[2] and "/cart/add" not in rows[2]
    assert 'id="reviews"' in html.split('id="offers-heading"')[1]  # the reviews section follows


def test_every_buyable_offer_has_an_add_to_cart_form(app, client, user_client, make_user, product):
    offer_id = add_offer(app, product["id"], make_user(), "12.50", quantity=4)
    shopper, _ = user_client()
    row = offer_rows(shopper.get(product["url"] + "?offers_page=1").get_data(as_text=True))[0]
    assert '<form method="post" action="/cart/add"' in row
    assert re.search(r'name="csrf_token" value="[^"]+"', row)
    # A guest's form asks them to log in, and carries no token: the page is
    # the same for every guest, so it can be cached for all of them.
    row = offer_rows(client.get(product["url"] + "?offers_page=1").get_data(as_text=True))[0]
    assert '<form method="get" action="/cart/add"' in row and "csrf_token" not in row
    assert f'<input type="hidden" name="offer_id" value="{offer_id}">' in row
    # Back to this row after adding; the controls name the product and seller.
    assert f'<input type="hidden" name="next" value="{product["url"]}?offers_page=1#offer-{offer_id}">' in row
    names = "Cast Iron Skillet from Test User"
    assert f'<label for="qty-{offer_id}">Quantity<span class="sr"> of {names}</span>' in row
    assert f'id="qty-{offer_id}" name="quantity" type="number" value="1" min="1" max="4"' in row
    assert f'<button>Add to cart<span class="sr">: {names}</span></button>' in row


def test_the_viewers_own_offer_is_marked_and_not_buyable(app, client, make_user, product, login):
    seller = make_user()
    add_offer(app, product["id"], seller, "10.00")
    add_offer(app, product["id"], make_user(), "11.00")
    login(client, seller)
    rows = offer_rows(client.get(product["url"]).get_data(as_text=True))
    assert "Your offer" in rows[0] and "/cart/add" not in rows[0]
    assert "Your offer" not in rows[1] and "/cart/add" in rows[1]


def test_unavailable_product_still_has_its_page(app, client, make_user, product):
    html = client.get(product["url"]).get_data(as_text=True)
    assert "Currently unavailable" in html and "Cast Iron Skillet" in html
    add_offer(app, product["id"], make_user(), "10.00", quantity=0)
    html = client.get(product["url"]).get_data(as_text=True)
    assert "Currently unavailable" in html and "/cart/add" not in html and "Out of stock" in html


def test_links_for_the_creator_and_other_sellers(client, make_user, product, login):
    html = client.get(product["url"]).get_data(as_text=True)
    assert "Sell one like this" not in html and "Edit product details" not in html  # guests
    login(client, product["creator"])
    html = client.get(product["url"]).get_data(as_text=True)
    assert f'href="/products/{product["id"]}/edit">Edit product details' in html
    other = client.application.test_client()
    login(other, make_user())
    html = other.get(product["url"]).get_data(as_text=True)
    assert f'href="/sell/inventory/new/{product["id"]}">Sell one like this' in html
    assert "Edit product details" not in html


@pytest.mark.parametrize("url, status", [("/products/999999", 404), ("/products/9223372036854775808", 404),
                                         ("/products/-1", 404), ("/products/abc", 404),
                                         ("/products/{id}?offers_page=0", 400),
                                         ("/products/{id}?offers_page=x", 400)])
def test_bad_product_urls(client, product, url, status):
    assert client.get(url.format(id=product["id"])).status_code == status


def test_offers_box_is_paginated(app, client, make_user, product):
    for n in range(25):
        add_offer(app, product["id"], make_user(first_name=f"S{n:02d}"), f"{10 + n}.00")
    first = client.get(product["url"]).get_data(as_text=True)
    second = client.get(product["url"] + "?offers_page=2").get_data(as_text=True)
    assert len(offer_rows(first)) == 20 and len(offer_rows(second)) == 5
    assert "10.00" in offer_rows(first)[0] and "34.00" in offer_rows(second)[-1]
    assert 'rel="next" href="/products/{}?offers_page=2"'.format(product["id"]) in first


def test_product_page_query_count_does_not_grow_with_offers(app, client, make_user, monkeypatch, product,
                                                             login):
    seller = make_user()
    login(client, seller)
    add_offer(app, product["id"], make_user(), "10.00")
    statements = count_statements(monkeypatch)
    assert client.get(product["url"]).status_code == 200
    with_one = len(statements)

    with app.app_context():
        from app import db
        db.execute("""INSERT INTO users (email, password_hash, first_name, last_name)
                      SELECT 'bulk' || n || '@example.com', 'x', 'Bulk', 'Seller' || n
                      FROM generate_series(1, 199) n""")
        db.execute("""INSERT INTO offers (product_id, seller_id, price, quantity)
                      SELECT %s, id, 5 + id, 3 FROM users WHERE email LIKE 'bulk%%'""", (product["id"],))
    assert value(app, "SELECT count(*) FROM offers WHERE product_id = %s", (product["id"],)) == 200
    statements.clear()
    assert client.get(product["url"]).status_code == 200
    assert len(statements) == with_one, statements


def test_public_user_page_lists_active_offers(app, client, make_user):
    seller = make_user(first_name="Pia")
    category = add_category(app, "Toys")
    for n in range(22):
        product_id = add_product(app, seller, category, f"Toy {n:02d}")
        add_offer(app, product_id, seller, "4.00", active=n != 21)
    first = client.get(f"/users/{seller.id}").get_data(as_text=True)
    assert "Toy 20" in first and "Toy 01" in first  # newest first
    assert "Toy 21" not in first and "Toy 00" not in first  # stopped; next page
    second = client.get(f"/users/{seller.id}?offers_page=2").get_data(as_text=True)
    assert "Toy 00" in second and "Toy 01" not in second
    assert client.get(f"/users/{seller.id}?offers_page=-1").status_code == 400
    assert client.get("/users/9223372036854775808").status_code == 404
    assert "Nothing on sale right now." in client.get(f"/users/{make_user().id}").get_data(as_text=True)
