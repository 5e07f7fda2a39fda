"""Sellers' shipping fees: a flat fee per order, free from a subtotal on.
The cart, checkout and every order read them through fee_for / with_fees,
so what the cart shows is what checkout charges."""
from decimal import Decimal

from .. import db

MAX_FEE = Decimal("1000.00")


def settings_of(seller_id: int) -> dict:
    """The seller's shipping: fee (0 when never set) and free_from (None:
    the fee always applies)."""
    row = db.query_one("SELECT fee, free_from FROM seller_shipping WHERE seller_id = %s", (seller_id,))
    return row or {"fee": Decimal("0.00"), "free_from": None}


def save_settings(seller_id: int, fee: Decimal, free_from: Decimal | None) -> None:
    """Set the seller's flat fee per order and free-shipping threshold
    (None: no threshold). Orders already placed keep the fee they paid."""
    db.execute(
        """INSERT INTO seller_shipping (seller_id, fee, free_from) VALUES (%s, %s, %s)
           ON CONFLICT (seller_id) DO UPDATE
               SET fee = EXCLUDED.fee, free_from = EXCLUDED.free_from, updated_at = now()""",
        (seller_id, fee, free_from))


def fee_for(settings: dict, subtotal: Decimal) -> Decimal:
    """The fee an order with this subtotal pays."""
    if settings["free_from"] is not None and subtotal >= settings["free_from"]:
        return Decimal("0.00")
    return settings["fee"]


def with_fees(groups: list[dict]) -> list[dict]:
    """Add shipping_fee, free_from and total (subtotal + fee) to each
    seller's group of priced lines (cart.group_by_seller), from the
    seller's settings read with the lines (ship_fee, ship_free_from)."""
    for group in groups:
        first = group["lines"][0]
        seller = {"fee": first["ship_fee"], "free_from": first["ship_free_from"]}
        group["shipping_fee"] = fee_for(seller, group["subtotal"])
        group["free_from"] = seller["free_from"]
        group["total"] = group["subtotal"] + group["shipping_fee"]
    return groups
