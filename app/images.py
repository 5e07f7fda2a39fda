"""Turning an uploaded file into the WebP sizes the pages show.

Nothing of the upload is kept: Pillow decodes it (JPEG, PNG, WebP or GIF
only, whatever its name says), the pixels are copied into a new image, and
only those pixels are encoded again, so no EXIF (GPS, camera), XMP, ICC or
comment survives. Limits are checked on the header before a pixel is
decoded, so a small file that claims to be 100,000 × 100,000 pixels (a
decompression bomb) costs nothing.

Each size is drawn at 1× and 2× for high-density screens:
  thumb   a square crop for list rows, THUMB px
  medium  the whole photo inside MEDIUM × MEDIUM px, for the product page

Pillow is imported by the functions that draw (an upload, the generator),
not with the module: every page that lists photos imports this one, and
Pillow would add its weight to every web worker.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 25_000_000  # a 24-megapixel camera; more is refused before decoding
MIN_SIDE = 16
TOO_MANY_PIXELS = f"A photo may have at most {MAX_PIXELS // 1_000_000} megapixels."
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
THUMB = 64
MEDIUM = 400
QUALITY = {"thumb": 60, "medium": 72}
VARIANTS = ("thumb", "thumb2x", "medium", "medium2x")


class BadImage(ValueError):
    """The upload is not a photo Souk accepts; the message says why, for the form."""


@dataclass(frozen=True)
class WebSizes:
    """The encoded variants (name -> WebP bytes) and the CSS-pixel size of
    the 1× medium (thumbnails are always THUMB × THUMB)."""

    files: dict[str, bytes]
    width: int
    height: int


def _open(data: bytes) -> Image.Image:
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise BadImage("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise BadImage(f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    try:
        with warnings.catch_warnings():
            # Pillow only warns up to twice its own pixel limit; refuse instead.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError:
        raise BadImage("This is not a photo Souk can use: upload a JPEG, PNG, WebP or GIF image.") from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise BadImage(TOO_MANY_PIXELS) from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise BadImage(f"The image is {width:,} × {height:,} pixels. {TOO_MANY_PIXELS}")
    if min(width, height) < MIN_SIDE:
        raise BadImage(f"The image is too small: at least {MIN_SIDE} × {MIN_SIDE} pixels.")
    return image


def _pixels(image: Image.Image) -> Image.Image:
    """A fresh RGB or RGBA image with the upload's pixels, turned upright
    as its camera said, and nothing else of the file."""
    from PIL import Image, ImageOps

    try:
        image.seek(0)  # the first frame of an animation
        # A JPEG decodes straight at a fraction of its size when that still
        # covers the largest size drawn: less time and memory.
        image.draft("RGB", (4 * MEDIUM, 4 * MEDIUM))
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        raise BadImage("The image file is damaged or incomplete.") from None
    mode = "RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB"
    converted = upright.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _encode(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=quality, method=4)
    return out.getvalue()


def _square(image: Image.Image, side: int) -> Image.Image:
    from PIL import Image, ImageOps

    return ImageOps.fit(image, (side, side), Image.Resampling.LANCZOS)


def _inside(image: Image.Image, box: int) -> Image.Image:
    from PIL import Image

    copy = image.copy()
    copy.thumbnail((box, box), Image.Resampling.LANCZOS)
    return copy


def web_sizes(data: bytes) -> WebSizes:
    """Check an uploaded file and encode its web sizes; raises BadImage."""
    pixels = _pixels(_open(data))
    return sizes_of(pixels)


def sizes_of(pixels: Image.Image) -> WebSizes:
    """The web sizes of an image already in memory (the generator's drawings)."""
    medium = _inside(pixels, MEDIUM)
    files = {
        "thumb": _encode(_square(pixels, THUMB), QUALITY["thumb"]),
        "thumb2x": _encode(_square(pixels, 2 * THUMB), QUALITY["thumb"]),
        "medium": _encode(medium, QUALITY["medium"]),
        "medium2x": _encode(_inside(pixels, 2 * MEDIUM), QUALITY["medium"]),
    }
    return WebSizes(files, medium.width, medium.height)


def content_hash(sizes: WebSizes) -> str:
    """The key of a photo: SHA-256 over its files in VARIANTS order, so the
    URL of any of them changes whenever any byte does."""
    digest = hashlib.sha256()
    for name in VARIANTS:
        data = sizes.files[name]
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()
