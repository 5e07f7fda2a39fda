"""/metrics (Prometheus text), who may read it, and the request log line."""
import json
import logging
import re

from prometheus_client.parser import text_string_to_metric_families

from app import db
from tests.support import log_in


def scrape(client, **kwargs) -> dict:
    """{(name, labels as a sorted tuple): value} of every sample."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def add(client, offer, quantity=1):
    client.post("/cart/add", data={"offer_id": str(offer["offer_id"]), "quantity": str(quantity)})


def place(client):
    page = client.get("/checkout").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/checkout", data={"idempotency_key": key})


def test_metrics_parse_and_the_checkout_counters_move(app, client, user_client, make_offer):
    placed_key = ("souk_checkouts_total", (("outcome", "placed"), ("reason", "")))
    refused_key = ("souk_checkouts_total", (("outcome", "refused"), ("reason", "out_of_stock")))
    before = scrape(client)
    buyer, _ = user_client(balance="100")
    offer = make_offer(price="5.00", quantity=2)
    add(buyer, offer)
    assert place(buyer).status_code == 302
    add(buyer, offer)
    with app.app_context():
        db.execute("UPDATE offers SET quantity = 0 WHERE id = %s", (offer["offer_id"],))
    assert place(buyer).status_code == 409
    after = scrape(client)
    assert after[placed_key] == before.get(placed_key, 0) + 1
    assert after[refused_key] == before.get(refused_key, 0) + 1
    requests = ("souk_http_requests_total", (("endpoint", "checkout.place_order"), ("method", "POST"),
                                             ("status", "302")))
    assert after[requests] >= 1
    assert after[("souk_http_request_duration_seconds_count", (("endpoint", "checkout.place_order"),))] >= 2
    for status in ("todo", "doing", "failed"):
        assert ("souk_job_queue_jobs", (("status", status),)) in after
    assert ("souk_db_pool_waits_total", ()) in after
    assert ("souk_email_outbox", ()) in after


def test_flash_sale_units_left_are_reported(app, client, make_offer):
    offer = make_offer(quantity=10)
    with app.app_context():
        sale_id = db.query_value(
            """INSERT INTO flash_sales (offer_id, sale_price, starts_at, ends_at, units_total, units_sold,
                                        per_customer_limit)
               VALUES (%s, 1, now() - interval '1 minute', now() + interval '1 hour', 7, 3, 1)
               RETURNING id""",
            (offer["offer_id"],))
    assert scrape(client)[("souk_flash_sale_units_left", (("sale_id", str(sale_id)),))] == 4


def test_metrics_are_refused_outside_the_allow_list_without_the_token(app, client, make_user):
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 404
    app.config["METRICS_TOKEN"] = "s3cret-token"
    try:
        assert client.get("/metrics", environ_base=outside,
                          headers={"Authorization": "Bearer wrong"}).status_code == 404
        assert client.get("/metrics", environ_base=outside,
                          headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    finally:
        app.config["METRICS_TOKEN"] = None
    user = make_user()
    log_in(client, user)
    assert client.get("/metrics", environ_base=outside).status_code == 404
    with app.app_context():
        db.execute("UPDATE users SET is_operator = true WHERE id = %s", (user.id,))
    assert client.get("/metrics", environ_base=outside).status_code == 200


def test_one_json_log_line_per_request_and_the_request_id_on_error_pages(app, client, make_user, caplog):
    user = make_user()
    log_in(client, user)
    logger = logging.getLogger("souk.request")
    logger.addHandler(caplog.handler)
    try:
        response = client.get("/products/999999", headers={"X-Request-Id": "support-ticket-1234"})
    finally:
        logger.removeHandler(caplog.handler)
    assert response.status_code == 404
    assert response.headers["X-Request-Id"] == "support-ticket-1234"
    assert "support-ticket-1234" in response.get_data(as_text=True)
    lines = [json.loads(record.getMessage()) for record in caplog.records
             if record.name == "souk.request" and "/products/" in record.getMessage()]
    assert len(lines) == 1
    assert lines[0] == {**lines[0], "request_id": "support-ticket-1234", "user_id": user.id,
                        "endpoint": "catalog.product", "status": 404, "method": "GET"}
    assert isinstance(lines[0]["ms"], float)
    fresh = client.get("/", headers={"X-Request-Id": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["X-Request-Id"])
