"""Vectorised sampling helpers shared by the plan modules.

Times are int64 seconds since the Unix epoch (UTC); money is int64 cents;
row indices are 0-based (database ids are index + 1).
"""
import numpy as np

from .counts import GeneratorError

MINUTE = 60
HOUR = 3600
DAY = 86_400


def weighted_choice(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """`size` indices into `weights`, each drawn with probability weight / sum."""
    cumulative = np.cumsum(weights, dtype=np.float64)
    # Sorted draws make the binary searches walk memory in order (several
    # times faster on big arrays); the shuffle keeps the picks independent.
    draws = np.sort(rng.random(size)) * cumulative[-1]
    picks = np.minimum(np.searchsorted(cumulative, draws, side="right"), len(weights) - 1)
    return rng.permutation(picks)


def sort_order(*keys: np.ndarray) -> np.ndarray:
    """The stable order of rows sorted by keys (most significant first), all
    non-negative integers: one argsort of a combined key when it fits in 62
    bits, which is much faster than np.lexsort."""
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    room = 1
    for key in keys:
        span = int(key.max(initial=0)) + 1
        room *= span
        if room >= 1 << 62:
            return np.lexsort(keys[::-1])
        combined = combined * span + key.astype(np.int64, copy=False)
    return np.argsort(combined, kind="stable")


def sample_without_replacement(rng, weights: np.ndarray, size: int) -> np.ndarray:
    """`size` distinct indices, heavier weights likelier (Gumbel top-k), sorted."""
    keys = np.log(np.maximum(weights, 1e-300)) + rng.gumbel(size=len(weights))
    keys[weights <= 0] = -np.inf
    return np.sort(np.argpartition(-keys, size - 1)[:size])


def spread(rng: np.random.Generator, total: int, weights: np.ndarray, low: int, high: int) -> np.ndarray:
    """Split `total` into len(weights) integers in [low, high], each slot's
    share of the excess proportional to its weight (so a skewed weight gives a
    skewed split)."""
    if not low * len(weights) <= total <= high * len(weights):
        raise GeneratorError(f"cannot split {total:,} into {len(weights):,} parts of {low} to {high}")
    counts = np.full(len(weights), low, dtype=np.int64)
    left = total - counts.sum()
    open_slots = np.ones(len(weights), dtype=bool)
    while left > 0:
        share = np.where(open_slots, weights, 0.0)
        counts += rng.multinomial(left, share / share.sum())
        left = int(np.maximum(counts - high, 0).sum())
        np.minimum(counts, high, out=counts)
        open_slots = counts < high
    return counts


def group_starts(groups: np.ndarray) -> np.ndarray:
    """Start positions of the runs of equal values in a sorted array."""
    if len(groups) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])


def rows_of_groups(groups: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Positions of every row whose group is in `wanted` (groups sorted)."""
    wanted = np.unique(wanted)
    lo = np.searchsorted(groups, wanted, side="left")
    sizes = np.searchsorted(groups, wanted, side="right") - lo
    offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return np.repeat(lo, sizes) + offsets


def distinct_per_group(groups: np.ndarray, draw, bad=None, initial: np.ndarray | None = None,
                       attempts: int = 80) -> np.ndarray:
    """Draw a value per row (rows sorted by group) such that no value repeats
    within a group and, when given, bad(rows, values) is false (e.g. nobody
    buys their own offer). `draw(rows, uniform)` returns candidates for those
    rows; after half the attempts it is asked for uniform draws, which
    always converge. `initial` values, when given, are kept where valid."""
    everything = np.arange(len(groups))
    values = draw(everything, False) if initial is None else initial
    rows = everything
    for attempt in range(attempts):
        # Only groups that just changed can hold a new conflict.
        wrong = np.zeros(len(rows), dtype=bool) if bad is None else bad(rows, values[rows])
        order = sort_order(groups[rows], values[rows])
        sorted_groups, sorted_values = groups[rows][order], values[rows][order]
        same = (sorted_groups[1:] == sorted_groups[:-1]) & (sorted_values[1:] == sorted_values[:-1])
        wrong[order[1:][same]] = True
        pending = rows[wrong]
        if len(pending) == 0:
            return values
        values[pending] = draw(pending, attempt >= attempts // 2)
        rows = rows_of_groups(groups, groups[pending])
    raise GeneratorError("could not draw distinct values (try fewer rows per group, e.g. fewer offers "
                         "per product or fewer lines per purchase)")


def prefix_choice(rng, cumulative: np.ndarray, prefix: np.ndarray) -> np.ndarray:
    """Per row, an index below prefix[row] drawn with probability weight / sum
    of the first prefix[row] weights (`cumulative` is their running sum; every
    prefix is at least 1). Sorted draws keep the searches cache-friendly."""
    draws = rng.random(len(prefix)) * cumulative[prefix - 1]
    order = np.argsort(draws)
    picks = np.empty(len(prefix), dtype=np.int64)
    picks[order] = np.searchsorted(cumulative, draws[order], side="right")
    return np.minimum(picks, prefix - 1)


def later(rng, after: np.ndarray, until: int | np.ndarray, a: float = 1.0, b: float = 1.0) -> np.ndarray:
    """A time strictly after `after` and, when there is room, before `until`,
    placed by a Beta(a, b) draw with a or b equal to 1 (a > 1: close to
    until; b > 1: soon after `after`), drawn by its closed-form inverse."""
    room = np.maximum(np.asarray(until) - after - 2, 0)
    uniform = rng.random(len(after))
    if b == 1.0:
        share = uniform ** (1.0 / a)
    elif a == 1.0:
        share = 1.0 - uniform ** (1.0 / b)
    else:
        raise ValueError("later() needs a == 1 or b == 1")
    return after + 1 + (room * share).astype(np.int64)


def group_cumsum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Running sums that restart at every group start (rows sorted by group)."""
    totals = np.cumsum(values)
    before = np.r_[0, totals[:-1]][starts]
    sizes = np.diff(np.r_[starts, len(values)])
    return totals - np.repeat(before, sizes)


def int_bincount(index: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Integer sums of weights per index (np.bincount would go through floats)."""
    totals = np.zeros(size, dtype=np.int64)
    np.add.at(totals, index, weights)
    return totals


def group_sizes(starts: np.ndarray, n: int) -> np.ndarray:
    return np.diff(np.r_[starts, n])
