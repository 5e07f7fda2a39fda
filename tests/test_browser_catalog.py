"""Real browser: search, open a product, compare its sellers, then sell one
like it and see the offers box change."""
import pytest
from playwright.sync_api import expect

from tests.support import PASSWORD, add_category, add_offer, add_product, value

pytestmark = pytest.mark.browser


def test_search_open_product_compare_sellers(page, live_server, app, make_user):
    creator = make_user(first_name="Cora", last_name="Creator")
    kitchen = add_category(app, "Kitchen")
    skillet = add_product(app, creator, kitchen, "Cast Iron Skillet", "Pre-seasoned, oven safe.",
                          units_sold=5)
    add_product(app, creator, kitchen, "Skillet Lid", "Glass lid for a skillet.")
    add_product(app, creator, kitchen, "Bread Knife", "Serrated.")
    for first, price, quantity in (("Ann", "31.00", 4), ("Ben", "24.90", 1), ("Cat", "27.50", 0)):
        add_offer(app, skillet, make_user(first_name=first, last_name="Seller"), price, quantity)

    page.goto(live_server + "/")
    page.fill("#q", "skillets")
    page.click("header button:has-text('Search')")
    expect(page.locator("h1")).to_have_text("Results for “skillets”")
    results = page.locator("main table tbody tr")
    assert results.count() == 2
    assert "Cast Iron Skillet" in results.nth(0).inner_text()  # the name match that sells best
    assert "24.90" in results.nth(0).inner_text() and "2 sellers" in results.nth(0).inner_text()

    page.select_option("#sort", "price_asc")
    page.check("#in_stock")
    page.click("main button:has-text('Apply')")
    assert page.locator("main table tbody tr").count() == 1

    page.click("text=Cast Iron Skillet")
    expect(page.locator("h1")).to_have_text("Cast Iron Skillet")
    offers = page.locator("#offers tbody tr")
    sellers = [offers.nth(n).locator("td").nth(0).inner_text() for n in range(offers.count())]
    prices = [offers.nth(n).locator("td").nth(2).inner_text() for n in range(offers.count())]
    assert sellers == ["Ben Seller", "Ann Seller", "Cat Seller"]
    assert prices == [f"{price}\u00a0EUR" for price in ("24.90", "31.00", "27.50")]
    expect(offers.nth(2).locator("text=Out of stock")).to_be_visible()
    assert offers.nth(0).get_by_label("Quantity").input_value() == "1"

    page.click("text=Ann Seller")
    expect(page.locator("h1")).to_have_text("Ann Seller")
    expect(page.locator("text=Cast Iron Skillet")).to_be_visible()


def test_sell_one_like_this_from_the_product_page(page, live_server, app, make_user):
    seller = make_user(email="dora@example.com", first_name="Dora")
    category = add_category(app, "Garden")
    product_id = add_product(app, make_user(), category, "Watering Can")
    add_offer(app, product_id, make_user(first_name="Eve"), "15.00")

    page.goto(f"{live_server}/products/{product_id}")
    page.click("text=Log in")
    page.fill("#email", seller.email)
    page.fill("#password", PASSWORD)
    page.click("main button:has-text('Log in')")
    page.goto(f"{live_server}/products/{product_id}")
    page.click("text=Sell one like this")
    page.fill("#price", "12.00")
    page.fill("#quantity", "3")
    page.click("button:has-text('Sell this product')")
    expect(page.locator("text=You now sell this product.")).to_be_visible()
    first_row = page.locator("#offers tbody tr").nth(0)
    assert "Your offer" in first_row.inner_text() and "12.00" in first_row.inner_text()

    page.click("header >> text=Selling")
    expect(page.locator("h1")).to_have_text("Your inventory")
    page.fill(f"#quantity-{first_offer_id(app, seller)}", "8")
    page.click("button:has-text('Save')")
    expect(page.locator("text=“Watering Can” now sells at 12.00")).to_be_visible()
    page.click("a:has-text('Stop selling')")  # asks first, on a page of its own
    expect(page.locator("h1")).to_have_text("Stop selling “Watering Can”?")
    page.click("button:has-text('Stop selling')")
    expect(page.locator("text=You stopped selling “Watering Can”.")).to_be_visible()


def first_offer_id(app, seller) -> int:
    return value(app, "SELECT id FROM offers WHERE seller_id = %s", (seller.id,))
