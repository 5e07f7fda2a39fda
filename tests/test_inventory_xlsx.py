"""Inventory files saved as an Excel workbook (.xlsx): read from the first
sheet with exactly the CSV rules (app/models/spreadsheet.py), through HTTP;
a broken or oversized workbook gets a message, never a 500."""
import io
import zipfile

import pytest
from openpyxl import Workbook

from app.models import inventory_file as files
from app.models import spreadsheet
from tests import test_inventory_file as csv_file
from tests.test_inventory_file import apply, offer_state, refusals, upload, upload_id

shop = csv_file.shop  # the same seller, offers and rival as the CSV tests


def workbook(rows, extra_sheet=False) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        book.create_sheet("Notes").append(["ignored"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_is_checked_and_applied_like_a_csv(app, shop):
    mine = shop["offers"]
    content = workbook([list(files.COLUMNS[:7]),
                        [mine[0], None, "Blue Mug", "Kitchen", 12.5, 7, True],   # numbers and a boolean
                        [mine[1], None, None, None, "12,50", 3.0, "no"],          # text as typed
                        [mine[2], None, None, None, "=A2*2", 1, None],           # a formula
                        [shop["rival_offer"], None, None, None, 1, 1, None]],    # someone else's
                       extra_sheet=True)
    response = upload(shop["client"], content, name="stock.xlsx")
    number = upload_id(response)
    page = shop["client"].get(response.headers["Location"]).get_data(as_text=True)
    assert "<b>2</b> offers will change" in page and "<b>2</b> rows are refused" in page
    assert {(line, column) for line, column, _ in refusals(app, number)} == {(4, "price"), (5, "offer_id")}
    assert apply(shop["client"], number).status_code == 302
    assert offer_state(app, mine[0]) == "(12.50,7,t)"
    assert offer_state(app, mine[1]) == "(12.50,3,f)"
    assert offer_state(app, mine[2]) == "(10.00,5,t)"


@pytest.mark.parametrize("content, message", [
    (b"PK\x03\x04 not really a zip", "not a workbook Souk can read"),
    (b"", "The file is empty."),
])
def test_a_broken_workbook_gets_a_message(app, shop, content, message):
    response = upload(shop["client"], content, name="stock.xlsx")
    page = shop["client"].get(response.headers["Location"]).get_data(as_text=True)
    assert message in page


def test_a_zip_that_is_not_a_workbook_and_one_too_big_unpacked(app, shop, monkeypatch):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("hello.txt", "not a spreadsheet")
    with pytest.raises(spreadsheet.NotReadable, match="not a workbook"):
        spreadsheet.as_csv(archive.getvalue(), 10)
    monkeypatch.setattr(spreadsheet, "MAX_UNPACKED_BYTES", 100)
    with pytest.raises(spreadsheet.NotReadable, match="unpacks to more than"):
        spreadsheet.as_csv(workbook([["offer_id"], *[[n] for n in range(50)]]), 1000)


def test_a_workbook_with_too_many_rows_is_refused():
    with pytest.raises(spreadsheet.NotReadable, match="more than 3 rows"):
        spreadsheet.as_csv(workbook([["offer_id"], [1], [2], [3], [4]]), 3)


@pytest.mark.parametrize("value, text", [
    (None, ""), (True, "yes"), (False, "no"), (12.0, "12"), (12.5, "12.5"),
    (0.1 + 0.2, "0.3"), (7, "7"), ("12,50", "12,50")])
def test_cells_read_as_a_csv_would_hold_them(value, text):
    assert spreadsheet._text(value) == text
