"""Product photos: upload by the product's creator, reorder, remove, the
limit, the files' cache headers, Save-Data, and what an upload must never
get through (non-images, bombs, huge files, SVG, GPS metadata)."""
import io
import zlib

import pytest
from PIL import Image

from app import db
from app.images import MAX_UPLOAD_BYTES

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def image_bytes(fmt="JPEG", size=(600, 400), colour=(200, 40, 40), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt, **save)
    return out.getvalue()


def upload(client, product_id, data: bytes, filename="photo.jpg"):
    return client.post(f"/photos/products/{product_id}",
                       data={"photo": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def stored(app, product_id) -> list[dict]:
    with app.app_context():
        return db.query("""SELECT pp.position, ph.sha256, ph.medium, ph.thumb2x FROM product_photos pp
                           JOIN photos ph ON ph.id = pp.photo_id WHERE pp.product_id = %s
                           ORDER BY pp.position""", (product_id,))


def photo_rows(app) -> int:
    with app.app_context():
        return db.query_value("SELECT count(*) FROM photos")


@pytest.fixture
def seller_product(user_client, make_offer):
    client, seller = user_client()
    offer = make_offer(seller=seller)
    return client, offer["product_id"]


def test_creator_uploads_a_photo_shown_in_lists_and_on_the_product_page(app, client, seller_product):
    seller, product_id = seller_product
    response = upload(seller, product_id, image_bytes())
    assert response.status_code == 302
    [photo] = stored(app, product_id)
    medium = Image.open(io.BytesIO(bytes(photo["medium"])))
    assert medium.format == "WEBP" and medium.size == (400, 267)
    assert Image.open(io.BytesIO(bytes(photo["thumb2x"]))).size == (128, 128)

    page = client.get(f"/products/{product_id}").get_data(as_text=True)
    sha = photo["sha256"]
    assert f'src="/photos/{sha}/medium.webp"' in page and f"/photos/{sha}/medium2x.webp 2x" in page
    assert 'width="400" height="267"' in page
    listing = client.get("/search?q=test").get_data(as_text=True)
    assert f'src="/photos/{sha}/thumb.webp"' in listing and 'width="64" height="64"' in listing


def test_photo_files_are_cached_for_a_year_and_answer_304(app, client, seller_product):
    seller, product_id = seller_product
    upload(seller, product_id, image_bytes())
    sha = stored(app, product_id)[0]["sha256"]
    response = client.get(f"/photos/{sha}/thumb.webp")
    assert response.status_code == 200 and response.mimetype == "image/webp"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Set-Cookie" not in response.headers
    again = client.get(f"/photos/{sha}/thumb.webp", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    for url in (f"/photos/{sha}/original.webp", f"/photos/{'0' * 64}/thumb.webp", "/photos/../thumb.webp",
                f"/photos/{sha.upper()}/thumb.webp"):
        assert client.get(url).status_code == 404


def test_save_data_leaves_list_thumbnails_out(app, client, seller_product):
    seller, product_id = seller_product
    upload(seller, product_id, image_bytes())
    normal = client.get("/search?q=test")
    saving = client.get("/search?q=test", headers={"Save-Data": "on"})
    assert 'class="thumb"' in normal.get_data(as_text=True)
    text = saving.get_data(as_text=True)
    assert 'class="thumb"' not in text and "Test product" in text
    assert "Save-Data" in saving.headers["Vary"]


def test_only_the_creator_changes_photos(app, user_client, seller_product):
    seller, product_id = seller_product
    upload(seller, product_id, image_bytes())
    other, _ = user_client()
    assert other.get(f"/photos/products/{product_id}").status_code == 403
    assert upload(other, product_id, image_bytes(colour=(1, 2, 3))).status_code == 403
    assert other.post(f"/photos/products/{product_id}/1/remove").status_code == 403
    assert len(stored(app, product_id)) == 1
    assert other.get("/photos/products/999999").status_code == 404


def test_reorder_and_remove_keep_positions_without_gaps(app, seller_product):
    seller, product_id = seller_product
    for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255)):
        assert upload(seller, product_id, image_bytes(colour=colour)).status_code == 302
    first, second, third = (p["sha256"] for p in stored(app, product_id))
    assert seller.post(f"/photos/products/{product_id}/3/earlier").status_code == 302
    assert [p["sha256"] for p in stored(app, product_id)] == [first, third, second]
    seller.post(f"/photos/products/{product_id}/1/later")
    assert [p["sha256"] for p in stored(app, product_id)] == [third, first, second]
    seller.post(f"/photos/products/{product_id}/3/later")  # nowhere to go: nothing changes
    assert [p["sha256"] for p in stored(app, product_id)] == [third, first, second]
    seller.post(f"/photos/products/{product_id}/1/remove")
    assert [(p["position"], p["sha256"]) for p in stored(app, product_id)] == [(1, first), (2, second)]
    assert photo_rows(app) == 2  # the removed picture is gone, not just unlinked
    assert seller.post(f"/photos/products/{product_id}/9/remove").status_code == 404


def test_at_most_eight_photos(app, seller_product):
    seller, product_id = seller_product
    for shade in range(8):
        assert upload(seller, product_id, image_bytes(colour=(shade * 30, 10, 10))).status_code == 302
    response = upload(seller, product_id, image_bytes(colour=(9, 9, 9)))
    assert response.status_code == 400 and "at most 8 photos" in response.get_data(as_text=True)
    assert len(stored(app, product_id)) == 8 and photo_rows(app) == 8


@pytest.mark.parametrize("data, filename, message", [
    (b"%PDF-1.4 this is not a picture at all" * 10, "holiday.jpg", "not a photo Souk can use"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script>'
     b'<rect width="10" height="10"/></svg>', "logo.png", "not a photo Souk can use"),
    (PNG_SIGNATURE + b"\x00\x00\x00\rIHDR" + b"\x00" * 30, "broken.png", "not a photo Souk can use"),
    (b"", "empty.jpg", "The file is empty"),
])
def test_files_that_are_not_photos_are_refused_and_nothing_is_stored(app, seller_product, data, filename,
                                                                      message):
    seller, product_id = seller_product
    response = upload(seller, product_id, data, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert stored(app, product_id) == [] and photo_rows(app) == 0


def test_truncated_jpeg_is_refused(app, seller_product):
    seller, product_id = seller_product
    whole = image_bytes(size=(800, 600))
    response = upload(seller, product_id, whole[:len(whole) // 2])
    assert response.status_code == 400 and "damaged or incomplete" in response.get_data(as_text=True)
    assert photo_rows(app) == 0


def png_claiming(width: int, height: int) -> bytes:
    """A small valid PNG whose header (with a correct checksum) claims
    width x height pixels."""
    data = bytearray(image_bytes("PNG", size=(32, 32)))
    header = b"IHDR" + width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes(data[24:29])
    data[12:29] = header
    data[29:33] = zlib.crc32(header).to_bytes(4, "big")
    return bytes(data)


def grey_png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height)).save(out, "PNG", compress_level=9)
    return out.getvalue()


@pytest.mark.parametrize("bomb", [
    pytest.param(lambda: grey_png(6_000, 6_000), id="36-megapixel PNG of 40 KB"),
    pytest.param(lambda: png_claiming(30_000, 30_000), id="header claims 900 megapixels"),
    pytest.param(lambda: png_claiming(8_000, 4_000), id="header claims 32 megapixels"),
])
def test_decompression_bomb_is_refused_before_decoding(app, seller_product, bomb):
    seller, product_id = seller_product
    data = bomb()
    assert len(data) < 100 * 1024
    response = upload(seller, product_id, data, "tiny.png")
    assert response.status_code == 400
    assert "at most 25 megapixels" in response.get_data(as_text=True)
    assert photo_rows(app) == 0


def test_huge_file_gets_a_form_error_not_a_crash(app, seller_product):
    seller, product_id = seller_product
    huge = image_bytes() + b"\x00" * (MAX_UPLOAD_BYTES + 128 * 1024)
    response = upload(seller, product_id, huge)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than 8 MB" in page and 'type="file"' in page
    assert photo_rows(app) == 0


def test_huge_file_to_someone_elses_product_is_a_413_page(app, user_client, seller_product, client):
    _, product_id = seller_product
    other, _ = user_client()
    huge = image_bytes() + b"\x00" * (MAX_UPLOAD_BYTES + 128 * 1024)
    for sender in (other, client):
        response = upload(sender, product_id, huge)
        assert response.status_code == 413 and "larger than 8 MB" in response.get_data(as_text=True)
        assert 'type="file"' not in response.get_data(as_text=True)
    assert photo_rows(app) == 0


def test_gps_and_camera_metadata_are_stripped(app, seller_product):
    seller, product_id = seller_product
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc"  # Make
    exif[0x0110] = "Model X"  # Model
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)})  # GPS
    original = image_bytes(exif=exif.tobytes())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the upload does carry GPS
    assert upload(seller, product_id, original).status_code == 302
    with app.app_context():
        files = db.query_one("SELECT thumb, thumb2x, medium, medium2x FROM photos")
    for name, data in files.items():
        data = bytes(data)
        image = Image.open(io.BytesIO(data))
        assert not image.getexif(), name
        assert not {"exif", "xmp", "icc_profile"} & set(image.info), name
        assert b"SpyCam" not in data and b"EXIF" not in data and b"XMP " not in data, name


def test_upload_without_csrf_token_is_refused(app, seller_product):
    seller, product_id = seller_product
    response = seller.post(f"/photos/products/{product_id}", csrf=False, content_type="multipart/form-data",
                           data={"photo": (io.BytesIO(image_bytes()), "a.jpg")})
    assert response.status_code == 400 and photo_rows(app) == 0
