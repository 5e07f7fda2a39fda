"""Creating a product whose name the category already has offers "sell one
like this" instead of a silent duplicate; the seller may still insist."""
from app import db


def products_named(app, name) -> int:
    with app.app_context():
        return db.query_value("SELECT count(*) FROM products WHERE lower(name) = lower(%s)", (name,))


def new_product(category_id, **changes) -> dict:
    return {"name": "blue kettle ", "description": "", "category": str(category_id), "price": "12,50",
            "quantity": "3", **changes}


def test_a_same_name_product_offers_sell_one_like_this(app, user_client, make_offer):
    client, _ = user_client()
    kettle = make_offer(name="Blue Kettle", category="Kitchen", price="20.00")
    make_offer(name="Blue Kettle", category="Garden")  # another category: not the same product
    with app.app_context():
        kitchen = db.query_value("SELECT id FROM categories WHERE slug = 'kitchen'")
    response = client.post("/sell/inventory/new", data=new_product(kitchen))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "is already on Souk in this category" in page
    assert f'href="/sell/inventory/new/{kettle["product_id"]}">Sell one like this' in page
    assert "from 20.00\u00a0EUR" in page and 'name="insist"' in page
    assert 'value="blue kettle"' in page and 'value="12,50"' in page  # what was typed is kept
    assert products_named(app, "Blue Kettle") == 2
    response = client.post("/sell/inventory/new", data=new_product(kitchen, insist="y"))
    assert response.status_code == 302 and products_named(app, "Blue Kettle") == 3


def test_a_new_name_is_created_at_once(app, user_client, make_offer):
    client, _ = user_client()
    make_offer(name="Blue Kettle", category="Kitchen")
    with app.app_context():
        kitchen = db.query_value("SELECT id FROM categories WHERE slug = 'kitchen'")
    response = client.post("/sell/inventory/new", data=new_product(kitchen, name="Blue Kettle Deluxe"))
    assert response.status_code == 302 and products_named(app, "Blue Kettle Deluxe") == 1
