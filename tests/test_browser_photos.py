"""Real browser: a seller adds a photo to their product and sees it on the
list and product pages; a file that is not a photo is refused."""
import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.support import PASSWORD

pytestmark = pytest.mark.browser


def jpeg(colour=(30, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 600), colour).save(out, "JPEG")
    return out.getvalue()


def test_seller_uploads_a_photo_and_shoppers_see_it(page, live_server, make_user, make_offer):
    seller = make_user(first_name="Pia")
    lamp = make_offer(seller=seller, name="Brass Lamp")
    page.goto(live_server + "/")
    page.click("header >> text=Log in")
    page.fill("#email", seller.email)
    page.fill("#password", PASSWORD)
    page.click("main button:has-text('Log in')")
    page.goto(f"{live_server}/products/{lamp['product_id']}")
    page.click("main >> text=Add photos")
    expect(page.locator("h1")).to_have_text("Photos of “Brass Lamp”")

    page.set_input_files("#photo", files=[{"name": "notes.jpg", "mimeType": "image/jpeg",
                                           "buffer": b"just some text, not a picture"}])
    page.click("main button:has-text('Upload photo')")
    expect(page.locator("#photo-error")).to_contain_text("not a photo Souk can use")

    page.set_input_files("#photo", files=[{"name": "lamp.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    page.click("main button:has-text('Upload photo')")
    expect(page.locator("text=The photo is added.")).to_be_visible()

    page.click("text=Back to the product")
    photo = page.locator("main img.photo")
    expect(photo).to_have_attribute("alt", "Brass Lamp")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    assert photo.evaluate("img => img.getBoundingClientRect().width") == 400

    page.goto(f"{live_server}/search?q=lamp")
    thumb = page.locator("main tr:has-text('Brass Lamp') img.thumb")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert thumb.evaluate("img => [img.width, img.height]") == [64, 64]
