"""The JSON API's catalog: GET /api/v1/products and /api/v1/products/<id>."""
import pytest

from app import db
from tests.support import add_category, add_offer, add_product, assert_error, count_statements, value


@pytest.fixture
def catalog(app, make_user):
    """Two categories, three products; the lamp has two sellers and a
    stopped offer, the kettle is sold out, the chair has no offer."""
    alice = make_user(first_name="Alice", last_name="Seller")
    bob = make_user(first_name="Bob", last_name="Vendor")
    home, garden = add_category(app, "Home"), add_category(app, "Garden")
    lamp = add_product(app, alice, home, "Brass desk lamp", "A warm reading light.", units_sold=9,
                       stars=(5, 4, 4))
    kettle = add_product(app, alice, home, "Steel kettle", "Boils water fast.", units_sold=5)
    chair = add_product(app, bob, garden, "Folding chair", "For the garden.", units_sold=1)
    add_offer(app, lamp, alice, "25.00", quantity=3)
    add_offer(app, lamp, bob, "19.50", quantity=4)
    add_offer(app, lamp, make_user(), "9.00", quantity=50, active=False)
    add_offer(app, kettle, bob, "30.00", quantity=0)
    with app.app_context():
        db.execute("UPDATE users SET seller_rating_count = 2, seller_rating_sum = 9 WHERE id = %s", (bob.id,))
    return {"lamp": lamp, "kettle": kettle, "chair": chair, "home": home, "garden": garden,
            "alice": alice, "bob": bob}


def _items(client, query: str = "") -> list[dict]:
    response = client.get(f"/api/v1/products{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def test_product_list_fields(client, catalog):
    response = client.get("/api/v1/products")
    body = response.get_json()
    assert response.status_code == 200
    assert (body["page"], body["per_page"], body["has_next"], body["next"]) == (1, 20, False, None)
    lamp = body["items"][0]  # best selling first
    assert lamp == {"id": catalog["lamp"], "name": "Brass desk lamp",
                    "category": {"name": "Home", "slug": "home"}, "cheapest_price": "19.50",
                    "currency": "EUR", "cheapest_offer_id": lamp["cheapest_offer_id"], "total_stock": 7,
                    "seller_count": 2, "average_rating": 4.33, "rating_count": 3}
    kettle, chair = body["items"][1], body["items"][2]
    assert (kettle["cheapest_price"], kettle["total_stock"], kettle["average_rating"]) == (None, 0, None)
    assert (chair["cheapest_price"], chair["total_stock"], chair["cheapest_offer_id"]) == (None, 0, None)


def test_products_need_no_token(client, catalog):
    assert client.get("/api/v1/products", headers={"Authorization": "Bearer junk"}).status_code == 200


def test_pagination_follows_next_links(client, catalog):
    seen, url = [], "/api/v1/products?per_page=1&sort=newest&category=home"
    while url:
        body = client.get(url).get_json()
        assert body["per_page"] == 1 and len(body["items"]) == 1
        seen.append(body["items"][0]["id"])
        assert body["has_next"] == (body["next"] is not None)
        url = body["next"]
    assert sorted(seen) == sorted([catalog["lamp"], catalog["kettle"]])
    assert "category=home" in client.get("/api/v1/products?per_page=1&category=home").get_json()["next"]


def test_category_by_slug_or_id(client, catalog):
    by_slug = [item["id"] for item in _items(client, "?category=garden")]
    by_id = [item["id"] for item in _items(client, f"?category={catalog['garden']}")]
    assert by_slug == by_id == [catalog["chair"]]


def test_search_sort_and_filters(client, catalog):
    assert [item["id"] for item in _items(client, "?q=water")] == [catalog["kettle"]]
    assert _items(client, "?q=%21%21%21") == []  # punctuation only: no keywords, no results
    assert [item["id"] for item in _items(client, "?sort=price_asc&in_stock=true")] == [catalog["lamp"]]
    assert [item["id"] for item in _items(client, "?min_rating=4")] == [catalog["lamp"]]
    assert _items(client, "?price_min=20&price_max=30") == []
    assert [item["id"] for item in _items(client, "?price_max=20")] == [catalog["lamp"]]


@pytest.mark.parametrize("query, field", [
    ("page=0", "page"), ("page=abc", "page"), ("page=1001", "page"), ("page=-1", "page"),
    ("per_page=0", "per_page"), ("per_page=101", "per_page"), ("per_page=1e3", "per_page"),
    ("page=", "page"), ("page=%201", "page"), ("sort=cheapest", "sort"), ("sort=", "sort"),
    ("price_min=abc", "price_min"), ("price_min=-5", "price_min"), ("price_min=0", "price_min"),
    ("price_max=1.234", "price_max"), ("price_max=1000000.01", "price_max"), ("price_max=1,000", "price_max"),
    ("min_rating=9", "min_rating"), ("min_rating=0", "min_rating"), ("in_stock=yes", "in_stock"),
    ("q=" + "x" * 201, "q"),
])
def test_bad_query_parameters_are_400_with_the_field(client, catalog, query, field):
    error = assert_error(client.get(f"/api/v1/products?{query}"), 400, "invalid_fields")
    assert field in error["fields"]


@pytest.mark.parametrize("category", ["nowhere", "99999", "HOME", " home"])
def test_unknown_category_is_404(client, catalog, category):
    response = client.get("/api/v1/products", query_string={"category": category})
    error = assert_error(response, 404, "not_found")
    assert "category" in error["fields"]


def test_price_range_that_cannot_match_is_empty(client, catalog):
    assert _items(client, "?price_min=10&price_max=5") == []
    assert len(_items(client, "?price_min=0.01&price_max=1000000")) == 1


def test_product_with_offers(client, catalog):
    response = client.get(f"/api/v1/products/{catalog['lamp']}")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["cheapest_price"], body["total_stock"]) == ("Brass desk lamp", "19.50", 7)
    assert body["rating_histogram"] == {"1": 0, "2": 0, "3": 0, "4": 2, "5": 1}
    assert [(offer["price"], offer["stock"]) for offer in body["offers"]] == [("19.50", 4), ("25.00", 3)]
    bob_offer = body["offers"][0]
    assert bob_offer["seller"] == {"id": catalog["bob"].id, "name": "Bob Vendor", "rating": 4.5,
                                   "rating_count": 2}
    assert body["offers"][1]["seller"]["rating"] is None
    assert body["offers_page"] == {"page": 1, "per_page": 50, "has_next": False, "next": None}


def test_product_offers_are_paginated(client, catalog):
    body = client.get(f"/api/v1/products/{catalog['lamp']}?offers_per_page=1").get_json()
    assert len(body["offers"]) == 1 and body["offers_page"]["has_next"]
    second = client.get(body["offers_page"]["next"]).get_json()
    assert [offer["price"] for offer in second["offers"]] == ["25.00"]
    assert_error(client.get(f"/api/v1/products/{catalog['lamp']}?offers_page=x"), 400, "invalid_fields")


@pytest.mark.parametrize("path", ["/api/v1/products/999999", "/api/v1/products/0",
                                  f"/api/v1/products/{2**63}", "/api/v1/products/-1",
                                  "/api/v1/products/abc"])
def test_unknown_product_is_404(client, catalog, path):
    assert_error(client.get(path), 404)


def test_list_runs_a_bounded_number_of_queries(client, app, make_user, monkeypatch):
    seller = make_user()
    category = add_category(app, "Bulk")
    for number in range(30):
        product = add_product(app, seller, category, f"Bulk item {number}")
        add_offer(app, product, seller, "5.00")
    statements = count_statements(monkeypatch)
    assert len(_items(client, "?per_page=30")) == 30
    assert len(statements) <= 3
    statements.clear()
    assert len(_items(client, "?per_page=30&category=bulk")) == 30
    assert len(statements) <= 4


def test_total_stock_matches_the_offers(app, client, catalog):
    lamp = next(item for item in _items(client) if item["id"] == catalog["lamp"])
    assert lamp["total_stock"] == value(app, "SELECT sum(quantity) FROM offers WHERE product_id = %s "
                                             "AND active", (catalog["lamp"],))
