"""Bulk changes from the inventory page: ticked offers or all matching the
search, price by amount or percentage, stock, stop selling; a preview, then
one transaction that refuses to apply over a sale made since the preview."""
import re

import pytest

from app import db
from tests.support import add_category, add_offer, add_product, value

BULK = "/sell/inventory/bulk"


@pytest.fixture
def stock(app, user_client, make_user):
    client, seller = user_client()
    rival = make_user()
    category = add_category(app, "Home")
    offers = {name: add_offer(app, add_product(app, seller, category, name), seller, price, quantity=5)
              for name, price in (("Blue Mug", "10.00"), ("Red Mug", "0.50"), ("Oak Shelf", "40.00"))}
    rival_offer = add_offer(app, add_product(app, rival, category, "Rival Mug"), rival, "7.00")
    return {"client": client, "offers": offers, "rival_offer": rival_offer}


def state(app, offer_id):
    return value(app, "SELECT (price, quantity, listed)::text FROM offers WHERE id = %s", (offer_id,))


def hidden(html: str) -> dict:
    fields = {}
    for name, val in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html):
        fields.setdefault(name, []).append(val)
    return {name: vals if name == "offer" else vals[0] for name, vals in fields.items()}


def test_inventory_page_has_the_bulk_form(stock):
    html = stock["client"].get("/sell/inventory?q=mug").get_data(as_text=True)
    assert f'name="offer" value="{stock["offers"]["Blue Mug"]}" form="bulk"' in html
    assert 'id="bulk"' in html and "all offers matching “mug”" in html


def test_lower_ticked_offers_by_percent_preview_then_apply(app, stock):
    client, offers = stock["client"], stock["offers"]
    ticked = [offers["Blue Mug"], offers["Oak Shelf"], stock["rival_offer"]]
    response = client.post(BULK, data={"scope": "selected", "action": "lower_percent", "value": "12,5",
                                       "offer": [str(n) for n in ticked]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 offers chosen" in html and "<b>2</b> will change" in html  # the rival's is not chosen
    assert "10.00\xa0EUR → 8.75\xa0EUR" in html and "40.00\xa0EUR → 35.00\xa0EUR" in html
    assert state(app, offers["Blue Mug"]) == "(10.00,5,t)"  # nothing yet
    response = client.post(f"{BULK}/apply", data=hidden(html))
    assert response.status_code == 302
    assert state(app, offers["Blue Mug"]) == "(8.75,5,t)" and state(app, offers["Oak Shelf"]) == "(35.00,5,t)"
    assert state(app, offers["Red Mug"]) == "(0.50,5,t)" and state(app, stock["rival_offer"]) == "(7.00,5,t)"
    assert "2 offers changed." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_all_matching_the_search_and_prices_that_would_fall_to_zero(app, stock):
    client, offers = stock["client"], stock["offers"]
    html = client.post(BULK, data={"scope": "search", "q": "mug", "action": "lower_amount",
                                   "value": "1.00"}).get_data(as_text=True)
    assert "2 offers chosen" in html and "<b>1</b> will change" in html and "<b>1</b> are left out" in html
    client.post(f"{BULK}/apply", data=hidden(html))
    assert state(app, offers["Blue Mug"]) == "(9.00,5,t)" and state(app, offers["Red Mug"]) == "(0.50,5,t)"
    assert state(app, offers["Oak Shelf"]) == "(40.00,5,t)"


def test_set_stock_refused_over_a_sale_since_the_preview(app, stock):
    client, offers = stock["client"], stock["offers"]
    html = client.post(BULK, data={"scope": "search", "action": "set_stock",
                                   "value": "50"}).get_data(as_text=True)
    assert "<b>3</b> will change" in html
    with app.app_context():
        db.execute("UPDATE offers SET quantity = 4 WHERE id = %s", (offers["Red Mug"],))
    response = client.post(f"{BULK}/apply", data=hidden(html))
    assert response.status_code == 409 and "changed since the preview" in response.get_data(as_text=True)
    assert state(app, offers["Blue Mug"]) == "(10.00,5,t)" and state(app, offers["Red Mug"]) == "(0.50,4,t)"
    client.post(f"{BULK}/apply", data=hidden(response.get_data(as_text=True)))
    assert state(app, offers["Red Mug"]) == "(0.50,50,t)"


def test_stop_selling_and_bad_input(app, stock):
    client, offers = stock["client"], stock["offers"]
    html = client.post(BULK, data={"scope": "selected", "action": "stop",
                                   "offer": str(offers["Oak Shelf"])}).get_data(as_text=True)
    client.post(f"{BULK}/apply", data=hidden(html))
    assert state(app, offers["Oak Shelf"]) == "(40.00,5,f)"
    for data, message in [({"scope": "selected", "action": "stop"}, "Tick the offers to change"),
                          ({"scope": "search", "action": "raise_amount", "value": "1,234"}, "could mean"),
                          ({"scope": "search", "action": "lower_percent", "value": "100"}, "less than 100"),
                          ({"scope": "search", "action": "set_stock", "value": "-2"}, "from 0 to 1,000,000"),
                          ({"scope": "search", "action": "drop_table", "value": "1"}, "Not a valid choice"),
                          ({"scope": "selected", "action": "stop", "offer": "x"}, "Tick at most")]:
        response = client.post(BULK, data=data)
        assert response.status_code == 400 and message in response.get_data(as_text=True), data
    assert client.post(BULK, csrf=False, data={"scope": "search", "action": "stop"}).status_code == 400


def test_a_refused_change_keeps_the_ticked_boxes_and_what_was_typed(stock):
    client, offers = stock["client"], stock["offers"]
    ticked = [offers["Blue Mug"], offers["Oak Shelf"]]
    response = client.post(BULK, data={"scope": "selected", "action": "raise_amount", "value": "1,234",
                                       "q": "", "offer": [str(n) for n in ticked]})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "could mean" in html
    for offer_id in ticked:
        assert f'value="{offer_id}" form="bulk" id="pick-{offer_id}" checked>' in html
    assert f'value="{offers["Red Mug"]}" form="bulk" id="pick-{offers["Red Mug"]}">' in html
    assert '<option value="raise_amount" selected>' in html and 'value="1,234"' in html
