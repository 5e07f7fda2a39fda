"""Product photos: the WebP files (table photos, keyed by their content
hash) and each product's ordered list of them (product_photos).

Only a product's creator changes its photos; every change locks the product
row first, so two tabs adding photos at once cannot pass the limit or take
the same position."""
from psycopg2 import sql

from .. import db
from ..images import VARIANTS, WebSizes, content_hash

MAX_PER_PRODUCT = 8


class TooManyPhotos(Exception):
    """The product already has MAX_PER_PRODUCT photos."""


def _store(sizes: WebSizes) -> int:
    """The id of the photo with these files, inserted unless already stored."""
    sha = content_hash(sizes)
    files = sizes.files
    photo_id = db.query_value(
        """INSERT INTO photos (sha256, width, height, thumb, thumb2x, medium, medium2x)
           VALUES (%s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (sha256) DO NOTHING RETURNING id""",
        (sha, sizes.width, sizes.height, files["thumb"], files["thumb2x"], files["medium"],
         files["medium2x"]))
    return photo_id or db.query_value("SELECT id FROM photos WHERE sha256 = %s", (sha,))


def _lock_product(product_id: int, creator_id: int) -> bool:
    return db.query_value("SELECT true FROM products WHERE id = %s AND creator_id = %s FOR UPDATE",
                          (product_id, creator_id)) is not None


def _add(product_id: int, creator_id: int, sizes: WebSizes) -> bool:
    if not _lock_product(product_id, creator_id):
        return False
    count = db.query_value("SELECT count(*) FROM product_photos WHERE product_id = %s", (product_id,))
    if count >= MAX_PER_PRODUCT:
        raise TooManyPhotos
    photo_id = _store(sizes)
    # The same picture twice on one product adds nothing: keep its place.
    db.execute("""INSERT INTO product_photos (product_id, position, photo_id) VALUES (%s, %s, %s)
                  ON CONFLICT (product_id, photo_id) DO NOTHING""", (product_id, count + 1, photo_id))
    return True


def add_photo(product_id: int, creator_id: int, sizes: WebSizes) -> bool:
    """Store a photo's files and put it last among the product's photos, in
    one transaction. False when `creator_id` did not create the product;
    raises TooManyPhotos when it already has MAX_PER_PRODUCT."""
    return db.run_transaction(_add, product_id, creator_id, sizes)


def _drop_unused(photo_id: int) -> None:
    # A picture nobody shows any more goes too (a seller who removes a photo
    # expects it gone); a page cached with it shows its alt text.
    db.execute("""DELETE FROM photos WHERE id = %s
                  AND NOT EXISTS (SELECT 1 FROM product_photos WHERE photo_id = %s)""", (photo_id, photo_id))


def _remove(product_id: int, creator_id: int, position: int) -> bool:
    if not _lock_product(product_id, creator_id):
        return False
    photo_id = db.query_value("DELETE FROM product_photos WHERE product_id = %s AND position = %s "
                              "RETURNING photo_id", (product_id, position))
    if photo_id is None:
        return False
    db.execute("""UPDATE product_photos SET position = position - 1
                  WHERE product_id = %s AND position > %s""", (product_id, position))
    _drop_unused(photo_id)
    return True


def remove_photo(product_id: int, creator_id: int, position: int) -> bool:
    """Remove the photo at `position`; those after it move up. False when
    there is no such photo or `creator_id` did not create the product."""
    return db.run_transaction(_remove, product_id, creator_id, position)


def _move(product_id: int, creator_id: int, position: int, other: int) -> bool:
    if not _lock_product(product_id, creator_id):
        return False
    return db.execute(
        """UPDATE product_photos SET position = CASE position WHEN %(a)s THEN %(b)s ELSE %(a)s END
           WHERE product_id = %(product)s AND position IN (%(a)s, %(b)s)
             AND (SELECT count(*) FROM product_photos
                  WHERE product_id = %(product)s AND position IN (%(a)s, %(b)s)) = 2""",
        {"a": position, "b": other, "product": product_id}) == 2


def move_photo(product_id: int, creator_id: int, position: int, step: int) -> bool:
    """Swap the photo at `position` with its neighbour `step` (-1 earlier,
    +1 later). False when either place is empty or the product is not
    `creator_id`'s."""
    return db.run_transaction(_move, product_id, creator_id, position, position + step)


def product_photos(product_id: int) -> list[dict]:
    """A product's photos in order: position, sha256, width, height."""
    return db.query("""SELECT pp.position, ph.sha256, ph.width, ph.height
                       FROM product_photos pp JOIN photos ph ON ph.id = pp.photo_id
                       WHERE pp.product_id = %s ORDER BY pp.position""", (product_id,))


def photo_file(sha256: str, variant: str) -> bytes | None:
    """The bytes of one file of a photo (variant one of VARIANTS), or None."""
    if variant not in VARIANTS:
        return None
    data = db.query_value(sql.SQL("SELECT {} FROM photos WHERE sha256 = %s").format(sql.Identifier(variant)),
                          (sha256,))
    return bytes(data) if data is not None else None
