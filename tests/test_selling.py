"""Selling: a new product with its offer, "sell one like this", editing a
product's details, and who may do what."""
import pytest

from tests.support import add_category, add_offer, add_product, rows, value


@pytest.fixture
def kitchen(app):
    return add_category(app, "Kitchen")


def new_product(category_id, **changes) -> dict:
    return {"name": "Cast Iron Skillet", "description": "Heavy and pre-seasoned.",
            "category": str(category_id), "price": "24.50", "quantity": "7", **changes}


def product_count(app) -> int:
    return value(app, "SELECT count(*) FROM products")


@pytest.mark.parametrize("url", ["/sell/inventory/new", "/sell/inventory", "/sell/inventory/new/1",
                                 "/sell/inventory/1/edit", "/products/1/edit"])
def test_selling_pages_need_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_sell_a_new_product(app, user_client, kitchen):
    client, seller = user_client()
    form = client.get("/sell/inventory/new").get_data(as_text=True)
    for name in ("name", "description", "category", "price", "quantity"):
        assert f'<label for="{name}">' in form and f'name="{name}"' in form
    assert f'<option value="{kitchen}">Kitchen</option>' in form and 'name="csrf_token"' in form
    response = client.post("/sell/inventory/new", data=new_product(kitchen))
    assert response.status_code == 302
    product = rows(app, "SELECT * FROM products")[0]
    assert response.headers["Location"] == f"/products/{product['id']}"
    assert (product["creator_id"], product["name"]) == (seller.id, "Cast Iron Skillet")
    assert product["category_id"] == kitchen
    assert (str(product["min_price"]), product["seller_count"]) == ("24.50", 1)
    offer = rows(app, "SELECT * FROM offers")[0]
    assert (offer["seller_id"], str(offer["price"])) == (seller.id, "24.50")
    assert (offer["quantity"], offer["active"]) == (7, True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your product is on sale." in page and "Your offer" in page
    assert f'href="/products/{product["id"]}"' in client.get("/search?q=skillets").get_data(as_text=True)


@pytest.mark.parametrize("field, bad, message", [
    ("price", "0", "more than 0"), ("price", "-3", "more than 0"),
    ("price", "1.234", "could mean 1234 or 1.234"), ("price", "1.2345", "at most 2 decimals"),
    ("price", "abc", "Enter an amount as a number"), ("price", "", "Enter an amount."),
    ("price", "99999999999", "at most 1,000,000.00"), ("price", "1e3", "Enter an amount as a number"),
    ("quantity", "-1", "from 0 to 1,000,000"), ("quantity", "1.5", "whole number"),
    ("quantity", "abc", "whole number"), ("quantity", "5000000", "from 0 to 1,000,000"),
    ("quantity", "9" * 40, "whole number"), ("quantity", "", "Enter a number"),
    ("name", "", "Enter the product&#39;s name"), ("name", "   ", "Enter the product&#39;s name"),
    ("name", "x" * 201, "At most 200 characters"), ("description", "x" * 5001, "At most 5,000 characters"),
    ("category", "999", "Choose a category"), ("category", "abc", "Choose a category"),
    ("category", "", "Choose a category"),
])
def test_new_product_form_errors(app, user_client, kitchen, field, bad, message):
    client, _ = user_client()
    response = client.post("/sell/inventory/new", data=new_product(kitchen, **{field: bad}))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    assert f'id="{field}-error"' in html and 'aria-invalid="true"' in html
    assert product_count(app) == 0 and value(app, "SELECT count(*) FROM offers") == 0


def test_new_product_keeps_text_safe(app, user_client, kitchen):
    client, _ = user_client()
    name = "<script>x</script> 'Quoted' \x00name"
    client.post("/sell/inventory/new", data=new_product(kitchen, name=name, description="Line one\nline two"))
    product = rows(app, "SELECT id, name FROM products")[0]
    assert product["name"] == "<script>x</script> 'Quoted' name"
    html = client.get(f"/products/{product['id']}").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html


def test_forms_without_csrf_token_are_refused(app, user_client, make_user, kitchen):
    client, _ = user_client()
    assert client.post("/sell/inventory/new", data=new_product(kitchen), csrf=False).status_code == 400
    product_id = add_product(app, make_user(), kitchen, "Kettle")
    assert client.post(f"/sell/inventory/new/{product_id}", data={"price": "5", "quantity": "1"},
                       csrf=False).status_code == 400
    assert product_count(app) == 1 and value(app, "SELECT count(*) FROM offers") == 0


def test_sell_one_like_this_then_edit_the_same_offer(app, user_client, make_user, kitchen):
    creator = make_user()
    product_id = add_product(app, creator, kitchen, "Kettle")
    add_offer(app, product_id, creator, "30.00")
    client, seller = user_client()
    url = f"/sell/inventory/new/{product_id}"
    form = client.get(url).get_data(as_text=True)
    assert "Sell “Kettle”" in form and "The lowest price on Souk now is 30.00\u00a0EUR." in form
    response = client.post(url, data={"price": "19.90", "quantity": "4"})
    assert response.status_code == 302 and response.headers["Location"] == f"/products/{product_id}"
    assert "You now sell this product." in client.get(f"/products/{product_id}").get_data(as_text=True)
    assert value(app, "SELECT min_price || '/' || seller_count FROM products WHERE id = %s",
                 (product_id,)) == "19.90/2"

    form = client.get(url).get_data(as_text=True)  # a second time: edits the first offer
    assert "You already sell this product" in form and 'value="19.90"' in form and 'value="4"' in form
    client.post(url, data={"price": "18.00", "quantity": "9"})
    mine = rows(app, "SELECT price, quantity FROM offers WHERE seller_id = %s", (seller.id,))
    assert [(str(o["price"]), o["quantity"]) for o in mine] == [("18.00", 9)]
    assert "Your offer is updated." in client.get(f"/products/{product_id}").get_data(as_text=True)


def test_sell_one_like_this_resumes_a_stopped_offer(app, user_client, make_user, kitchen):
    client, seller = user_client()
    product_id = add_product(app, make_user(), kitchen, "Kettle")
    offer_id = add_offer(app, product_id, seller, "10.00", active=False)
    assert "saving puts your offer back on sale" in client.get(f"/sell/inventory/new/{product_id}").get_data(
        as_text=True)
    client.post(f"/sell/inventory/new/{product_id}", data={"price": "11.00", "quantity": "2"})
    assert value(app, "SELECT active FROM offers WHERE id = %s", (offer_id,)) is True
    assert value(app, "SELECT count(*) FROM offers") == 1
    assert value(app, "SELECT min_price FROM products WHERE id = %s", (product_id,)) == 11


def test_sell_one_like_this_errors(app, user_client, make_user, kitchen):
    client, _ = user_client()
    product_id = add_product(app, make_user(), kitchen, "Kettle")
    assert client.get("/sell/inventory/new/424242").status_code == 404
    assert client.post("/sell/inventory/new/424242", data={"price": "1", "quantity": "1"}).status_code == 404
    for data in ({"price": "0", "quantity": "1"}, {"price": "1.001", "quantity": "1"},
                 {"price": "5", "quantity": "-2"}, {"price": "5", "quantity": "two"}):
        assert client.post(f"/sell/inventory/new/{product_id}", data=data).status_code == 400
    assert value(app, "SELECT count(*) FROM offers") == 0


def test_creator_edits_product_details(app, user_client, kitchen):
    client, creator = user_client()
    garden = add_category(app, "Garden")
    product_id = add_product(app, creator, kitchen, "Old name", "Old text")
    url = f"/products/{product_id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert 'value="Old name"' in form and "Old text</textarea>" in form
    details = {"name": "Garden Trowel", "description": "Digs.", "category": str(garden)}
    response = client.post(url, data=details)
    assert response.status_code == 302 and response.headers["Location"] == f"/products/{product_id}"
    product = rows(app, "SELECT name, description, category_id FROM products")[0]
    assert product == {"name": "Garden Trowel", "description": "Digs.", "category_id": garden}
    assert f'href="/products/{product_id}"' in client.get("/search?q=trowel").get_data(as_text=True)
    response = client.post(url, data={**details, "name": ""})
    assert response.status_code == 400 and "Enter the product&#39;s name" in response.get_data(as_text=True)
    assert client.get("/products/999999/edit").status_code == 404


def test_only_the_creator_edits_product_details(app, client, make_user, kitchen, login):
    creator = make_user()
    product_id = add_product(app, creator, kitchen, "Mine")
    add_offer(app, product_id, creator, "5.00")
    login(client, make_user())
    url = f"/products/{product_id}/edit"
    assert client.get(url).status_code == 403
    response = client.post(url, data={"name": "Stolen", "description": "", "category": str(kitchen)})
    assert response.status_code == 403
    assert value(app, "SELECT name FROM products") == "Mine"
