"""The console's platform charts: closed days summarized once, today live,
each chart beside its table."""
import re
from datetime import UTC, datetime, timedelta

from app import db
from app.models import checkout
from tests.support import log_in
from tests.support.catalog import rows, value
from tests.support.purchases import make_purchase


def test_charts_show_sales_per_day_and_top_categories(app, client, make_user, make_offer):
    operator = make_user()
    with app.app_context():
        db.execute("UPDATE users SET is_operator = true WHERE id = %s", (operator.id,))
    log_in(client, operator)
    buyer = make_user()
    lamp = make_offer(price="10.00", category="Lighting", name="Lamp")
    chair = make_offer(price="3.00", category="Seating", name="Chair")
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    make_purchase(app, buyer, [(lamp, 2), (chair, 1)], created_at=two_days_ago)
    make_purchase(app, buyer, [(chair, 1)])

    page = client.get("/ops/charts/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "23.00" in html and "Lighting" in html and "Seating" in html
    summary = rows(app, "SELECT day, purchases, orders, revenue FROM platform_days WHERE purchases > 0")
    assert [(r["day"], r["purchases"], r["orders"], str(r["revenue"])) for r in summary] == [
        (two_days_ago.date(), 1, 2, "23.00")]
    closed_days = value(app, "SELECT count(*) FROM platform_days")
    assert closed_days == 29  # today is summed live, never stored
    # A closed day is summarized once: a late change to its rows no longer moves it.
    with app.app_context():
        db.execute("UPDATE purchases SET total = 1 WHERE created_at < now() - interval '1 day'")
    client.get("/ops/charts/")
    assert value(app, "SELECT revenue FROM platform_days WHERE purchases > 0") == summary[0]["revenue"]
    categories = rows(app, "SELECT category_id, units, revenue FROM platform_category_days ORDER BY units")
    assert [(r["units"], str(r["revenue"])) for r in categories] == [(1, "3.00"), (2, "20.00")]
    for name in ("sales", "orders", "new-sellers", "categories"):
        svg = client.get(f"/ops/charts/{name}.svg")
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert client.get("/ops/charts/nothing.svg").status_code == 404
    assert app.test_client().get("/ops/charts/").status_code == 404


def test_orders_by_state_counts_the_last_30_days_by_their_state_now(app, client, make_user, make_offer):
    operator = make_user()
    with app.app_context():
        db.execute("UPDATE users SET is_operator = true WHERE id = %s", (operator.id,))
    log_in(client, operator)
    buyer = make_user(balance="100")
    lamp = make_offer(price="10.00", quantity=10)
    make_purchase(app, buyer, [(lamp, 1)])
    make_purchase(app, buyer, [(lamp, 1)], created_at=datetime.now(UTC) - timedelta(days=3))
    make_purchase(app, buyer, [(lamp, 1)], created_at=datetime.now(UTC) - timedelta(days=40))
    with app.app_context():
        checkout.place_order(buyer.id, None, [(lamp["offer_id"], 1)])
    html = client.get("/ops/charts/").get_data(as_text=True)
    table = html[html.index("<h2>Orders by state</h2>"):html.index("<h2>Top categories</h2>")]
    cells = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td>', table))
    assert cells == {"placed (not shipped yet)": "1", "shipped": "0", "delivered": "2", "cancelled": "0"}
    assert "/ops/charts/states.svg" in table
    svg = client.get("/ops/charts/states.svg")
    assert svg.status_code == 200 and b"<svg" in svg.data
