"""Buyer and seller analytics through HTTP: the numbers in the tables, the
chart images (valid SVG, small, ETag and 304, drawn once per data), the empty
state, and that each user sees only their own numbers."""
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime, timedelta

import pytest

from app import charts, db
from app.models import analytics
from app.models.analytics import month_starts
from tests.support import log_in, make_purchase


def last_month() -> datetime:
    start = month_starts(2)[0]
    return datetime(start.year, start.month, 2, 12, tzinfo=UTC)


def chart_urls(html: str) -> list[str]:
    parts = html.split('<img class="chart" src="')[1:]
    return [part.split('"', 1)[0].replace("&amp;", "&") for part in parts]


def assert_valid_svg(response, *texts):
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    body = response.get_data(as_text=True)
    assert ElementTree.fromstring(body.encode()).tag.endswith("svg")
    assert len(response.get_data()) < 10_000  # a few KB before compression
    for text in texts:
        assert text in body


@pytest.fixture
def shop(app, make_user, make_offer):
    """Seller Sam with a book (12.50) and a kettle (30.00); buyer Bea bought
    2 books last month and 1 book and 1 kettle this month."""
    sam = make_user(first_name="Sam")
    book = make_offer(seller=sam, price="12.50", quantity=50, name="Atlas of <Maps> $5", category="Books")
    kettle = make_offer(seller=sam, price="30.00", quantity=50, name="Kettle", category="Kitchen")
    bea = make_user(first_name="Bea")
    make_purchase(app, bea, [(book, 2)], created_at=last_month())
    make_purchase(app, bea, [(book, 1), (kettle, 1)])
    return {"sam": sam, "bea": bea, "book": book, "kettle": kettle}


def logged_in(app, user):
    client = app.test_client()
    log_in(client, user)
    return client


def test_analytics_need_login(client):
    for url in ("/account/analytics", "/sell/analytics", "/account/analytics/spending-by-month.svg",
                "/sell/analytics/ratings.svg"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_buyer_analytics_numbers(app, shop):
    client = logged_in(app, shop["bea"])
    assert "/account/analytics" in client.get("/account/").get_data(as_text=True)
    page = client.get("/account/analytics").get_data(as_text=True)
    this_month = datetime.now(UTC).strftime("%b %Y")
    previous = last_month().strftime("%b %Y")
    assert f'<th scope="row">{previous}</th><td class="num">1</td><td class="num">25.00\u00a0EUR</td>' \
        in page
    assert f'<th scope="row">{this_month}</th><td class="num">1</td><td class="num">42.50\u00a0EUR</td>' \
        in page
    assert '<th scope="row">Books</th><td class="num">3</td><td class="num">37.50\u00a0EUR</td>' \
        in page
    assert '<th scope="row">Kitchen</th><td class="num">1</td><td class="num">30.00\u00a0EUR</td>' \
        in page
    assert page.index(">Books<") < page.index(">Kitchen<")  # biggest first
    urls = chart_urls(page)
    assert len(urls) == 2
    assert_valid_svg(client.get(urls[0]), "Spending by month", last_month().strftime(">%b<"))
    assert_valid_svg(client.get(urls[1]), "Spending by category", "Books", "37.50")


def test_buyer_with_no_purchases_sees_empty_state(user_client):
    client, _ = user_client()
    page = client.get("/account/analytics").get_data(as_text=True)
    assert "No purchases yet" in page and "No purchases in the last 12 months" in page
    assert "<img" not in page
    assert_valid_svg(client.get("/account/analytics/spending-by-category.svg"), "No purchases yet")


def test_chart_etag_cache_and_304(app, shop, monkeypatch):
    client = logged_in(app, shop["bea"])
    url = chart_urls(client.get("/account/analytics").get_data(as_text=True))[1]
    charts._cache.clear()
    drawn = []
    real_draw = charts._draw
    monkeypatch.setattr(charts, "_draw", lambda spec: drawn.append(spec) or real_draw(spec))

    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"]
    assert "immutable" in first.headers["Cache-Control"]  # the URL names this data
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get(url).get_data() == first.get_data()
    assert len(drawn) == 1  # drawn once, then served from the cache
    unversioned = client.get(url.split("?")[0])
    assert unversioned.status_code == 200 and unversioned.headers["Cache-Control"] == "private, no-cache"
    compressed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert client.get(url, headers={"If-None-Match": compressed.headers["ETag"]}).status_code == 304

    # New numbers: a new ETag and a new URL on the page.
    make_purchase(app, shop["bea"], [(shop["kettle"], 3)])
    changed = client.get(url.split("?")[0], headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert url not in client.get("/account/analytics").get_data(as_text=True).replace("&amp;", "&")
    assert len(drawn) == 2


def test_seller_analytics_numbers(app, shop, make_user, make_offer):
    client = logged_in(app, shop["sam"])
    page = client.get("/sell/analytics").get_data(as_text=True)
    this_month = datetime.now(UTC).strftime("%b %Y")
    assert f'<th scope="row">{this_month}</th><td class="num">1</td><td class="num">42.50\u00a0EUR</td>' \
        in page
    assert '<th scope="row">Kitchen</th><td class="num">1</td><td class="num">30.00\u00a0EUR</td>' \
        in page
    assert "Atlas of &lt;Maps&gt; $5</a></th><td class=\"num\">3</td><td class=\"num\">37.50\u00a0EUR</td>" \
        in page
    assert "No ratings yet" in page
    urls = chart_urls(page)
    assert len(urls) == 3  # no ratings chart yet: text instead
    assert_valid_svg(client.get(urls[0]), "Revenue by month")
    assert_valid_svg(client.get(urls[1]), "Revenue by category", "Books")
    assert_valid_svg(client.get(urls[2]), "Atlas of &lt;Maps&gt; $5")
    assert_valid_svg(client.get("/sell/analytics/ratings.svg"), "No ratings yet")
    assert client.get("/sell/analytics/nope.svg").status_code == 404

    bea = logged_in(app, shop["bea"])
    bea.post(f"/reviews/seller/{shop['sam'].id}/new",
             data={"review-rating": "4", "review-body": "Quick."})
    page = client.get("/sell/analytics").get_data(as_text=True)
    assert "★ 4.0" in page and len(chart_urls(page)) == 4

    # Another seller sees only their own sales.
    other = make_user()
    make_purchase(app, shop["bea"], [(make_offer(seller=other, price="7.00", category="Garden"), 1)])
    other_page = logged_in(app, other).get("/sell/analytics").get_data(as_text=True)
    assert "Garden" in other_page and "Kitchen" not in other_page and "Atlas" not in other_page


def test_month_starts_cross_year():
    assert [d.isoformat() for d in month_starts(3, datetime(2026, 2, 10).date())] == [
        "2025-12-01", "2026-01-01", "2026-02-01"]
    assert len(month_starts()) == 12 and month_starts()[-1] <= datetime.now(UTC).date()
    assert (datetime.now(UTC).date() - month_starts()[0]) < timedelta(days=366)


def sales_summary_and_truth(app):
    with app.app_context():
        analytics.fold_pending_sales()
        stored = db.query("""SELECT seller_id, product_id, category_id, units, revenue
                             FROM seller_product_sales WHERE units > 0 ORDER BY 1, 2""")
        truth = db.query("""SELECT f.seller_id, l.product_id, p.category_id, sum(l.quantity) AS units,
                                   sum(l.quantity * l.unit_price) AS revenue
                            FROM order_lines l JOIN offers f ON f.id = l.offer_id
                            JOIN products p ON p.id = l.product_id
                            GROUP BY 1, 2, 3 ORDER BY 1, 2""")
    return stored, truth


def test_sales_summary_follows_the_order_lines(app, shop):
    stored, truth = sales_summary_and_truth(app)
    assert stored == truth and len(stored) == 2
    with app.app_context():
        db.execute("UPDATE order_lines SET quantity = quantity + 2 "
                   "WHERE id = (SELECT min(id) FROM order_lines)")
        db.execute("DELETE FROM order_lines WHERE id = (SELECT max(id) FROM order_lines)")
    stored, truth = sales_summary_and_truth(app)
    assert stored == truth


def test_sales_follow_a_product_to_its_new_category(app, shop):
    with app.app_context():
        db.execute("UPDATE products SET category_id = (SELECT id FROM categories WHERE name = 'Books') "
                   "WHERE id = %s", (shop["kettle"]["product_id"],))
    stored, truth = sales_summary_and_truth(app)
    assert stored == truth
    page = logged_in(app, shop["sam"]).get("/sell/analytics").get_data(as_text=True)
    assert '<th scope="row">Books</th><td class="num">4</td><td class="num">67.50\u00a0EUR</td>' \
        in page
    assert ">Kitchen<" not in page


def test_sales_summary_can_be_rebuilt(app, shop):
    """After a bulk load with triggers off (the data generator), one call rebuilds it."""
    with app.app_context():
        db.execute("DELETE FROM seller_product_sales")
        db.execute("SELECT refresh_seller_product_sales()")
    stored, truth = sales_summary_and_truth(app)
    assert stored == truth and len(stored) == 2
