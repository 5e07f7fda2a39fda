"""Render CSV rows from numpy columns with no Python loop per row.

Each field of a chunk of n rows is a pair of n x w matrices: the bytes of
every value right-aligned or left-aligned in w columns, and a mask of which
of those bytes belong to the value. A row is its fields side by side, so the
whole chunk is `chars[keep].tobytes()`: numpy copies the kept bytes in row
order. Python's str.format costs about 0.5 us per value; this costs a few
nanoseconds per byte. An empty unquoted field is NULL in PostgreSQL's CSV.
"""
import numpy as np

Field = tuple[np.ndarray, np.ndarray]  # (uint8 chars [n, w], bool keep [n, w])

_DIGITS4 = np.array([list(f"{i:04d}".encode()) for i in range(10_000)], dtype=np.uint8)
_DIGITS2 = _DIGITS4[:100, 2:]
_POW10 = 10 ** np.arange(19, dtype=np.int64)
DAY = 86_400


class Pool:
    """Strings as a padded byte matrix, gathered by index."""

    def __init__(self, values):
        encoded = [str(v).encode() for v in values]
        self.lengths = np.array([len(b) for b in encoded], dtype=np.int64)
        self.chars = np.zeros((len(encoded), max(1, int(self.lengths.max(initial=0)))), dtype=np.uint8)
        for row, value in enumerate(encoded):
            self.chars[row, :len(value)] = np.frombuffer(value, dtype=np.uint8)

    def __len__(self) -> int:
        return len(self.lengths)


def _masked(chars: np.ndarray, keep: np.ndarray, null: np.ndarray | None) -> Field:
    if null is not None:
        keep = keep & ~np.asarray(null)[:, None]
    return chars, keep


def const(n: int, text: str, null: np.ndarray | None = None) -> Field:
    raw = np.frombuffer(text.encode(), dtype=np.uint8)
    return _masked(np.broadcast_to(raw, (n, len(raw))), np.ones((n, len(raw)), dtype=bool), null)


def pooled(pool: Pool, index: np.ndarray, null: np.ndarray | None = None) -> Field:
    index = np.asarray(index)
    keep = np.arange(pool.chars.shape[1]) < pool.lengths[index][:, None]
    return _masked(pool.chars[index], keep, null)


def integer(values: np.ndarray, null: np.ndarray | None = None) -> Field:
    """Decimal integers, negative ones with a minus sign."""
    values = np.asarray(values, dtype=np.int64)
    magnitude = np.abs(values)
    groups = max(1, -(-len(str(int(magnitude.max(initial=0)))) // 4))
    blocks, rest = [], magnitude.copy()
    for _ in range(groups):
        blocks.append(_DIGITS4[rest % 10_000])
        rest //= 10_000
    chars = np.hstack(blocks[::-1])
    width = 4 * groups
    digits = np.searchsorted(_POW10[1:width], magnitude, side="right") + 1
    keep = np.arange(width) >= (width - digits)[:, None]
    negative = values < 0
    if negative.any():
        chars = np.hstack([np.full((len(values), 1), ord("-"), dtype=np.uint8), chars])
        keep = np.hstack([negative[:, None], keep])
    return _masked(chars, keep, null)


def money(cents: np.ndarray, null: np.ndarray | None = None) -> Field:
    """Cents as a decimal with two places: -1234 -> -12.34."""
    cents = np.asarray(cents, dtype=np.int64)
    whole_chars, whole_keep = integer(np.abs(cents) // 100)
    n = len(cents)
    sign = cents < 0
    chars = np.hstack([np.full((n, 1), ord("-"), dtype=np.uint8), whole_chars,
                       np.full((n, 1), ord("."), dtype=np.uint8), _DIGITS2[np.abs(cents) % 100]])
    keep = np.hstack([sign[:, None], whole_keep, np.ones((n, 3), dtype=bool)])
    return _masked(chars, keep, null)


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of days since 1970-01-01 (H. Hinnant's algorithm)."""
    z = days + 719_468
    era = z // 146_097
    day_of_era = z - era * 146_097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = np.where(shifted_month < 10, shifted_month + 3, shifted_month - 9)
    return year_of_era + era * 400 + (month <= 2), month, day


_CLOCK = np.array([list(f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00".encode()) for s in range(DAY)],
                  dtype=np.uint8)  # " HH:MM:SS+00" for every second of a day


def timestamp(seconds: np.ndarray, null: np.ndarray | None = None) -> Field:
    """Unix seconds as 'YYYY-MM-DD HH:MM:SS+00' (UTC, years 1000-9999)."""
    seconds = np.asarray(seconds, dtype=np.int64)
    days, clock = np.divmod(seconds, DAY)
    dated = days if null is None else days[~np.asarray(null)]
    first, last = (int(dated.min()), int(dated.max())) if len(dated) else (0, 0)
    span = np.arange(first, last + 1)
    year, month, day = _civil(span)
    calendar = np.hstack([_DIGITS4[year % 10_000], np.full((len(span), 1), ord("-"), dtype=np.uint8),
                          _DIGITS2[month], np.full((len(span), 1), ord("-"), dtype=np.uint8), _DIGITS2[day]])
    chars = np.hstack([calendar[np.clip(days - first, 0, len(span) - 1)], _CLOCK[clock]])
    return _masked(chars, np.ones(chars.shape, dtype=bool), null)


def concat(*fields: Field) -> Field:
    """Several fields as one value (e.g. parts of a composed text)."""
    return np.hstack([f[0] for f in fields]), np.hstack([f[1] for f in fields])


def row_bytes(fields: list[Field]) -> bytes:
    """The fields side by side, as CSV text (the caller adds separators)."""
    chars = np.hstack([f[0] for f in fields])
    keep = np.hstack([f[1] for f in fields])
    return chars[keep].tobytes()
