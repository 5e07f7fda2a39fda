"""Inventory files saved by a spreadsheet in its own format (XLSX): the
first sheet read as CSV text, so app/models/inventory_file.py checks it
with exactly the rules of a CSV (a formula stays a formula and is refused
there, an amount is read as the forms read it).

openpyxl is imported when a workbook arrives, so a web worker that never
sees one does not load it; with defusedxml installed it refuses XML entity
bombs, and the workbook's unpacked size is bounded before it is opened.
"""
import csv
import io
import zipfile
from datetime import date, datetime, time

XLSX_START = b"PK\x03\x04"  # a zip archive, as every XLSX is
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
UNREADABLE = ("The file is not a workbook Souk can read. Save it as “CSV UTF-8” or as an Excel "
              "workbook (.xlsx) and upload that.")


class NotReadable(ValueError):
    """The workbook cannot be read as a sheet of rows: the message says why."""


def is_workbook(content: bytes) -> bool:
    return content.startswith(XLSX_START)


def as_csv(content: bytes, max_rows: int) -> bytes:
    """The first sheet's rows as UTF-8 CSV (at most max_rows + 1 of them,
    the header included)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        raise NotReadable(UNREADABLE) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise NotReadable(f"The workbook unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB; "
                          "save its first sheet as “CSV UTF-8” and upload that.")
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise NotReadable(UNREADABLE) from None
    try:
        if not book.worksheets:
            raise NotReadable("The workbook has no sheet.")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for number, row in enumerate(book.worksheets[0].iter_rows(values_only=True)):
            if number > max_rows:
                raise NotReadable(f"The file has more than {max_rows:,} rows; split it.")
            writer.writerow([_text(value) for value in row])
    except NotReadable:
        raise
    except Exception:  # a malformed sheet inside a valid archive
        raise NotReadable(UNREADABLE) from None
    finally:
        book.close()
    return out.getvalue().encode("utf-8")


def _text(value) -> str:
    """A cell as a CSV cell would hold it: 12.5 as "12.5" (binary noise
    such as 0.30000000000000004 rounded away), 12.0 as "12", yes / no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)
