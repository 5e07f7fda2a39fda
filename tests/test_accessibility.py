"""Accessible beyond the automated rules: every repeated control has a name
of its own, a skip link leads to the content, "Add to cart" returns to the
row that was added, landmarks of one kind are told apart by their labels,
and captions read as sentences."""
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from app import db
from tests.support import make_purchase


class Controls(HTMLParser):
    """Accessible names (text including screen-reader-only spans) of the
    buttons, labels and links inside <main>, and the labels of landmarks."""

    def __init__(self):
        super().__init__()
        self.buttons, self.labels, self.links, self.landmarks, self.ids = [], [], [], [], set()
        self._open: list[tuple[str, str | None, list[str]]] = []
        self._in_main = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "main":
            self._in_main = True
        if tag == "nav" or (tag == "section" and "aria-labelledby" in attrs):
            self.landmarks.append((tag, attrs.get("aria-label") or attrs.get("aria-labelledby")))
        if self._in_main and tag in ("button", "label", "a"):
            self._open.append((tag, attrs.get("href"), []))

    def handle_data(self, data):
        for _, _, text in self._open:
            text.append(data)

    def handle_endtag(self, tag):
        if tag == "main":
            self._in_main = False
        if self._open and self._open[-1][0] == tag:
            tag, href, text = self._open.pop()
            name = " ".join("".join(text).split())
            {"button": self.buttons, "label": self.labels}.get(tag, self.links).append(
                name if tag != "a" else (name, href))


def controls(html: str) -> Controls:
    parser = Controls()
    parser.feed(html)
    return parser


def repeated(names) -> list:
    return [name for name, count in Counter(names).items() if count > 1]


def assert_own_names(html: str, path: str) -> None:
    found = controls(html)
    assert not repeated(found.buttons), (path, repeated(found.buttons))
    assert not repeated(found.labels), (path, repeated(found.labels))
    # The same words may link to the same place twice, never to two places.
    targets = {}
    for name, href in found.links:
        targets.setdefault(name, set()).add(href)
    assert not {n: t for n, t in targets.items() if len(t) > 1}, path
    assert not repeated(found.landmarks), (path, repeated(found.landmarks))


def live_sale(app, offer) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        db.execute("""INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total,
                                               per_customer_limit)
                      VALUES (%s, %s, %s, %s, 10, 2)""",
                   (offer["offer_id"], offer["price"] / 2, now - timedelta(hours=1), now + timedelta(days=1)))


@pytest.fixture
def market(app, make_user, make_offer, user_client):
    """Two sellers each offering two products, sales, a purchase, and a
    shopper (who sells too) with both of one seller's products in her cart."""
    ann = make_user(first_name="Ann", last_name="Lee")
    bob = make_user(first_name="Bob", last_name="Roy")
    client, shopper = user_client(first_name="Sue", balance="500")
    kettle = make_offer(seller=ann, name="Blue Kettle", category="Kitchen", price="20.00", quantity=9)
    pan = make_offer(seller=ann, name="Iron Pan", category="Kitchen", price="30.00", quantity=9)
    bob_kettle = make_offer(seller=bob, product_id=kettle["product_id"], price="21.00", quantity=9)
    make_offer(seller=bob, product_id=pan["product_id"], price="31.00", quantity=9)
    own = make_offer(seller=shopper, name="Sue's Mug", category="Kitchen", price="5.00", quantity=9)
    own_too = make_offer(seller=shopper, name="Sue's Jug", category="Kitchen", price="6.00", quantity=9)
    live_sale(app, kettle)
    live_sale(app, pan)
    with app.app_context():  # best sellers on the home page
        db.execute("UPDATE products SET units_sold = 3")
    make_purchase(app, shopper, [(kettle, 1), (bob_kettle, 1)])
    make_purchase(app, make_user(), [(own, 1), (own_too, 2)])
    for offer in (kettle, pan):
        client.post("/cart/add", data={"offer_id": offer["offer_id"], "quantity": "1"})
    return {"client": client, "shopper": shopper, "kettle": kettle, "bob_kettle": bob_kettle, "ann": ann}


def test_repeated_controls_have_names_of_their_own(market):
    client = market["client"]
    paths = ["/", "/c/kitchen", "/search?q=kettle", f"/products/{market['kettle']['product_id']}", "/cart",
             "/checkout", "/purchases/", "/account/", "/sell/inventory", "/sell/orders", "/sell/sales/new",
             f"/users/{market['ann'].id}"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_own_names(response.get_data(as_text=True), path)
    product = client.get(f"/products/{market['kettle']['product_id']}").get_data(as_text=True)
    buttons = controls(product).buttons
    assert "Add to cart: Blue Kettle from Ann Lee" in buttons
    assert "Add to cart: Blue Kettle from Bob Roy" in buttons
    assert "Quantity of Blue Kettle from Bob Roy" in controls(product).labels


@pytest.mark.parametrize("page", ["product", "list", "home sale"])
def test_add_to_cart_returns_to_the_row_that_was_added(market, page):
    client, kettle = market["client"], market["bob_kettle"] if page == "product" else market["kettle"]
    path = {"product": f"/products/{kettle['product_id']}?offers_page=1", "list": "/c/kitchen",
            "home sale": "/"}[page]
    html = client.get(path).get_data(as_text=True)
    form = next(f for f in re.findall(r'<form method="post" action="/cart/add".*?</form>', html, re.S)
                if f'name="offer_id" value="{kettle["offer_id"]}"' in f)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    response = client.post("/cart/add", data={**fields, "quantity": fields.get("quantity", "1")})
    location, fragment = response.headers["Location"].split("#")
    assert response.status_code == 302 and location == path
    assert fragment in controls(html).ids  # the row is on the page it came from


def test_a_skip_link_leads_to_the_content(client):
    html = client.get("/").get_data(as_text=True)
    body = html.split("<body>")[1]
    assert re.match(r'\s*<a class="sr" href="#main">Skip to content</a>', body)
    assert '<main id="main">' in html


def test_pagers_of_one_page_are_told_apart(app, make_user, make_offer, client):
    seller = make_user(first_name="Pat")
    for n in range(21):
        make_offer(seller=seller, name=f"Thing {n}")
    now = datetime.now(UTC)
    with app.app_context():
        for n in range(11):
            author = make_user()
            db.execute("""INSERT INTO seller_reviews (seller_id, author_id, rating, body, created_at)
                          VALUES (%s, %s, 4, 'Fine.', %s)""",
                       (seller.id, author.id, now - timedelta(hours=n)))
            db.execute("""INSERT INTO product_reviews (product_id, author_id, rating, body)
                          SELECT id, %s, 5, 'Good.' FROM products ORDER BY id OFFSET %s LIMIT 1""",
                       (seller.id, n))
        db.execute("""UPDATE users SET seller_rating_count = 11, seller_rating_sum = 44,
                                       seller_rating_hist = '{0,0,0,11,0}' WHERE id = %s""", (seller.id,))
    html = client.get(f"/users/{seller.id}").get_data(as_text=True)
    labels = [label for tag, label in controls(html).landmarks if tag == "nav"]
    assert "Pages of offers" in labels and "Pages of reviews of this seller" in labels
    assert not repeated(controls(html).landmarks)


def test_rating_captions_read_as_sentences(app, user_client, make_offer):
    client, seller = user_client()
    buyer_client, buyer = user_client()
    offer = make_offer(seller=seller)
    make_purchase(app, buyer, [(offer, 1)])
    assert buyer_client.post(f"/reviews/seller/{seller.id}/new",
                             data={"review-rating": "5", "review-body": "Quick."}).status_code == 302
    html = client.get("/sell/reviews").get_data(as_text=True)
    assert "How many ratings you got, by number of stars" in html and "you has" not in html


def test_deleting_a_review_asks_first_without_a_script(app, user_client, make_offer):
    client, buyer = user_client()
    offer = make_offer(name="Blue Kettle")
    make_purchase(app, buyer, [(offer, 1)])
    product = f"/products/{offer['product_id']}"
    assert client.post(f"/reviews/product/{offer['product_id']}/new",
                       data={"review-rating": "4", "review-body": "Fine."}).status_code == 302
    review_id = db_value(app, "SELECT id FROM product_reviews")
    ask_url = f"/reviews/product/{review_id}/delete"
    assert f'<a href="{ask_url}">Delete your review…</a>' in client.get(product).get_data(as_text=True)
    html = client.get(ask_url).get_data(as_text=True)
    assert "<h1>Delete your review of Blue Kettle?</h1>" in html
    assert f'<form method="post" action="{ask_url}"' in html
    assert f'<a href="{product}#reviews">Keep your review</a>' in html
    assert db_value(app, "SELECT count(*) FROM product_reviews") == 1  # asking deletes nothing
    stranger, _ = user_client()
    assert stranger.get(ask_url).status_code == 403
    assert client.post(ask_url).status_code == 302
    assert db_value(app, "SELECT count(*) FROM product_reviews") == 0


def db_value(app, statement):
    with app.app_context():
        return db.query_value(statement)
