"""Recommendations on a small hand-made dataset whose right answer is known,
through the model and through the home page."""
import pytest

from app import db
from app.models import recommend
from tests.support import make_purchase


@pytest.fixture
def catalog(app, make_user, make_offer):
    """Products with known units sold, by seller Sol. Kettle Max is a best
    seller but out of stock; Toy Drum never sold."""
    sol = make_user(first_name="Sol")
    plan = [("Book A", "Books", 100), ("Book B", "Books", 90), ("Book C", "Books", 10),
            ("Kettle A", "Kitchen", 80), ("Kettle B", "Kitchen", 70), ("Kettle Max", "Kitchen", 95),
            ("Rake A", "Garden", 60), ("Rake B", "Garden", 50), ("Toy Drum", "Toys", 0)]
    offers = {}
    for name, category, _ in plan:
        offers[name] = make_offer(seller=sol, name=name, category=category, price="10.00",
                                  quantity=0 if name == "Kettle Max" else 20)
    with app.app_context():
        for name, _, units in plan:
            db.execute("UPDATE products SET units_sold = %s WHERE id = %s",
                       (units, offers[name]["product_id"]))
    return {"sol": sol, "offers": offers}


def names(result) -> list[str]:
    return [row["name"] for row in result["products"]]


def recommended_for(app, user, limit=recommend.SHOWN):
    with app.app_context():
        return recommend.recommendations(user.id, limit)


def test_taste_first_then_best_sellers(app, catalog, make_user):
    offers = catalog["offers"]
    fan = make_user()
    # 3 units of books, 1 of kitchen: Books weigh most.
    make_purchase(app, fan, [(offers["Book A"], 2), (offers["Kettle A"], 1)])
    make_purchase(app, fan, [(offers["Book A"], 1)])
    result = recommended_for(app, fan)
    assert result["personal"] is True
    # Books (not Book A: bought), then Kitchen (not Kettle A: bought, not
    # Kettle Max: out of stock), then the other best sellers; never Toy Drum.
    assert names(result) == ["Book B", "Book C", "Kettle B", "Rake A", "Rake B"]
    assert [row["weight"] for row in result["products"]] == [3, 3, 1, 0, 0]
    assert names(recommended_for(app, fan, limit=2)) == ["Book B", "Book C"]


def test_only_the_top_best_sellers_are_candidates(app, catalog, make_user, monkeypatch):
    offers = catalog["offers"]
    fan = make_user()
    make_purchase(app, fan, [(offers["Book A"], 3), (offers["Kettle A"], 1)])
    monkeypatch.setattr(recommend, "CANDIDATES", 5)
    # The top 5: Book A 103, Kettle Max 95, Book B 90, Kettle A 81, Kettle B 70.
    # Book C (10) is in the favourite category but not a best seller.
    assert names(recommended_for(app, fan)) == ["Book B", "Kettle B"]


def test_new_user_gets_best_sellers_without_own_offers(app, catalog, make_user, make_offer):
    newcomer = make_user()
    result = recommended_for(app, newcomer)
    assert result["personal"] is False
    assert names(result) == ["Book A", "Book B", "Kettle A", "Kettle B", "Rake A", "Rake B", "Book C"]
    # A seller is never offered their own offers; a cheaper offer of another
    # seller of the same product is used instead.
    assert recommended_for(app, catalog["sol"])["products"] == []
    rival = make_offer(product_id=catalog["offers"]["Book B"]["product_id"], price="8.00")
    [row] = recommended_for(app, catalog["sol"])["products"]
    assert row["name"] == "Book B" and row["cheapest_offer_id"] == rival["offer_id"]


def test_home_page_shows_recommendations(app, catalog, user_client, client):
    offers = catalog["offers"]
    fan_client, fan = user_client()
    make_purchase(app, fan, [(offers["Rake A"], 4)])
    page = fan_client.get("/").get_data(as_text=True)
    section = page.split('id="recommended-heading"')[1].split("</section>")[0]
    positions = [section.index(f">{name}<") for name in ("Rake B", "Book A", "Book B")]
    assert positions == sorted(positions) and ">Rake A<" not in section
    assert 'action="/cart/add"' in section
    assert '>Add to cart<span class="sr">: Rake B</span></button>' in section
    assert f'name="offer_id" value="{offers["Rake B"]["offer_id"]}"' in section

    newcomer_client, _ = user_client()
    assert "Recommended for you" not in newcomer_client.get("/").get_data(as_text=True)
    guest_page = client.get("/").get_data(as_text=True)
    assert "Recommended for you" not in guest_page and "Best sellers" in guest_page

