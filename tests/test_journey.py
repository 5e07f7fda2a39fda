"""The light-pages journey of bench/journey.py in a real browser, once with
JavaScript on and once off: a returning shopper logs in from the home page,
adds 3 products from its lists and 2 found by search, checks out from the
header and lands on a purchase split between two sellers. The byte and
click budgets are the benchmark's; here the journey must simply work."""
from decimal import Decimal

import pytest

from app.models import cart as carts
from app.models import user as users
from bench.journey import run_journey
from tests.support import PASSWORD

pytestmark = pytest.mark.browser

# Five of the seven are kettles, so the search finds two not yet in the cart
# whichever three the home page gave; Ann and Ben alternate, so any five
# come from both.
PRODUCTS = ["Copper kettle", "Garden rake", "Enamel kettle", "Wool blanket", "Glass kettle",
            "Steel kettle", "Travel kettle"]


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript-on", "javascript-off"])
def test_five_item_purchase_from_the_home_page(app, chromium, live_server, make_user, make_offer,
                                               javascript):
    shopper = make_user(first_name="Sam", balance="500")
    sellers = [make_user(first_name=name, last_name="Seller") for name in ("Ann", "Ben")]
    for index, name in enumerate(PRODUCTS):
        make_offer(seller=sellers[index % 2], name=name, price=f"{10 + index}.00", quantity=5)

    journey = run_journey(chromium, live_server, shopper.email, PASSWORD, "kettle", javascript)

    assert journey.clicks == 10 and len(journey.pages) == 11
    assert len(set(journey.products)) == 5 and set(journey.products) <= set(PRODUCTS)
    assert sum("kettle" in name for name in journey.products[3:]) == 2
    assert sorted(journey.sellers) == ["Ann Seller", "Ben Seller"]
    assert journey.pages[-1].action == "Place order" and "/purchases/" in journey.pages[-1].url
    if javascript:  # besides the pages: the stylesheet and script, the worker and the offline page it keeps
        asked = [path for load in journey.pages for path in load.paths]
        extra = [path for path in asked if path.startswith("/static/") or path in ("/sw.js", "/offline")]
        assert len(asked) - len(extra) == 1 + 17, asked
        # Each file once (twice when a busy browser left a page before it finished loading).
        assert 2 <= len([path for path in extra if path.startswith("/static/")]) <= 4, asked
    else:
        assert journey.pages[0].requests == 2  # the page and its stylesheet, fetched once for the journey
        assert sum(load.requests for load in journey.pages[1:]) == 17  # 7 POST-redirect-GETs, 3 GETs
    paid = sum(Decimal(f"{10 + PRODUCTS.index(name)}.00") for name in journey.products)
    with app.app_context():
        assert users.get_user(shopper.id).balance == Decimal("500") - paid
        assert carts.count_units(shopper.id) == 0
