"""Plan users, categories, products and offers as numpy columns.

Users sign up over three years (ids in sign-up order); about a third of them
sell. Products belong to a category; offers are skewed like a real market:
a few products have many sellers, most have one to three, busy sellers have
many offers, and a seller never offers the same product twice. Every
product has a photo from a small pool of its category's pictures.
"""
import numpy as np

from app.images import content_hash

from .counts import Counts
from .pictures import PER_CATEGORY, category_pool
from .pools import Pools
from .sampling import DAY, HOUR, distinct_per_group, later, spread, weighted_choice
from .words import CATEGORIES, DEMO_PEOPLE

HISTORY = 3 * 365 * DAY


def plan_users(rng, counts: Counts, now: int, pools: Pools) -> dict:
    n = counts.users
    created = now - HISTORY + np.sort(rng.integers(0, HISTORY - 2 * DAY, n))
    demo = min(n, len(DEMO_PEOPLE))
    sellers = np.r_[np.arange(min(demo, counts.sellers)),
                    rng.choice(np.arange(demo, n), counts.sellers - min(demo, counts.sellers), replace=False)]
    is_seller = np.zeros(n, dtype=bool)
    is_seller[sellers] = True
    # How busy each seller is and how much each user shops; demo users are
    # busy so their logins show a full shop.
    seller_weight = np.where(is_seller, rng.lognormal(0.0, 1.0, n), 0.0)
    buyer_weight = rng.lognormal(0.0, 1.0, n)
    seller_weight[:demo] *= 4
    buyer_weight[:demo] *= 4
    return {
        "created": created,
        "first": rng.integers(0, len(pools.first_names), n),
        "last": rng.integers(0, len(pools.last_names), n),
        "street": rng.integers(0, len(pools.streets), n),
        "city": rng.integers(0, len(pools.cities), n),
        "seller_weight": seller_weight,
        "buyer_weight": buyer_weight,
    }


def plan_products(rng, counts: Counts) -> dict:
    n = counts.products
    categories = CATEGORIES[:counts.categories]
    popularity = rng.permutation(1.0 / np.sqrt(np.arange(1, len(categories) + 1)))
    category = weighted_choice(rng, popularity, n)

    def pick(sizes):  # an index into each product's own category list
        return (rng.random(n) * np.array(sizes)[category]).astype(np.int64)

    median = np.array([c.median_price for c in categories])[category]
    base_price = np.maximum(median * rng.lognormal(0.0, 0.55, n) * 100, 150).astype(np.int64)
    has_variant = rng.random(n) < 0.7
    return {
        "category": category,
        "brand": rng.integers(0, 1 << 30, n),  # reduced modulo the brand pool when written
        "adjective": pick([len(c.adjectives) for c in categories]),
        "noun": pick([len(c.nouns) for c in categories]),
        "variant": np.where(has_variant, pick([len(c.variants) for c in categories]), -1),
        "feature": rng.integers(0, 1 << 30, n),
        "closing": rng.integers(0, 1 << 30, n),
        "base_price": base_price,
        "popularity": rng.lognormal(0.0, 1.5, n),
        "quality": rng.normal(0.0, 0.35, n),  # tilts its star ratings
    }


def plan_offers(rng, counts: Counts, now: int, users: dict, products: dict) -> dict:
    sellers_per_product = spread(rng, counts.offers, rng.lognormal(0.0, 1.3, counts.products),
                                 low=1, high=counts.max_sellers_per_product)
    product = np.repeat(np.arange(counts.products), sellers_per_product)
    seller_ids = np.flatnonzero(users["seller_weight"])
    weights = users["seller_weight"][seller_ids]

    def draw(rows, uniform):
        size = len(rows)
        picks = rng.integers(0, len(seller_ids), size) if uniform else weighted_choice(rng, weights, size)
        return seller_ids[picks]

    seller = distinct_per_group(product, draw)
    first_offer = np.r_[0, np.cumsum(sellers_per_product)[:-1]]
    # The product's creator is the seller of its first offer; the product
    # appears after its creator joined, its offers after both.
    products["creator"] = seller[first_offer]
    products["created"] = later(rng, users["created"][products["creator"]], now - DAY, 1.0, 3.0)
    created = later(rng, np.maximum(products["created"][product], users["created"][seller]),
                    now - 12 * HOUR, 1.0, 3.0)
    created[first_offer] = products["created"]
    price = _offer_prices(rng, products["base_price"][product])
    in_stock = rng.random(len(product)) >= 0.07
    quantity = np.where(in_stock, np.clip(rng.lognormal(2.6, 1.0, len(product)), 1, 999), 0).astype(np.int64)
    return {
        "product": product,
        "seller": seller,
        "price": price,
        "quantity": quantity,
        "active": rng.random(len(product)) >= 0.04,
        "created": created,
        "updated": later(rng, created, now - HOUR, 1.0, 4.0),
    }


def _offer_prices(rng, base: np.ndarray) -> np.ndarray:
    """Each seller's price near the product's base price, with shop-like endings."""
    price = base * rng.normal(1.0, 0.07, len(base))
    euros = np.maximum(np.floor(price / 100), 0).astype(np.int64)
    endings = np.array([99, 95, 49, 0])[weighted_choice(rng, np.array([6.0, 2.0, 1.5, 1.0]), len(base))]
    cents = euros * 100 + endings
    return np.where(cents > 0, cents, 99)


def plan_photos(rng, counts: Counts, products: dict) -> tuple[dict, dict]:
    """The photo pool (pictures.PER_CATEGORY drawn per category) and one
    photo for every product, from its category's pool: (photos, product_photos)."""
    pool = category_pool(int(rng.integers(1 << 62)), counts.categories)
    choice = products["category"] * PER_CATEGORY + rng.integers(0, PER_CATEGORY, counts.products)
    photos = {"sizes": pool, "hash": [content_hash(sizes) for sizes in pool]}
    return photos, {"product": np.arange(counts.products), "photo": choice}
