"""Load tables into PostgreSQL with COPY, all or nothing.

One transaction does everything: refuse a database with data (unless
reset), TRUNCATE, drop the loaded tables' indexes and switch their triggers
off (ddl.py; the generator computes what the triggers maintain), COPY ...
FREEZE every table, restart the identity sequences, rebuild the indexes and
commit. Any failure rolls back to the database as it was. Because the tables are
truncated in the same transaction, PostgreSQL (wal_level=minimal, as the
embedded server runs) skips the WAL for them, and FREEZE leaves the pages
all-visible, so no VACUUM is needed for index-only scans; ANALYZE runs after.

A source is anything with `name`, `column_names`, `rows` (or None),
`header` (True when its chunks start with a CSV header) and `chunks(names)`
yielding (rows, bytes).
"""
import io
import multiprocessing
import queue

import psycopg2
from psycopg2 import sql

from . import ddl
from .counts import GeneratorError
from .progress import Progress

COPY_READ_SIZE = 16 << 20  # larger than a chunk (columns.CHUNK_BYTES), so chunks pass whole


def connect(dsn: str):
    try:
        return psycopg2.connect(dsn, connect_timeout=10)
    except psycopg2.OperationalError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise GeneratorError(f"cannot reach the database: {reason}") from exc


def load(dsn: str, sources: list, reset: bool, progress: Progress) -> dict[str, int]:
    """COPY every source into its table in one transaction; returns rows per table."""
    conn = connect(dsn)
    try:
        loaded = _load_in_one_transaction(conn, sources, reset, progress)
    finally:
        conn.close()
    with progress.step("analyze"):
        ddl.analyze(dsn, sorted(loaded, key=loaded.get, reverse=True), connect)
    return {source.name: loaded[source.name] for source in sources if source.name in loaded}


def _load_in_one_transaction(conn, sources: list, reset: bool, progress: Progress) -> dict[str, int]:
    try:
        with conn.cursor() as cur:
            cur.execute("SET LOCAL lock_timeout = '15s'")
            sources = _present(cur, sources, progress)
            names = [source.name for source in sources]
            _make_room(cur, names, reset)
            saved = ddl.prepare(cur, names)
            with progress.step("copy"):
                loaded = _copy_all(cur, sources, progress)
            ddl.restart_identities(cur, names)
            ddl.restore(cur, names, saved, progress)
            ddl.refresh_materialized_views(cur)
            if "products" in names:  # its trigger was off: "did you mean" words (0080_search_words)
                cur.execute("SELECT refresh_search_words()")
        with progress.step("commit"):  # flushes the tables that skipped the WAL
            conn.commit()
    except psycopg2.Error as exc:
        conn.rollback()
        raise GeneratorError("the load failed and was rolled back, nothing changed: "
                             + _first_line(exc)) from exc
    except BaseException:
        conn.rollback()
        raise
    return loaded


def _first_line(exc: psycopg2.Error) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _present(cur, sources: list, progress: Progress) -> list:
    """The sources whose table exists; a missing table is an error unless
    the source is optional (a table of a migration this schema lacks)."""
    cur.execute("SELECT t FROM unnest(%s::text[]) t WHERE to_regclass(quote_ident(t)) IS NULL",
                ([source.name for source in sources],))
    missing = {row[0] for row in cur.fetchall()}
    required = [source.name for source in sources if source.name in missing and not source.optional]
    if required:
        raise GeneratorError(f"the database has no table {', '.join(required)}: "
                             "create the schema first (python -m app init-db)")
    for name in sorted(missing):
        progress.say(f"  {name}: not in this schema, skipped")
    return [source for source in sources if source.name not in missing]


def _make_room(cur, names: list[str], reset: bool) -> None:
    """Refuse a database with data unless reset; then empty the tables (and,
    by CASCADE, tables that reference them, e.g. API tokens)."""
    with_rows = []
    for name in names:
        cur.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(name)))
        if cur.fetchone()[0]:
            with_rows.append(name)
    if with_rows and not reset:
        raise GeneratorError(f"the database already has data (in {', '.join(with_rows)}); "
                             "pass --reset to delete it and load the generated data instead")
    cur.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
        sql.SQL(", ").join(sql.Identifier(name) for name in names)))


def _columns(cur, source) -> list[str]:
    """The source's columns that the table has (later migrations may have
    dropped one; columns the generator does not know keep their defaults)."""
    cur.execute("""SELECT attname FROM pg_attribute
                   WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped
                     AND attgenerated = ''""", (source.name,))
    present = {row[0] for row in cur.fetchall()}
    unknown = [c for c in source.column_names if c not in present]
    if unknown and source.header:
        raise GeneratorError(f"table {source.name} has no column {', '.join(unknown)}")
    return [c for c in source.column_names if c in present]


def _copy_all(cur, sources: list, progress: Progress) -> dict[str, int]:
    """COPY every source; a forked producer process makes the CSV text while
    this process streams it and the server parses it, so the work of the
    generator and of the server overlap on two cores."""
    sources = _server_heavy_first(cur, sources)
    columns = [_columns(cur, source) for source in sources]
    # Room for ~2 GB of CSV (chunks are ~4 MB), so the producer keeps working
    # while the server is busy with a slow table.
    chunks = multiprocessing.get_context("fork").Queue(maxsize=512)
    producer = multiprocessing.get_context("fork").Process(
        target=_produce, args=(sources, columns, chunks), daemon=True)
    producer.start()
    loaded = {}
    try:
        for source, names in zip(sources, columns, strict=True):
            tracker = progress.table(source.name, source.rows)
            statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv, FREEZE{})").format(
                sql.Identifier(source.name), sql.SQL(", ").join(sql.Identifier(c) for c in names),
                sql.SQL(", HEADER true" if source.header else ""))
            reader = ChunkReader(_received(chunks, producer), tracker.add)
            cur.copy_expert(statement, reader, size=COPY_READ_SIZE)
            tracker.done()
            loaded[source.name] = tracker.rows
    finally:
        producer.kill()
        producer.join()
    return loaded


def _server_heavy_first(cur, sources: list) -> list:
    """Tables with stored generated columns first: the server computes those
    (e.g. a tsvector per product) while the producer runs ahead on the rest."""
    cur.execute("""SELECT DISTINCT attrelid::regclass::text FROM pg_attribute
                   WHERE attrelid = ANY(%s::regclass[]) AND attgenerated = 's'""",
                ([source.name for source in sources],))
    heavy = {row[0] for row in cur.fetchall()}
    return sorted(sources, key=lambda source: source.name not in heavy)


def _produce(sources: list, columns: list[list[str]], chunks) -> None:
    """In the producer process: every source's chunks, then None, in order."""
    try:
        for source, names in zip(sources, columns, strict=True):
            for chunk in source.chunks(names):
                chunks.put(chunk)
            chunks.put(None)
    except Exception as exc:  # reported to the loader, which rolls back
        chunks.put(GeneratorError(f"generating the data failed: {type(exc).__name__}: {exc}"))


def _received(chunks, producer):
    """One source's chunks from the producer."""
    while True:
        try:
            chunk = chunks.get(timeout=5)
        except queue.Empty:
            if not producer.is_alive():
                raise GeneratorError("the process making the CSV text died (out of memory?)") from None
            continue
        if chunk is None:
            return
        if isinstance(chunk, Exception):
            raise chunk
        yield chunk


class ChunkReader(io.RawIOBase):
    """A read-only file over an iterator of (rows, bytes) chunks, for COPY.
    Asked for at least a chunk's size, it hands each chunk over uncopied."""

    def __init__(self, chunks, on_rows):
        self._chunks, self._on_rows = chunks, on_rows
        self._buffer, self._at = b"", 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while self._at >= len(self._buffer):
            try:
                rows, data = next(self._chunks)
            except StopIteration:
                return b""
            self._on_rows(rows)
            self._buffer, self._at = data, 0
        if self._at == 0 and (size is None or size < 0 or size >= len(self._buffer)):
            self._at = len(self._buffer)
            return self._buffer
        end = len(self._buffer) if size is None or size < 0 else self._at + size
        piece = self._buffer[self._at:end]
        self._at += len(piece)
        return piece
