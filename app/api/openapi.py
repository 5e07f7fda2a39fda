"""The OpenAPI 3 document of /api/v1/, served at /api/v1/openapi.json.

Kept next to the code and built from the same limits it enforces; the
schemathesis tests fuzz the API from this document and check that every
answer matches it."""
from ..forms.fields import MAX_QUERY
from ..ids import MAX_ID
from ..models.order_state import STATES as ORDER_STATES
from ..models.product import MAX_RESULTS, SORTS
from ..pagination import MAX_PAGE
from .validation import (
    DEFAULT_PER_PAGE,
    MAX_BODY_BYTES,
    MAX_IDEMPOTENCY_KEY,
    MAX_LINE_QUANTITY,
    MAX_ORDER_ITEMS,
    MAX_PER_PAGE,
    OFFERS_PER_PAGE,
    PRICE_PATTERN,
)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


_UNAUTHORIZED = {**_error("No token, or an unknown, expired or revoked one."),
                 "headers": {"WWW-Authenticate": {"schema": {"type": "string"},
                                                  "description": 'Bearer realm="souk"'}}}
_COMMON_ERRORS = {"405": _error("Method not allowed for this path."),
                  "503": _error("The store is too busy; retry after a moment.")}
_AUTHED_ERRORS = {"401": _UNAUTHORIZED, **_COMMON_ERRORS}
_BODY_ERRORS = {"400": _error("Malformed JSON, or fields that are missing or not valid "
                              "(see error.fields)."),
                "413": _error(f"The body is larger than {MAX_BODY_BYTES // 1024} KiB."),
                "415": _error("The body is not application/json.")}

_MONEY_PATTERN = r"^[0-9]+\.[0-9]{2}$"
_MONEY = {"type": "string", "pattern": _MONEY_PATTERN, "example": "12.50"}
_MONEY_OR_NULL = {"type": ["string", "null"], "pattern": _MONEY_PATTERN}
_CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$", "example": "EUR",
             "description": "ISO 4217 code of the amounts in this object (the site's SOUK_CURRENCY)."}
_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_TIME = {"type": "string", "format": "date-time"}
_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_RATING = {"type": ["number", "null"], "minimum": 1, "maximum": 5}
_CATEGORY = {"type": "object", "required": ["name", "slug"],
             "properties": {"name": {"type": "string"}, "slug": {"type": "string"}}}


def _object(properties: dict) -> dict:
    """An object whose every listed property is always present."""
    return {"type": "object", "required": list(properties), "properties": properties}


def _query(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "query", "schema": schema, "description": description}


def _page_params(default_per_page: int, prefix: str = "") -> list[dict]:
    return [_query(f"{prefix}page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
            _query(f"{prefix}per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                                         "default": default_per_page})]


def _path_id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": _ID}


_PAGE_META = {"page": {"type": "integer", "minimum": 1}, "per_page": {"type": "integer", "minimum": 1},
              "has_next": {"type": "boolean"},
              "next": {"type": ["string", "null"],
                       "description": "URL of the next page; null on the last page (or past page "
                                      f"{MAX_PAGE})."}}


def _paged(item: str) -> dict:
    return _object({"items": {"type": "array", "items": _ref(item)}, **_PAGE_META})


SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message", "fields"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "fields": {"type": "object", "additionalProperties": {"type": "string"},
                                      "description": "Field name (items[2].quantity, page, ...) "
                                                     "to what is wrong with it."},
                           "lines": {"type": "array", "items": _ref("CheckoutProblem"),
                                     "description": "Only on a refused order (409 checkout_failed): "
                                                    "why each item could not be bought."}}}}},
    "CheckoutProblem": {
        "type": "object", "required": ["index", "offer_id", "product_name", "reason", "message"],
        "properties": {
            "index": {"type": ["integer", "null"],
                      "description": "Position in the request's items; null for the whole order."},
            "offer_id": {"type": ["integer", "null"]}, "product_name": {"type": ["string", "null"]},
            "reason": {"type": "string", "enum": ["offer_gone", "own_offer", "out_of_stock", "sale_sold_out",
                                                  "sale_limit", "price_changed", "offer_changed",
                                                  "insufficient_balance", "bad_item", "no_address"]},
            "message": {"type": "string"}}},
    "Credentials": {
        "type": "object", "required": ["email", "password"],
        "properties": {"email": {"type": "string", "minLength": 1, "maxLength": 254, "pattern": r"\S"},
                       "password": {"type": "string", "minLength": 1, "maxLength": 1024,
                                    "pattern": r"\S"}}},
    "Token": {
        "type": "object", "required": ["token", "token_type", "expires_at"],
        "properties": {"token": {"type": "string"}, "token_type": {"const": "Bearer"},
                       "expires_at": _TIME}},
    "Me": {
        "type": "object",
        "required": ["id", "email", "first_name", "last_name", "address", "balance", "currency",
                     "created_at"],
        "properties": {"id": _ID, "email": {"type": "string"}, "first_name": {"type": "string"},
                       "last_name": {"type": "string"}, "address": {"type": "string"},
                       "balance": _MONEY, "currency": _CURRENCY, "created_at": _TIME}},
}

SCHEMAS.update({
    "ProductItem": _object({
        "id": _ID, "name": {"type": "string"}, "category": _CATEGORY,
        "cheapest_price": {**_MONEY_OR_NULL, "description": "null when no offer has stock."},
        "cheapest_offer_id": {"type": ["integer", "null"]}, "currency": _CURRENCY,
        "total_stock": {"type": "integer", "minimum": 0, "description": "Units over all active offers."},
        "seller_count": {"type": "integer", "minimum": 0}, "average_rating": _RATING,
        "rating_count": {"type": "integer", "minimum": 0}}),
    "ProductList": _paged("ProductItem"),
    "Offer": _object({
        "id": _ID, "price": _MONEY, "stock": {"type": "integer", "minimum": 0},
        "seller": _object({"id": _ID, "name": {"type": "string"}, "rating": _RATING,
                           "rating_count": {"type": "integer", "minimum": 0}})}),
    "Product": _object({
        "id": _ID, "name": {"type": "string"}, "description": {"type": "string"}, "category": _CATEGORY,
        "created_at": _TIME, "cheapest_price": _MONEY_OR_NULL, "currency": _CURRENCY,
        "total_stock": {"type": "integer"},
        "seller_count": {"type": "integer"}, "units_sold": {"type": "integer"}, "average_rating": _RATING,
        "rating_count": {"type": "integer"},
        "rating_histogram": {"type": "object", "additionalProperties": {"type": "integer"},
                             "description": "Stars (\"1\" to \"5\") to number of ratings."},
        "offers": {"type": "array", "items": _ref("Offer"),
                   "description": "Active offers: with stock first, cheapest first."},
        "offers_page": _object(_PAGE_META)}),
    "OrderRequest": {
        "type": "object", "required": ["items"],
        "properties": {"address_id": {**_ID, "description": "One of the caller's addresses; the default "
                                                            "address when left out."},
                       "items": {
            "type": "array", "minItems": 1, "maxItems": MAX_ORDER_ITEMS,
            "description": "Each offer at most once.",
            "items": {"type": "object", "required": ["offer_id", "quantity"],
                      "properties": {"offer_id": _ID,
                                     "quantity": {"type": "integer", "minimum": 1,
                                                  "maximum": MAX_LINE_QUANTITY}}}}}},
    "OrderLine": _object({
        "id": _ID, "offer_id": _ID, "product_id": _ID, "product_name": {"type": "string"},
        "quantity": {"type": "integer", "minimum": 1}, "unit_price": _MONEY, "line_total": _MONEY,
        "cancelled_quantity": {"type": "integer", "minimum": 0, "description": "Cancelled before shipping."},
        "returned_quantity": {"type": "integer", "minimum": 0, "description": "Returned (accepted)."}}),
    "ReturnRequest": _object({
        "id": _ID, "state": {"type": "string", "enum": ["requested", "accepted", "refused"]},
        "reason": {"type": "string"}, "refund_amount": _MONEY_OR_NULL, "created_at": _TIME,
        "decided_at": _TIME_OR_NULL,
        "lines": {"type": "array", "items": _object({"line_id": _ID, "quantity": {"type": "integer"}})}}),
    "SellerOrder": _object({
        "id": _ID, "seller": _object({"id": _ID, "name": {"type": "string"}}),
        "state": {"type": "string", "enum": list(ORDER_STATES),
                  "description": "placed -> shipped -> delivered, or cancelled before shipping."},
        "subtotal": _MONEY, "shipping_fee": _MONEY, "total": _MONEY,
        "refunded": {**_MONEY, "description": "Refunded to the buyer so far."},
        "ship_to": {"type": "string", "description": "The address copied at checkout."},
        "carrier": {"type": ["string", "null"]}, "tracking_number": {"type": ["string", "null"]},
        "shipped_at": _TIME_OR_NULL, "delivered_at": _TIME_OR_NULL, "cancelled_at": _TIME_OR_NULL,
        "cancelled_by": {"type": ["string", "null"], "enum": ["buyer", "seller", "operator", None]},
        "refunds": {"type": "array", "items": _object({"amount": _MONEY, "created_at": _TIME})},
        "returns": {"type": "array", "items": _ref("ReturnRequest")},
        "actions": {"type": "array", "items": {"type": "string", "enum": ["cancel", "confirm_delivery",
                                                                          "request_return"]},
                    "description": "What the buyer may do with this order now."},
        "lines": {"type": "array", "items": _ref("OrderLine")}}),
    "Purchase": _object({
        "id": _ID, "total": _MONEY, "currency": _CURRENCY, "created_at": _TIME,
        "orders": {"type": "array", "items": _ref("SellerOrder"),
                   "description": "One order per seller."}}),
    "PurchaseSummary": _object({
        "id": _ID, "total": _MONEY, "currency": _CURRENCY, "created_at": _TIME,
        "sellers": {"type": "string", "description": "The sellers' names, comma-separated."},
        "units": {"type": "integer"}, "order_count": {"type": "integer"},
        "states": {"type": "object", "additionalProperties": {"type": "integer"},
                   "description": "Order state to the number of this purchase's orders in it."}}),
    "OrderActionResult": _object({
        "done": {"type": "boolean", "description": "false: it had already been done; nothing changed."},
        "message": {"type": "string"}, "order": _ref("SellerOrder")}),
    "ReturnRequestBody": {
        "type": "object", "required": ["lines", "reason"],
        "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 1000},
                       "lines": {"type": "array", "minItems": 1, "maxItems": MAX_ORDER_ITEMS,
                                 "description": "The same line twice asks for the sum of its quantities.",
                                 "items": {"type": "object", "required": ["line_id", "quantity"],
                                           "properties": {"line_id": _ID,
                                                          "quantity": {"type": "integer", "minimum": 1,
                                                                       "maximum": MAX_LINE_QUANTITY}}}}}},
    "PurchaseList": _paged("PurchaseSummary"),
})

_PRODUCT_FILTERS = [
    _query("q", {"type": "string", "maxLength": MAX_QUERY}, "Keywords, all of which must match."),
    _query("category", {"type": "string"}, "A category slug or id; 404 when there is none."),
    _query("sort", {"type": "string", "enum": list(SORTS), "default": "relevance"},
           "relevance without q means best selling."),
    _query("price_min", {"type": "string", "pattern": PRICE_PATTERN}, "Cheapest price at least this."),
    _query("price_max", {"type": "string", "pattern": PRICE_PATTERN}, "Cheapest price at most this."),
    _query("min_rating", {"type": "integer", "minimum": 1, "maximum": 5}, "Average rating at least this."),
    _query("in_stock", {"type": "boolean"}, "Only products with an offer in stock."),
]
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY, "pattern": "^[!-~]+$"},
    "description": "Any unique string, e.g. a UUID. Repeating a request with the same key returns the "
                   "purchase it made (200, Idempotent-Replayed: true) and never buys twice."}
_NOT_FOUND = {"404": _error("No such resource, or not yours.")}

PATHS = {
    "/tokens": {"post": {
        "summary": "Exchange email and password for a bearer token (shown once).",
        "security": [],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": _ref("Credentials")}}},
        "responses": {"201": _json(_ref("Token"), "A new token."),
                      "401": {**_UNAUTHORIZED, "description": "Wrong email or password."},
                      **_BODY_ERRORS, **_COMMON_ERRORS}}},
    "/tokens/current": {"delete": {
        "summary": "Revoke the token this request is made with.",
        "responses": {"204": {"description": "Revoked; the token no longer works."},
                      **_AUTHED_ERRORS}}},
    "/products": {"get": {
        "summary": "Products, searched, filtered, sorted and paginated.", "security": [],
        "description": f"A list serves its first {MAX_RESULTS} products (page x per_page): the page "
                       "holding the last of them has no next, and pages past it are empty. Narrow "
                       "the list with q or the filters to reach others.",
        "parameters": _page_params(DEFAULT_PER_PAGE) + _PRODUCT_FILTERS,
        "responses": {"200": _json(_ref("ProductList"), "One page of products."),
                      "400": _error("A query parameter is not valid (see error.fields)."),
                      "404": _error("No category with this slug or id."), **_COMMON_ERRORS}}},
    "/products/{product_id}": {"get": {
        "summary": "A product with its offers (paginated with offers_page, offers_per_page).",
        "security": [],
        "parameters": [_path_id("product_id"), *_page_params(OFFERS_PER_PAGE, "offers_")],
        "responses": {"200": _json(_ref("Product"), "The product."),
                      "400": _error("A query parameter is not valid."), **_NOT_FOUND, **_COMMON_ERRORS}}},
    "/orders": {
        "post": {
            "summary": "Buy, all or nothing, through the same checkout as the web site.",
            "parameters": [_IDEMPOTENCY_KEY],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": _ref("OrderRequest")}}},
            "responses": {
                "201": {**_json(_ref("Purchase"), "Bought: the purchase and its per-seller orders."),
                        "headers": {"Location": {"schema": {"type": "string"}}}},
                "200": _json(_ref("Purchase"), "A replay: this key already bought this purchase."),
                "409": _error("Nothing was bought: error.lines says why for each item "
                              "(checkout_failed), or the key was used for a different order "
                              "(idempotency_key_reused)."),
                **_BODY_ERRORS, **_AUTHED_ERRORS}},
        "get": {
            "summary": "The caller's purchase history, newest first.",
            "parameters": _page_params(DEFAULT_PER_PAGE),
            "responses": {"200": _json(_ref("PurchaseList"), "One page of purchases."),
                          "400": _error("A query parameter is not valid."), **_AUTHED_ERRORS}}},
    "/orders/{purchase_id}": {"get": {
        "summary": "One of the caller's purchases with its per-seller orders.",
        "parameters": [_path_id("purchase_id")],
        "responses": {"200": _json(_ref("Purchase"), "The purchase."), **_NOT_FOUND, **_AUTHED_ERRORS}}},
    "/seller-orders/{order_id}/cancel": {"post": {
        "summary": "Cancel one seller's order of the caller's purchase before it ships: everything paid "
                   "for it (shipping too) is refunded to the balance. Repeating it changes nothing.",
        "parameters": [_path_id("order_id")],
        "responses": {"200": _json(_ref("OrderActionResult"), "Cancelled (done), or it already was."),
                      "409": _error("Not allowed in the order's state, e.g. already shipped (not_allowed)."),
                      **_NOT_FOUND, **_AUTHED_ERRORS}}},
    "/seller-orders/{order_id}/returns": {"post": {
        "summary": "Ask to return units of a delivered order within the return window. The seller "
                   "accepts (refunded at once) or refuses.",
        "parameters": [_path_id("order_id")],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": _ref("ReturnRequestBody")}}},
        "responses": {"201": _json(_ref("OrderActionResult"), "Asked."),
                      "200": _json(_ref("OrderActionResult"), "A request is already open; nothing changed."),
                      "409": _error("Not delivered, the window closed, a line of another order, or more "
                                    "units than bought (not_allowed)."),
                      **_BODY_ERRORS, **_NOT_FOUND, **_AUTHED_ERRORS}}},
    "/me": {"get": {
        "summary": "The caller's profile and balance.",
        "responses": {"200": _json(_ref("Me"), "The profile."), **_AUTHED_ERRORS}}},
    "/openapi.json": {"get": {
        "summary": "This document.", "security": [],
        "responses": {"200": {"description": "The OpenAPI document.",
                              "content": {"application/json": {"schema": {"type": "object"}}}},
                      **_COMMON_ERRORS}}},
}

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "Souk API", "version": "1.0.0",
             "description": "The marketplace for mobile clients. Money is a string with two "
                            "decimals, in {currency}: objects with amounts also say so in their "
                            "`currency` field. Errors are always {{\"error\": {{\"code\", "
                            "\"message\", \"fields\"}}}}."},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {"schemas": SCHEMAS,
                   "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                  "description": "A token from POST /tokens."}}},
}


def document(currency: str) -> dict:
    """The OpenAPI document, its description naming the site's currency."""
    info = OPENAPI["info"]
    return {**OPENAPI, "info": {**info, "description": info["description"].format(currency=currency)}}
