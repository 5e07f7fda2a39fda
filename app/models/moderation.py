"""What operators do to accounts, listings and reviews: the operator role,
suspensions, hiding with a reason and restoring, ending a flash sale early.

Every change is one transaction holding the change, its audit row
(models/audit.py) and, when someone's own thing was touched, a notice to
them (models/notification.py). Each acts once: hiding what is already
hidden changes nothing and records nothing (the functions return None or
False then), so a double click leaves one audit row.

What the shop stops showing is decided in the database (0110_operator): an
offer is `active` only when its seller lists it, no operator hid it or its
product, and its seller is not suspended; every shop query already reads
`active`, and the products' price aggregates follow through their trigger."""
from .. import db
from . import audit, notification, user_session
from . import review as reviews
from .audit import Actor


class Refused(Exception):
    """An action that is not allowed; str(error) says why, for people."""


class NotFound(Refused):
    """The user, product, offer, review or sale does not exist."""


def _notify(user_id: int, subject: str, body: str, link: str | None = None) -> None:
    notification.notify(user_id, "moderation", subject, body, link)


# --- accounts -------------------------------------------------------------------

def find_users(text: str, page: int, per_page: int) -> list[dict]:
    """Users whose id is `text` or whose email starts with it (index
    users_email_prefix), by email; all users, newest first, when empty.
    per_page + 1 rows at most."""
    limits = {"limit": per_page + 1, "offset": (page - 1) * per_page}
    if not text:
        return db.query(
            """SELECT id, email, first_name, last_name, balance, is_operator, suspended_at, created_at
               FROM users ORDER BY id DESC LIMIT %(limit)s OFFSET %(offset)s""", limits)
    pattern = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    user_id = int(text) if text.isdigit() and len(text) <= 18 else None
    return db.query(
        """SELECT id, email, first_name, last_name, balance, is_operator, suspended_at, created_at
           FROM users
           WHERE id = %(id)s OR lower(email) LIKE %(pattern)s
           ORDER BY lower(email), id LIMIT %(limit)s OFFSET %(offset)s""",
        {"id": user_id, "pattern": pattern, **limits})


def user_for_console(user_id: int) -> dict | None:
    """One user as the console shows them: account, role, suspension and a
    few counts (each an index range of that user)."""
    return db.query_one(
        """SELECT u.id, u.email, u.first_name, u.last_name, u.address, u.balance, u.created_at,
                  u.is_operator, u.suspended_at, u.suspension_reason, u.seller_rating_count,
                  (SELECT count(*) FROM offers o WHERE o.seller_id = u.id AND o.listed) AS listed_offers,
                  (SELECT count(*) FROM orders o WHERE o.seller_id = u.id) AS orders_sold,
                  (SELECT count(*) FROM orders o WHERE o.buyer_id = u.id) AS orders_bought
           FROM users u WHERE u.id = %s""", (user_id,))


def user_by_email(email: str) -> dict | None:
    """The account with this email (case-insensitive): id, email, is_operator."""
    return db.query_one("SELECT id, email, is_operator FROM users WHERE lower(email) = lower(%s)",
                        (email.strip(),))


def set_operator(actor: Actor, user_id: int, grant: bool, reason: str) -> bool:
    """Grant or revoke the operator role. False when it already was so.
    Raises Refused for an unknown user or an operator removing themselves
    (so the console always keeps one operator who can undo a mistake)."""
    if not grant and actor.id == user_id:
        raise Refused("You cannot remove your own operator role; ask another operator.")
    with db.transaction():
        row = db.query_one("UPDATE users SET is_operator = %s WHERE id = %s AND is_operator <> %s "
                           "RETURNING id",
                           (grant, user_id, grant))
        if row is None:
            if db.query_value("SELECT 1 FROM users WHERE id = %s", (user_id,)) is None:
                raise NotFound("There is no such user.")
            return False
        audit.record(actor, "grant_operator" if grant else "revoke_operator", "user", user_id, reason)
    return True


def suspend_user(actor: Actor, user_id: int, reason: str) -> bool:
    """Suspend an account: its sessions and API tokens end, its offers leave
    the shop, it can no longer sell or withdraw, and it is told why.
    False when it already was suspended."""
    if actor.id == user_id:
        raise Refused("You cannot suspend yourself.")
    with db.transaction():
        row = db.query_one(
            """UPDATE users
               SET suspended_at = now(), suspension_reason = %s
               WHERE id = %s AND suspended_at IS NULL RETURNING id""", (reason, user_id))
        if row is None:
            return _exists_or_refuse(user_id)
        user_session.end_sessions(user_id)
        hidden = db.execute("UPDATE offers SET seller_suspended = true WHERE seller_id = %s", (user_id,))
        audit.record(actor, "suspend_user", "user", user_id, reason, {"offers": hidden})
        _notify(user_id, "Your account is suspended",
                f"The marketplace suspended your account: {reason} Your offers are off sale and you "
                "cannot sell or withdraw until it is reinstated. You can still buy and read your orders.")
    return True


def reinstate_user(actor: Actor, user_id: int, reason: str) -> bool:
    """Lift a suspension: the offers the seller still lists return to the shop."""
    with db.transaction():
        row = db.query_one(
            """UPDATE users SET suspended_at = NULL, suspension_reason = NULL
               WHERE id = %s AND suspended_at IS NOT NULL RETURNING id""", (user_id,))
        if row is None:
            return _exists_or_refuse(user_id)
        shown = db.execute("UPDATE offers SET seller_suspended = false WHERE seller_id = %s", (user_id,))
        audit.record(actor, "reinstate_user", "user", user_id, reason, {"offers": shown})
        _notify(user_id, "Your account is reinstated",
                f"The marketplace lifted the suspension of your account: {reason}")
    return True


def _exists_or_refuse(user_id: int) -> bool:
    if db.query_value("SELECT 1 FROM users WHERE id = %s", (user_id,)) is None:
        raise NotFound("There is no such user.")
    return False


# --- products, offers, reviews ----------------------------------------------------

def hide_product(actor: Actor, product_id: int, reason: str) -> bool:
    """Hide a product: it leaves every list, its page (but for its creator)
    and the API, and its offers leave the shop. The creator is told why."""
    return _hide_product(actor, product_id, reason, None)


def restore_product(actor: Actor, product_id: int, note: str) -> bool:
    """Undo hide_product; `note` says why, in the audit log and the notice."""
    return _hide_product(actor, product_id, None, note)


def _hide_product(actor, product_id, reason, note) -> bool:
    hiding = reason is not None
    with db.transaction():
        row = db.query_one(
            """UPDATE products SET hidden_reason = %s WHERE id = %s AND (hidden_reason IS NULL) = %s
               RETURNING id, creator_id, name""", (reason, product_id, hiding))
        if row is None:
            if db.query_value("SELECT 1 FROM products WHERE id = %s", (product_id,)) is None:
                raise NotFound("There is no such product.")
            return False
        offers = db.execute("UPDATE offers SET product_hidden = %s WHERE product_id = %s",
                            (hiding, product_id))
        why = reason if hiding else note
        audit.record(actor, "hide_product" if hiding else "restore_product", "product", product_id, why,
                     {"offers": offers})
        _notify(row["creator_id"], f"Your product “{row['name']}” was {'hidden' if hiding else 'restored'}",
                f"The marketplace {'hid' if hiding else 'restored'} it: {why}", f"/products/{product_id}")
    return True


def hide_offer(actor: Actor, offer_id: int, reason: str) -> bool:
    """Hide one seller's offer with `reason`; the seller is told."""
    return _hide_offer(actor, offer_id, reason, None)


def restore_offer(actor: Actor, offer_id: int, note: str) -> bool:
    """Put a hidden offer back (on sale again if its seller still lists it)."""
    return _hide_offer(actor, offer_id, None, note)


def _hide_offer(actor, offer_id, reason, note) -> bool:
    hiding = reason is not None
    with db.transaction():
        row = db.query_one(
            """UPDATE offers o SET hidden_reason = %s FROM products p
               WHERE o.id = %s AND p.id = o.product_id AND (o.hidden_reason IS NULL) = %s
               RETURNING o.id, o.seller_id, o.product_id, p.name""", (reason, offer_id, hiding))
        if row is None:
            if db.query_value("SELECT 1 FROM offers WHERE id = %s", (offer_id,)) is None:
                raise NotFound("There is no such offer.")
            return False
        why = reason if hiding else note
        audit.record(actor, "hide_offer" if hiding else "restore_offer", "offer", offer_id, why,
                     {"product_id": row["product_id"]})
        _notify(row["seller_id"], f"Your offer of “{row['name']}” was {'hidden' if hiding else 'restored'}",
                f"The marketplace {'hid' if hiding else 'restored'} it: {why}", "/sell/inventory")
    return True


def hide_review(actor: Actor, kind: reviews.Kind, review_id: int, reason: str) -> bool:
    """Hide a product or seller review with `reason`: out of the pages and
    the ratings. The author is told."""
    return _hide_review(actor, kind, review_id, reason, None)


def restore_review(actor: Actor, kind: reviews.Kind, review_id: int, note: str) -> bool:
    """Put a hidden review back into the pages and the ratings."""
    return _hide_review(actor, kind, review_id, None, note)


def _hide_review(actor, kind, review_id, reason, note) -> bool:
    hiding = reason is not None
    with db.transaction():
        try:
            row = reviews.moderate(kind, review_id, reason)
        except reviews.NotFound as exc:
            raise NotFound("There is no such review.") from exc
        if row is None:
            return False
        why = reason if hiding else note
        audit.record(actor, "hide_review" if hiding else "restore_review", kind.reviews[:-1], review_id, why,
                     {"subject_id": row["subject_id"]})
        _notify(row["author_id"], f"Your {kind.name} review was {'hidden' if hiding else 'restored'}",
                f"The marketplace {'hid' if hiding else 'restored'} it: {why}", "/account/reviews")
    return True


def product_for_console(product_id: int) -> dict | None:
    """A product with its creator, hidden or not."""
    return db.query_one(
        """SELECT p.id, p.name, p.description, p.hidden_reason, p.min_price, p.seller_count, p.units_sold,
                  p.rating_count, p.creator_id, u.email AS creator_email, c.name AS category_name
           FROM products p JOIN users u ON u.id = p.creator_id JOIN categories c ON c.id = p.category_id
           WHERE p.id = %s""", (product_id,))


def offers_of_product(product_id: int, page: int, per_page: int) -> list[dict]:
    """Every offer of a product (on sale or not, hidden or not), with why it
    is off sale; per_page + 1 rows at most."""
    return db.query(
        """SELECT o.id, o.seller_id, u.email AS seller_email, o.price, o.quantity, o.active, o.listed,
                  o.hidden_reason, o.seller_suspended
           FROM offers o JOIN users u ON u.id = o.seller_id
           WHERE o.product_id = %s ORDER BY o.id LIMIT %s OFFSET %s""",
        (product_id, per_page + 1, (page - 1) * per_page))


def reviews_for_console(kind: reviews.Kind, subject_id: int, page: int, per_page: int) -> list[dict]:
    """Every review of a product or seller, hidden ones too, newest first;
    per_page + 1 rows at most (index product_reviews_newest / seller_reviews_newest)."""
    return db.query(kind.compose(
        """SELECT r.id, r.author_id, u.email AS author_email, r.rating, r.title, r.body, r.hidden_reason,
                  r.created_at
           FROM {reviews} r JOIN users u ON u.id = r.author_id
           WHERE r.{subject} = %s ORDER BY r.created_at DESC, r.id DESC LIMIT %s OFFSET %s"""),
        (subject_id, per_page + 1, (page - 1) * per_page))


# --- flash sales ----------------------------------------------------------------

def live_and_upcoming_sales(page: int, per_page: int) -> list[dict]:
    """Sales not over yet, ending soonest first (index flash_sales_ends)."""
    return db.query(
        """SELECT s.id, s.offer_id, s.sale_price, s.starts_at, s.ends_at, s.units_total, s.units_sold,
                  o.seller_id, u.email AS seller_email, p.id AS product_id, p.name AS product_name
           FROM flash_sales s JOIN offers o ON o.id = s.offer_id JOIN products p ON p.id = o.product_id
           JOIN users u ON u.id = o.seller_id
           WHERE s.ends_at > now() ORDER BY s.ends_at, s.id LIMIT %s OFFSET %s""",
        (per_page + 1, (page - 1) * per_page))


def end_sale(actor: Actor, sale_id: int, reason: str) -> bool:
    """End a live or upcoming flash sale now (an upcoming one never starts):
    the regular price applies from this moment. False when it is already over."""
    with db.transaction():
        row = db.query_one(
            """UPDATE flash_sales s SET ends_at = now(),
                      starts_at = least(s.starts_at, now() - interval '1 microsecond')
               FROM offers o WHERE s.id = %s AND o.id = s.offer_id AND s.ends_at > now()
               RETURNING s.id, o.seller_id, s.units_sold, s.units_total""", (sale_id,))
        if row is None:
            if db.query_value("SELECT 1 FROM flash_sales WHERE id = %s", (sale_id,)) is None:
                raise NotFound("There is no such flash sale.")
            return False
        audit.record(actor, "end_sale", "flash_sale", sale_id, reason,
                     {"units_sold": row["units_sold"], "units_total": row["units_total"]})
        _notify(row["seller_id"], "Your flash sale was ended early",
                f"The marketplace ended flash sale #{sale_id}: {reason}", "/sell/sales/")
    return True


# --- orders ---------------------------------------------------------------------

_ORDER_ROWS = """
    SELECT o.id, o.purchase_id, o.buyer_id, b.email AS buyer_email, o.seller_id, s.email AS seller_email,
           o.subtotal, o.state, o.created_at
    FROM ({page}) page JOIN orders o ON o.id = page.id
    JOIN users b ON b.id = o.buyer_id JOIN users s ON s.id = o.seller_id
    ORDER BY o.created_at DESC, o.id DESC"""


def find_orders(order_id: int | None, user_id: int | None, page: int, per_page: int) -> list[dict]:
    """Orders by number, or a user's orders as buyer and as seller, newest
    first; per_page + 1 rows at most. Each side reads its own index in
    order (orders_buyer_created, orders_seller) and stops at the page."""
    need = page * per_page + 1
    statement = _ORDER_ROWS.format(page="""
        (SELECT id, created_at FROM orders WHERE id = %(order)s)
        UNION
        (SELECT id, created_at FROM orders WHERE buyer_id = %(user)s ORDER BY created_at DESC LIMIT %(need)s)
        UNION
        (SELECT id, created_at FROM orders WHERE seller_id = %(user)s ORDER BY created_at DESC LIMIT %(need)s)
        ORDER BY created_at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s""")
    return db.query(statement, {"order": order_id, "user": user_id, "need": need, "limit": per_page + 1,
                                "offset": (page - 1) * per_page})
