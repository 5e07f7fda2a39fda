"""Time zones: a profile setting, every time shown in the user's zone with
the zone named; guests see the site's default (UTC)."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from app import db


def put_on_sale(app, offer, starts: datetime, ends: datetime) -> int:
    with app.app_context():
        return db.query_value(
            """INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total,
                                        per_customer_limit)
               VALUES (%s, 5, %s, %s, 10, 2) RETURNING id""", (offer["offer_id"], starts, ends))


def profile(user, **changes) -> dict:
    return {"email": user.email, "first_name": user.first_name, "last_name": user.last_name,
            "address": user.address, "time_zone": "", **changes}


def test_the_profile_sets_a_time_zone_and_times_follow_it(app, client, user_client, make_offer):
    viewer, user = user_client()
    offer = make_offer(name="Kettle")
    start = datetime(2030, 1, 15, 9, 30, tzinfo=UTC)
    put_on_sale(app, offer, start, start + timedelta(days=1))
    assert "2030-01-15 09:30 UTC" in client.get("/").get_data(as_text=True)  # a guest: the site's zone
    page = viewer.get("/account/edit").get_data(as_text=True)
    assert '<option value="Asia/Kolkata">Asia/Kolkata</option>' in page and '<label for="time_zone">' in page
    response = viewer.post("/account/edit", data=profile(user, time_zone="Asia/Kolkata"))
    assert response.status_code == 302
    assert "2030-01-15 15:00 IST" in viewer.get("/").get_data(as_text=True)
    assert 'value="Asia/Kolkata" selected' in viewer.get("/account/edit").get_data(as_text=True)
    viewer.post("/account/edit", data=profile(user, time_zone="America/New_York"))
    assert "2030-01-15 04:30 EST" in viewer.get("/").get_data(as_text=True)
    viewer.post("/account/edit", data=profile(user, time_zone=""))  # back to the site's zone
    assert "2030-01-15 09:30 UTC" in viewer.get("/").get_data(as_text=True)


def test_unknown_time_zones_are_refused(app, user_client):
    client, user = user_client()
    for bad in ("Mars/Olympus", "../../etc/passwd", "x" * 500, "Europe/Berlin\x00", "US/Eastern"):
        response = client.post("/account/edit", data=profile(user, time_zone=bad))
        assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.query_value("SELECT time_zone FROM users WHERE id = %s", (user.id,)) is None


def test_purchase_history_days_are_the_buyers_days(app, user_client, make_offer):
    client, buyer = user_client(balance=Decimal("50"))
    client.post("/account/edit", data=profile(buyer, time_zone="Pacific/Auckland"))
    offer = make_offer(price="5.00")
    client.post("/cart/add", data={"offer_id": str(offer["offer_id"]), "quantity": "1", "next": "/"})
    page = client.get("/checkout").get_data(as_text=True)
    key = page.split('name="idempotency_key" type="hidden" value="')[1].split('"')[0]
    assert client.post("/checkout", data={"idempotency_key": key}).status_code == 302
    # 23:30 UTC on 1 March is already 2 March in Auckland (UTC+13).
    bought_at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    with app.app_context():
        db.execute("UPDATE purchases SET created_at = %s", (bought_at,))
        db.execute("UPDATE orders SET created_at = %s", (bought_at,))
    history = client.get("/purchases/?since=2026-03-02&until=2026-03-02").get_data(as_text=True)
    assert "2026-03-02 12:30 NZDT" in history
    assert "2026-03-02 12:30" not in client.get("/purchases/?since=2026-03-03").get_data(as_text=True)


def test_the_site_default_applies_to_guests(app, client, make_offer):
    offer = make_offer(name="Lamp")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    put_on_sale(app, offer, start, start + timedelta(hours=1))
    app.config["TIMEZONE"] = "Europe/Berlin"
    try:
        page = client.get("/").get_data(as_text=True)
    finally:
        app.config["TIMEZONE"] = "UTC"
    local = start.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"{local:%Y-%m-%d %H:%M} {local.tzname()}" in page
