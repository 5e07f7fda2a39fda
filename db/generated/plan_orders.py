"""Plan purchases, their per-seller orders and order lines.

Purchase times come first (ids follow time, volume grows with the shop);
each is made by a user who had joined, and its lines buy offers that
existed then (popular products and cheap offers more often), never the
buyer's own, never one offer twice. Lines are grouped by (purchase, seller) into orders, and are
priced and summed once flash sales have claimed their lines; then each order
gets its state (placed, shipped, delivered or cancelled), its money (held
while open, released on delivery, refunded on cancellation) and a few
delivered ones a return request (accepted, refused or still open), as the
transitions of app/models/order_state.py would have left them.
"""
import numpy as np

from .counts import MAX_LINES_PER_PURCHASE, Counts
from .plan_states import plan_states
from .sampling import (
    HOUR,
    distinct_per_group,
    group_sizes,
    group_starts,
    later,
    prefix_choice,
    sort_order,
    spread,
    weighted_choice,
)


def plan_lines(rng, counts: Counts, now: int, users: dict, products: dict, offers: dict) -> dict:
    """When each purchase happened, who bought, which offers (among those
    that existed then) and how many units of each."""
    by_age = np.argsort(offers["created"], kind="stable")
    offer_times = offers["created"][by_age]
    # Purchases start once 1% of the catalog exists and grow with the shop.
    opening = max(offer_times[len(offer_times) // 100], users["created"][counts.users // 100]) + 1
    bought = np.sort(later(rng, np.full(counts.purchases, opening), now - HOUR, 1.8, 1.0))
    lines_per_purchase = spread(rng, counts.order_lines, rng.gamma(2.0, 1.0, counts.purchases),
                                low=1, high=MAX_LINES_PER_PURCHASE)
    purchase = np.repeat(np.arange(counts.purchases), lines_per_purchase)
    # Users are in sign-up order, so those who had joined are a prefix.
    joined = np.searchsorted(users["created"], bought, side="left")
    buyer_of_purchase = prefix_choice(rng, np.cumsum(users["buyer_weight"]), joined)
    buyer = buyer_of_purchase[purchase]
    # Popular products sell more, and within a product the cheaper offers do.
    cheapest = np.full(counts.products, np.iinfo(np.int64).max)
    np.minimum.at(cheapest, offers["product"], offers["price"])
    appeal = products["popularity"][offers["product"]] * (cheapest[offers["product"]] / offers["price"]) ** 3
    appeal_so_far = np.cumsum(appeal[by_age])
    listed = np.searchsorted(offer_times, bought, side="left")[purchase]

    def draw(rows, uniform):
        if uniform:
            return by_age[(rng.random(len(rows)) * listed[rows]).astype(np.int64)]
        return by_age[prefix_choice(rng, appeal_so_far, listed[rows])]

    def bad(rows, values):
        own = offers["seller"][values] == buyer[rows]
        return own | (offers["created"][values] >= bought[purchase[rows]])

    first_draw = _same_seller_often(rng, purchase, draw(np.arange(len(purchase)), False), offers)
    offer = distinct_per_group(purchase, draw, bad, initial=first_draw)
    seller = offers["seller"][offer]
    order = sort_order(purchase, seller)  # lines grouped by (purchase, seller): the orders
    purchase, seller, offer = purchase[order], seller[order], offer[order]
    units = np.array([1, 2, 3, 4, 5])[weighted_choice(rng, np.array([72.0, 17, 6, 3, 2]), len(offer))]
    return {"purchase": purchase, "seller": seller, "offer": offer, "product": offers["product"][offer],
            "quantity": units, "unit_price": offers["price"][offer].copy(),
            "flash_sale": np.full(len(offer), -1, dtype=np.int64),
            "purchases": {"buyer": buyer_of_purchase, "created": bought}}


def _same_seller_often(rng, purchase: np.ndarray, offer: np.ndarray, offers: dict) -> np.ndarray:
    """Shoppers often add more from the seller of their first item: give
    some later lines another offer of that seller."""
    seller_of_first = offers["seller"][offer[group_starts(purchase)]][purchase]
    same = rng.random(len(offer)) < 0.4
    same[group_starts(purchase)] = False
    by_seller = np.argsort(offers["seller"], kind="stable")
    per_seller = np.bincount(offers["seller"], minlength=seller_of_first.max() + 1)
    first_of_seller = np.cumsum(per_seller) - per_seller
    sellers = seller_of_first[same]
    pick = (rng.random(len(sellers)) * per_seller[sellers]).astype(np.int64)
    offer[same] = by_seller[first_of_seller[sellers] + pick]
    return offer


def plan_shipping(rng, users: dict) -> dict:
    """Sellers' shipping settings (seller_shipping): about half the sellers
    charge a flat fee per order, half of those free from a subtotal on;
    the others ship free (no row). free_from -1: never free."""
    sellers = np.flatnonzero((users["seller_weight"] > 0) & (rng.random(len(users["seller_weight"])) < 0.5))
    fee = np.array([290, 490, 590, 990])[rng.integers(0, 4, len(sellers))]
    free_from = np.where(rng.random(len(sellers)) < 0.5,
                         np.array([2_500, 5_000, 10_000])[rng.integers(0, 3, len(sellers))], -1)
    return {"seller": sellers, "fee": fee, "free_from": free_from}


def _shipping_fees(shipping: dict, seller: np.ndarray, subtotal: np.ndarray, users: int) -> np.ndarray:
    """Each order's fee, as models/shipping.fee_for charges it at checkout."""
    fee, free_from = np.zeros(users, dtype=np.int64), np.full(users, -1, dtype=np.int64)
    fee[shipping["seller"]], free_from[shipping["seller"]] = shipping["fee"], shipping["free_from"]
    free = (free_from[seller] >= 0) & (subtotal >= free_from[seller])
    return np.where(free, 0, fee[seller])


def plan_orders(rng, now: int, lines: dict, shipping: dict, users: int) -> tuple[dict, dict, dict]:
    """Orders (one per purchase and seller) with subtotals, shipping fees,
    states and money, the purchases' totals, each line's order and
    cancelled or returned units, and the return requests."""
    purchases = lines.pop("purchases")
    key = lines["purchase"] * (lines["seller"].max() + 1) + lines["seller"]
    starts = group_starts(key)
    lines["order"] = np.repeat(np.arange(len(starts)), group_sizes(starts, len(key)))
    order_purchase = lines["purchase"][starts]
    amount = lines["quantity"] * lines["unit_price"]
    orders = {
        "purchase": order_purchase,
        "seller": lines["seller"][starts],
        "buyer": purchases["buyer"][order_purchase],
        "subtotal": np.add.reduceat(amount, starts),
        "created": purchases["created"][order_purchase],
    }
    orders["shipping_fee"] = _shipping_fees(shipping, orders["seller"], orders["subtotal"], users)
    # Every purchase has at least one order, and orders are sorted by purchase.
    purchases["total"] = np.add.reduceat(orders["subtotal"] + orders["shipping_fee"],
                                         group_starts(order_purchase))
    returns = plan_states(rng, now, orders, lines, starts)
    return orders, purchases, returns
