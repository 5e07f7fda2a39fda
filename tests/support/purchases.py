"""Purchases written with plain SQL, so review, analytics and recommendation
tests do not depend on the checkout code. Balances are left alone."""
from collections import defaultdict
from decimal import Decimal

from app import db


def make_purchase(app, buyer, lines, created_at=None) -> int:
    """Record that `buyer` bought `lines` — [(offer, quantity)] with offers as
    returned by the make_offer fixture — as one purchase with one delivered
    order per seller, at the offers' prices, and count the units in
    products.units_sold (folding sales_pending).
    `created_at` backdates it. Returns the purchase id."""
    by_seller = defaultdict(list)
    for offer, quantity in lines:
        by_seller[offer["seller_id"]].append((offer, quantity))
    total = sum(Decimal(offer["price"]) * quantity for offer, quantity in lines)
    with app.app_context(), db.transaction():
        purchase_id = db.query_value(
            "INSERT INTO purchases (buyer_id, total, created_at) VALUES (%s, %s, coalesce(%s, now())) "
            "RETURNING id", (buyer.id, total, created_at))
        for seller_id, seller_lines in by_seller.items():
            subtotal = sum(Decimal(offer["price"]) * quantity for offer, quantity in seller_lines)
            # Delivered (and so paid out), the state analytics count.
            order_id = db.query_value(
                """INSERT INTO orders (purchase_id, seller_id, buyer_id, subtotal, created_at, state,
                                      shipped_at, delivered_at, released_at)
                   VALUES (%s, %s, %s, %s, coalesce(%s, now()), 'delivered', coalesce(%s, now()),
                           coalesce(%s, now()), coalesce(%s, now())) RETURNING id""",
                (purchase_id, seller_id, buyer.id, subtotal, created_at, created_at, created_at, created_at))
            for offer, quantity in seller_lines:
                db.execute(
                    """INSERT INTO order_lines (order_id, offer_id, product_id, quantity, unit_price)
                       VALUES (%s, %s, %s, %s, %s)""",
                    (order_id, offer["offer_id"], offer["product_id"], quantity, offer["price"]))
        # The lines' trigger left their units in sales_pending; count them now.
        db.query_value("SELECT fold_pending_sales()")
    return purchase_id
