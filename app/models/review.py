"""Product and seller reviews and their rating aggregates.

One review per author per product and per seller, only by buyers who bought
that product / from that seller. The aggregates (count, sum and a 1..5 star
histogram on the product or seller row) change in the same transaction as the
review, under a row lock on that product or seller, so concurrent reviews keep
them exact and pages read them with one primary-key lookup."""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import psycopg2
from psycopg2 import sql

from .. import db

SORTS = ("newest", "highest", "lowest")
_ORDER_BY = {
    "newest": sql.SQL("r.created_at DESC, r.id DESC"),
    "highest": sql.SQL("r.rating DESC, r.created_at DESC, r.id DESC"),
    "lowest": sql.SQL("r.rating, r.created_at DESC, r.id DESC"),
}
# Did {author} buy {subject}? Bounded by the buyer's own orders (index on
# orders.buyer_id, then order_lines by order_id), never by a product's sales.
_BOUGHT_PRODUCT = """EXISTS (SELECT 1 FROM orders o JOIN order_lines l ON l.order_id = o.id
                             WHERE o.buyer_id = {author} AND l.product_id = {subject})"""
_BOUGHT_SELLER = "EXISTS (SELECT 1 FROM orders o WHERE o.buyer_id = {author} AND o.seller_id = {subject})"


@dataclass(frozen=True)
class Kind:
    """What a review is about. Table and column names are fixed here, never
    taken from input, and quoted with psycopg2.sql."""

    name: str
    reviews: str  # the reviews table
    subject_column: str  # its column naming the product or seller
    subjects: str  # the table holding the aggregates
    prefix: str  # the aggregate columns: <prefix>count, <prefix>sum, <prefix>hist
    bought: str  # the verified-purchase condition

    def compose(self, template: str, **fragments) -> sql.Composed:
        """The statement with this kind's identifiers filled in."""
        return sql.SQL(template).format(
            reviews=sql.Identifier(self.reviews), subject=sql.Identifier(self.subject_column),
            subjects=sql.Identifier(self.subjects), count=sql.Identifier(self.prefix + "count"),
            sum=sql.Identifier(self.prefix + "sum"), hist=sql.Identifier(self.prefix + "hist"),
            **fragments)

    def bought_sql(self, author, subject) -> sql.Composed:
        """The verified-purchase condition for these SQL fragments (columns or query parameters)."""
        return sql.SQL(self.bought).format(author=author, subject=subject)


PRODUCT = Kind("product", "product_reviews", "product_id", "products", "rating_", _BOUGHT_PRODUCT)
SELLER = Kind("seller", "seller_reviews", "seller_id", "users", "seller_rating_", _BOUGHT_SELLER)
KINDS = {kind.name: kind for kind in (PRODUCT, SELLER)}


class ReviewError(Exception):
    """A review change that is not allowed; str(error) is the message to show."""


class NotFound(ReviewError):
    """No such product, seller or review."""


class NotYours(ReviewError):
    """The review belongs to someone else."""


class NotVerified(ReviewError):
    """The author never bought this product / from this seller."""


class AlreadyReviewed(ReviewError):
    """The author already has a review of this product / seller."""


# --- reading -------------------------------------------------------------------

def summarize(count: int, total: int, hist: list[int]) -> dict:
    """Average (one decimal), count and the histogram rows, 5 stars first."""
    average = (Decimal(total) / count).quantize(Decimal("0.1"), ROUND_HALF_UP) if count else None
    rows = [{"stars": stars, "count": hist[stars - 1],
             "percent": round(100 * hist[stars - 1] / count) if count else 0}
            for stars in range(5, 0, -1)]
    return {"count": count, "average": average, "hist": rows}


def summary(kind: Kind, subject_id: int) -> dict | None:
    """The stored rating aggregates of a product or seller (one row read), or None."""
    row = db.query_one(kind.compose("SELECT {count} AS n, {sum} AS total, {hist} AS hist "
                                "FROM {subjects} WHERE id = %s"), (subject_id,))
    return summarize(row["n"], row["total"], row["hist"]) if row else None


def reviews_about(kind: Kind, subject_id: int, sort: str, page: int, per_page: int) -> list[dict]:
    """One page of reviews about a product or seller, with the author's first
    name and initial and whether the author bought it. Returns per_page + 1
    rows at most so the caller knows whether another page follows."""
    statement = kind.compose(
        """SELECT r.id, r.author_id, u.first_name, left(u.last_name, 1) AS last_initial, r.rating,
                  r.title, r.body, r.created_at, r.updated_at > r.created_at AS edited,
                  {bought} AS verified
           FROM {reviews} r JOIN users u ON u.id = r.author_id
           WHERE r.{subject} = %s AND r.hidden_reason IS NULL ORDER BY {order} LIMIT %s OFFSET %s""",
        bought=kind.bought_sql(sql.SQL("r.author_id"), sql.Identifier("r", kind.subject_column)),
        order=_ORDER_BY[sort])
    return db.query(statement, (subject_id, per_page + 1, (page - 1) * per_page))


def viewer_status(kind: Kind, subject_id: int, user_id: int) -> dict:
    """Whether the user bought the subject, and their review of it (or None)."""
    row = db.query_one(kind.compose(
        """SELECT {bought} AS bought, r.id, r.rating, r.title, r.body, r.created_at
           FROM (SELECT 1) AS one LEFT JOIN {reviews} r ON r.{subject} = %s AND r.author_id = %s""",
        bought=kind.bought_sql(sql.Placeholder(), sql.Placeholder())),
        (user_id, subject_id, subject_id, user_id))
    review = {key: row[key] for key in ("id", "rating", "title", "body", "created_at")}
    return {"bought": row["bought"], "review": review if row["id"] else None}


def section(kind: Kind, subject_id: int, viewer_id: int | None, sort: str, page: int,
            per_page: int) -> dict | None:
    """Everything a review section shows, in at most three queries: the
    summary, one page of reviews and the viewer's status. None when the
    product or seller does not exist."""
    stats = summary(kind, subject_id)
    if stats is None:
        return None
    rows = reviews_about(kind, subject_id, sort, page, per_page) if stats["count"] else []
    status = viewer_status(kind, subject_id, viewer_id) if viewer_id else {"bought": False, "review": None}
    return {"summary": stats, "rows": rows, **status}


def get_review(kind: Kind, review_id: int) -> dict | None:
    """One review with the name of what it is about, or None."""
    name = (sql.SQL("s.name") if kind is PRODUCT
            else sql.SQL("s.first_name || ' ' || left(s.last_name, 1) || '.'"))
    return db.query_one(kind.compose(
        """SELECT r.id, r.{subject} AS subject_id, r.author_id, r.rating, r.title, r.body,
                  r.created_at, {name} AS subject_name
           FROM {reviews} r JOIN {subjects} s ON s.id = r.{subject} WHERE r.id = %s""", name=name),
        (review_id,))


def subject_name(kind: Kind, subject_id: int) -> str | None:
    """The product's name or the seller's first name and initial, or None."""
    if kind is PRODUCT:
        return db.query_value("SELECT name FROM products WHERE id = %s", (subject_id,))
    return db.query_value("SELECT first_name || ' ' || left(last_name, 1) || '.' FROM users WHERE id = %s",
                          (subject_id,))


def reviews_by_author(author_id: int, page: int, per_page: int, include_hidden: bool = False) -> list[dict]:
    """One page of everything a user reviewed (products and sellers), newest
    first; per_page + 1 rows at most. Each row names its kind and subject.
    Reviews an operator hid (hidden_reason) only with include_hidden: the
    author's own page shows them with the reason."""
    return db.query(
        """(SELECT 'product' AS kind, r.id, r.product_id AS subject_id, p.name AS subject_name,
                   r.rating, r.title, r.body, r.created_at, r.hidden_reason
            FROM product_reviews r JOIN products p ON p.id = r.product_id
            WHERE r.author_id = %(author)s AND (%(hidden)s OR r.hidden_reason IS NULL)
            ORDER BY r.created_at DESC LIMIT %(upto)s)
           UNION ALL
           (SELECT 'seller', r.id, r.seller_id, u.first_name || ' ' || left(u.last_name, 1) || '.',
                   r.rating, r.title, r.body, r.created_at, r.hidden_reason
            FROM seller_reviews r JOIN users u ON u.id = r.seller_id
            WHERE r.author_id = %(author)s AND (%(hidden)s OR r.hidden_reason IS NULL)
            ORDER BY r.created_at DESC LIMIT %(upto)s)
           ORDER BY created_at DESC, kind, id DESC LIMIT %(limit)s OFFSET %(offset)s""",
        {"author": author_id, "hidden": include_hidden, "upto": page * per_page + 1, "limit": per_page + 1,
         "offset": (page - 1) * per_page})


# --- writing -------------------------------------------------------------------

def _lock_subject(kind: Kind, subject_id: int) -> dict:
    """Lock the product/seller row that holds the aggregates and return them.
    Every review change takes this lock first, so changes to one subject queue
    up and the read-modify-write of the histogram is exact."""
    row = db.query_one(kind.compose("SELECT {count} AS n, {sum} AS total, {hist} AS hist FROM {subjects} "
                                "WHERE id = %s FOR NO KEY UPDATE"), (subject_id,))
    if row is None:
        raise NotFound(f"There is no such {kind.name}.")
    return row


def _apply(kind: Kind, subject_id: int, stats: dict, remove: int | None, add: int | None) -> None:
    """Store the aggregates with one rating removed and/or one added."""
    count, total, hist = stats["n"], stats["total"], list(stats["hist"])
    if remove:
        count, total, hist[remove - 1] = count - 1, total - remove, hist[remove - 1] - 1
    if add:
        count, total, hist[add - 1] = count + 1, total + add, hist[add - 1] + 1
    db.execute(kind.compose("UPDATE {subjects} SET {count} = %s, {sum} = %s, {hist} = %s WHERE id = %s"),
               (count, total, hist, subject_id))


def _create(kind: Kind, subject_id: int, author_id: int, rating: int, title: str, body: str) -> int:
    stats = _lock_subject(kind, subject_id)
    bought = db.query_value(sql.SQL("SELECT ") + kind.bought_sql(sql.Placeholder(), sql.Placeholder()),
                            (author_id, subject_id))
    if not bought:
        what = "this product" if kind is PRODUCT else "from this seller"
        raise NotVerified(f"Only buyers who bought {what} can review it.")
    try:
        review_id = db.query_value(kind.compose(
            "INSERT INTO {reviews} ({subject}, author_id, rating, title, body) "
            "VALUES (%s, %s, %s, %s, %s) RETURNING id"), (subject_id, author_id, rating, title, body))
    except psycopg2.errors.UniqueViolation as exc:
        raise AlreadyReviewed(f"You have already reviewed this {kind.name}; "
                              "edit your review instead.") from exc
    _apply(kind, subject_id, stats, None, rating)
    return review_id


def create_review(kind: Kind, subject_id: int, author_id: int, rating: int, title: str, body: str) -> int:
    """Write the author's review of a product or seller and update its
    aggregates in the same transaction. Returns the review id. Raises
    NotFound, NotVerified (never bought it) or AlreadyReviewed."""
    return db.run_transaction(_create, kind, subject_id, author_id, rating, title.strip(), body.strip())


def _lock_own_review(kind: Kind, review_id: int, author_id: int) -> tuple[dict, dict]:
    """Lock the review's subject, then the review; check it is the author's."""
    subject_id = db.query_value(kind.compose("SELECT {subject} FROM {reviews} WHERE id = %s"), (review_id,))
    if subject_id is None:
        raise NotFound("There is no such review.")
    stats = _lock_subject(kind, subject_id)
    review = db.query_one(kind.compose("SELECT id, {subject} AS subject_id, author_id, rating, "
                                       "hidden_reason IS NOT NULL AS hidden FROM {reviews} "
                                       "WHERE id = %s FOR UPDATE"), (review_id,))
    if review is None:
        raise NotFound("There is no such review.")
    if review["author_id"] != author_id:
        raise NotYours("You can only change your own reviews.")
    return review, stats


def _update(kind: Kind, review_id: int, author_id: int, rating: int, title: str, body: str) -> int:
    review, stats = _lock_own_review(kind, review_id, author_id)
    db.execute(kind.compose("UPDATE {reviews} SET rating = %s, title = %s, body = %s, updated_at = now() "
                        "WHERE id = %s"), (rating, title, body, review_id))
    if rating != review["rating"] and not review["hidden"]:  # a hidden review is out of the aggregates
        _apply(kind, review["subject_id"], stats, review["rating"], rating)
    return review["subject_id"]


def update_review(kind: Kind, review_id: int, author_id: int, rating: int, title: str, body: str) -> int:
    """Change the author's own review and the aggregates in one transaction.
    Returns the product/seller id. Raises NotFound or NotYours."""
    return db.run_transaction(_update, kind, review_id, author_id, rating, title.strip(), body.strip())


def _delete(kind: Kind, review_id: int, author_id: int) -> int:
    review, stats = _lock_own_review(kind, review_id, author_id)
    db.execute(kind.compose("DELETE FROM {reviews} WHERE id = %s"), (review_id,))
    if not review["hidden"]:
        _apply(kind, review["subject_id"], stats, review["rating"], None)
    return review["subject_id"]


def delete_review(kind: Kind, review_id: int, author_id: int) -> int:
    """Delete the author's own review and take it out of the aggregates in one
    transaction. Returns the product/seller id. Raises NotFound or NotYours."""
    return db.run_transaction(_delete, kind, review_id, author_id)


def _moderate(kind: Kind, review_id: int, reason: str | None) -> dict | None:
    subject_id = db.query_value(kind.compose("SELECT {subject} FROM {reviews} WHERE id = %s"), (review_id,))
    if subject_id is None:
        raise NotFound("There is no such review.")
    stats = _lock_subject(kind, subject_id)
    hiding = reason is not None
    review = db.query_one(kind.compose(
        """UPDATE {reviews} SET hidden_reason = %s
           WHERE id = %s AND (hidden_reason IS NULL) = %s
           RETURNING id, {subject} AS subject_id, author_id, rating"""), (reason, review_id, hiding))
    if review is not None:
        _apply(kind, subject_id, stats, review["rating"] if hiding else None,
               None if hiding else review["rating"])
    return review


def moderate(kind: Kind, review_id: int, reason: str | None) -> dict | None:
    """Hide a review with `reason` (None: restore it), taking its rating out
    of (or back into) the aggregates; joins the caller's transaction. Returns
    the review (id, subject_id, author_id, rating), or None when it already
    was so. Raises NotFound."""
    with db.transaction():
        return _moderate(kind, review_id, reason)
