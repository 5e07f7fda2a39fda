"""Checkout: review, place the order split per seller, idempotency, and
failures that change nothing."""
import re
from decimal import Decimal

import psycopg2
import pytest

from app import db
from app.models import checkout
from tests.support import assert_invariants, violations


def add(client, offer, quantity=1):
    response = client.post("/cart/add", data={"offer_id": str(offer["offer_id"]), "quantity": str(quantity),
                                              "next": "/cart"})
    assert response.status_code == 302


def checkout_key(client) -> str:
    page = client.get("/checkout").get_data(as_text=True)
    return re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)


def place(client, key=None, **extra):
    return client.post("/checkout", data={"idempotency_key": key or checkout_key(client), **extra})


def snapshot(app) -> dict:
    """Everything a failed checkout must leave alone."""
    with app.app_context():
        return {"balances": db.query("SELECT id, balance FROM users ORDER BY id"),
                "stock": db.query("SELECT id, quantity FROM offers ORDER BY id"),
                "sold": db.query("SELECT id, units_sold FROM products ORDER BY id"),
                "carts": db.query("SELECT user_id, offer_id, quantity FROM cart_items ORDER BY 1, 2"),
                "purchases": db.query_value("SELECT count(*) FROM purchases"),
                "ledger": db.query_value("SELECT count(*) FROM ledger_entries"),
                "sales": db.query("SELECT id, units_sold FROM flash_sales ORDER BY id")}


def test_review_page_shows_lines_subtotals_total_and_balance(user_client, make_user, make_offer):
    client, buyer = user_client(balance="100")
    ann = make_user(first_name="Ann", last_name="Seller")
    add(client, make_offer(seller=ann, price="12.50", quantity=5, name="Kettle"), 2)
    page = client.get("/checkout").get_data(as_text=True)
    assert "Kettle" in page and "Subtotal from Ann Seller" in page
    assert "25.00" in page and "100.00" in page and "75.00" in page  # total, balance, balance after
    assert "<button>Place order</button>" in page and 'name="idempotency_key"' in page


def test_checkout_splits_the_purchase_into_one_order_per_seller(app, database, user_client, make_user,
                                                                  make_offer):
    client, buyer = user_client(balance="100")
    ann, ben = make_user(first_name="Ann"), make_user(first_name="Ben")
    kettle = make_offer(seller=ann, price="12.50", quantity=5, name="Kettle")
    teapot = make_offer(seller=ann, price="7.25", quantity=5, name="Teapot")
    kettle_from_ben = make_offer(seller=ben, price="11.00", quantity=5, product_id=kettle["product_id"])
    add(client, kettle, 2)
    add(client, teapot)
    add(client, kettle_from_ben, 3)
    response = place(client, price="0.01", total="0.01")  # prices in the form are ignored
    assert response.status_code == 302
    purchase_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        assert db.query_value("SELECT total FROM purchases WHERE id = %s", (purchase_id,)) == Decimal("65.25")
        orders = db.query("SELECT seller_id, subtotal FROM orders WHERE purchase_id = %s ORDER BY seller_id",
                          (purchase_id,))
        assert orders == [{"seller_id": ann.id, "subtotal": Decimal("32.25")},
                          {"seller_id": ben.id, "subtotal": Decimal("33.00")}]
        lines = db.query("""SELECT offer_id, quantity, unit_price FROM order_lines ORDER BY offer_id""")
        assert [(line["offer_id"], line["quantity"], line["unit_price"]) for line in lines] == [
            (kettle["offer_id"], 2, Decimal("12.50")), (teapot["offer_id"], 1, Decimal("7.25")),
            (kettle_from_ben["offer_id"], 3, Decimal("11.00"))]
        balances = {row["id"]: row["balance"] for row in db.query("SELECT id, balance FROM users")}
        # The sellers' money is held on their orders until they deliver.
        assert balances == {buyer.id: Decimal("34.75"), ann.id: Decimal("0.00"), ben.id: Decimal("0.00")}
        assert db.query_value("SELECT sum(held_amount) FROM orders") == Decimal("65.25")
        # Units sold are summed after the checkout, off its hot path.
        assert db.query_value("SELECT units_sold FROM products WHERE id = %s", (kettle["product_id"],)) == 0
        assert db.query_value("SELECT fold_pending_sales()") == 3
        assert db.query_value("SELECT units_sold FROM products WHERE id = %s", (kettle["product_id"],)) == 5
        assert db.query_value("SELECT quantity FROM offers WHERE id = %s",
                              (kettle_from_ben["offer_id"],)) == 2
        assert db.query_value("SELECT count(*) FROM cart_items") == 0
        kinds = db.query("""SELECT kind, amount FROM ledger_entries WHERE purchase_id = %s
                            ORDER BY user_id""", (purchase_id,))
        assert [(k["kind"], k["amount"]) for k in kinds] == [("purchase", Decimal("-65.25"))]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your order is placed: 65.25\u00a0EUR paid" in page
    assert page.count('<strong class="state state-placed">Placed') == 2
    assert_invariants(database, {offer["offer_id"]: 5 for offer in (kettle, teapot, kettle_from_ben)})


def test_the_same_key_never_buys_twice(app, database, user_client, make_offer):
    client, buyer = user_client(balance="50")
    offer = make_offer(price="10.00", quantity=5)
    add(client, offer)
    key = checkout_key(client)
    first = place(client, key)
    add(client, offer)  # even with a new cart, a replayed key returns the first purchase
    second = place(client, key)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "already placed" in page and "not charged again" in page
    with app.app_context():
        assert db.query_value("SELECT count(*) FROM purchases") == 1
        assert db.query_value("SELECT balance FROM users WHERE id = %s", (buyer.id,)) == Decimal("40.00")
    assert_invariants(database, {offer["offer_id"]: 5})


def test_the_invariant_checks_can_fail(app, database, user_client, make_offer):
    client, _ = user_client(balance="50")
    offer = make_offer(price="10.00", quantity=5)
    add(client, offer)
    assert place(client).status_code == 302
    assert violations(database, {offer["offer_id"]: 5}) == []
    with app.app_context():  # a second charge, and a unit of stock appearing from nowhere
        db.execute("UPDATE ledger_entries SET amount = amount - 1 WHERE kind = 'purchase'")
        db.execute("UPDATE offers SET quantity = quantity + 1")
    broken = "\n".join(violations(database, {offer["offer_id"]: 5}))
    assert "balance equals ledger" in broken and "purchase debits" in broken
    assert f"offer {offer['offer_id']}: 5 left or held + 1 sold or written off != 5 at first" in broken


def test_failed_checkout_names_every_failing_line_and_changes_nothing(app, user_client, make_offer):
    client, buyer = user_client(balance="100")
    scarce = make_offer(name="Scarce lamp", quantity=2)
    stopped = make_offer(name="Stopped chair")
    fine = make_offer(name="Fine table")
    for offer in (scarce, stopped, fine):
        add(client, offer, 2)
    with app.app_context():
        db.execute("UPDATE offers SET quantity = 1 WHERE id = %s", (scarce["offer_id"],))
        db.execute("UPDATE offers SET active = false WHERE id = %s", (stopped["offer_id"],))
    before = snapshot(app)
    response = place(client)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Your order was not placed" in page and "Nothing was charged" in page
    assert "<strong>Scarce lamp</strong></a>: Sold out: only 1 left, you asked for 2." in page
    assert "<strong>Stopped chair</strong></a>: The seller stopped selling this." in page
    assert "<strong>Fine table</strong></a>:" not in page
    assert snapshot(app) == before


def test_not_enough_balance(app, user_client, make_offer):
    client, buyer = user_client(balance="15")
    add(client, make_offer(price="10.00", quantity=5), 2)
    before = snapshot(app)
    response = place(client)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Not enough balance: the order costs 20.00\u00a0EUR and your balance is 15.00\u00a0EUR" in page
    assert snapshot(app) == before


def test_own_offer_slipped_into_the_cart_is_refused(app, user_client, make_offer):
    client, seller = user_client(balance="100")
    own = make_offer(seller=seller)
    with app.app_context():  # the cart refuses it, so put it there behind its back
        db.execute("INSERT INTO cart_items (user_id, offer_id, quantity, price_seen) VALUES (%s, %s, 1, 10)",
                   (seller.id, own["offer_id"]))
    before = snapshot(app)
    response = place(client)
    assert response.status_code == 409
    assert "your own offer" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_empty_cart_and_bad_forms(app, user_client, make_offer):
    client, buyer = user_client(balance="100")
    assert "<button>Place order</button>" not in client.get("/checkout").get_data(as_text=True)
    response = place(client, "an-old-tab")
    assert response.status_code == 409 and "Your cart is empty." in response.get_data(as_text=True)
    add(client, make_offer())
    before = snapshot(app)
    for key in ("", "x" * 101, "bad key!", "<script>"):
        response = client.post("/checkout", data={"idempotency_key": key})
        assert response.status_code == 400
        assert "The order form was incomplete" in response.get_data(as_text=True)
    assert client.post("/checkout", data={"idempotency_key": "abc"}, csrf=False).status_code == 400
    assert snapshot(app) == before


def test_place_order_with_items_for_the_api(app, make_user, make_offer):
    buyer = make_user(balance="100")
    lamp, chair = make_offer(price="5.00", quantity=3), make_offer(price="2.50", quantity=3)
    with app.app_context():
        db.execute("INSERT INTO cart_items (user_id, offer_id, quantity, price_seen) VALUES (%s, %s, 1, 5)",
                   (buyer.id, lamp["offer_id"]))
        purchase = checkout.place_order(buyer.id, "api-1", [(lamp["offer_id"], 1), (chair["offer_id"], 2),
                                                             (lamp["offer_id"], 1)])
        assert purchase["total"] == Decimal("15.00") and not purchase["replayed"]
        assert checkout.place_order(buyer.id, "api-1", [(chair["offer_id"], 1)])["id"] == purchase["id"]
        # Ordering by items leaves the cart alone.
        assert db.query_value("SELECT count(*) FROM cart_items") == 1
        with pytest.raises(checkout.CheckoutFailed) as failed:
            checkout.place_order(buyer.id, "api-2", [(lamp["offer_id"], 2), (424242, 1)])
        reasons = {(p["offer_id"], p["reason"]) for p in failed.value.problems}
        assert reasons == {(lamp["offer_id"], "out_of_stock"), (424242, "offer_gone")}
        for bad in ([(lamp["offer_id"], 0)], [(lamp["offer_id"], 1001)], [(2**63, 1)], []):
            with pytest.raises(checkout.CheckoutFailed) as failed:
                checkout.place_order(buyer.id, "api-3", bad)
            assert failed.value.problems[0]["reason"] in ("bad_item", "empty_cart")
        with pytest.raises(checkout.CheckoutFailed):
            checkout.place_order(buyer.id, "k" * 101, [(chair["offer_id"], 1)])


def test_a_failed_checkout_leaves_no_transaction_open(app, make_user, make_offer):
    buyer = make_user(balance="1")
    offer = make_offer(price="5.00")
    with app.app_context():
        with pytest.raises(checkout.CheckoutFailed):
            checkout.place_order(buyer.id, "too-poor", [(offer["offer_id"], 1)])
        status = db.connection().get_transaction_status()
    assert status == psycopg2.extensions.TRANSACTION_STATUS_IDLE


def test_a_shipping_fee_changed_after_review_is_not_charged_without_warning(app, database, user_client,
                                                                            make_user, make_offer):
    from app.models import shipping

    client, buyer = user_client(balance="100")
    seller = make_user()
    add(client, make_offer(seller=seller, price="10.00", quantity=5), 2)
    page = client.get("/checkout").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    seen = re.search(r'name="total_seen" type="hidden" value="([^"]+)"', page).group(1)
    assert seen == "20.00"
    with app.app_context():
        shipping.save_settings(seller.id, Decimal("4.50"), None)  # while the buyer reads the page
    refused = client.post("/checkout", data={"idempotency_key": key, "total_seen": seen})
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "The total changed from 20.00\u00a0EUR to 24.50\u00a0EUR since you reviewed your order" in text
    assert value_of(app, "SELECT count(*) FROM purchases") == 0
    # The page now shows (and carries) the new total: placing it works.
    seen = re.search(r'name="total_seen" type="hidden" value="([^"]+)"', text).group(1)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', text).group(1)
    assert seen == "24.50"
    assert client.post("/checkout", data={"idempotency_key": key, "total_seen": seen}).status_code == 302
    assert value_of(app, "SELECT balance FROM users WHERE id = %s", (buyer.id,)) == Decimal("75.50")
    assert_invariants(database)


def value_of(app, statement, params=()):
    with app.app_context():
        return db.query_value(statement, params)


def test_a_buyer_without_an_address_types_one_at_checkout(app, database, user_client, make_offer):
    client, buyer = user_client(balance="50", address="")
    offer = make_offer(price="10.00", quantity=5)
    add(client, offer)
    key = checkout_key(client)
    refused = place(client, key)  # nothing typed: the fields to fill in are named, nothing is bought
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Add the address to ship to." in page and "Enter who receives the parcels." in page
    half = place(client, key, recipient="Ada Buyer")
    assert half.status_code == 400 and "Enter the address to ship to." in half.get_data(as_text=True)
    placed = place(client, key, recipient="Ada Buyer", address="2 Checkout Lane")
    assert placed.status_code == 302
    with app.app_context():
        assert db.query_value("SELECT count(*) FROM addresses WHERE user_id = %s", (buyer.id,)) == 1
        assert db.query_value("SELECT ship_to FROM orders WHERE buyer_id = %s",
                              (buyer.id,)) == "Ada Buyer\n2 Checkout Lane"
    assert_invariants(database, {offer["offer_id"]: 5})
