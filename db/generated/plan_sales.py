"""Plan flash sales (past, live, upcoming) and shopping carts.

Times are relative to `now` (midnight UTC of the day the data is for): a
live sale started before that midnight and ends more than a day after it, an
upcoming one starts more than a day after it, a past one ended before it, so
each stays in its state for the whole day the data was generated for.
Past and live sales claim the order lines bought inside their window, at the
sale price and within the per-customer limit.
"""
import numpy as np

from .counts import MAX_CART_ITEMS_PER_USER, Counts, GeneratorError
from .sampling import (
    DAY,
    HOUR,
    MINUTE,
    distinct_per_group,
    group_cumsum,
    group_starts,
    int_bincount,
    later,
    sample_without_replacement,
    spread,
    weighted_choice,
)

LIVE_SHARE, UPCOMING_SHARE = 0.3, 0.2


def plan_flash_sales(rng, counts: Counts, now: int, offers: dict, lines: dict) -> tuple[dict, dict]:
    """The sales and their buyers; updates the lines they claim and makes
    sure each live or upcoming sale's offer has the units it promises."""
    live_n = max(1, round(counts.flash_sales * LIVE_SHARE))
    upcoming_n = min(counts.flash_sales - live_n, round(counts.flash_sales * UPCOMING_SHARE))
    past_n = counts.flash_sales - live_n - upcoming_n
    sold = int_bincount(lines["offer"], lines["quantity"], len(offers["price"]))
    on_sale_now = offers["active"] & (offers["quantity"] > 0)
    if on_sale_now.sum() < live_n + upcoming_n:
        raise GeneratorError("too few offers in stock for the live and upcoming flash sales")
    current = sample_without_replacement(rng, np.where(on_sale_now, sold + 1.0, 0.0), live_n + upcoming_n)
    past_weights = sold + 0.01
    past_weights[current] = 0
    offer = np.r_[current, sample_without_replacement(rng, past_weights, past_n)]
    state = np.repeat(np.array([0, 1, 2]), [live_n, upcoming_n, past_n])  # live, upcoming, past
    starts, ends = _windows(rng, now, state, offer, offers, lines)
    price = offers["price"][offer]
    discounted = (price * rng.uniform(0.55, 0.85, len(offer))).astype(np.int64) // 10 * 10 + 9
    sale_price = np.minimum(price - 1, discounted)
    sales = {
        "offer": offer, "sale_price": np.maximum(sale_price, 1), "starts": starts, "ends": ends,
        "limit": np.array([1, 2, 3, 5])[weighted_choice(rng, np.array([3.0, 4, 2, 1]), len(offer))],
        "created": np.maximum(offers["created"][offer] + 1,
                              np.minimum(starts, now)
                              - (HOUR + rng.random(len(offer)) * 5 * DAY).astype(np.int64)),
    }
    buyers = _claim_lines(sales, offers, lines)
    _size_sales(rng, sales, state, offers)
    return sales, buyers


def _windows(rng, now: int, state, offer, offers: dict, lines: dict):
    n = len(offer)
    starts = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    live, upcoming, past = state == 0, state == 1, state == 2

    def hours(low, high, size):
        return (rng.uniform(low, high, size) * HOUR).astype(np.int64)

    starts[live] = np.maximum(now - hours(1, 72, live.sum()), offers["created"][offer[live]] + 1)
    ends[live] = now + DAY + hours(1, 120, live.sum())
    starts[upcoming] = now + DAY + hours(1, 216, upcoming.sum())
    ends[upcoming] = starts[upcoming] + hours(6, 72, upcoming.sum())
    # A past sale is centred on a real purchase of its offer when it has one.
    anchor = _some_purchase_time(rng, offer[past], lines)
    unsold = anchor < 0
    anchor[unsold] = later(rng, offers["created"][offer[past]][unsold], now - DAY)
    starts[past] = np.maximum(anchor - hours(0, 48, past.sum()), offers["created"][offer[past]] + 1)
    ends[past] = np.minimum(anchor + hours(1, 48, past.sum()), now)
    ends = np.maximum(ends, starts + MINUTE)
    return starts, ends


def _some_purchase_time(rng, offer: np.ndarray, lines: dict) -> np.ndarray:
    """For each offer, when a random one of its lines was bought (-1: never)."""
    by_offer = np.argsort(lines["offer"], kind="stable")
    first = np.searchsorted(lines["offer"][by_offer], offer, side="left")
    count = np.searchsorted(lines["offer"][by_offer], offer, side="right") - first
    pick = by_offer[np.minimum(first + (rng.random(len(offer)) * count).astype(np.int64), len(by_offer) - 1)]
    return np.where(count > 0, lines["purchases"]["created"][lines["purchase"][pick]], -1)


def _claim_lines(sales: dict, offers: dict, lines: dict) -> dict:
    """Lines bought in a sale's window get the sale price, while the buyer
    stays within the per-customer limit; returns the sales' buyers."""
    sale_of_offer = np.full(len(offers["price"]), -1, dtype=np.int64)
    sale_of_offer[sales["offer"]] = np.arange(len(sales["offer"]))
    sale = sale_of_offer[lines["offer"]]
    bought_at = lines["purchases"]["created"][lines["purchase"]]
    inside = np.flatnonzero(sale >= 0)
    at, its_sale = bought_at[inside], sale[inside]
    inside = inside[(sales["starts"][its_sale] <= at) & (at < sales["ends"][its_sale])]
    buyer = lines["purchases"]["buyer"][lines["purchase"]]
    # Lines are in time order; a stable sort by (sale, buyer) keeps it.
    inside = inside[np.lexsort((buyer[inside], sale[inside]))]
    key = sale[inside] * (buyer.max() + 1) + buyer[inside]
    running = group_cumsum(lines["quantity"][inside], group_starts(key))
    claimed = inside[running <= sales["limit"][sale[inside]]]
    lines["flash_sale"][claimed] = sale[claimed]
    lines["unit_price"][claimed] = sales["sale_price"][sale[claimed]]
    claimed_key = key[running <= sales["limit"][sale[inside]]]
    starts = group_starts(claimed_key)
    sales["units_sold"] = int_bincount(sale[claimed], lines["quantity"][claimed], len(sales["offer"]))
    return {"sale": sale[claimed][starts], "buyer": buyer[claimed][starts],
            "units": np.add.reduceat(lines["quantity"][claimed], starts) if len(starts) else starts}


def _size_sales(rng, sales: dict, state, offers: dict) -> None:
    """Units for sale: some past sales sold out, current ones have units left,
    and the offer holds at least the units still for sale."""
    n = len(state)
    sold_out = (state == 2) & (rng.random(n) < 0.4) & (sales["units_sold"] > 0)
    extra = np.where(state == 2, rng.integers(5, 30, n), rng.integers(10, 100, n))
    sales["units_total"] = sales["units_sold"] + np.where(sold_out, 0, extra)
    current = state != 2
    offer = sales["offer"][current]
    left = sales["units_total"][current] - sales["units_sold"][current]
    offers["quantity"][offer] = np.maximum(offers["quantity"][offer], left)


def plan_carts(rng, counts: Counts, now: int, users: dict, offers: dict) -> dict:
    """Open carts of the busier shoppers: in-stock active offers of other
    sellers, mostly at the price seen when added, some since changed."""
    buyable = np.flatnonzero(offers["active"] & (offers["quantity"] > 0))
    if len(buyable) < 2:
        raise GeneratorError("too few offers in stock to fill the carts")
    most = max(1, min(MAX_CART_ITEMS_PER_USER, len(buyable) // 2))
    shoppers_n = min(counts.users, max(-(-counts.cart_items // most), counts.cart_items // 3))
    shoppers = sample_without_replacement(rng, users["buyer_weight"], shoppers_n)
    sizes = spread(rng, counts.cart_items, rng.gamma(1.5, 1.0, shoppers_n), low=1, high=most)
    user = np.repeat(shoppers, sizes)

    def draw(rows, uniform):
        return buyable[rng.integers(0, len(buyable), len(rows))]

    offer = distinct_per_group(user, draw, bad=lambda rows, values: offers["seller"][values] == user[rows])
    price = offers["price"][offer]
    changed = rng.random(len(offer)) < 0.08
    old_price = np.maximum((price * rng.uniform(0.85, 1.15, len(offer))).astype(np.int64), 1)
    return {
        "user": user, "offer": offer,
        "quantity": np.minimum(np.array([1, 1, 1, 2, 3])[rng.integers(0, 5, len(offer))],
                               offers["quantity"][offer]),
        "price_seen": np.where(changed & (old_price != price), old_price, price),
        # Carts are recent: added within the last month (or since the offer appeared).
        "added": later(rng, np.maximum.reduce([users["created"][user], offers["created"][offer],
                                               np.full(len(user), now - 30 * DAY)]), now - MINUTE),
    }
