"""Inventory files: a seller's offers as CSV (export, empty template), and an
uploaded CSV (or the same columns in an XLSX workbook: models/spreadsheet.py)
checked into a preview, then applied in one transaction.

The upload itself is kept in PostgreSQL (inventory_uploads.content), never
on an app node's disk, so any node or the worker can check or apply it.

Checking is set-based, in one transaction: Python's csv module reads the
file and one COPY puts its rows in a temporary table (inventory_cells); SQL
reads the cells in the plain shape an export writes, and sends only the
other rows (a decimal comma, a currency sign, a formula...) to the forms'
own readers (app/forms/fields.py read_amount / read_whole_number, the offer
form's stock limit), so money and numbers read exactly as the forms read
them. Joins against offers, products and categories then refuse unknown ids,
someone else's offer, a product already sold, an unknown category, and a
second row for the same offer or product; the valid rows are staged in
inventory_upload_rows with the stock each offer had then (quantity_seen).
Nothing changes until the seller confirms. Applying writes every staged row
in one transaction (one UPDATE ... FROM the staged rows, unchanged rows left
out; new products, then new offers); a row whose stock a sale changed since
the preview keeps the sale's stock (the inventory page's optimistic check)
and is reported. The products' aggregates follow through the per-statement
triggers of migration 0121: each touched product is refreshed once.

One import runs at a time per seller (a unique partial index): a second one
is refused while one is being checked or applied.
"""
import csv
import io
from operator import itemgetter

import psycopg2.errors
from psycopg2 import sql
from psycopg2.extras import execute_values

from .. import db
from ..forms.fields import MAX_MONEY, read_amount, read_whole_number
from ..forms.sell import MAX_STOCK
from ..ids import MAX_ID
from . import notification, spreadsheet

# The columns, in the export's order. Editable: price, quantity, active,
# low_stock_threshold; offer_id / product_id say which offer (or, with no
# offer_id, which product to offer); with neither, product_name + category
# (+ description) make a new product; otherwise those are read-only.
COLUMNS = ("offer_id", "product_id", "product_name", "category", "price", "quantity", "active",
           "low_stock_threshold", "sale")
REQUIRED = ("offer_id", "product_id", "price", "quantity")
# Read from an import, never exported: a new product's description.
IMPORT_ONLY = ("description",)
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_ROWS = 200_000
# Files up to this many rows are checked and applied during the request;
# larger ones by the background worker, with a progress page.
INLINE_ROWS = 2_000
INLINE_WORKBOOK_BYTES = 64 * 1024  # about as many rows, packed in an XLSX
# Refusals kept per upload (all are counted).
MAX_REFUSALS_KEPT = 1_000
CHUNK = 5_000
BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_YES, _NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}


class ImportRunning(Exception):
    """The seller already has an import being checked or applied."""


# --- export -------------------------------------------------------------------

def safe_cell(value) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula
    (=, +, -, @, tab, CR) gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _sale_text(row: dict) -> str:
    if row["sale_price"] is None:
        return ""
    return (f"{row['sale_price']:.2f} from {row['sale_starts']:%Y-%m-%d %H:%M} "
            f"to {row['sale_ends']:%Y-%m-%d %H:%M} UTC")


def _csv_text(rows) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def template_csv() -> str:
    """The header alone: the empty template."""
    return BOM + _csv_text([COLUMNS])


def export_csv(seller_id: int, batch: int = CHUNK):
    """The seller's offers as CSV text chunks, oldest offer first, read
    `batch` offers at a time (keyset on offers_seller), so the whole file is
    never in memory."""
    yield BOM + _csv_text([COLUMNS])
    after = 0
    while True:
        rows = db.query(
            """SELECT o.id, o.product_id, p.name, c.name AS category, o.price, o.quantity, o.listed,
                      o.low_stock_threshold, s.sale_price, s.starts_at AT TIME ZONE 'UTC' AS sale_starts,
                      s.ends_at AT TIME ZONE 'UTC' AS sale_ends
               FROM offers o JOIN products p ON p.id = o.product_id
               JOIN categories c ON c.id = p.category_id
               LEFT JOIN LATERAL (SELECT sale_price, starts_at, ends_at FROM flash_sales
                                  WHERE offer_id = o.id AND ends_at > now()
                                  ORDER BY ends_at LIMIT 1) s ON true
               WHERE o.seller_id = %s AND o.id > %s
               ORDER BY o.id LIMIT %s""", (seller_id, after, batch))
        if not rows:
            return
        yield _csv_text(
            (r["id"], r["product_id"], safe_cell(r["name"]), safe_cell(r["category"]), f"{r['price']:.2f}",
             r["quantity"], "yes" if r["listed"] else "no",
             "" if r["low_stock_threshold"] is None else r["low_stock_threshold"], _sale_text(r))
            for r in rows)
        after = rows[-1]["id"]


# --- upload and check ----------------------------------------------------------

def create_upload(seller_id: int, filename: str, content: bytes) -> int:
    """Keep an uploaded file, to be checked (status 'checking'). Raises
    ImportRunning when the seller has an import being checked or applied."""
    try:
        return db.query_value(
            """INSERT INTO inventory_uploads (seller_id, filename, content) VALUES (%s, %s, %s)
               RETURNING id""",
            (seller_id, (filename or "")[:255].replace("\x00", ""), psycopg2.Binary(content)))
    except psycopg2.errors.UniqueViolation:
        raise ImportRunning from None


def running_upload(seller_id: int) -> int | None:
    return db.query_value(
        """SELECT id FROM inventory_uploads WHERE seller_id = %s AND status IN ('checking', 'applying')""",
        (seller_id,))


def get_upload(upload_id: int, seller_id: int) -> dict | None:
    """An upload of this seller (without its content), or None."""
    return db.query_one(
        """SELECT id, seller_id, filename, status, message, rows_total, rows_checked, rows_change, rows_add,
                  rows_same, rows_refused, rows_applied, rows_skipped, created_at, finished_at,
                  length(content) AS size, floor(extract(epoch FROM now() - status_at))::int AS waited_seconds
           FROM inventory_uploads WHERE id = %s AND seller_id = %s""", (upload_id, seller_id))


def recent_uploads(seller_id: int, limit: int = 5) -> list[dict]:
    return db.query(
        """SELECT id, filename, status, rows_total, rows_refused, rows_applied, created_at
           FROM inventory_uploads WHERE seller_id = %s ORDER BY id DESC LIMIT %s""", (seller_id, limit))


def refusals(upload_id: int, page: int, per_page: int) -> list[dict]:
    """One page of an upload's refusals, by line. Returns up to per_page + 1 rows."""
    return db.query(
        """SELECT line, column_name, message, after_apply FROM inventory_upload_refusals
           WHERE upload_id = %s ORDER BY after_apply, line, column_name
           LIMIT %s OFFSET %s""", (upload_id, per_page + 1, (page - 1) * per_page))


def check_now(content: bytes) -> bool:
    """Whether a file is small enough to check during the request (about
    INLINE_ROWS rows: its line breaks, or a workbook's packed size), or
    else by the background worker."""
    if spreadsheet.is_workbook(content):
        return len(content) <= INLINE_WORKBOOK_BYTES
    return content.count(b"\n") <= INLINE_ROWS


class _FileRefused(Exception):
    """The file as a whole cannot be read: the message says why."""


def _decode(content: bytes) -> str:
    if b"\x00" in content:
        raise _FileRefused("The file contains NUL bytes, so it is not a CSV text file (a spreadsheet "
                           "saved in its own format?). Save it as “CSV UTF-8” and upload that.")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content[:exc.start].count(b"\n") + 1
        raise _FileRefused(f"The file is not UTF-8 text (line {line} has a byte UTF-8 does not allow). "
                           "Save it as “CSV UTF-8” and upload that.") from None
    return text.removeprefix(BOM)


def _header(names: list[str]) -> dict[str, int]:
    names = [name.strip().lower().replace(" ", "_") for name in names]
    names = [name.removeprefix(BOM) for name in names]
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise _FileRefused(
            f"The first line must name the columns; it lacks {', '.join(missing)}. "
            "Start from the export or the empty template.")
    known = [name for name in names if name in COLUMNS + IMPORT_ONLY]
    if len(set(known)) != len(known):
        raise _FileRefused("The first line names a column twice.")
    return {name: names.index(name) for name in COLUMNS + IMPORT_ONLY if name in names}


def _read_row(cells: list[str], where: dict[str, int]):
    """The values of one row, and its refusals [(column, message)]."""
    values, errors = {}, []

    def cell(name):
        index = where.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for name in ("offer_id", "product_id", "price", "quantity", "active", "low_stock_threshold"):
        text = cell(name)
        if text.startswith(("=", "@")):
            errors.append((name, "This cell is a formula; write the value itself."))
            continue
        try:
            if not text:
                values[name] = None
            elif name in ("offer_id", "product_id"):
                values[name] = read_whole_number(text, 1, MAX_ID)
            elif name == "price":
                values[name] = read_amount(text)
            elif name in ("quantity", "low_stock_threshold"):
                values[name] = read_whole_number(text, 0, MAX_STOCK)
            elif text.lower() in _YES | _NO:
                values[name] = text.lower() in _YES
            else:
                raise ValueError("Write yes or no.")
        except ValueError as exc:
            errors.append((name, str(exc)))
    return values, errors


def _set_status(upload_id: int, **fields) -> None:
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(name), sql.Placeholder(name)) for name in fields)
    db.execute(sql.SQL("UPDATE inventory_uploads SET {} WHERE id = %(id)s").format(assignments),
               {**fields, "id": upload_id})


def check_upload(upload_id: int) -> None:
    """Read an upload into its preview: stage the valid rows, keep the
    refusals, count what would change. Does nothing unless the upload is
    being checked; runs in one transaction, so a retried job starts over."""
    upload = db.query_one("SELECT seller_id, status, content FROM inventory_uploads WHERE id = %s",
                          (upload_id,))
    if upload is None or upload["status"] != "checking":
        return
    rows = 0
    try:
        content = bytes(upload["content"])
        if spreadsheet.is_workbook(content):
            content = spreadsheet.as_csv(content, MAX_ROWS)
        text = _decode(content)
        with db.transaction():
            db.execute("DELETE FROM inventory_upload_rows WHERE upload_id = %s", (upload_id,))
            db.execute("DELETE FROM inventory_upload_refusals WHERE upload_id = %s", (upload_id,))
            rows, has_threshold = _load_cells(text)
            counts = _check_cells(upload_id, upload["seller_id"], has_threshold)
            _set_status(upload_id, status="ready", rows_total=rows, rows_checked=rows, **counts)
    except (_FileRefused, spreadsheet.NotReadable) as exc:
        _set_status(upload_id, status="failed", message=str(exc), finished_at=_now(),
                    rows_total=rows, rows_checked=rows)
    except Exception:
        # Never leave the seller's imports blocked behind one that cannot end.
        _set_status(upload_id, status="failed", finished_at=_now(),
                    message="The file could not be checked; nothing was changed. Please try again.")
        raise


def _now():
    return db.query_value("SELECT now()")


# The checked columns, as the staging table inventory_cells names them.
_CELLS = ("offer_id", "product_id", "price", "quantity", "active", "low_stock_threshold")
# Read as text, for a new product only (a row with neither id).
_TEXT_CELLS = ("product_name", "category", "description")


def _load_cells(text: str) -> tuple[int, bool]:
    """COPY the file's rows, in one go, into the temporary table
    inventory_cells (line, then the checked columns as text; a missing
    optional column is NULL). Python's csv module reads the file (a
    spreadsheet's ragged or blank rows, quoted line breaks) and writes it
    back normalised for COPY. Returns the number of rows and whether the
    file has the low_stock_threshold column."""
    reader = csv.reader(io.StringIO(text, newline=""))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    rows = 0
    try:
        header = next(reader, None)
        if header is None:
            raise _FileRefused("The file is empty. Start from the export or the empty template.")
        where = _header(header)
        present = [name for name in _CELLS + _TEXT_CELLS if name in where]
        pick = itemgetter(*(where[name] for name in present))
        width = max(where[name] for name in present) + 1
        for cells in reader:
            if not "".join(cells).strip():
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise _FileRefused(f"The file has more than {MAX_ROWS:,} rows; split it.")
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            writer.writerow((reader.line_num, *pick(cells)))
    except csv.Error as exc:
        raise _FileRefused(f"Line {reader.line_num} is not valid CSV ({exc}).") from None
    if not rows:
        raise _FileRefused("The file has no rows under its header.")
    # Temporary tables dropped at commit: transaction state, so PgBouncer's
    # transaction pooling is fine with them (as with SET LOCAL).
    db.execute(sql.SQL("CREATE TEMP TABLE inventory_cells ON COMMIT DROP AS "
                       "SELECT NULL::integer AS line, {} WITH NO DATA").format(
        sql.SQL(", ").join(sql.SQL("NULL::text AS {}").format(sql.Identifier(name))
                           for name in _CELLS + _TEXT_CELLS)))
    out.seek(0)
    with db.connection().cursor() as cur:
        cur.copy_expert(sql.SQL("COPY inventory_cells (line, {}) FROM STDIN WITH (FORMAT csv)").format(
            sql.SQL(", ").join(map(sql.Identifier, present))), out)
    return rows, "low_stock_threshold" in where


# Cells read in SQL when they are in the plain shape every export writes
# (trimmed of spaces): the same value the forms' readers give, and within
# their limits. Any other cell - a decimal comma, a currency sign, a
# formula, an out-of-range number - sends its row to Python's readers
# (_read_row), which give the forms' value or message.
_PLAIN_ID = r"^[0-9]{1,12}$"
_PLAIN_STOCK = r"^[0-9]{1,7}$"
_PLAIN_MONEY = r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$"
_PARSED = f"""
    SELECT line, offer_id, product_id, price, quantity, active, low_stock_threshold, new_name, category,
           description, coalesce((o IS NULL OR offer_id >= 1) AND (pr IS NULL OR product_id >= 1)
                    AND (m IS NULL OR price > 0 AND price <= {MAX_MONEY})
                    AND (q IS NULL OR quantity <= {MAX_STOCK}) AND (a IS NULL OR active IS NOT NULL)
                    AND (t IS NULL OR low_stock_threshold <= {MAX_STOCK}), false) AS plain
    FROM (SELECT line, o, pr, m, q, a, t, new_name, category, description,
                 CASE WHEN o ~ '{_PLAIN_ID}' THEN o::bigint END AS offer_id,
                 CASE WHEN pr ~ '{_PLAIN_ID}' THEN pr::bigint END AS product_id,
                 CASE WHEN m ~ '{_PLAIN_MONEY}' THEN m::numeric(12,2) END AS price,
                 CASE WHEN q ~ '{_PLAIN_STOCK}' THEN q::integer END AS quantity,
                 CASE WHEN a IN {tuple(sorted(_YES))} THEN true
                      WHEN a IN {tuple(sorted(_NO))} THEN false END AS active,
                 CASE WHEN t ~ '{_PLAIN_STOCK}' THEN t::integer END AS low_stock_threshold
          FROM (SELECT line, nullif(btrim(offer_id, ' '), '') AS o, nullif(btrim(product_id, ' '), '') AS pr,
                       nullif(btrim(price, ' '), '') AS m, nullif(btrim(quantity, ' '), '') AS q,
                       lower(nullif(btrim(active, ' '), '')) AS a,
                       nullif(btrim(low_stock_threshold, ' '), '') AS t,
                       nullif(btrim(product_name), '') AS new_name, nullif(btrim(category), '') AS category,
                       btrim(description) AS description
                FROM inventory_cells) trimmed) c"""

# One refusal per row, the first that applies, from what the database holds;
# a duplicate is refused among rows that pass every other check.
_MATCHED = """
    CREATE TEMP TABLE inventory_matched ON COMMIT DROP AS
    WITH m AS (
        SELECT r.*, o.seller_id AS offer_seller, o.product_id AS offer_product, o.price AS old_price,
               o.quantity AS old_quantity, o.listed AS old_listed, o.low_stock_threshold AS old_threshold,
               c.id AS category_id, c.name AS category_name, same.id AS same_name,
               CASE WHEN r.offer_id IS NOT NULL THEN
                        CASE WHEN o.id IS NULL THEN 'offer_id'
                             WHEN o.seller_id <> %(seller)s THEN 'offer_id'
                             WHEN r.product_id <> o.product_id THEN 'product_id' END
                    WHEN r.product_id IS NULL THEN
                        CASE WHEN c.id IS NULL THEN 'category'
                             WHEN same.id IS NOT NULL THEN 'product_name' END
                    WHEN p.id IS NULL THEN 'product_id'
                    WHEN mine.id IS NOT NULL THEN 'offer_id' END AS column_name,
               CASE WHEN r.offer_id IS NOT NULL THEN
                        CASE WHEN o.id IS NULL THEN format('There is no offer %%s.', r.offer_id)
                             WHEN o.seller_id <> %(seller)s THEN
                                 format('Offer %%s is another seller''s: you can change only yours.',
                                        r.offer_id)
                             WHEN r.product_id <> o.product_id THEN
                                 format('Offer %%s is for product %%s, not %%s.', r.offer_id, o.product_id,
                                        r.product_id) END
                    WHEN r.product_id IS NULL THEN
                        CASE WHEN c.id IS NULL THEN
                                 format('There is no category “%%s”: write its name as Souk shows it.',
                                        r.category)
                             WHEN same.id IS NOT NULL THEN
                                 format('Souk already has “%%s” in %%s: put its product_id %%s to sell it.',
                                        r.new_name, c.name, same.id) END
                    WHEN p.id IS NULL THEN format('There is no product %%s.', r.product_id)
                    WHEN mine.id IS NOT NULL THEN
                        format('You already sell product %%s: put your offer %%s in offer_id to change it.',
                               r.product_id, mine.id) END AS message
        FROM inventory_parsed r
        LEFT JOIN offers o ON o.id = r.offer_id
        LEFT JOIN products p ON r.offer_id IS NULL AND p.id = r.product_id
        LEFT JOIN offers mine ON r.offer_id IS NULL AND mine.seller_id = %(seller)s
                                 AND mine.product_id = r.product_id
        LEFT JOIN LATERAL (SELECT id, name FROM categories
                           WHERE r.offer_id IS NULL AND r.product_id IS NULL
                             AND (lower(name) = lower(r.category) OR slug = lower(r.category))
                           ORDER BY lower(name) = lower(r.category) DESC LIMIT 1) c ON true
        LEFT JOIN LATERAL (SELECT id FROM products
                           WHERE c.id IS NOT NULL AND category_id = c.id AND lower(name) = lower(r.new_name)
                           ORDER BY id LIMIT 1) same ON true)
    SELECT m.*, CASE WHEN message IS NULL THEN min(line) OVER (PARTITION BY message IS NULL,
                    offer_id IS NULL, product_id IS NULL,
                    coalesce(offer_id::text, product_id::text, category_id || ' ' || lower(new_name))) END
                AS first_line
    FROM m"""


def _check_cells(upload_id: int, seller_id: int, has_threshold: bool) -> dict:
    """Check the rows in inventory_cells with SQL joins against the offers and
    products, stage the valid ones in inventory_upload_rows with the stock
    each offer has now (quantity_seen), keep the refusals; returns the counts."""
    params = {"upload": upload_id, "seller": seller_id, "has_threshold": has_threshold}
    db.execute(f"CREATE TEMP TABLE inventory_parsed ON COMMIT DROP AS {_PARSED}")
    db.execute("""CREATE TEMP TABLE inventory_refused ON COMMIT DROP AS
                  SELECT NULL::integer AS line, NULL::text AS column_name, NULL::text AS message
                  WITH NO DATA""")
    _read_odd_rows()
    # New offers: which product, and its price and stock.
    db.execute(
        """INSERT INTO inventory_refused
           SELECT line, 'offer_id', 'Give the offer_id of your offer, the product_id of a product to sell, '
                                    'or a new product''s product_name and category.'
           FROM inventory_parsed WHERE offer_id IS NULL AND product_id IS NULL AND new_name IS NULL
                                   AND category IS NULL
           UNION ALL
           SELECT line, 'product_name', 'A new product needs its name.'
           FROM inventory_parsed WHERE offer_id IS NULL AND product_id IS NULL AND new_name IS NULL
                                   AND category IS NOT NULL
           UNION ALL
           SELECT line, 'category', 'A new product needs its category.'
           FROM inventory_parsed WHERE offer_id IS NULL AND product_id IS NULL AND new_name IS NOT NULL
                                   AND category IS NULL
           UNION ALL
           SELECT line, 'product_name', CASE WHEN left(new_name, 1) IN ('=', '@')
                                             THEN 'This cell is a formula; write the value itself.'
                                             ELSE 'At most 200 characters.' END
           FROM inventory_parsed WHERE offer_id IS NULL AND product_id IS NULL
                                   AND (length(new_name) > 200 OR left(new_name, 1) IN ('=', '@'))
           UNION ALL
           SELECT line, 'description', 'At most 5,000 characters.'
           FROM inventory_parsed WHERE offer_id IS NULL AND product_id IS NULL AND length(description) > 5000
           UNION ALL
           SELECT line, 'price', 'A new offer needs its price.'
           FROM inventory_parsed WHERE offer_id IS NULL AND price IS NULL
           UNION ALL
           SELECT line, 'quantity', 'A new offer needs its quantity.'
           FROM inventory_parsed WHERE offer_id IS NULL AND quantity IS NULL""")
    db.execute("DELETE FROM inventory_parsed WHERE line IN (SELECT line FROM inventory_refused)")
    db.execute(_MATCHED, params)
    db.execute(
        """INSERT INTO inventory_refused
           SELECT line, column_name, message FROM inventory_matched WHERE message IS NOT NULL
           UNION ALL
           SELECT line, CASE WHEN offer_id IS NOT NULL THEN 'offer_id'
                             WHEN product_id IS NOT NULL THEN 'product_id' ELSE 'product_name' END,
                  CASE WHEN offer_id IS NULL
                       THEN format('Product %%s is already on line %%s: one row per product.',
                                   coalesce(product_id::text,
                                            format('“%%s” in %%s', new_name, category_name)),
                                   first_line)
                       ELSE format('Offer %%s is already on line %%s: one row per offer.', offer_id,
                                   first_line) END
           FROM inventory_matched WHERE message IS NULL AND line <> first_line""", params)
    db.execute(
        """INSERT INTO inventory_upload_rows (upload_id, line, offer_id, product_id, price, quantity,
                                              quantity_seen, listed, low_stock_threshold, changes,
                                              new_name, category_id, description)
           SELECT %(upload)s, line, offer_id, product_id, price, quantity, quantity_seen, listed,
                  low_stock_threshold,
                  offer_id IS NULL OR (price, quantity, listed, low_stock_threshold)
                                      IS DISTINCT FROM (old_price, old_quantity, old_listed, old_threshold),
                  new_name, category_id, description
           FROM (SELECT line, category_id,
                        -- a new product's text only: an export's names on other rows are read-only
                        CASE WHEN offer_id IS NULL AND product_id IS NULL THEN new_name END AS new_name,
                        CASE WHEN offer_id IS NULL AND product_id IS NULL THEN description END AS description,
                        offer_id, coalesce(offer_product, product_id) AS product_id,
                        coalesce(price, old_price) AS price, coalesce(quantity, old_quantity) AS quantity,
                        old_quantity AS quantity_seen,
                        coalesce(active, old_listed, true) AS listed,
                        CASE WHEN %(has_threshold)s OR offer_id IS NULL THEN low_stock_threshold
                             ELSE old_threshold END AS low_stock_threshold,
                        old_price, old_quantity, old_listed, old_threshold
                 FROM inventory_matched WHERE message IS NULL AND line = first_line) r""", params)
    db.execute(
        """INSERT INTO inventory_upload_refusals (upload_id, line, column_name, message)
           SELECT %s, line, column_name, message FROM inventory_refused
           ORDER BY line, column_name LIMIT %s""", (upload_id, MAX_REFUSALS_KEPT))
    return db.query_one(
        """SELECT (SELECT count(DISTINCT line) FROM inventory_refused)::int AS rows_refused,
                  count(*) FILTER (WHERE offer_id IS NULL)::int AS rows_add,
                  count(*) FILTER (WHERE offer_id IS NOT NULL AND changes)::int AS rows_change,
                  count(*) FILTER (WHERE NOT changes)::int AS rows_same
           FROM inventory_upload_rows WHERE upload_id = %s""", (upload_id,))


def _read_odd_rows() -> None:
    """Rows with a cell not in the plain shape are read by the forms' own
    readers, in Python: their values replace the row's, or their refusals
    take it out."""
    odd = db.query(
        """SELECT c.* FROM inventory_cells c JOIN inventory_parsed p USING (line)
           WHERE NOT p.plain ORDER BY c.line""")
    if not odd:
        return
    where = {name: index for index, name in enumerate(_CELLS)}
    values, refused = [], []
    for row in odd:
        read, errors = _read_row([row[name] or "" for name in _CELLS], where)
        if errors:
            refused.extend((row["line"], column, message) for column, message in errors)
        else:
            values.append((row["line"], *(read[name] for name in _CELLS)))
    with db.connection().cursor() as cur:
        if refused:
            execute_values(cur, "INSERT INTO inventory_refused VALUES %s", refused)
        execute_values(
            cur, """UPDATE inventory_parsed p SET offer_id = v.offer_id, product_id = v.product_id,
                           price = v.price, quantity = v.quantity, active = v.active,
                           low_stock_threshold = v.low_stock_threshold, plain = true
                    FROM (VALUES %s) v (line, offer_id, product_id, price, quantity, active,
                                        low_stock_threshold)
                    WHERE p.line = v.line""",
            values, template="(%s, %s::bigint, %s::bigint, %s::numeric, %s::int, %s::boolean, %s::int)")
    db.execute("DELETE FROM inventory_parsed WHERE NOT plain")


def preview_rows(upload_id: int, limit: int = 20) -> list[dict]:
    """The first rows that change something, with the offer's values now."""
    return db.query(
        """SELECT r.line, r.offer_id, r.product_id, coalesce(p.name, r.new_name) AS product_name, r.price,
                  r.quantity, r.listed, o.price AS old_price, o.quantity AS old_quantity,
                  o.listed AS old_listed
           FROM inventory_upload_rows r LEFT JOIN products p ON p.id = r.product_id
           LEFT JOIN offers o ON o.id = r.offer_id
           WHERE r.upload_id = %s AND r.changes ORDER BY r.line LIMIT %s""", (upload_id, limit))


# --- apply ---------------------------------------------------------------------

def start_applying(upload_id: int, seller_id: int) -> bool:
    """Mark a previewed upload as being applied. False when it is not (or no
    longer) a preview of this seller; raises ImportRunning when another
    import of theirs runs."""
    try:
        return db.execute("""UPDATE inventory_uploads SET status = 'applying', status_at = now()
                             WHERE id = %s AND seller_id = %s AND status = 'ready'""",
                          (upload_id, seller_id)) == 1
    except psycopg2.errors.UniqueViolation:
        raise ImportRunning from None


def cancel_upload(upload_id: int, seller_id: int) -> bool:
    return db.execute("""UPDATE inventory_uploads SET status = 'cancelled', finished_at = now()
                         WHERE id = %s AND seller_id = %s AND status = 'ready'""",
                      (upload_id, seller_id)) == 1


def apply_upload(upload_id: int) -> None:
    """Write every staged row of an upload being applied, in one transaction
    (see the module docstring); a second run changes nothing. On an error
    nothing is written and the upload is marked failed."""
    try:
        db.run_transaction(_apply, upload_id)
    except (psycopg2.DataError, psycopg2.IntegrityError) as exc:
        _set_status(upload_id, status="failed", finished_at=_now(),
                    message="Nothing was changed: the database refused the import "
                            f"({exc.diag.message_primary}).")


def _apply(upload_id: int) -> None:
    upload = db.query_one("SELECT seller_id, status FROM inventory_uploads WHERE id = %s FOR UPDATE",
                          (upload_id,))
    if upload is None or upload["status"] != "applying":
        return
    params = {"upload": upload_id, "seller": upload["seller_id"]}
    # Stock is replaced only where it is still what the preview saw (the
    # row lock makes a concurrent sale's commit visible to the check); a row
    # that leaves the stock as it was keeps whatever the sales made of it.
    updated, skipped = db.query_one(
        """WITH done AS (
               UPDATE offers o
               SET price = r.price, listed = r.listed, low_stock_threshold = r.low_stock_threshold,
                   quantity = CASE WHEN r.quantity = r.quantity_seen THEN o.quantity ELSE r.quantity END,
                   updated_at = now()
               FROM inventory_upload_rows r
               WHERE r.upload_id = %(upload)s AND r.changes AND r.offer_id = o.id
                 AND o.seller_id = %(seller)s
                 AND (r.quantity = r.quantity_seen OR o.quantity = r.quantity_seen)
               RETURNING r.line),
           skipped AS (
               INSERT INTO inventory_upload_refusals (upload_id, line, column_name, message, after_apply)
               SELECT upload_id, line, 'quantity',
                      format('A sale changed the stock (%%s at the preview) before the import was '
                             'applied, so this row was not applied. Export again to see the new stock.',
                             quantity_seen),
                      true
               FROM inventory_upload_rows
               WHERE upload_id = %(upload)s AND changes AND offer_id IS NOT NULL
                 AND line NOT IN (SELECT line FROM done)
               RETURNING 1)
           SELECT (SELECT count(*) FROM done) AS updated, (SELECT count(*) FROM skipped) AS skipped""",
        params).values()
    # New products first (a row with neither id), then every new offer.
    db.execute(
        """WITH created AS (
               INSERT INTO products (category_id, creator_id, name, description)
               SELECT category_id, %(seller)s, new_name, coalesce(description, '')
               FROM inventory_upload_rows WHERE upload_id = %(upload)s AND product_id IS NULL
               ORDER BY line
               RETURNING id, category_id, name)
           UPDATE inventory_upload_rows r SET product_id = created.id FROM created
           WHERE r.upload_id = %(upload)s AND r.product_id IS NULL
             AND r.category_id = created.category_id AND r.new_name = created.name""", params)
    added = db.query_value(
        """WITH done AS (
               INSERT INTO offers (seller_id, product_id, price, quantity, active, low_stock_threshold)
               SELECT %(seller)s, product_id, price, quantity, listed, low_stock_threshold
               FROM inventory_upload_rows WHERE upload_id = %(upload)s AND offer_id IS NULL
               ORDER BY line
               ON CONFLICT (seller_id, product_id) DO NOTHING RETURNING 1)
           SELECT count(*) FROM done""", params)
    new_rows = db.query_value(
        "SELECT count(*) FROM inventory_upload_rows WHERE upload_id = %s AND offer_id IS NULL", (upload_id,))
    if added < new_rows:
        db.execute(
            """INSERT INTO inventory_upload_refusals (upload_id, line, column_name, message, after_apply)
               SELECT %(upload)s, 0, 'product_id',
                      'Some new offers were not added: you started selling those products after the preview.',
                      true""", params)
    db.execute(
        """UPDATE inventory_uploads SET status = 'done', finished_at = now(), rows_applied = %s,
                  rows_skipped = %s, content = ''::bytea
           WHERE id = %s""", (updated + added, skipped + new_rows - added, upload_id))
    db.execute("DELETE FROM inventory_upload_rows WHERE upload_id = %s", (upload_id,))


# --- low stock -------------------------------------------------------------------

def set_default_threshold(seller_id: int, threshold: int | None) -> None:
    db.execute(
        """INSERT INTO seller_stock_settings (seller_id, default_threshold) VALUES (%s, %s)
           ON CONFLICT (seller_id) DO UPDATE SET default_threshold = EXCLUDED.default_threshold""",
        (seller_id, threshold))


def default_threshold(seller_id: int) -> int | None:
    return db.query_value("SELECT default_threshold FROM seller_stock_settings WHERE seller_id = %s",
                          (seller_id,))


_LOW = """SELECT o.id, o.seller_id, o.quantity, p.name AS product_name
          FROM offers o JOIN products p ON p.id = o.product_id
          WHERE o.low_stock_threshold IS NOT NULL AND o.active AND NOT o.low_stock_alerted
            AND o.quantity <= o.low_stock_threshold
          UNION ALL
          SELECT o.id, o.seller_id, o.quantity, p.name
          FROM seller_stock_settings s JOIN offers o ON o.seller_id = s.seller_id
          JOIN products p ON p.id = o.product_id
          WHERE s.default_threshold IS NOT NULL AND o.low_stock_threshold IS NULL AND o.active
            AND NOT o.low_stock_alerted AND o.quantity <= s.default_threshold"""
ALERT_NAMES = 10


def send_low_stock_alerts() -> int:
    """Tell each seller once about their offers whose stock is at or below
    its threshold (the offer's own, else the seller's default): one notice
    per seller and run, and each offer is reported again only after its
    stock went back above the threshold. Run by a periodic job, so the
    checkout path has no statement more. Returns how many offers were reported."""
    with db.transaction():
        # Re-arm offers that were restocked (or whose threshold went away).
        db.execute(
            """UPDATE offers o SET low_stock_alerted = false
               WHERE o.low_stock_alerted
                 AND (o.quantity > coalesce(o.low_stock_threshold,
                                            (SELECT default_threshold FROM seller_stock_settings s
                                             WHERE s.seller_id = o.seller_id))) IS NOT FALSE""")
        low = db.query(f"""WITH low AS ({_LOW})
                           UPDATE offers o SET low_stock_alerted = true FROM low
                           WHERE o.id = low.id AND NOT o.low_stock_alerted
                           RETURNING low.seller_id, low.product_name, low.quantity""")
        by_seller: dict[int, list[dict]] = {}
        for row in low:
            by_seller.setdefault(row["seller_id"], []).append(row)
        for seller_id, rows in by_seller.items():
            rows.sort(key=lambda r: (r["quantity"], r["product_name"]))
            lines = [f"“{r['product_name']}”: {r['quantity']} left" for r in rows[:ALERT_NAMES]]
            if len(rows) > ALERT_NAMES:
                lines.append(f"and {len(rows) - ALERT_NAMES} more.")
            subject = (f"Low stock: “{rows[0]['product_name']}”" if len(rows) == 1
                       else f"Low stock on {len(rows)} offers")
            notification.notify(seller_id, "low_stock", subject, "\n".join(lines), "/sell/inventory")
    return len(low)
