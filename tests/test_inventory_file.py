"""Inventory files: CSV export (streamed, formula-safe), import with a
preview and every refusal reason, applying in one transaction against
concurrent sales, one import at a time, the background path, and low-stock
alerts."""
import csv
import io
import re
import threading
import time
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest

from app import db
from app.models import inventory_file as files
from tests.support import add_category, add_offer, add_product, rows, value

FILE_PAGE = "/sell/inventory/file"


@pytest.fixture
def shop(app, user_client, make_user):
    """A logged-in seller with three offers (one product named like a
    formula) and a rival seller with one."""
    client, seller = user_client()
    rival = make_user()
    category = add_category(app, "Kitchen")
    names = ["Blue Mug", "=HYPERLINK(\"x\")", "Tea Pot"]
    offers = [add_offer(app, add_product(app, seller, category, name), seller, "10.00", quantity=5)
              for name in names]
    spare_product = add_product(app, rival, category, "Spare Lid")
    rival_offer = add_offer(app, add_product(app, rival, category, "Rival Lamp"), rival, "7.00")
    return {"client": client, "seller": seller, "rival": rival, "offers": offers, "category": category,
            "spare_product": spare_product, "rival_offer": rival_offer}


def export(client) -> list[list[str]]:
    response = client.get(f"{FILE_PAGE}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    text = response.get_data().decode("utf-8")
    assert text.startswith(files.BOM)
    return list(csv.reader(io.StringIO(text.removeprefix(files.BOM))))


def to_csv(table) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(table)
    return out.getvalue().encode()


def upload(client, content: bytes, name="stock.csv"):
    return client.post(f"{FILE_PAGE}/upload", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def upload_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/file/(\d+)$", response.headers["Location"]).group(1))


def apply(client, number: int):
    return client.post(f"{FILE_PAGE}/{number}/apply")


def refusals(app, number: int) -> set[tuple[int, str, str]]:
    return {(r["line"], r["column_name"], r["message"]) for r in rows(
        app, "SELECT line, column_name, message FROM inventory_upload_refusals WHERE upload_id = %s",
        (number,))}


def offer_state(app, offer_id):
    return value(app, "SELECT (price, quantity, listed)::text FROM offers WHERE id = %s", (offer_id,))


def test_export_edit_import_export_round_trip(app, shop):
    client = shop["client"]
    table = export(client)
    assert table[0] == list(files.COLUMNS)
    assert [int(r[0]) for r in table[1:]] == shop["offers"]
    assert table[2][2] == "'=HYPERLINK(\"x\")"  # a formula made text
    assert table[1][4:8] == ["10.00", "5", "yes", ""]
    assert 'href="/sell/inventory/file"' in client.get("/sell/inventory").get_data(as_text=True)

    table[1][4], table[1][5] = "12,50", "7"        # the decimal comma, read as the forms read it
    table[2][6] = "no"                             # stop selling
    table[3][7] = "2"                              # its own low-stock threshold
    response = upload(client, to_csv(table))
    number = upload_id(response)
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<b>3</b> offers will change" in preview and "<b>0</b> rows are refused" in preview
    assert "10.00\xa0EUR → 12.50\xa0EUR" in preview
    assert offer_state(app, shop["offers"][0]) == "(10.00,5,t)"  # nothing changed yet

    assert apply(client, number).status_code == 302
    assert "3 offers changed or added" in client.get(f"{FILE_PAGE}/{number}").get_data(as_text=True)
    table[1][4] = "12.50"
    assert export(client) == table


def test_every_refusal_reason(app, shop):
    client = shop["client"]
    mine = shop["offers"]
    table = [list(files.COLUMNS),
             [mine[0], "", "", "", "1,234", "3"],                      # 2: ambiguous money
             [mine[1], "", "", "", "9.99", "-1"],                      # 3: negative stock
             ["999999", "", "", "", "9.99", "1"],                      # 4: unknown offer
             [shop["rival_offer"], "", "", "", "1.00", "1"],           # 5: someone else's offer
             [mine[2], "", "", "", "11.00", "2"],                      # 6: fine
             [mine[2], "", "", "", "12.00", "2"],                      # 7: duplicate row
             [mine[0], "", "", "", "=1+1", "2"],                       # 8: a formula cell (and a duplicate)
             ["", "", "", "", "", ""],                                 # blank: skipped
             ["", shop["spare_product"], "", "", "3.00", "4"],         # 10: a new offer
             ["", "424242", "", "", "3.00", "4"],                      # 11: no such product
             ["", "", "x", "", "3.00", "4"],                           # 12: neither id, no category
             [mine[1], "", "", "", "0", "1", "maybe"],                 # 13: zero price, bad flag
             ["abc", "", "", "", "1.00", "1"]]                         # 14: not an id
    number = upload_id(upload(client, to_csv(table)))
    got = refusals(app, number)
    assert {(line, column) for line, column, _ in got} == {
        (2, "price"), (3, "quantity"), (4, "offer_id"), (5, "offer_id"), (7, "offer_id"), (8, "price"),
        (11, "product_id"), (12, "category"), (13, "price"), (13, "active"), (14, "offer_id")}
    messages = {(line, column): message for line, column, message in got}
    assert messages[2, "price"].startswith("“1,234” could mean 1234 or 1.234")
    assert messages[3, "quantity"] == "Enter a number from 0 to 1,000,000."
    assert messages[4, "offer_id"] == "There is no offer 999999."
    assert "another seller's" in messages[5, "offer_id"]
    assert messages[7, "offer_id"] == f"Offer {mine[2]} is already on line 6: one row per offer."
    assert messages[8, "price"] == "This cell is a formula; write the value itself."
    assert messages[11, "product_id"] == "There is no product 424242."
    assert messages[12, "category"] == "A new product needs its category."
    assert messages[13, "price"] == "The amount must be more than 0."
    assert messages[13, "active"] == "Write yes or no."
    page = client.get(f"{FILE_PAGE}/{number}").get_data(as_text=True)
    assert "<b>10</b> rows are refused" in page and "There is no offer 999999." in page
    assert "<b>1</b> offers will change" in page and "<b>1</b> offers will be added" in page

    # Applying writes the valid rows only; the rival's offer is untouched.
    apply(client, number)
    assert offer_state(app, mine[2]) == "(11.00,2,t)"
    assert offer_state(app, mine[0]) == "(10.00,5,t)"
    assert offer_state(app, shop["rival_offer"]) == "(7.00,5,t)"
    assert value(app, "SELECT quantity FROM offers WHERE seller_id = %s AND product_id = %s",
                 (shop["seller"].id, shop["spare_product"])) == 4


@pytest.mark.parametrize("content, message", [
    (b"offer_id,price\n1,2.00\n", "it lacks product_id, quantity"),
    ("offer_id,product_id,price,quantity\n1,,9.99,2\n# caf\u00e9\n".encode("latin-1"),
     "The file is not UTF-8 text (line 3"),
    (b"offer_id,product_id,price,quantity\n1,\x00,9.99,2\n", "contains NUL bytes"),
    (b"", "The file is empty."),
    (b"offer_id,product_id,price,quantity\n", "no rows under its header"),
    (b"offer_id,product_id,price,quantity,price\n", "names a column twice"),
])
def test_files_refused_as_a_whole(app, shop, content, message):
    response = upload(shop["client"], content)
    number = upload_id(response)
    page = shop["client"].get(response.headers["Location"]).get_data(as_text=True)
    assert message in page and "Nothing was changed." in page
    assert value(app, "SELECT status FROM inventory_uploads WHERE id = %s", (number,)) == "failed"


def test_a_50_mb_file_gets_a_clean_413(shop):
    content = b"offer_id,product_id,price,quantity\n" + b"1,,1.00,1\n" * (50 * 1024 * 1024 // 10)
    response = upload(shop["client"], content)
    assert response.status_code == 413
    assert "The file is larger than 16 MB" in response.get_data(as_text=True)


def test_no_file_and_no_csrf(shop):
    client = shop["client"]
    assert "Choose a CSV or XLSX file to upload." in client.post(f"{FILE_PAGE}/upload").get_data(as_text=True)
    response = client.post(f"{FILE_PAGE}/upload", csrf=False, data={"file": (io.BytesIO(b"x"), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400


def test_template_and_ownership(app, shop, user_client):
    client = shop["client"]
    template = client.get(f"{FILE_PAGE}/template.csv").get_data().decode()
    assert template == files.BOM + ",".join(files.COLUMNS) + "\r\n"
    number = upload_id(upload(client, to_csv([files.COLUMNS[:6], [shop["offers"][0], "", "", "", "3", "3"]])))
    other, _ = user_client()
    assert other.get(f"{FILE_PAGE}/{number}").status_code == 404
    assert apply(other, number).status_code == 404
    assert other.post(f"{FILE_PAGE}/{number}/cancel").status_code == 404
    assert offer_state(app, shop["offers"][0]) == "(10.00,5,t)"
    assert client.post(f"{FILE_PAGE}/{number}/cancel").status_code == 302
    assert apply(client, number).status_code == 302
    assert offer_state(app, shop["offers"][0]) == "(10.00,5,t)"  # a cancelled import stays so


def test_a_sale_between_preview_and_apply_is_not_overwritten(app, shop):
    client, mine = shop["client"], shop["offers"]
    number = upload_id(upload(client, to_csv([files.COLUMNS[:6], [mine[0], "", "", "", "20.00", "50"],
                                              [mine[1], "", "", "", "21.00", ""],
                                              [mine[2], "", "", "", "22.00", "9"]])))
    with app.app_context():  # sales of the first two offers, after the preview
        db.execute("UPDATE offers SET quantity = quantity - 2 WHERE id = ANY(%s)", ([mine[0], mine[1]],))
    apply(client, number)
    assert offer_state(app, mine[0]) == "(10.00,3,t)"   # the row is skipped, the sale stands
    assert offer_state(app, mine[1]) == "(21.00,3,t)"   # stock untouched by the row: price applied
    assert offer_state(app, mine[2]) == "(22.00,9,t)"
    page = client.get(f"{FILE_PAGE}/{number}").get_data(as_text=True)
    assert "A sale changed the stock (5 at the preview)" in page and "2 offers changed or added" in page


def test_a_sale_racing_the_apply(app, database, shop):
    """A sale holding the offer's row while the import applies: the import
    waits, sees the sale's stock and leaves it."""
    client, mine = shop["client"], shop["offers"]
    number = upload_id(upload(client, to_csv([files.COLUMNS[:6], [mine[0], "", "", "", "20.00", "50"],
                                              [mine[2], "", "", "", "22.00", "9"]])))
    sale = psycopg2.connect(database)
    cur = sale.cursor()
    cur.execute("UPDATE offers SET quantity = quantity - 1 WHERE id = %s", (mine[0],))
    done = threading.Thread(target=lambda: apply(client, number))
    done.start()
    time.sleep(0.5)
    assert done.is_alive()  # the import waits for the sale's row lock
    sale.commit()
    sale.close()
    done.join(10)
    assert offer_state(app, mine[0]) == "(10.00,4,t)"
    assert offer_state(app, mine[2]) == "(22.00,9,t)"


def test_nothing_is_half_applied(app, shop):
    client, mine = shop["client"], shop["offers"]
    number = upload_id(upload(client, to_csv([files.COLUMNS[:6], [mine[0], "", "", "", "20.00", "8"],
                                              [mine[1], "", "", "", "21.00", "9"]])))
    with app.app_context():  # a row the database refuses (a check constraint) behind a good one
        db.execute("UPDATE inventory_upload_rows SET quantity = -1 WHERE upload_id = %s AND line = 3",
                   (number,))
    apply(client, number)
    assert offer_state(app, mine[0]) == "(10.00,5,t)" and offer_state(app, mine[1]) == "(10.00,5,t)"
    page = client.get(f"{FILE_PAGE}/{number}").get_data(as_text=True)
    assert "Nothing was changed: the database refused the import" in page


def test_large_files_run_in_the_background_one_at_a_time(app, shop):
    client, mine = shop["client"], shop["offers"]
    lines = [files.COLUMNS[:6]] + [[mine[0], "", "", "", "10.00", "5"]] * (files.INLINE_ROWS + 5)
    response = upload(client, to_csv(lines))
    number = upload_id(response)
    waiting = client.get(f"{FILE_PAGE}/{number}")
    assert waiting.headers["Refresh"] == "2"
    assert "Waiting for the background worker" in waiting.get_data(as_text=True)
    with app.app_context():  # the worker is down: after a while the page stops refreshing and says so
        db.execute("UPDATE inventory_uploads SET status_at = now() - interval '10 minutes' WHERE id = %s",
                   (number,))
    stalled = client.get(f"{FILE_PAGE}/{number}")
    assert "Refresh" not in stalled.headers and stalled.status_code == 200
    text = stalled.get_data(as_text=True)
    assert "the background worker may be down" in text and f'href="{FILE_PAGE}/{number}">Refresh now' in text
    assert value(app, """SELECT count(*) FROM procrastinate_jobs
                         WHERE task_name LIKE %s AND args->>'upload_id' = %s""",
                 ("%check_inventory_upload", str(number))) == 1

    second = upload(client, to_csv([files.COLUMNS[:6], [mine[1], "", "", "", "3", "3"]]))
    assert second.status_code == 409
    assert "Another import of yours is running" in second.get_data(as_text=True)

    with app.app_context():  # what the worker's job runs
        files.check_upload(number)
        files.check_upload(number)  # a second run changes nothing
    page = client.get(f"{FILE_PAGE}/{number}")
    assert "Refresh" not in page.headers
    text = page.get_data(as_text=True)
    assert "2,005 rows read" in text and "<b>2,004</b> rows are refused" in text
    assert "<b>0</b> offers will change" in text and "Apply" not in text


def test_low_stock_alert_once_per_fall(app, shop):
    client, mine = shop["client"], shop["offers"]
    assert client.post(f"{FILE_PAGE}/threshold", data={"threshold": "-3"}).status_code == 400
    assert client.post(f"{FILE_PAGE}/threshold", data={"threshold": "3"}).status_code == 302
    assert 'value="3"' in client.get(FILE_PAGE).get_data(as_text=True)

    def sell(offer_id, quantity):
        with app.app_context():
            db.execute("UPDATE offers SET quantity = %s WHERE id = %s", (quantity, offer_id))

    def alerts():
        with app.app_context():
            files.send_low_stock_alerts()
        return [r["subject"] for r in rows(app, "SELECT subject FROM notifications WHERE user_id = %s "
                                           "AND kind = 'low_stock' ORDER BY id", (shop["seller"].id,))]

    assert alerts() == []
    sell(mine[0], 3)
    assert alerts() == ["Low stock: “Blue Mug”"]
    sell(mine[0], 1)
    assert alerts() == ["Low stock: “Blue Mug”"]  # not at every sale
    sell(mine[0], 10)
    sell(mine[2], 2)
    with app.app_context():
        db.execute("UPDATE offers SET low_stock_threshold = 0 WHERE id = %s", (mine[2],))
    assert alerts() == ["Low stock: “Blue Mug”"]  # restocked, and Tea Pot's own threshold is lower
    sell(mine[0], 2)
    sell(mine[1], 0)
    assert alerts() == ["Low stock: “Blue Mug”", "Low stock on 2 offers"]
    assert value(app, "SELECT count(*) FROM notifications WHERE user_id = %s", (shop["rival"].id,)) == 0


def test_money_reads_as_the_forms_read_it():
    assert files._read_row(["1", "", "12,50", "3"], {"offer_id": 0, "product_id": 1, "price": 2,
                                                      "quantity": 3})[0]["price"] == Decimal("12.50")


@pytest.mark.browser
@pytest.mark.parametrize("width", [320, 1280])
def test_import_from_the_browser_on_a_phone_and_a_desktop(app, page, live_server, shop, tmp_path, width):
    """From the inventory page: download the export, upload an edit, read
    the preview, apply; the pages fit a 320 px phone."""
    from tests.support import PASSWORD

    page.set_viewport_size({"width": width, "height": 740})
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", shop["seller"].email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main button:has-text('Log in')")
    page.goto(f"{live_server}/sell/inventory")
    with page.expect_navigation():
        page.click("text=Export or import a file (CSV)")
    with page.expect_download() as download:
        page.click("text=Download your offers (CSV)")
    table = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    table[1][4] = "15,00"
    path = tmp_path / "edit.csv"
    path.write_bytes(to_csv(table))
    page.set_input_files("#file", str(path))
    with page.expect_navigation():
        page.click("text=Upload and preview")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    with page.expect_navigation():
        page.click("text=Apply 1 changes")
    assert "1 offers changed or added" in page.content()
    assert offer_state(app, shop["offers"][0]) == "(15.00,5,t)"


def test_cells_outside_the_plain_shape_read_as_the_forms_read_them(app, shop):
    """Plain cells are read in SQL, the others by the forms' readers: both
    give the same values, and numbers too big for the database are refusals."""
    client, mine = shop["client"], shop["offers"]
    table = [files.COLUMNS[:8],
             [f" {mine[0]} ", "", "", "", " 12.5 ", "\t3", " YES ", "007"],   # 2: spaces, a tab, case
             [mine[1], "", "", "", "€ 1.234,50", "99999999999", "", ""],        # 3: stock too big
             [mine[2], "", "", "", "99999999999", "1", "", "12345678"]]         # 4: price, threshold too big
    number = upload_id(upload(client, to_csv(table)))
    assert {(line, column) for line, column, _ in refusals(app, number)} == {
        (3, "quantity"), (4, "price"), (4, "low_stock_threshold")}
    apply(client, number)
    assert offer_state(app, mine[0]) == "(12.50,3,t)"
    assert value(app, "SELECT low_stock_threshold FROM offers WHERE id = %s", (mine[0],)) == 7


def test_new_products_by_name_and_category(app, shop):
    client, seller = shop["client"], shop["seller"]
    add_category(app, "Garden Tools")
    table = [[*files.COLUMNS[:6], "description"],
             ["", "", "Green Hose", "garden tools", "19.90", "4", "A long hose."],  # 2: new, by the slug
             ["", "", "Copper Kettle", "Kitchen", "30", "2", ""],                   # 3: new
             ["", "", "copper kettle", "kitchen", "31", "2", ""],                   # 4: the same twice
             ["", "", "Tea Pot", "Kitchen", "5.00", "1", ""],                       # 5: Souk has it
             ["", "", "Rake", "Nowhere", "5.00", "1", ""],                          # 6: unknown category
             ["", "", "", "Kitchen", "5.00", "1", ""],                              # 7: no name
             ["", "", "=cmd()", "Kitchen", "5.00", "1", ""]]                        # 8: a formula
    number = upload_id(upload(client, to_csv(table)))
    messages = {(line, column): message for line, column, message in refusals(app, number)}
    assert set(messages) == {(4, "product_name"), (5, "product_name"), (6, "category"), (7, "product_name"),
                             (8, "product_name")}
    assert messages[4, "product_name"] == ("Product “copper kettle” in Kitchen is already on line 3: "
                                           "one row per product.")
    assert messages[5, "product_name"].startswith("Souk already has “Tea Pot” in Kitchen: put its product_id")
    assert messages[6, "category"].startswith("There is no category “Nowhere”")
    page = client.get(f"{FILE_PAGE}/{number}").get_data(as_text=True)
    assert "<b>2</b> offers will be added" in page and "Green Hose (new product)" in page
    assert value(app, "SELECT count(*) FROM products WHERE name = 'Green Hose'") == 0  # nothing yet

    apply(client, number)
    created = rows(app, """SELECT p.name, c.name AS category, p.description, p.creator_id, p.min_price,
                                  o.price, o.quantity, o.seller_id
                           FROM products p JOIN categories c ON c.id = p.category_id
                           JOIN offers o ON o.product_id = p.id
                           WHERE p.name IN ('Green Hose', 'Copper Kettle') ORDER BY p.name""")
    assert [(r["name"], r["category"], r["description"], r["price"], r["quantity"], r["min_price"])
            for r in created] == [("Copper Kettle", "Kitchen", "", Decimal("30.00"), 2, Decimal("30.00")),
                                  ("Green Hose", "Garden Tools", "A long hose.", Decimal("19.90"), 4,
                                   Decimal("19.90"))]
    assert {r["creator_id"] for r in created} == {r["seller_id"] for r in created} == {seller.id}
    # On a row with an id, the name and category stay read-only, however long or unknown.
    renamed = upload_id(upload(client, to_csv([files.COLUMNS[:6],
                                               [shop["offers"][2], "", "x" * 300, "Nowhere", "6.00", "1"]])))
    assert refusals(app, renamed) == set()
    apply(client, renamed)
    assert offer_state(app, shop["offers"][2]) == "(6.00,1,t)"
    # The same file again: both products exist now, so nothing is created twice.
    again = upload_id(upload(client, to_csv(table[:3])))
    assert {(line, column) for line, column, _ in refusals(app, again)} == {(2, "product_name"),
                                                                             (3, "product_name")}
