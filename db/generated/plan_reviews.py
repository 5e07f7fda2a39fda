"""Plan product and seller reviews: written only by buyers, after their
first purchase, with the J-shaped star counts of real shops (mostly 4 and 5,
a bump at 1), tilted per product and per seller."""
import numpy as np

from .counts import GeneratorError
from .sampling import DAY, MINUTE, later

# Share of 1..5 star ratings for an average product.
STAR_SHARES = np.array([0.07, 0.05, 0.11, 0.27, 0.50])


def plan_reviews(rng, now: int, count: int, author: np.ndarray, subject: np.ndarray, bought_at: np.ndarray,
                 tilt: np.ndarray, what: str, subject_name: str) -> dict:
    """`count` reviews of distinct (author, subject) pairs drawn from the
    purchases (author bought subject at bought_at, rows in time order);
    tilt[subject] > 0 means better ratings than average."""
    # Rows come in purchase time order, so a pair's first row is its first purchase.
    first = np.unique(author * (subject.max() + 1) + subject, return_index=True)[1]
    if count > len(first):
        raise GeneratorError(f"{what} ({count:,}) cannot exceed the {len(first):,} distinct "
                             f"buyer/{subject_name} pairs the purchases allow")
    chosen = first[rng.choice(len(first), count, replace=False)]
    created = _after_delivery(rng, bought_at[chosen], now)
    rank = np.argsort(created, kind="stable")  # review ids follow time
    chosen, created = chosen[rank], created[rank]
    edited = rng.random(count) < 0.1
    return {
        "author": author[chosen],
        "subject": subject[chosen],
        "rating": _stars(rng, tilt[subject[chosen]]),
        "created": created,
        "updated": np.where(edited, later(rng, created, now - MINUTE, 1.0, 2.0), created),
        "text": rng.integers(0, 1 << 30, (count, 4)),  # title and sentence picks
        "sentences": rng.integers(1, 4, count),
        "has_title": rng.random(count) >= 0.1,
    }


def _after_delivery(rng, bought_at: np.ndarray, now: int) -> np.ndarray:
    written = bought_at + (DAY + rng.exponential(6 * DAY, len(bought_at))).astype(np.int64)
    too_late = written >= now
    written[too_late] = later(rng, bought_at[too_late], now - MINUTE)
    return written


def _stars(rng, tilt: np.ndarray) -> np.ndarray:
    """1..5 per review from STAR_SHARES tilted towards 5 (tilt > 0) or 1."""
    weights = STAR_SHARES[None, :] * np.exp(tilt[:, None] * (np.arange(5)[None, :] - 2))
    cumulative = np.cumsum(weights, axis=1)
    draws = rng.random(len(tilt))[:, None] * cumulative[:, -1:]
    return (draws >= cumulative).sum(axis=1) + 1


def star_totals(subject: np.ndarray, rating: np.ndarray, size: int) -> dict:
    """Per subject: review count, star sum and the 1..5 histogram."""
    hist = np.bincount(subject * 5 + rating - 1, minlength=size * 5).reshape(size, 5)
    return {"count": hist.sum(axis=1), "sum": hist @ np.arange(1, 6), "hist": hist}
