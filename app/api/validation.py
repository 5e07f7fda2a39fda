"""Checks for what API clients send: JSON bodies, query parameters and
headers. Every failure raises ApiError, which the API answers with the one
error shape {"error": {"code", "message", "fields"}}."""
import json
import re
from collections.abc import Mapping
from decimal import Decimal

from ..forms.fields import MAX_QUERY
from ..ids import MAX_ID
from ..models.cart import MAX_CART_LINES, MAX_LINE_QUANTITY
from ..models.checkout import MAX_KEY_LENGTH as MAX_IDEMPOTENCY_KEY
from ..pagination import MAX_PAGE, is_small_int

# API bodies are small; anything larger is refused before it is read.
MAX_BODY_BYTES = 64 * 1024
DEFAULT_PER_PAGE = 20
OFFERS_PER_PAGE = 50
MAX_PER_PAGE = 100
# The web cart's limits: an API order can be no bigger than a cart.
MAX_ORDER_ITEMS = MAX_CART_LINES
# A price filter: a plain decimal with at most two decimals, from 0.01 to
# 1000000 (the web's MoneyField range). The OpenAPI document uses the same
# pattern, so clients can check before they send.
PRICE_PATTERN = r"^(?:[1-9][0-9]{0,5}(?:\.[0-9]{1,2})?|0\.(?:0[1-9]|[1-9][0-9]?)|1000000(?:\.00?)?)$"


class ApiError(Exception):
    """An API request that cannot be served as asked."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 fields: dict | None = None, headers: dict | None = None, details: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.fields = fields or {}
        self.headers = headers or {}
        self.details = details or {}


def invalid(fields: dict, message: str = "Some fields are not valid.") -> ApiError:
    return ApiError(400, message, "invalid_fields", fields)


def whole_number(value) -> int | None:
    """A JSON integer as an int, else None. 3.0 counts (JSON Schema calls it
    an integer), 3.5 and booleans do not (True is an int in Python)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) else None


def is_storable_text(text: str) -> bool:
    """False for text PostgreSQL cannot hold: NUL, or lone surrogates that
    JSON allows but UTF-8 does not."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def json_object(mimetype: str, raw: bytes) -> dict:
    """The request body as a JSON object; 415 for another content type,
    400 for anything that is not well-formed JSON holding an object."""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise ApiError(415, "Send the body as JSON with Content-Type: application/json.",
                       "unsupported_media_type")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ApiError(400, "The body is not valid JSON.", "invalid_json") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.", "invalid_json")
    return body


def json_body(request) -> dict:
    """The body of a Flask request as a JSON object (see json_object)."""
    return json_object(request.mimetype, request.get_data(cache=False))


def text_field(body: dict, name: str, max_length: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise invalid({name: "Required, as a non-empty string."})
    if len(value) > max_length:
        raise invalid({name: f"At most {max_length} characters."})
    return value


def credentials(body: dict) -> tuple[str, str]:
    """(email, password) from a token request."""
    email = text_field(body, "email", 254)
    password = text_field(body, "password", 1024)
    return email, password


def _order_line(index: int, item, seen: set, errors: dict):
    where = f"items[{index}]"
    if not isinstance(item, Mapping):
        errors[where] = 'Each item must be an object {"offer_id": ..., "quantity": ...}.'
        return None
    offer_id, quantity = whole_number(item.get("offer_id")), whole_number(item.get("quantity"))
    if offer_id is None or not 1 <= offer_id <= MAX_ID:
        errors[f"{where}.offer_id"] = "Required, as a positive whole number."
    elif offer_id in seen:
        errors[f"{where}.offer_id"] = (f"Offer {offer_id} appears more than once; "
                                       "put its whole quantity in one item.")
    else:
        seen.add(offer_id)
    if quantity is None or not 1 <= quantity <= MAX_LINE_QUANTITY:
        errors[f"{where}.quantity"] = f"Required, as a whole number from 1 to {MAX_LINE_QUANTITY}."
    return offer_id, quantity


def order_items(body: dict) -> list[tuple[int, int]]:
    """The (offer_id, quantity) lines of an order request, all checked."""
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise invalid({"items": "Required, as a non-empty list of items."})
    if len(items) > MAX_ORDER_ITEMS:
        raise invalid({"items": f"At most {MAX_ORDER_ITEMS} items per order."})
    errors, seen = {}, set()
    lines = [_order_line(index, item, seen, errors) for index, item in enumerate(items)]
    if errors:
        raise invalid(errors)
    return lines


def idempotency_key(value: str | None) -> str:
    """The Idempotency-Key header: required, 1 to 100 visible ASCII characters."""
    if value is None or not value.strip():
        raise ApiError(400, "Send an Idempotency-Key header (for example a UUID) with every order; "
                            "retrying with the same key never buys twice.", "idempotency_key_required",
                       {"Idempotency-Key": "Required."})
    if len(value) > MAX_IDEMPOTENCY_KEY or not all("!" <= char <= "~" for char in value):
        raise invalid({"Idempotency-Key": f"1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters, "
                                          "no spaces."})
    return value


def int_arg(args: Mapping, name: str, default: int | None, low: int, high: int) -> int | None:
    """A whole-number query parameter within [low, high]; `default` when absent."""
    raw = args.get(name)
    if raw is None:
        return default
    if not is_small_int(raw) or not low <= int(raw) <= high:
        raise invalid({name: f"A whole number from {low} to {high}."})
    return int(raw)


def page_args(args: Mapping, default_per_page: int = DEFAULT_PER_PAGE, prefix: str = "") -> tuple[int, int]:
    """(page, per_page) from the query string (offers_page and
    offers_per_page with prefix "offers_")."""
    return (int_arg(args, f"{prefix}page", 1, 1, MAX_PAGE),
            int_arg(args, f"{prefix}per_page", default_per_page, 1, MAX_PER_PAGE))


def choice_arg(args: Mapping, name: str, choices, default: str) -> str:
    """A query parameter that must be one of `choices`; `default` when absent."""
    raw = args.get(name)
    if raw is None:
        return default
    if raw not in choices:
        raise invalid({name: "One of: " + ", ".join(choices) + "."})
    return raw


def bool_arg(args: Mapping, name: str) -> bool:
    """A true/false query parameter; absent means false."""
    raw = args.get(name, "false")
    if raw not in ("true", "false"):
        raise invalid({name: "true or false."})
    return raw == "true"


def price_arg(args: Mapping, name: str) -> Decimal | None:
    raw = args.get(name)
    if raw is None:
        return None
    if not re.fullmatch(PRICE_PATTERN, raw):
        raise invalid({name: "A price like 12.50, from 0.01 to 1000000."})
    return Decimal(raw)


def search_arg(args: Mapping) -> str:
    """The keyword search `q` as sent (the catalog keeps only its words)."""
    q = args.get("q", "")
    if len(q) > MAX_QUERY:
        raise invalid({"q": f"At most {MAX_QUERY} characters."})
    return q


def optional_id(body: dict, name: str) -> int | None:
    """An optional id field (e.g. the address of an order)."""
    if body.get(name) is None:
        return None
    value = whole_number(body.get(name))
    if value is None or not 1 <= value <= MAX_ID:
        raise invalid({name: "A positive whole number, or leave it out."})
    return value


def return_request(body: dict) -> tuple[dict[int, int], str]:
    """({line_id: units}, reason) of a return request, checked for shape;
    the model checks the lines and units against the order (409)."""
    reason = text_field(body, "reason", 1000)
    lines = body.get("lines")
    if not isinstance(lines, list) or not lines or len(lines) > MAX_ORDER_ITEMS:
        raise invalid({"lines": f"Required, as a list of 1 to {MAX_ORDER_ITEMS} lines."})
    errors, quantities = {}, {}
    for index, item in enumerate(lines):
        where = f"lines[{index}]"
        if not isinstance(item, Mapping):
            errors[where] = 'Each line must be an object {"line_id": ..., "quantity": ...}.'
            continue
        line_id, quantity = whole_number(item.get("line_id")), whole_number(item.get("quantity"))
        if line_id is None or not 1 <= line_id <= MAX_ID:
            errors[f"{where}.line_id"] = "Required, as a positive whole number."
        if quantity is None or not 1 <= quantity <= MAX_LINE_QUANTITY:
            errors[f"{where}.quantity"] = f"Required, as a whole number from 1 to {MAX_LINE_QUANTITY}."
        if f"{where}.line_id" not in errors and f"{where}.quantity" not in errors:
            # The same line twice asks for the sum (the model checks it
            # against what is left of the line).
            quantities[line_id] = quantities.get(line_id, 0) + quantity
    if errors:
        raise invalid(errors)
    return quantities, reason
