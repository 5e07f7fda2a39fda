"""Lists that say how much there is ("1–20 of about 12,400", page numbers),
stop at a bounded depth, and forgive typos ("did you mean ...")."""
import re

import pytest

from app import db
from app.models import product as products
from app.pagination import paginate
from tests.support import add_category, add_offer, add_product, count_statements


@pytest.fixture
def books(app, make_user):
    """45 books (a story each) and 1,500 gadgets, analyzed so the planner's
    estimates are what a live catalog's statistics give."""
    seller = make_user()
    category = add_category(app, "Books")
    for n in range(45):
        add_offer(app, add_product(app, seller, category, f"Novel {n}", "A long story."), seller, "9.99")
    gadgets = add_category(app, "Gadgets")
    with app.app_context():
        db.execute("""INSERT INTO products (category_id, creator_id, name, description)
                      SELECT %s, %s, 'Gadget ' || n, 'A small gadget.' FROM generate_series(1, 1500) n""",
                   (gadgets, seller.id))
        db.execute("ANALYZE products")
    return seller


def text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def test_a_short_list_says_exactly_how_much_there_is(client, books):
    first = text(client.get("/c/books"))
    assert "1–20 of 45" in first and "about" not in first.split('class="count"')[1][:40]
    assert '<strong aria-current="page">1</strong>' in first
    assert 'href="/c/books?page=2" aria-label="Page 2">2</a>' in first
    assert 'href="/c/books?page=3" aria-label="Page 3">3</a>' in first
    last = text(client.get("/c/books?page=3"))
    assert "41–45 of 45" in last and 'href="/c/books" aria-label="Page 1">1</a>' in last
    assert "1–20 of 45" in text(client.get("/search?q=story"))


def test_a_long_list_says_about_how_much_without_counting_it(client, books, monkeypatch):
    statements = count_statements(monkeypatch)
    html = text(client.get("/c/gadgets"))
    assert re.search(r"1–20 of about 1,[45]\d0<", html), html.split('class="count"')[1][:60]
    assert not any("count(" in str(statement) for statement in statements)  # the estimate: no COUNT
    assert 'aria-label="Page 10">10</a>' in html  # the last page a list reaches (200 products)
    assert 'aria-label="Page 11"' not in html and "…" in html


def test_a_page_knows_the_exact_end_when_it_sees_it():
    page = paginate([{"id": n} for n in range(7)], 3, 20, (900, False))
    assert (page.total, page.exact, page.first_item, page.last_item) == (47, True, 41, 47)
    page = paginate([{"id": n} for n in range(21)], 2, 20, (30, False))  # an estimate too low
    assert page.total >= 41 and not page.exact


@pytest.mark.parametrize("total, shown", [(12_437, 12_400), (1_234, 1_230), (987_654, 988_000), (45, 45)])
def test_about_counts_are_rounded_to_three_digits(total, shown):
    assert paginate([{}] * 21, 1, 20, (total, total < 1000)).shown_total == shown


def test_page_numbers_show_the_ends_and_the_neighbourhood():
    page = paginate([{}] * 21, 10, 20, (5000, False), max_items=1000)
    assert page.numbers() == [1, None, 8, 9, 10, 11, 12, None, 50]
    assert paginate([{}] * 21, 3, 20, (5000, False)).numbers()[:6] == [1, 2, 3, 4, 5, None]


def test_deep_pages_stop_with_a_way_to_narrow(client, books, monkeypatch):
    monkeypatch.setattr(products, "MAX_RESULTS", 40)
    second = text(client.get("/c/books?page=2"))
    assert 'rel="next"' not in second  # page 3 lies beyond the 40 products a list shows
    statements = count_statements(monkeypatch)
    deep = client.get("/search?q=story&page=3")
    html = text(deep)
    assert "Lists show their first 40 products" in html and "add words to the search" in html
    assert 'class="filters"' in html  # the filters, to narrow the list
    assert not any("FROM products" in str(statement) for statement in statements)  # no list query
    assert "Novel" not in html


def test_a_misspelt_word_finds_what_was_meant(app, client, make_user):
    seller = make_user()
    kitchen = add_category(app, "Kitchen")
    teapot = add_product(app, seller, kitchen, "Blue Teapot", "Pours well.")
    add_offer(app, teapot, seller, "20.00")
    html = text(client.get("/search?q=tepot"))
    assert "No products match “tepot”. Showing results for “<strong>teapot</strong>”." in html
    assert f'href="/products/{teapot}"' in html
    html = text(client.get("/search?q=blue+tepot"))
    assert "blue teapot" in html and f'href="/products/{teapot}"' in html


def test_few_results_offer_a_better_spelling(app, client, make_user):
    seller = make_user()
    kitchen = add_category(app, "Kitchen")
    for n in range(3):
        add_product(app, seller, kitchen, f"Copper Kettle {n}", "Whistles.")
    # "kettel" is in one description only; the names say "kettle".
    add_product(app, seller, kitchen, "Odd Pot", "Not a kettel.")
    html = text(client.get("/search?q=kettel"))
    assert 'Did you mean <a href="/search?q=kettle">kettle</a>?' in html and "Odd Pot" in html


def test_known_words_get_no_suggestion(app, client, make_user):
    seller = make_user()
    add_product(app, seller, add_category(app, "Kitchen"), "Blue Teapot", "Pours well.")
    html = text(client.get("/search?q=teapot"))
    assert "Did you mean" not in html and "Showing results for" not in html
    html = text(client.get("/search?q=zqxw"))  # nothing near: no suggestion either
    assert "Did you mean" not in html and "No products match" in html


def test_renamed_products_add_their_words(app, client, make_user):
    seller = make_user()
    product_id = add_product(app, seller, add_category(app, "Garden"), "Hose", "Long.")
    with app.app_context():
        db.execute("UPDATE products SET name = 'Watering Bucket' WHERE id = %s", (product_id,))
        assert db.query_value("SELECT count(*) FROM search_words WHERE word IN ('watering', 'bucket')") == 2
    assert "Showing results for “<strong>watering</strong>”" in text(client.get("/search?q=waterin"))


def test_the_api_serves_the_same_bounded_depth(client, books):
    last = client.get("/api/v1/products?category=gadgets&per_page=100&page=2").get_json()
    assert len(last["items"]) == 100 and last["has_next"] is False and last["next"] is None
    deep = client.get("/api/v1/products?category=gadgets&per_page=100&page=3")
    assert deep.status_code == 200 and deep.get_json()["items"] == []
