"""JSON shapes of model rows. Money travels as a string with two decimals
("12.50") so clients never lose a cent to floating point, and objects that
hold amounts name their currency; times are ISO 8601 in UTC."""
from datetime import UTC, datetime
from decimal import Decimal

from flask import request, url_for

from ..money import currency
from ..pagination import MAX_PAGE, Page


def money(value) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def timestamp(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def token(issued: dict) -> dict:
    return {"token": issued["token"], "token_type": "Bearer", "expires_at": timestamp(issued["expires_at"])}


def me(user) -> dict:
    """The caller's own profile and balance (never the password hash)."""
    return {"id": user.id, "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name, "address": user.address, "balance": money(user.balance),
            "currency": currency(), "created_at": timestamp(user.created_at)}


def rating(value) -> float | None:
    """An average rating (1 to 5, at most two decimals) as a JSON number."""
    return None if value is None else float(value)


def product_item(row: dict, stock: int) -> dict:
    """A product in a list: a row of product.list_products and its total stock."""
    return {"id": row["id"], "name": row["name"],
            "category": {"name": row["category_name"], "slug": row["category_slug"]},
            "cheapest_price": money(row["cheapest_price"]), "cheapest_offer_id": row["cheapest_offer_id"],
            "currency": currency(),
            "total_stock": stock, "seller_count": row["seller_count"],
            "average_rating": rating(row["rating_avg"]), "rating_count": row["rating_count"]}


def offer(row: dict) -> dict:
    """An offer of a product page: a row of offer.offers_for_product."""
    return {"id": row["id"], "price": money(row["price"]), "stock": row["quantity"],
            "seller": {"id": row["seller_id"],
                       "name": f"{row['seller_first_name']} {row['seller_last_name']}",
                       "rating": rating(row["seller_rating"]),
                       "rating_count": row["seller_rating_count"]}}


def product(row: dict, stock: int, offers: list[dict], offers_page: dict) -> dict:
    """A product with one page of its offers (cheapest buyable first)."""
    return {"id": row["id"], "name": row["name"], "description": row["description"],
            "category": {"name": row["category_name"], "slug": row["category_slug"]},
            "created_at": timestamp(row["created_at"]),
            "cheapest_price": money(row["min_price"]), "currency": currency(), "total_stock": stock,
            "seller_count": row["seller_count"], "units_sold": row["units_sold"],
            "average_rating": rating(row["rating_avg"]), "rating_count": row["rating_count"],
            "rating_histogram": {str(stars): count for stars, count in enumerate(row["rating_hist"], 1)},
            "offers": [offer(item) for item in offers], "offers_page": offers_page}


def _order_line(row: dict) -> dict:
    return {"id": row["id"], "offer_id": row["offer_id"], "product_id": row["product_id"],
            "product_name": row["product_name"], "quantity": row["quantity"],
            "unit_price": money(row["unit_price"]), "line_total": money(row["line_total"]),
            "cancelled_quantity": row["cancelled_quantity"], "returned_quantity": row["returned_quantity"]}


def _return_request(row: dict) -> dict:
    return {"id": row["id"], "state": row["state"], "reason": row["reason"],
            "refund_amount": money(row["refund_amount"]), "created_at": timestamp(row["created_at"]),
            "decided_at": timestamp(row["decided_at"]),
            "lines": [{"line_id": line["line_id"], "quantity": line["quantity"]} for line in row["lines"]]}


def seller_order(row: dict) -> dict:
    """One seller's order of a purchase: state, shipping, tracking, refunds,
    returns, lines and the actions the buyer may take now."""
    return {"id": row["id"], "seller": {"id": row["seller_id"], "name": row["seller_name"]},
            "state": row["state"], "subtotal": money(row["subtotal"]),
            "shipping_fee": money(row["shipping_fee"]), "total": money(row["total"]),
            "refunded": money(row["refunded_amount"]), "ship_to": row["ship_to"],
            "carrier": row["carrier"], "tracking_number": row["tracking_number"],
            "shipped_at": timestamp(row["shipped_at"]), "delivered_at": timestamp(row["delivered_at"]),
            "cancelled_at": timestamp(row["cancelled_at"]), "cancelled_by": row["cancelled_by"],
            "refunds": [{"amount": money(refund["amount"]), "created_at": timestamp(refund["created_at"])}
                        for refund in row["refunds"]],
            "returns": [_return_request(request) for request in row["returns"]],
            "actions": row.get("actions", []),
            "lines": [_order_line(line) for line in row["lines"]]}


def purchase(row: dict) -> dict:
    """A purchase (one checkout) with its per-seller orders and their lines:
    a row of order.purchase_for_buyer."""
    return {"id": row["id"], "total": money(row["total"]), "currency": currency(),
            "created_at": timestamp(row["created_at"]),
            "orders": [seller_order(order) for order in row["orders"]]}


def purchase_summary(row: dict) -> dict:
    """A purchase in the history: a row of order.purchases_for_buyer."""
    return {"id": row["id"], "total": money(row["total"]), "currency": currency(),
            "created_at": timestamp(row["created_at"]), "sellers": row.get("sellers") or "",
            "units": int(row.get("units") or 0), "order_count": row.get("orders") or 0,
            "states": row.get("states") or {}}


def checkout_problem(problem: dict, index: int | None) -> dict:
    """A reason a checkout refused: `index` is the request item it is about
    (None for the whole order, e.g. not enough balance)."""
    return {"index": index, "offer_id": problem["offer_id"], "product_name": problem["product_name"],
            "reason": problem["reason"], "message": problem["message"]}


def page_meta(page: Page, page_key: str = "page", keep: tuple[str, ...] = ()) -> dict:
    """Pagination metadata; `next` keeps the query parameters named in `keep`."""
    next_url = None
    if page.has_next and page.number < MAX_PAGE:
        args = {name: request.args[name] for name in keep if name in request.args}
        next_url = url_for(request.endpoint, **(request.view_args or {}), **args,
                           **{page_key: page.number + 1})
    return {"page": page.number, "per_page": page.per_page, "has_next": page.has_next, "next": next_url}
