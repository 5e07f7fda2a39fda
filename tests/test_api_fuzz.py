"""Fuzzing the JSON API from its own OpenAPI document with schemathesis:
valid and invalid parameters, bodies and headers for every operation. No
answer may be a 5xx, every answer must match the document (status, content
type, schema), and every 4xx must have the one error shape."""
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from app.api.openapi import OPENAPI
from app.api.openapi import document as openapi_document
from tests.support import get_token


class FuzzTarget:
    """The WSGI app under test and its buyer's token. Schemathesis builds the
    tests when pytest collects them, before any fixture runs, so it is given
    this stand-in; the buyer_token fixture points it at the test app."""

    app = None
    token: str | None = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


target = FuzzTarget()
schema = schemathesis.openapi.from_dict(OPENAPI)
schema.app = target  # also used by the checks that send requests of their own


@schema.auth(refresh_interval=None)
class BuyerToken:
    """Schemathesis sends this real token where the document asks for one,
    and tries missing or wrong ones to check they are refused."""

    def get(self, case, context):
        return target.token

    def set(self, case, token, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


@schema.hook("filter_body")
def each_offer_once(context, body) -> bool:
    """The document says an order names each offer at most once but JSON
    Schema cannot enforce it, so schemathesis would take a repeated offer for
    valid data; the API answers it with a 400 (tested in test_api_orders)."""
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return True
    offer_ids = [item.get("offer_id") for item in items if isinstance(item, dict)]
    numbers = [offer_id for offer_id in offer_ids
               if isinstance(offer_id, int | float) and not isinstance(offer_id, bool)]
    return len(numbers) == len(set(numbers))


@pytest.fixture
def buyer_token(app, client, make_user, make_offer):
    """A buyer with money and a token, and a few offers with small ids so
    that generated orders sometimes name a real one."""
    buyer = make_user(balance=Decimal("500.00"))
    for _ in range(3):
        make_offer(price="3.00", quantity=50)
    target.app, target.token = app, get_token(client, buyer)
    yield
    target.app = target.token = None


@schema.parametrize()
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_operation_survives_fuzzing(case, buyer_token):
    # Compressed answers would hide the JSON from schemathesis's checks.
    response = case.call(headers={"Accept-Encoding": "identity"})
    case.validate_response(response)
    assert response.status_code < 500
    if response.status_code >= 400:
        error = response.json()["error"]
        assert {"code", "message", "fields"} <= set(error) and isinstance(error["fields"], dict)


def test_openapi_document_is_served_and_valid(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document == openapi_document("EUR") and document["openapi"].startswith("3.")
    assert "in EUR" in document["info"]["description"]
    loaded = schemathesis.openapi.from_dict(document)
    loaded.validate()  # against the OpenAPI meta-schema; raises when invalid
    operations = {(op.ok().method.upper(), op.ok().path) for op in loaded.get_all_operations()}
    assert operations == {("POST", "/tokens"), ("DELETE", "/tokens/current"), ("GET", "/products"),
                          ("GET", "/products/{product_id}"), ("POST", "/orders"), ("GET", "/orders"),
                          ("GET", "/orders/{purchase_id}"), ("GET", "/me"), ("GET", "/openapi.json"),
                          ("POST", "/seller-orders/{order_id}/cancel"),
                          ("POST", "/seller-orders/{order_id}/returns")}


def test_the_validation_above_can_fail():
    broken = {**OPENAPI, "paths": {"/me": {"get": {"responses": "none"}}}}
    with pytest.raises(Exception, match="responses|none"):
        schemathesis.openapi.from_dict(broken).validate()


def test_every_route_is_documented(app):
    routes = {(method, rule.rule.removeprefix("/api/v1").replace("<id:", "{")
               .replace(">", "}"))
              for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(method.upper(), path) for path, item in OPENAPI["paths"].items() for method in item}
    assert routes == documented
