"""How many rows to generate: the scale presets and the checks that the
counts can be consistent before anything is generated."""
from dataclasses import dataclass, fields, replace

from .words import CATEGORIES

# Limits that keep the data believable (and the generator's sampling fast).
MAX_LINES_PER_PURCHASE = 12
MAX_CART_ITEMS_PER_USER = 10
SELLER_SHARE = 0.3  # about this share of users sell something


class GeneratorError(Exception):
    """A request the generator cannot honour; the message says why."""


@dataclass(frozen=True)
class Counts:
    users: int
    categories: int
    products: int
    offers: int
    cart_items: int
    purchases: int
    order_lines: int
    reviews: int
    seller_reviews: int
    flash_sales: int

    @property
    def sellers(self) -> int:
        return max(2, min(self.users, round(self.users * SELLER_SHARE)))

    @property
    def max_sellers_per_product(self) -> int:
        # At most half the sellers on one product keeps distinct sampling quick;
        # even the busiest product in a real market has a few hundred sellers.
        return max(1, min(self.sellers // 2, 500))


PRESETS = {
    # Loaded by ./setup.sh into an empty database: a small, lively shop.
    "demo": Counts(users=50, categories=8, products=200, offers=700, cart_items=60, purchases=240,
                   order_lines=600, reviews=300, seller_reviews=120, flash_sales=16),
    "small": Counts(users=2_000, categories=12, products=3_000, offers=9_000, cart_items=1_500,
                    purchases=4_000, order_lines=12_000, reviews=3_000, seller_reviews=1_500,
                    flash_sales=60),
    "medium": Counts(users=100_000, categories=20, products=100_000, offers=300_000, cart_items=50_000,
                     purchases=200_000, order_lines=600_000, reviews=100_000, seller_reviews=50_000,
                     flash_sales=1_000),
    "large": Counts(users=1_000_000, categories=20, products=1_000_000, offers=3_000_000,
                    cart_items=500_000, purchases=2_000_000, order_lines=6_000_000, reviews=1_000_000,
                    seller_reviews=500_000, flash_sales=5_000),
}

COUNT_NAMES = tuple(f.name for f in fields(Counts))


def resolve(scale: str, overrides: dict[str, int | None]) -> Counts:
    """The preset's counts with the given overrides, checked for consistency."""
    if scale not in PRESETS:
        raise GeneratorError(f"unknown scale '{scale}': choose one of {', '.join(PRESETS)}")
    counts = replace(PRESETS[scale], **{k: v for k, v in overrides.items() if v is not None})
    validate(counts)
    return counts


def validate(counts: Counts) -> None:
    """Raise GeneratorError when the counts cannot describe a consistent shop."""
    for name in COUNT_NAMES:
        value = getattr(counts, name)
        if value < 1:
            raise GeneratorError(f"--{name.replace('_', '-')} must be at least 1 (got {value})")
    rules = [
        (counts.users >= 2, "users must be at least 2: a buyer never buys from themselves"),
        (counts.categories <= len(CATEGORIES),
         f"categories can be at most {len(CATEGORIES)} (the generator's word lists)"),
        (counts.offers >= counts.products,
         f"offers ({counts.offers:,}) must be at least products ({counts.products:,}): "
         "every product has a seller"),
        (counts.offers <= counts.products * counts.max_sellers_per_product,
         f"offers ({counts.offers:,}) cannot exceed products x {counts.max_sellers_per_product:,} "
         f"(a seller offers a product once, and there are {counts.sellers:,} sellers)"),
        (counts.order_lines >= counts.purchases,
         f"order lines ({counts.order_lines:,}) must be at least purchases ({counts.purchases:,})"),
        (counts.order_lines <= counts.purchases * MAX_LINES_PER_PURCHASE,
         f"order lines ({counts.order_lines:,}) cannot exceed {MAX_LINES_PER_PURCHASE} per purchase"),
        (counts.reviews <= counts.order_lines,
         f"reviews ({counts.reviews:,}) cannot exceed order lines ({counts.order_lines:,}): "
         "only buyers review a product"),
        (counts.seller_reviews <= counts.order_lines,
         f"seller reviews ({counts.seller_reviews:,}) cannot exceed order lines "
         f"({counts.order_lines:,}): only buyers review a seller"),
        (counts.cart_items <= counts.users * MAX_CART_ITEMS_PER_USER,
         f"cart items ({counts.cart_items:,}) cannot exceed {MAX_CART_ITEMS_PER_USER} per user"),
        (counts.cart_items <= counts.offers // 2,
         f"cart items ({counts.cart_items:,}) cannot exceed half the offers ({counts.offers:,})"),
        (counts.flash_sales <= counts.offers // 4,
         f"flash sales ({counts.flash_sales:,}) cannot exceed a quarter of the offers ({counts.offers:,})"),
    ]
    for ok, message in rules:
        if not ok:
            raise GeneratorError(message)
