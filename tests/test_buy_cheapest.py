""""Buy the cheapest" on list rows adds the offer the cart charges least for
right now: a live flash sale counts, the shopper's own offer does not."""
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app import create_app, db
from app.cache import cache
from tests.conftest import SoukClient
from tests.support import log_in


def make_sale(app, offer_id, sale_price, units=10, sold=0, starts=timedelta(hours=-1)):
    now = datetime.now(UTC)
    with app.app_context():
        db.execute("""INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total,
                                               units_sold, per_customer_limit)
                      VALUES (%s, %s, %s, %s, %s, %s, 5)""",
                   (offer_id, Decimal(sale_price), now + starts, now + starts + timedelta(hours=2),
                    units, sold))


def row_of(html: str, product_id: int) -> str:
    # The last link: on the home page the flash-sale list comes before the product table.
    return html.split(f'href="/products/{product_id}"')[-1].split("</tr>")[0]


def offer_in(row: str) -> int:
    return int(re.search(r'name="offer_id" value="(\d+)"', row).group(1))


def test_a_live_flash_sale_is_the_cheapest_and_its_price_is_shown(app, user_client, make_user, make_offer):
    client, buyer = user_client(balance=Decimal("100"))
    rake = make_offer(price="19.99", name="Rake", category="Garden")
    on_sale = make_offer(price="24.99", product_id=rake["product_id"])
    make_sale(app, on_sale["offer_id"], "13.49")
    for url in ("/c/garden", "/search?q=rake", "/"):
        row = row_of(client.get(url).get_data(as_text=True), rake["product_id"])
        assert offer_in(row) == on_sale["offer_id"], url
        assert "13.49" in row and "Flash sale" in row and "19.99" not in row
    client.post("/cart/add", data={"offer_id": str(on_sale["offer_id"]), "quantity": "1", "next": "/"})
    assert "Total: 13.49" in client.get("/cart").get_data(as_text=True)


def test_sold_out_and_upcoming_sales_do_not_count(app, user_client, make_offer):
    client, _ = user_client()
    pan = make_offer(price="44.99", name="Saucepan", category="Kitchen")
    sold_out = make_offer(price="40.00", product_id=pan["product_id"])
    make_sale(app, sold_out["offer_id"], "25.19", units=3, sold=3)
    upcoming = make_offer(price="45.00", product_id=pan["product_id"])
    make_sale(app, upcoming["offer_id"], "20.00", starts=timedelta(hours=1))
    row = row_of(client.get("/c/kitchen").get_data(as_text=True), pan["product_id"])
    # The sold-out sale blocks its offer until it ends, as checkout does.
    assert offer_in(row) == pan["offer_id"] and "44.99" in row


def test_when_the_cheapest_is_the_shoppers_own_sale_the_cheapest_other_is_offered(
        app, client, make_user, make_offer, login):
    shopper = make_user()
    lamp = make_offer(seller=shopper, price="25.00", name="Lamp", category="Home")
    make_sale(app, lamp["offer_id"], "10.00")
    other = make_offer(price="29.00", product_id=lamp["product_id"])
    login(client, shopper)
    row = row_of(client.get("/c/home").get_data(as_text=True), lamp["product_id"])
    assert offer_in(row) == other["offer_id"] and "29.00" in row and "10.00" not in row


def test_guests_see_the_live_sale_price(app, client, make_offer):
    kettle = make_offer(price="20.00", name="Kettle", category="Kitchen")
    make_sale(app, kettle["offer_id"], "12.00")
    row = row_of(client.get("/c/kitchen").get_data(as_text=True), kettle["product_id"])
    assert "12.00" in row and "Flash sale" in row and "/cart/add" not in row


def test_the_api_lists_the_price_the_cart_charges(app, client, make_offer):
    kettle = make_offer(price="20.00", name="Kettle", category="Kitchen")
    cheaper = make_offer(price="21.00", product_id=kettle["product_id"])
    make_sale(app, cheaper["offer_id"], "12.00")
    item = client.get("/api/v1/products").get_json()["items"][0]
    assert item["cheapest_price"] == "12.00" and item["cheapest_offer_id"] == cheaper["offer_id"]


def test_with_the_catalog_cache_each_viewer_gets_an_offer_they_can_buy(app, database, make_user, make_offer):
    """The cached list rows are shared; the seller's own cheapest offer is
    swapped out for them alone, and a guest still sees it."""
    cached = create_app({"TESTING": True, "DATABASE_URL": database, "DB_POOL_MAX": 2,
                         "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "CATALOG_CACHE_SECONDS": 30})
    cached.test_client_class = SoukClient
    seller = make_user()
    mine = make_offer(seller=seller, price="8.00", name="Teapot", category="Kitchen")
    other = make_offer(price="9.00", product_id=mine["product_id"])
    with cached.app_context():
        cache.clear()
    for _ in range(2):  # the second time from the cache
        guest = cached.test_client()
        assert "8.00" in row_of(guest.get("/c/kitchen").get_data(as_text=True), mine["product_id"])
        owner = cached.test_client()
        log_in(owner, seller)
        row = row_of(owner.get("/c/kitchen").get_data(as_text=True), mine["product_id"])
        assert offer_in(row) == other["offer_id"] and "9.00" in row
        shopper = cached.test_client()
        log_in(shopper, make_user())
        assert offer_in(row_of(shopper.get("/c/kitchen").get_data(as_text=True),
                               mine["product_id"])) == mine["offer_id"]
