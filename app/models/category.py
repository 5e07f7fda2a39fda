"""Product categories (a small table: read whole, ordered by name)."""
from .. import db


def all_categories() -> list[dict]:
    """Every category: id, name, slug, by name."""
    return db.query("SELECT id, name, slug FROM categories ORDER BY name")


def category_by_slug(slug: str) -> dict | None:
    """The category with this slug, or None."""
    return db.query_one("SELECT id, name, slug FROM categories WHERE slug = %s", (slug,))
