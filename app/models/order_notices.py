"""What each side of an order is told when it moves: one inbox notice (and
its email copy, models/notification.py) for the buyer and one for the
seller, written inside the transition's transaction so they exist only if
the move commits."""
from decimal import Decimal

from ..money import format_money
from . import notification

# event -> (kind, buyer's subject, seller's subject); {id} is the order.
_EVENTS = {
    "placed": ("order_placed", "Your order #{id} is placed", "New order #{id} to ship"),
    "shipped": ("order_shipped", "Order #{id} is on its way", "You shipped order #{id}"),
    "delivered": ("order_delivered", "Order #{id} is delivered", "Order #{id} is delivered: you are paid"),
    "cancelled": ("order_cancelled", "Order #{id} is cancelled", "Order #{id} is cancelled"),
    "lines_cancelled": ("order_refunded", "Part of order #{id} is cancelled and refunded",
                        "You cancelled part of order #{id}"),
    "return_requested": ("return_requested", "You asked to return items of order #{id}",
                         "A return is requested for order #{id}"),
    "return_accepted": ("return_accepted", "Your return for order #{id} is accepted",
                        "You accepted the return for order #{id}"),
    "return_refused": ("return_refused", "Your return for order #{id} is refused",
                       "You refused the return for order #{id}"),
    "operator_refund": ("order_refunded", "The marketplace refunded you for order #{id}",
                        "The marketplace refunded the buyer of order #{id}"),
}


def tell(order: dict, event: str, buyer_body: str, seller_body: str) -> None:
    """Notify the order's buyer and seller of `event` (a key of _EVENTS)."""
    kind, buyer_subject, seller_subject = _EVENTS[event]
    notification.notify(order["buyer_id"], kind, buyer_subject.format(id=order["id"]), buyer_body,
                        f"/purchases/{order['purchase_id']}#order-{order['id']}")
    notification.notify(order["seller_id"], kind, seller_subject.format(id=order["id"]), seller_body,
                        f"/sell/orders/{order['id']}")


def placed(orders: list[dict]) -> list[tuple]:
    """The notices of a new purchase for the buyer and each seller, as
    (user_id, kind, subject, body, link) tuples: checkout writes them in
    its one SQL call (see notification.notice_columns)."""
    kind, buyer_subject, seller_subject = _EVENTS["placed"]
    notices = []
    for order in orders:
        total = order["subtotal"] + order["shipping_fee"]
        notices.append((order["buyer_id"], kind, buyer_subject.format(id=order["id"]),
                        f"{money(total)} paid; the seller ships it next.",
                        f"/purchases/{order['purchase_id']}#order-{order['id']}"))
        notices.append((order["seller_id"], kind, seller_subject.format(id=order["id"]),
                        f"{money(total)} is held for you until it is delivered. Ship to:\n{order['ship_to']}",
                        f"/sell/orders/{order['id']}"))
    return notices


def money(amount: Decimal) -> str:
    """An amount as every notice and message writes it: 12.50 EUR."""
    return format_money(amount)
