"""Browsing and searching the catalog: home, category pages, search with
every filter and sort, pagination, bad input, list rows."""
import re

import pytest

from tests.support import add_category, add_offer, add_product, value


def listed_ids(response) -> list[int]:
    """The products a list page shows, in order."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return [int(n) for n in re.findall(r'href="/products/(\d+)"', response.get_data(as_text=True))]


@pytest.fixture
def shop(app, make_user):
    """Two categories and five products with known prices, ratings, sales and ages."""
    seller, other = make_user(first_name="Sam"), make_user(first_name="Olga")
    kitchen, garden = add_category(app, "Kitchen"), add_category(app, "Garden")
    ids = {
        "skillet": add_product(app, seller, kitchen, "Cast Iron Skillet", "Heavy pan for searing steaks.",
                               units_sold=50, stars=(5, 4), age_days=3),
        "knife": add_product(app, seller, kitchen, "Chef Knife", "Sharp steel knife; works with any pan.",
                             units_sold=80, stars=(3,), age_days=2),
        "kettle": add_product(app, other, kitchen, "Steel Kettle", "Boils water fast.",
                              units_sold=10, age_days=1),
        "shears": add_product(app, other, garden, "Pruning Shears", "Steel blades for branches.",
                              units_sold=30, stars=(4, 4), age_days=4),
        "hose": add_product(app, other, garden, "Garden Hose", "Twenty metres, no offers yet.",
                            units_sold=0, age_days=0),
    }
    add_offer(app, ids["skillet"], seller, "30.00")
    add_offer(app, ids["skillet"], other, "25.00", quantity=2)
    add_offer(app, ids["knife"], seller, "45.00")
    add_offer(app, ids["kettle"], other, "15.00")
    add_offer(app, ids["shears"], other, "12.00", quantity=0)
    return {"seller": seller, "other": other, "kitchen": kitchen, "garden": garden, **ids}


def test_home_lists_categories_and_best_sellers(client, shop):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert 'href="/c/kitchen"' in html and 'href="/c/garden"' in html
    order = ["knife", "skillet", "shears", "kettle", "hose"]
    assert listed_ids(response) == [shop[name] for name in order]
    assert "Currently unavailable" in html and "/cart/add" not in html  # guests get no cart forms


def test_category_page_lists_only_its_products(client, shop):
    assert listed_ids(client.get("/c/garden")) == [shop["shears"], shop["hose"]]
    assert "<h1>Garden</h1>" in client.get("/c/garden").get_data(as_text=True)


@pytest.mark.parametrize("slug", ["nope", "Kitchen", "kitchen%00", "%27%3B--", "a" * 300])
def test_unknown_category_is_404(client, shop, slug):
    response = client.get(f"/c/{slug}")
    assert response.status_code == 404 and "no such category" in response.get_data(as_text=True)
    assert client.get(f"/search?category={slug}").status_code == 404


def test_search_ranks_name_matches_first_then_best_sellers(client, shop):
    # "steel" is in the names of the kettle, in the descriptions of the knife and shears.
    assert listed_ids(client.get("/search?q=steel")) == [shop["kettle"], shop["knife"], shop["shears"]]
    # Stemming and case: "PANS" finds "pan" in two descriptions; best seller first.
    assert listed_ids(client.get("/search?q=PANS")) == [shop["knife"], shop["skillet"]]
    # Every word must match, anywhere.
    assert listed_ids(client.get("/search?q=steel+pan")) == [shop["knife"]]
    assert listed_ids(client.get("/search?q=iron+skillet")) == [shop["skillet"]]


def test_search_without_results_suggests_clearing_filters(client, shop):
    html = client.get("/search?q=submarine&in_stock=y").get_data(as_text=True)
    assert "No products match your search" in html and 'href="/search?q=submarine">Clear the filters' in html
    assert listed_ids(client.get("/search?q=%21%21%21")) == []  # only punctuation: no keywords
    assert listed_ids(client.get("/search?q=the")) == []  # only a stop word


@pytest.mark.parametrize("query", ["'; DROP TABLE products; --", "<script>alert(1)</script>", "a:* | !b & (c",
                                   "100% _sale_ \\", "steel'", "\x00steel"])
def test_search_metacharacters_are_harmless(client, shop, query):
    response = client.get("/search", query_string={"q": query})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert" not in html
    assert client.get("/c/kitchen").status_code == 200  # the table is still there


def test_search_over_200_characters_is_rejected(client, shop):
    response = client.get("/search", query_string={"q": "x" * 10_000})
    assert response.status_code == 400
    assert "at most 200 characters" in response.get_data(as_text=True)
    assert "x" * 300 not in response.get_data(as_text=True).split("</header>")[1]


def test_filter_by_category_price_rating_stock(client, shop):
    assert listed_ids(client.get("/search?category=garden")) == [shop["shears"], shop["hose"]]
    assert listed_ids(client.get("/search?q=steel&category=kitchen")) == [shop["kettle"], shop["knife"]]
    # The cheapest buyable offer is compared: the skillet's is 25.00.
    assert listed_ids(client.get("/search?price_min=20&price_max=40")) == [shop["skillet"]]
    assert listed_ids(client.get("/search?price_max=15")) == [shop["kettle"]]
    assert listed_ids(client.get("/search?price_min=45.00")) == [shop["knife"]]
    assert listed_ids(client.get("/search?min_rating=4")) == [shop["skillet"], shop["shears"]]
    assert listed_ids(client.get("/search?min_rating=3&sort=rating")) == [
        shop["skillet"], shop["shears"], shop["knife"]]
    assert listed_ids(client.get("/search?in_stock=y")) == [shop["knife"], shop["skillet"], shop["kettle"]]
    assert listed_ids(client.get("/c/kitchen?in_stock=y&price_max=30")) == [shop["skillet"], shop["kettle"]]


@pytest.mark.parametrize("sort, order", [
    ("price_asc", ["kettle", "skillet", "knife", "shears", "hose"]),
    ("price_desc", ["knife", "skillet", "kettle", "hose", "shears"]),
    ("rating", ["skillet", "shears", "knife", "hose", "kettle"]),
    ("best_selling", ["knife", "skillet", "shears", "kettle", "hose"]),
    ("relevance", ["knife", "skillet", "shears", "kettle", "hose"]),
    ("newest", ["hose", "kettle", "knife", "skillet", "shears"]),
])
def test_every_sort(client, shop, sort, order):
    # Unavailable products (no buyable offer) have no price: last in both price orders.
    # Ties are broken by id, so every order is total.
    assert listed_ids(client.get(f"/search?sort={sort}")) == [shop[name] for name in order]


def test_sorts_apply_to_keyword_search(client, shop):
    assert listed_ids(client.get("/search?q=steel&sort=price_asc")) == [
        shop["kettle"], shop["knife"], shop["shears"]]
    assert listed_ids(client.get("/search?q=steel&sort=newest")) == [
        shop["kettle"], shop["knife"], shop["shears"]]
    assert listed_ids(client.get("/search?q=steel&sort=rating")) == [
        shop["shears"], shop["knife"], shop["kettle"]]


@pytest.mark.parametrize("query, message", [
    ("price_min=50&price_max=10", "must not be below the lowest price"),
    ("price_min=abc", "Enter an amount as a number"),
    ("price_max=1.9999", "at most 2 decimals"), ("price_max=1,999", "could mean 1999 or 1.999"),
    ("price_min=-5", "more than 0"),
    ("price_max=1e9", "Enter an amount as a number"),
    ("sort=cheapest", "Not a valid choice"),
    ("sort=price_asc%3B+DROP+TABLE+products", "Not a valid choice"),
    ("min_rating=9", "Not a valid choice"),
])
def test_bad_filters_answer_400_with_the_form(client, shop, query, message):
    response = client.get(f"/search?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    assert 'class="filters"' in html and listed_ids_of(html) == []
    assert client.get(f"/c/kitchen?{query}").status_code == 400


def listed_ids_of(html: str) -> list[str]:
    return re.findall(r'href="/products/(\d+)"', html)


@pytest.mark.parametrize("page", ["-1", "0", "abc", "1.5", "1000000000", "10**9", "١"])
def test_bad_page_numbers_answer_400(client, shop, page):
    for url in ("/search", "/c/kitchen"):
        response = client.get(url, query_string={"page": page})
        assert response.status_code == 400 and "page number" in response.get_data(as_text=True)


def test_pagination_is_stable_and_complete(app, client, make_user):
    seller = make_user()
    books = add_category(app, "Books")
    ids = set()
    for n in range(45):  # equal prices and sales: only the id breaks ties
        product_id = add_product(app, seller, books, f"Novel {n}", "A long story.", units_sold=n % 3)
        add_offer(app, product_id, seller, "9.99")
        ids.add(product_id)
    for sort in ("relevance", "price_asc", "price_desc", "rating", "best_selling", "newest"):
        pages = [listed_ids(client.get(f"/c/books?sort={sort}&page={n}")) for n in (1, 2, 3)]
        assert [len(p) for p in pages] == [20, 20, 5]
        assert set(sum(pages, [])) == ids and len(sum(pages, [])) == 45
        searched = [listed_ids(client.get(f"/search?q=story&sort={sort}&page={n}")) for n in (1, 2, 3)]
        assert searched == pages  # every product matches the same way, so the orders agree
    first = client.get("/c/books?sort=newest").get_data(as_text=True)
    assert 'rel="next" href="/c/books?sort=newest&amp;page=2"' in first and 'rel="prev"' not in first
    last = client.get("/c/books?sort=newest&page=3").get_data(as_text=True)
    assert 'rel="prev"' in last and 'rel="next"' not in last
    beyond = client.get("/c/books?page=5")
    assert beyond.status_code == 200 and "no more products" in beyond.get_data(as_text=True)


def test_list_rows_offer_the_cheapest_offer_to_a_logged_in_shopper(app, client, shop, make_user, login):
    shopper = make_user()
    login(client, shopper)
    html = client.get("/c/kitchen").get_data(as_text=True)
    row = html.split(f'href="/products/{shop["skillet"]}"')[1].split("</tr>")[0]
    cheapest = app_offer_id(app, shop["skillet"], "25.00")
    assert f'name="offer_id" value="{cheapest}"' in row
    assert 'action="/cart/add"' in row and 'name="csrf_token"' in row
    # The cart sends the shopper back to this row; every control names the product.
    assert f'name="next" value="/c/kitchen#p{shop["skillet"]}"' in row
    assert f'<a id="p{shop["skillet"]}" href="/products/{shop["skillet"]}"' in html
    assert re.search(r'<label for="qty-\d+">Quantity<span class="sr"> of Cast Iron Skillet</span></label>\s*'
                     r'<input id="qty-\d+" name="quantity" type="number" value="1" min="1"', row)
    assert '>Add to cart<span class="sr">: Cast Iron Skillet</span></button>' in row
    assert "25.00" in row and "2 sellers" in row
    garden = client.get("/c/garden").get_data(as_text=True)
    assert "Currently unavailable" in garden and "/cart/add" not in garden


def app_offer_id(app, product_id, price):
    return value(app, "SELECT id FROM offers WHERE product_id = %s AND price = %s", (product_id, price))


def test_when_the_cheapest_offer_is_the_shoppers_own_the_next_cheapest_is_offered(app, client, shop, login):
    login(client, shop["other"])  # Olga has the cheapest skillet offer (25.00); Sam sells at 30.00
    html = client.get("/c/kitchen").get_data(as_text=True)
    skillet_row = html.split(f'href="/products/{shop["skillet"]}"')[1].split("</tr>")[0]
    sams = app_offer_id(app, shop["skillet"], "30.00")
    assert f'name="offer_id" value="{sams}"' in skillet_row and "30.00" in skillet_row
    kettle_row = html.split(f'href="/products/{shop["kettle"]}"')[1].split("</tr>")[0]
    assert "/cart/add" not in kettle_row and "Only your own offer" in kettle_row


def test_product_names_are_escaped_in_lists(app, client, make_user):
    seller = make_user()
    category = add_category(app, "Odd")
    product_id = add_product(app, seller, category, "<b>Bold</b> & \"quoted\"", "<i>desc</i>")
    add_offer(app, product_id, seller, "1.00")
    html = client.get("/c/odd").get_data(as_text=True)
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &#34;quoted&#34;" in html and "<b>Bold" not in html
    assert listed_ids(client.get("/search?q=bold")) == [product_id]


def test_list_pages_stay_small(client, app, make_user, login):
    seller = make_user()
    category = add_category(app, "Bulk")
    for n in range(25):
        product_id = add_product(app, seller, category, f"Bulk product number {n}", "Words " * 50)
        add_offer(app, product_id, seller, "3.50")
    shopper_client = app.test_client()
    login(shopper_client, make_user())
    for response in (client.get("/c/bulk"), shopper_client.get("/c/bulk"), shopper_client.get("/")):
        assert len(listed_ids(response)) == 20
        # 20 rows, each with a cart form whose controls name the product
        # (~110 bytes a row, ~8 once compressed).
        assert len(response.get_data()) < 19_000
