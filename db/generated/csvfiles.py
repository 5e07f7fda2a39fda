"""Write generated tables as CSV files (one <table>.csv with a header per
table) and read such a directory back as COPY sources."""
from pathlib import Path

from .progress import Progress

READ_BLOCK = 4 << 20


def write_csv(tables: list, directory: Path, progress: Progress) -> dict[str, int]:
    """Write every table to directory/<table>.csv; returns rows per table."""
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for table in tables:
        tracker = progress.table(table.name, table.rows)
        with open(directory / f"{table.name}.csv", "wb") as out:
            out.write(table.header_line())
            for rows, data in table.chunks():
                out.write(data)
                tracker.add(rows)
        tracker.done()
        written[table.name] = tracker.rows
    return written


class CsvFile:
    """One <table>.csv written by write_csv (or by hand: a header line
    naming the columns, then rows in PostgreSQL's CSV format)."""

    header = True
    rows = None  # unknown until read
    optional = False

    def __init__(self, path: Path):
        self.path = path
        self.name = path.stem
        with open(path, "rb") as f:
            self.column_names = f.readline().decode().strip().split(",")

    def chunks(self, names: list[str]):
        """The file's bytes, header included, with a row count per block
        (lines, as the generator never writes a newline inside a value).
        All columns go: the loader refuses a file naming a missing one."""
        with open(self.path, "rb") as f:
            first = True
            while block := f.read(READ_BLOCK):
                yield block.count(b"\n") - (1 if first else 0), block
                first = False


def csv_sources(directory: Path, table_order: list[str]) -> list[CsvFile]:
    """The directory's CSV files, in the generator's table order."""
    files = sorted(directory.glob("*.csv"))
    if not files:
        raise FileNotFoundError(f"no .csv files in {directory}")
    rank = {name: i for i, name in enumerate(table_order)}
    return sorted((CsvFile(path) for path in files), key=lambda f: (rank.get(f.name, len(rank)), f.name))
