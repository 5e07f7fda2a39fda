"""Build the whole dataset as numpy columns, deterministically from a seed.

Every stage draws from its own random stream (spawned from the seed), so the
same seed, counts and `now` give the same data. The derived columns (stock
and price aggregates, ratings, units sold, balances) are computed here from
the rows they summarise, never sampled.
"""
from dataclasses import dataclass

import numpy as np

from .counts import Counts
from .plan_catalog import plan_offers, plan_photos, plan_products, plan_users
from .plan_ledger import plan_ledger
from .plan_orders import plan_lines, plan_orders, plan_shipping
from .plan_reviews import plan_reviews, star_totals
from .plan_sales import plan_carts, plan_flash_sales
from .pools import Pools, build_pools, password_hash
from .sampling import group_starts, int_bincount, sort_order


@dataclass(kw_only=True)
class Plan:
    counts: Counts
    seed: int
    now: int  # Unix seconds: midnight UTC of the day the data is for
    pools: Pools
    password_hash: str
    users: dict
    products: dict
    offers: dict
    lines: dict
    orders: dict
    purchases: dict
    returns: dict
    shipping: dict
    sales: dict
    sale_buyers: dict
    carts: dict
    reviews: dict
    seller_reviews: dict
    seller_sales: dict
    photos: dict
    product_photos: dict
    ledger_rng: np.random.Generator
    _ledger: dict | None = None

    def ledger(self) -> dict:
        """The ledger rows (and users["balance"]), planned on first use: the
        loader's producer process plans them while the server is busy with
        the tables before them."""
        if self._ledger is None:
            self._ledger = plan_ledger(self.ledger_rng, self.now, self.users, self.purchases, self.orders,
                                       self.returns)
        return self._ledger


def build_plan(counts: Counts, seed: int, now: int) -> Plan:
    """Every table's rows as numpy columns (the ledger on first use). Raises
    GeneratorError when the counts turn out to be impossible (e.g. more
    reviews than buyers)."""
    seeds = np.random.SeedSequence(seed).spawn(13)
    streams = iter(seeds[:12])
    # The shipping fees' stream came later: last, so the others (and their data) stay.
    shipping_rng = np.random.default_rng(seeds[12])

    def rng():
        return np.random.default_rng(next(streams))

    pools = build_pools(seed)
    users = plan_users(rng(), counts, now, pools)
    products = plan_products(rng(), counts)
    offers = plan_offers(rng(), counts, now, users, products)
    lines = plan_lines(rng(), counts, now, users, products, offers)
    sales, sale_buyers = plan_flash_sales(rng(), counts, now, offers, lines)
    shipping = plan_shipping(shipping_rng, users)
    orders, purchases, returns = plan_orders(rng(), now, lines, shipping, counts.users)
    carts = plan_carts(rng(), counts, now, users, offers)
    bought_at = purchases["created"][lines["purchase"]]
    reviews = plan_reviews(rng(), now, counts.reviews, purchases["buyer"][lines["purchase"]],
                           lines["product"], bought_at, products["quality"], "reviews", "product")
    seller_tilt = rng().normal(0.1, 0.4, counts.users)
    seller_reviews = plan_reviews(rng(), now, counts.seller_reviews, orders["buyer"], orders["seller"],
                                  orders["created"], seller_tilt, "seller reviews", "seller")
    ledger_rng = rng()
    photos, product_photos = plan_photos(rng(), counts, products)
    _summarise(counts, users, products, offers, lines, reviews, seller_reviews)
    return Plan(counts=counts, seed=seed, now=now, pools=pools, password_hash=password_hash(seed),
                users=users, products=products, offers=offers, lines=lines, orders=orders,
                purchases=purchases, returns=returns, shipping=shipping, sales=sales, sale_buyers=sale_buyers,
                carts=carts, reviews=reviews,
                seller_reviews=seller_reviews, seller_sales=_seller_sales(products, offers, lines),
                photos=photos, product_photos=product_photos, ledger_rng=ledger_rng)


def _net(lines: dict) -> np.ndarray:
    """The units of each line still sold (not cancelled, not returned)."""
    return lines["quantity"] - lines["cancelled_quantity"] - lines["returned_quantity"]


def _seller_sales(products: dict, offers: dict, lines: dict) -> dict:
    """Units and revenue per seller and product (an offer is one seller's
    one product), for the seller_product_sales summary table."""
    size = len(offers["product"])
    net = _net(lines)
    units = int_bincount(lines["offer"], net, size)
    revenue = int_bincount(lines["offer"], net * lines["unit_price"], size)
    # Every offer ever bought has its row, even when all its units went
    # back (the trigger keeps such rows at 0 too).
    sold = np.flatnonzero(np.bincount(lines["offer"], minlength=size))
    sold = sold[sort_order(offers["seller"][sold], offers["product"][sold])]
    return {"seller": offers["seller"][sold], "product": offers["product"][sold],
            "category": products["category"][offers["product"][sold]], "units": units[sold],
            "revenue": revenue[sold]}


def _summarise(counts: Counts, users, products, offers, lines, reviews, seller_reviews) -> None:
    """The aggregate columns the app keeps next to the rows they summarise."""
    listed = offers["active"] & (offers["quantity"] > 0)
    products["seller_count"] = np.bincount(offers["product"][listed], minlength=counts.products)
    listed_price = np.where(listed, offers["price"], np.iinfo(np.int64).max)
    cheapest = np.minimum.reduceat(listed_price, group_starts(offers["product"]))
    products["min_price"] = np.where(products["seller_count"] > 0, cheapest, -1)
    products["units_sold"] = int_bincount(lines["product"], _net(lines), counts.products)
    products["ratings"] = star_totals(reviews["subject"], reviews["rating"], counts.products)
    users["seller_ratings"] = star_totals(seller_reviews["subject"], seller_reviews["rating"], counts.users)
