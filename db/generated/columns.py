"""A table as the loader and the CSV writer see it: a name, a row count and
named columns, each a function from a slice of rows to its CSV text (a
csvbytes.Field); plus helpers for the usual kinds of column."""
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from . import csvbytes as cb

CHUNK_BYTES = 4 << 20
FIRST_CHUNK_ROWS = 10_000
Column = Callable[[slice], cb.Field]


@dataclass
class Table:
    name: str
    rows: int
    columns: list[tuple[str, Column]]
    optional: bool = False  # a table of a later migration: skipped where the schema lacks it
    header = False  # chunks() yields rows only; header_line() is separate

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def header_line(self, names: list[str] | None = None) -> bytes:
        return (",".join(names or self.column_names) + "\n").encode()

    def chunks(self, names: list[str] | None = None) -> Iterator[tuple[int, bytes]]:
        """(row count, CSV bytes) per chunk of about CHUNK_BYTES, for the given
        columns (default all). Chunking never changes the bytes."""
        wanted = [(n, make) for n, make in self.columns if names is None or n in names]
        start, rows, written = 0, FIRST_CHUNK_ROWS, 0
        while start < self.rows:
            part = slice(start, min(start + rows, self.rows))
            n = part.stop - part.start
            fields = []
            for position, (_, make) in enumerate(wanted):
                fields.append(cb.const(n, "," if position else ""))
                fields.append(make(part))
            fields.append(cb.const(n, "\n"))
            data = cb.row_bytes(fields)
            yield n, data
            start, written = part.stop, written + len(data)
            rows = max(1_000, CHUNK_BYTES * start // max(written, 1))


class Deferred:
    """A table built on first read of its rows (so its planning happens in
    the loader's producer process), with its column names known before."""

    header = False
    rows = None  # unknown until built

    def __init__(self, name: str, column_names: list[str], build: Callable[[], Table]):
        self.name, self.column_names, self._build = name, column_names, build
        self.optional = False

    def header_line(self, names: list[str] | None = None) -> bytes:
        return (",".join(names or self.column_names) + "\n").encode()

    def chunks(self, names: list[str] | None = None) -> Iterator[tuple[int, bytes]]:
        table = self._build()
        if table.column_names != self.column_names:
            raise ValueError(f"{self.name}: built columns differ from the declared ones")
        yield from table.chunks(names)


def ids(part: slice) -> cb.Field:
    return cb.integer(np.arange(part.start + 1, part.stop + 1))


def ref(values: np.ndarray) -> Column:
    """A column of 0-based indices written as 1-based ids; -1 is NULL."""
    return lambda part: cb.integer(values[part] + 1, null=values[part] < 0)


def ints(values: np.ndarray) -> Column:
    return lambda part: cb.integer(values[part])


def money(values: np.ndarray) -> Column:
    return lambda part: cb.money(values[part], null=values[part] < 0)


def times(values: np.ndarray) -> Column:
    return lambda part: cb.timestamp(values[part], null=values[part] < 0)


def quoted(*fields: cb.Field) -> cb.Field:
    n = len(fields[0][0])
    return cb.concat(cb.const(n, '"'), *fields, cb.const(n, '"'))


def histogram(hist: np.ndarray) -> Column:
    def make(part):
        n = part.stop - part.start
        fields = [cb.const(n, '"{')]
        for star in range(5):
            fields += [cb.const(n, "," if star else ""), cb.integer(hist[part, star])]
        return cb.concat(*fields, cb.const(n, '}"'))
    return make


def flat(lists) -> tuple[cb.Pool, np.ndarray, np.ndarray]:
    """One pool of several lists, with each list's offset and size."""
    sizes = np.array([len(values) for values in lists])
    return cb.Pool([v for values in lists for v in values]), np.cumsum(sizes) - sizes, sizes


def flag(values: np.ndarray) -> Column:
    pool = cb.Pool(["f", "t"])
    return lambda part: cb.pooled(pool, values[part].astype(np.int64))
