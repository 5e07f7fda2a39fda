"""Light pages: a versioned stylesheet cached for a year, no scripts or
requests to other sites, "Check out" in the header, and a home page that
lists each product once and offers no flash sale the shopper cannot buy."""
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from app import db
from tests.support import make_purchase

YEAR = "max-age=31536000"


def stylesheet_url(html: str) -> str:
    [url] = re.findall(r'<link rel="stylesheet" href="([^"]+)">', html)
    return url


def test_stylesheet_is_versioned_and_cached_for_a_year(client):
    url = stylesheet_url(client.get("/").get_data(as_text=True))
    assert re.fullmatch(r"/static/style\.css\?v=[0-9a-f]{10}", url)
    response = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "br"
    assert YEAR in response.headers["Cache-Control"] and "immutable" in response.headers["Cache-Control"]
    # The same for every visitor: a changed session cookie must not make
    # browsers fetch it again.
    assert "cookie" not in response.headers.get("Vary", "").lower()
    assert len(response.get_data()) < 2048  # small: one round trip on a slow phone
    for stale in ("/static/style.css?v=0000000000", "/static/style.css"):
        assert YEAR not in client.get(stale).headers["Cache-Control"]


def test_stylesheet_is_served_without_comments_and_revalidates_by_its_version(app, client):
    url = stylesheet_url(client.get("/").get_data(as_text=True))
    served = client.get(url)
    css = served.get_data(as_text=True)
    written = (Path(app.static_folder) / "style.css").read_text()
    assert served.mimetype == "text/css" and "/*" in written and "/*" not in css
    assert len(css) < 0.8 * len(written) and "\n  " not in css
    assert 'td[data-label]::before{content:attr(data-label) ": "' in css  # strings keep their spaces
    assert client.get(url, headers={"If-None-Match": served.headers["ETag"]}).status_code == 304


def page_html(client, path: str) -> str:
    """The page, after checking that it is served compressed."""
    compressed = client.get(path, headers={"Accept-Encoding": "gzip, br"})
    assert compressed.status_code == 200 and compressed.headers["Content-Encoding"] == "br", path
    return client.get(path).get_data(as_text=True)


def test_journey_pages_have_one_small_script_no_fonts_or_other_sites(app, user_client, make_offer):
    shopper_client, _ = user_client(balance="100")
    offer = make_offer(name="Copper kettle", price="12.00")
    shopper_client.post("/cart/add", data={"offer_id": offer["offer_id"], "quantity": "1"})
    pages = [page_html(shopper_client, path) for path in
             ("/", "/search?q=kettle", f"/products/{offer['product_id']}", "/cart", "/checkout")]
    pages.append(page_html(app.test_client(), "/auth/login"))
    for html in pages:
        # One script, our own and versioned (no inline code: the CSP forbids it); photos only our own.
        version = re.search(r"app\.js\?v=([0-9a-f]{10})", html).group(1)
        assert re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S) == [
            (f' src="/static/app.js?v={version}" defer', "")]
        assert all(src.startswith("/photos/") for src in re.findall(r'<img[^>]* src="([^"]*)"', html))
        assert "style=" not in html
        assert not re.search(r'(src|href|action)="(https?:)?//', html)
    css = app.test_client().get("/static/style.css").get_data(as_text=True)
    assert "@font-face" not in css and "@import" not in css and "url(" not in css


def test_header_has_check_out_when_the_cart_has_items(user_client, make_offer):
    shopper_client, _ = user_client()
    assert 'href="/checkout"' not in shopper_client.get("/").get_data(as_text=True)
    offer = make_offer(name="Copper kettle")
    shopper_client.post("/cart/add", data={"offer_id": offer["offer_id"], "quantity": "2"})
    header = shopper_client.get("/").get_data(as_text=True).split("</header>")[0]
    assert '<a href="/cart">Cart (2)</a>' in header and '<a href="/checkout">Check out</a>' in header


def test_home_lists_a_recommended_product_once(app, make_user, make_offer, client, login):
    seller = make_user(first_name="Sol")
    offers = [make_offer(seller=seller, name=f"Kettle {letter}", category="Kitchen", quantity=20)
              for letter in "ABCD"]
    with app.app_context():  # candidates for recommendations are products that sold
        db.execute("UPDATE products SET units_sold = 5")
    buyer = make_user()
    make_purchase(app, buyer, [(offers[0], 3)])
    login(client, buyer)
    page = client.get("/").get_data(as_text=True)
    recommended = page.split('id="recommended-heading"')[1].split("</section>")[0]
    best_sellers = page.split('id="best-sellers-heading"')[1].split("</section>")[0]
    for offer in offers[1:]:
        assert f'id="rec-qty-{offer["offer_id"]}"' in recommended
        assert page.count(f'value="{offer["offer_id"]}"') == 1
    assert ">Kettle A<" in best_sellers and ">Kettle B<" not in best_sellers
    assert "besides those recommended for you" in best_sellers


def test_home_flash_sale_says_when_the_shopper_reached_the_limit(app, user_client, make_offer):
    shopper_client, shopper = user_client()
    offer = make_offer(name="Brass lamp", price="20.00", quantity=9)
    now = datetime.now(UTC)
    with app.app_context():
        sale_id = db.query_value(
            """INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total,
                                        per_customer_limit, units_sold)
               VALUES (%s, %s, %s, %s, 5, 2, 2) RETURNING id""",
            (offer["offer_id"], Decimal("15.00"), now - timedelta(hours=1), now + timedelta(hours=1)))
    assert "Add to cart<span class=\"sr\">: Brass lamp" in shopper_client.get("/").get_data(as_text=True)
    # A checkout writes the count with an order (only a buyer's units are read).
    make_purchase(app, shopper, [(make_offer(name="Earlier buy"), 1)])
    with app.app_context():
        db.execute("INSERT INTO flash_sale_buyers (sale_id, buyer_id, units) VALUES (%s, %s, 2)",
                   (sale_id, shopper.id))
    sales = shopper_client.get("/").get_data(as_text=True).split('id="flash-sales-heading"')[1]
    sales = sales.split("</section>")[0]
    assert "Limit reached: you bought 2" in sales and "Add to cart" not in sales
