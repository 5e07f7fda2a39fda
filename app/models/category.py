"""Product categories (a small table: read whole, ordered by name), and
the operators' changes to them: add, rename, merge."""
import re

import psycopg2

from .. import db
from . import audit
from .audit import Actor


def all_categories() -> list[dict]:
    """Every category: id, name, slug, by name."""
    return db.query("SELECT id, name, slug FROM categories ORDER BY name")


def category_by_slug(slug: str) -> dict | None:
    """The category with this slug, or None."""
    return db.query_one("SELECT id, name, slug FROM categories WHERE slug = %s", (slug,))


class CategoryError(Exception):
    """A category change that cannot be made; str(error) says why."""


class NoSuchCategory(CategoryError):
    """The category does not exist."""


def slugify(text: str) -> str:
    """A URL slug: lower-case letters and digits joined by single hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:100]


def get_category(category_id: int) -> dict | None:
    """The category with this id, with its number of products (an index
    range of products_category_new)."""
    return db.query_one("""SELECT c.id, c.name, c.slug,
                                  (SELECT count(*) FROM products p WHERE p.category_id = c.id) AS products
                           FROM categories c WHERE c.id = %s""", (category_id,))


def _unique_error(exc: psycopg2.errors.UniqueViolation, name: str, slug: str) -> CategoryError:
    if "slug" in (exc.diag.constraint_name or ""):
        return CategoryError(f"Another category already has the slug “{slug}”.")
    return CategoryError(f"Another category is already called “{name}”.")


def add_category(actor: Actor, name: str, slug: str) -> int:
    """Create a category (slug from the name when empty); returns its id.
    Raises CategoryError when the name or slug is taken or the slug empty."""
    slug = slug or slugify(name)
    if not slug:
        raise CategoryError("Give the category a slug of letters or digits.")
    try:
        with db.transaction():
            category_id = db.query_value("INSERT INTO categories (name, slug) VALUES (%s, %s) RETURNING id",
                                         (name, slug))
            audit.record(actor, "add_category", "category", category_id, "", {"name": name, "slug": slug})
    except psycopg2.errors.UniqueViolation as exc:
        raise _unique_error(exc, name, slug) from exc
    return category_id


def rename_category(actor: Actor, category_id: int, name: str, slug: str, reason: str) -> bool:
    """Give a category a new name and slug (from the name when empty).
    False when nothing changed; raises CategoryError."""
    slug = slug or slugify(name)
    if not slug:
        raise CategoryError("Give the category a slug of letters or digits.")
    try:
        with db.transaction():
            old = db.query_one("SELECT name, slug FROM categories WHERE id = %s FOR UPDATE", (category_id,))
            if old is None:
                raise NoSuchCategory("There is no such category.")
            if (old["name"], old["slug"]) == (name, slug):
                return False
            db.execute("UPDATE categories SET name = %s, slug = %s WHERE id = %s", (name, slug, category_id))
            audit.record(actor, "rename_category", "category", category_id, reason,
                         {"from": old, "to": {"name": name, "slug": slug}})
    except psycopg2.errors.UniqueViolation as exc:
        raise _unique_error(exc, name, slug) from exc
    return True


def merge_categories(actor: Actor, source_id: int, target_id: int, reason: str) -> int:
    """Move every product of `source_id` into `target_id` and delete the
    source, in one transaction (the products' sales summaries follow by
    their trigger). Returns how many products moved; raises CategoryError."""
    if source_id == target_id:
        raise CategoryError("A category cannot be merged into itself.")
    with db.transaction():
        # Both rows locked in id order, so two merges cannot deadlock.
        rows = db.query("SELECT id, name, slug FROM categories WHERE id IN (%s, %s) ORDER BY id FOR UPDATE",
                        (source_id, target_id))
        if len(rows) < 2:
            raise NoSuchCategory("There is no such category.")
        names = {row["id"]: row for row in rows}
        moved = db.execute("UPDATE products SET category_id = %s WHERE category_id = %s",
                           (target_id, source_id))
        db.execute("DELETE FROM categories WHERE id = %s", (source_id,))
        audit.record(actor, "merge_category", "category", target_id, reason,
                     {"from": names[source_id], "into": names[target_id], "products": moved})
    return moved
