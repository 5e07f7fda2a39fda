"""What the loader does to the schema around a bulk load, read from the
catalog so that indexes and constraints added by any migration are handled:
drop the loaded tables' indexes before COPY and rebuild them after, switch
their triggers off during the load, restart identity sequences, refresh
materialized views, ANALYZE.

Foreign keys: a superuser (the embedded server's role) keeps them and
switches their checks off for the load, as pg_dump --disable-triggers does:
the generator writes consistent references by construction and
`python -m db.generated check` verifies every one of them. Another role
cannot do that, so it drops the foreign keys and adds them back, which
makes PostgreSQL validate each one.
"""
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from psycopg2 import sql

from .progress import Progress


@dataclass
class Saved:
    """Definitions of what was dropped, to rebuild after the load."""

    keys: list[tuple[str, str, str]]  # (table, constraint, definition): primary keys, unique, exclusion
    indexes: list[str]  # CREATE INDEX statements
    foreign_keys: list[tuple[str, str, str]]
    triggers: str  # "ALL" or "USER": which triggers were switched off


def _superuser(cur) -> bool:
    cur.execute("SELECT current_setting('is_superuser') = 'on'")
    return cur.fetchone()[0]


def prepare(cur, names: list[str]) -> Saved:
    """Drop indexes (and, unless superuser, foreign keys) of the tables
    `names` and switch their triggers off; return how to undo it."""
    keep_foreign_keys = _superuser(cur)
    tables = {"tables": names}
    cur.execute("""SELECT r.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
                   JOIN pg_class r ON r.oid = c.conrelid
                   WHERE c.contype = 'f' AND (c.conrelid = ANY(%(tables)s::regclass[])
                                              OR c.confrelid = ANY(%(tables)s::regclass[]))
                   ORDER BY c.oid""", tables)
    foreign_keys = [] if keep_foreign_keys else cur.fetchall()
    # Keys that a kept foreign key relies on must stay.
    cur.execute("""SELECT r.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
                   JOIN pg_class r ON r.oid = c.conrelid
                   WHERE c.contype IN ('p', 'u', 'x') AND c.conrelid = ANY(%(tables)s::regclass[])
                     AND NOT (%(keep)s AND EXISTS (SELECT 1 FROM pg_constraint f
                                                   WHERE f.contype = 'f' AND f.conindid = c.conindid))
                   ORDER BY c.oid""", {**tables, "keep": keep_foreign_keys})
    keys = cur.fetchall()
    cur.execute("""SELECT x.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
                   JOIN pg_class x ON x.oid = i.indexrelid
                   WHERE i.indrelid = ANY(%(tables)s::regclass[])
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                     WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
                   ORDER BY i.indexrelid""", tables)
    indexes = cur.fetchall()
    for table, name, _ in foreign_keys + keys:  # foreign keys first: they need the keys
        cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table),
                                                                        sql.Identifier(name)))
    for name, _ in indexes:
        cur.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    saved = Saved(keys, [definition for _, definition in indexes], foreign_keys,
                  "ALL" if keep_foreign_keys else "USER")
    _set_triggers(cur, names, "DISABLE", saved.triggers)
    return saved


def _set_triggers(cur, names: list[str], action: str, which: str) -> None:
    for name in names:
        cur.execute(sql.SQL("ALTER TABLE {} {} TRIGGER {}").format(
            sql.Identifier(name), sql.SQL(action), sql.SQL(which)))


def _add_constraint(table: str, name: str, definition: str) -> sql.Composed:
    return (sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(sql.Identifier(table), sql.Identifier(name))
            + sql.SQL(definition))


def restore(cur, names: list[str], saved: Saved, progress: Progress) -> None:
    """Rebuild keys and indexes, then foreign keys; switch triggers back on."""
    cur.execute("SELECT setting::bigint FROM pg_settings WHERE name = 'maintenance_work_mem'")
    if cur.fetchone()[0] < 512 * 1024:  # kB; big index sorts need room
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
    steps = {"indexes": [_add_constraint(*key) for key in saved.keys] + [sql.SQL(i) for i in saved.indexes],
             "foreign keys": [_add_constraint(*key) for key in saved.foreign_keys]}
    for kind, statements in steps.items():
        if not statements:
            continue
        started = time.perf_counter()
        with progress.step(kind):
            for statement in statements:
                cur.execute(statement)
        progress.say(f"  {len(statements)} {kind} rebuilt in {time.perf_counter() - started:.1f} s")
    _set_triggers(cur, names, "ENABLE", saved.triggers)


def restart_identities(cur, names: list[str]) -> None:
    """Identity sequences continue after the highest loaded id."""
    cur.execute("""SELECT r.relname, a.attname FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid
                   WHERE a.attrelid = ANY(%s::regclass[]) AND a.attidentity <> ''""", (names,))
    for table, column in cur.fetchall():
        cur.execute(sql.SQL("SELECT setval(pg_get_serial_sequence(%s, %s), coalesce(max({}), 0) + 1, false) "
                            "FROM {}").format(sql.Identifier(column), sql.Identifier(table)),
                    (sql.Identifier(table).as_string(cur), column))


def refresh_materialized_views(cur) -> None:
    cur.execute("SELECT schemaname, matviewname FROM pg_matviews WHERE schemaname = current_schema()")
    for schema, view in cur.fetchall():
        cur.execute(sql.SQL("REFRESH MATERIALIZED VIEW {}.{}").format(sql.Identifier(schema),
                                                                      sql.Identifier(view)))


def analyze(dsn: str, names: list[str], connect) -> None:
    """ANALYZE the tables, on two connections at once (two cores)."""
    def run(share: list[str]) -> None:
        conn = connect(dsn)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                for name in share:
                    cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(name)))
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(run, [names[0::2], names[1::2]]))
