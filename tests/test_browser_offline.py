"""Real browser, network cut (context.set_offline): pages seen before open
from the service worker's cache with a note, other pages show what is
saved, an "Add to cart" made offline waits and reaches the cart when the
connection returns, and checkout says it needs a connection."""
import pytest
from playwright.sync_api import expect

from app.views import offline
from tests.support import PASSWORD

pytestmark = pytest.mark.browser


def test_visited_pages_open_offline_and_an_offline_add_to_cart_is_sent_later(page, live_server, make_user,
                                                                                 make_offer):
    buyer = make_user(first_name="Olu", balance="100")
    lamp = make_offer(name="Brass Lamp", price="30.00")
    rug = make_offer(name="Wool Rug", price="45.50")
    page.goto(live_server + "/")
    page.click("header >> text=Log in")
    page.fill("#email", buyer.email)
    page.fill("#password", PASSWORD)
    page.click("main button:has-text('Log in')")
    expect(page.locator("header")).to_contain_text("Olu")
    # The worker controls the pages opened once it is active.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.goto(f"{live_server}/products/{lamp['product_id']}")
    page.goto(f"{live_server}/products/{rug['product_id']}")
    expect(page.locator("h1")).to_have_text("Wool Rug")
    page.goto(f"{live_server}/cart")

    page.context.set_offline(True)
    page.goto(f"{live_server}/products/{lamp['product_id']}")
    expect(page.locator("h1")).to_have_text("Brass Lamp")
    expect(page.locator("main .flash.offline").first).to_contain_text("Offline — saved copy from")

    page.click("#offers button:has-text('Add to cart')")
    expect(page.locator("#waiting")).to_contain_text("Waiting for a connection: Add to cart")
    page.goto(f"{live_server}/products/{rug['product_id']}")
    page.click("#offers button:has-text('Add to cart')")
    expect(page.locator("#waiting")).to_contain_text("Brass Lamp")  # both wait, the first one listed

    page.goto(f"{live_server}/checkout")  # never saved: the offline page says what works
    expect(page.locator("h1")).to_have_text("You are offline")
    expect(page.locator("main")).to_contain_text("Checkout needs a connection")
    expect(page.locator("#saved-pages")).to_contain_text("Brass Lamp")

    page.goto(f"{live_server}/products/{rug['product_id']}")
    with page.expect_navigation(url=f"{live_server}/cart"):
        page.context.set_offline(False)
    expect(page.locator("h1")).to_have_text("Your cart")
    expect(page.locator("main")).to_contain_text("Brass Lamp")
    expect(page.locator("main")).to_contain_text("Wool Rug")
    expect(page.locator("#waiting")).to_have_count(0)

    # A quantity change made offline waits too, and the server's answer applies.
    page.context.set_offline(True)
    page.fill(f"#qty-{lamp['offer_id']}", "3")
    page.click(f"#line-{lamp['offer_id']} button:has-text('Update')")
    expect(page.locator("#waiting")).to_contain_text("Change quantity “Brass Lamp”")
    with page.expect_navigation(url=f"{live_server}/cart"):
        page.context.set_offline(False)
    expect(page.locator(f"#qty-{lamp['offer_id']}")).to_have_value("3")
    expect(page.locator("#waiting")).to_have_count(0)


def test_a_new_deployment_replaces_the_old_cache(page, live_server, monkeypatch, make_offer):
    lamp = make_offer(name="Brass Lamp")
    page.goto(live_server + "/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.goto(f"{live_server}/products/{lamp['product_id']}")
    old = offline.deployment()
    cache_names = "() => caches.keys()"
    assert f"pages-{old}" in page.evaluate(cache_names)

    monkeypatch.setattr(offline, "deployment", lambda: "0123456789ab")
    page.evaluate("() => navigator.serviceWorker.getRegistration().then((r) => r.update())")
    # The new worker installs, takes over and deletes every cache of the old deployment.
    page.wait_for_function("""old => caches.keys().then((names) => names.includes("pages-0123456789ab")
                                                      && !names.some((name) => name.endsWith(old)))""",
                           arg=old, polling=200)
