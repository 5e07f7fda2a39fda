"""Sellers manage their flash sales: edit everything before the start, end
earlier or add units during it, cancel (with a confirmation page); every
error in one round; times typed and shown in the seller's time zone."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from app import db
from tests.support import assert_invariants
from tests.test_concurrency import Shopper, fill_cart, run_all

BERLIN = ZoneInfo("Europe/Berlin")


def typed(moment: datetime, zone=UTC) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def make_sale(app, offer, starts: timedelta, hours=2, units=5, limit=2, sale_price="6.00") -> int:
    now = datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        return db.query_value(
            """INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total,
                                        per_customer_limit)
               VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
            (offer["offer_id"], Decimal(sale_price), now + starts, now + starts + timedelta(hours=hours),
             units, limit))


def sale_row(app, sale_id) -> dict | None:
    with app.app_context():
        return db.query_one("SELECT * FROM flash_sales WHERE id = %s", (sale_id,))


def set_zone(client, user, zone):
    assert client.post("/account/edit", data={"email": user.email, "first_name": user.first_name,
                                              "last_name": user.last_name, "address": user.address,
                                              "time_zone": zone}).status_code == 302


def test_an_upcoming_sale_is_edited_in_the_sellers_time_zone(app, user_client, make_offer):
    client, seller = user_client()
    set_zone(client, seller, "Europe/Berlin")
    offer = make_offer(seller=seller, price="10.00", quantity=20, name="Lamp")
    sale_id = make_sale(app, offer, timedelta(days=1))
    listing = client.get("/sell/sales/").get_data(as_text=True)
    assert f'href="/sell/sales/{sale_id}/edit"' in listing
    assert f'href="/sell/sales/{sale_id}/cancel"' in listing
    starts = sale_row(app, sale_id)["starts_at"]
    form = client.get(f"/sell/sales/{sale_id}/edit").get_data(as_text=True)
    assert "Starts (Europe/Berlin)" in form and f'value="{typed(starts, BERLIN)}"' in form
    assert "In Europe/Berlin (your time zone" in form
    new_start = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    response = client.post(f"/sell/sales/{sale_id}/edit", data={
        "sale_price": "7,50", "starts_at": new_start.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M"),
        "ends_at": typed(new_start + timedelta(hours=3), BERLIN), "units": "8", "per_customer_limit": "3"})
    assert response.status_code == 302
    row = sale_row(app, sale_id)
    assert (row["sale_price"], row["starts_at"], row["ends_at"]) == (Decimal("7.50"), new_start,
                                                                     new_start + timedelta(hours=3))
    assert (row["units_total"], row["per_customer_limit"]) == (8, 3)
    local = new_start.astimezone(BERLIN)
    assert f"{local:%Y-%m-%d %H:%M} {local.tzname()}" in client.get("/sell/sales/").get_data(as_text=True)


def test_every_error_is_reported_in_one_round(app, user_client, make_offer):
    client, seller = user_client()
    offer = make_offer(seller=seller, price="10.00", quantity=20)
    start = datetime.now(UTC) + timedelta(hours=1)
    response = client.post(f"/sell/sales/new/{offer['offer_id']}", data={
        "sale_price": "12.00", "starts_at": typed(start), "ends_at": typed(start - timedelta(hours=1)),
        "units": "50", "per_customer_limit": "abc"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("must be below the regular price", "The end must be after the start.",
                    "Enter from 1 to 20 units (your stock).", "Enter a whole number"):
        assert message in page, message
    with app.app_context():
        assert db.query_value("SELECT count(*) FROM flash_sales") == 0


def test_a_running_sale_can_end_earlier_and_get_more_units_only(app, user_client, make_offer):
    client, seller = user_client()
    offer = make_offer(seller=seller, price="10.00", quantity=20)
    sale_id = make_sale(app, offer, timedelta(hours=-1), hours=3, units=5)
    before = sale_row(app, sale_id)
    form = client.get(f"/sell/sales/{sale_id}/edit").get_data(as_text=True)
    assert "This sale is running" in form and 'name="sale_price"' not in form and 'name="add_units"' in form
    later = typed(before["ends_at"] + timedelta(hours=1))
    response = client.post(f"/sell/sales/{sale_id}/edit", data={"ends_at": later, "add_units": "30"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "A running sale can only end earlier" in page and "add at most 15" in page
    assert sale_row(app, sale_id) == before
    earlier = (before["ends_at"] - timedelta(hours=1)).replace(second=0)
    response = client.post(f"/sell/sales/{sale_id}/edit", data={"ends_at": typed(earlier), "add_units": "10"})
    assert response.status_code == 302
    row = sale_row(app, sale_id)
    assert (row["ends_at"], row["units_total"], row["sale_price"]) == (earlier, 15, Decimal("6.00"))


def test_cancel_asks_first_then_deletes_an_upcoming_sale_or_ends_a_running_one(app, user_client, make_offer):
    client, seller = user_client()
    offer = make_offer(seller=seller, price="10.00", quantity=20, name="Vase")
    upcoming = make_sale(app, offer, timedelta(days=1))
    running = make_sale(app, make_offer(seller=seller, quantity=9), timedelta(hours=-1))
    confirm = client.get(f"/sell/sales/{upcoming}/cancel").get_data(as_text=True)
    assert "Cancel the flash sale for “Vase”?" in confirm and "Yes, cancel the flash sale" in confirm
    assert sale_row(app, upcoming) is not None  # asking changes nothing
    assert client.post(f"/sell/sales/{upcoming}/cancel", data={}, csrf=False).status_code == 400
    assert client.post(f"/sell/sales/{upcoming}/cancel").status_code == 302
    assert sale_row(app, upcoming) is None
    assert client.post(f"/sell/sales/{running}/cancel").status_code == 302
    assert sale_row(app, running)["ends_at"] <= datetime.now(UTC)
    assert "already ended" in client.post(f"/sell/sales/{running}/cancel",
                                          follow_redirects=True).get_data(as_text=True)


def test_other_sellers_sales_are_not_found(app, user_client, make_offer):
    client, _ = user_client()
    sale_id = make_sale(app, make_offer(), timedelta(days=1))
    for url in (f"/sell/sales/{sale_id}/edit", f"/sell/sales/{sale_id}/cancel", "/sell/sales/99999/edit"):
        assert client.get(url).status_code == 404
        assert client.post(url, data={"add_units": "1"}).status_code == 404
    assert sale_row(app, sale_id) is not None


def test_units_added_during_checkouts_are_counted_exactly(app, database, live_server, make_user, make_offer):
    """Buyers check out over HTTP from threads while the seller adds units:
    no sale sells more than its units, no added unit is lost, nobody gets a
    server error."""
    seller = make_user()
    offer = make_offer(seller=seller, price="10.00", quantity=100)
    sale_id = make_sale(app, offer, timedelta(hours=-1), units=10, limit=1)
    ends = typed(sale_row(app, sale_id)["ends_at"])
    shoppers = [Shopper(app, make_user(balance="20"), live_server) for _ in range(16)]
    for shopper in shoppers:
        fill_cart(app, shopper.user, offer)
    owner = Shopper(app, seller, live_server)
    tasks = [lambda shopper=shopper: shopper.checkout(f"key-{shopper.user.id}")[0] for shopper in shoppers]
    tasks += [lambda: owner.post(f"/sell/sales/{sale_id}/edit", {"ends_at": ends, "add_units": "2"})[0]
              for _ in range(3)]
    statuses = run_all(tasks, workers=8)
    bought, added = statuses[:16], statuses[16:]
    assert all(status < 500 for status in statuses)
    row = sale_row(app, sale_id)
    assert row["units_total"] == 10 + 2 * added.count(302) == 16
    assert row["units_sold"] == bought.count(302) <= row["units_total"]
    assert row["ends_at"] == sale_row(app, sale_id)["ends_at"]
    assert_invariants(database, {offer["offer_id"]: 100})
