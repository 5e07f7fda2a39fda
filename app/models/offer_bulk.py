"""Bulk changes of a seller's offers from the inventory page: the chosen
offers (or all that match the page's search) get their price raised or
lowered by an amount or a percentage, their stock set, or stop selling.

preview() says what would change and gives a fingerprint of the chosen
offers' price, stock and status; apply() locks the same offers, compares the
fingerprint (a sale or another edit since the preview: StockChanged, nothing
written, the seller looks again) and writes every change in one UPDATE.
A price that would fall to 0 or below, or exceed the forms' maximum, leaves
that offer out (the preview lists it)."""
from decimal import Decimal

from .. import db
from ..forms.fields import MAX_MONEY
from . import product

# Each action's new price, stock and listed flag, from the offer `o` and the
# typed value %(value)s (never user text in the SQL itself).
ACTIONS = {
    "raise_amount": ("o.price + %(value)s", "o.quantity", "o.listed"),
    "lower_amount": ("o.price - %(value)s", "o.quantity", "o.listed"),
    "raise_percent": ("round(o.price * (100 + %(value)s) / 100, 2)", "o.quantity", "o.listed"),
    "lower_percent": ("round(o.price * (100 - %(value)s) / 100, 2)", "o.quantity", "o.listed"),
    "set_stock": ("o.price", "%(value)s::integer", "o.listed"),
    "stop": ("o.price", "o.quantity", "false"),
}
SAMPLE = 20


class SelectionChanged(Exception):
    """The chosen offers changed (a sale, an edit) since the preview."""


def _chosen(action: str) -> str:
    price, quantity, listed = ACTIONS[action]
    return f"""SELECT o.id, p.name AS product_name, o.price, o.quantity, o.listed,
                      {price} AS new_price, {quantity} AS new_quantity, {listed} AS new_listed
               FROM offers o JOIN products p ON p.id = o.product_id
               WHERE o.seller_id = %(seller)s
                 AND (%(ids)s::bigint[] IS NULL OR o.id = ANY(%(ids)s::bigint[]))
                 AND (%(query)s::text IS NULL OR p.search_vector @@ to_tsquery('english', %(query)s))"""


def _params(seller_id: int, ids: list[int] | None, words: tuple[str, ...], value) -> dict:
    return {"seller": seller_id, "ids": ids, "value": value, "max": MAX_MONEY,
            "query": product.name_prefix_tsquery(words) if words else None}


def preview(seller_id: int, action: str, value, ids: list[int] | None, words: tuple[str, ...]) -> dict:
    """What the change would do: counts (chosen, change, refused), the first
    SAMPLE changes and refusals, and the fingerprint to hand to apply()."""
    params = _params(seller_id, ids, words, value)
    summary = db.query_one(
        f"""WITH c AS ({_chosen(action)})
            SELECT count(*) AS chosen,
                   count(*) FILTER (WHERE (new_price > 0 AND new_price <= %(max)s)
                                      AND (new_price, new_quantity, new_listed)
                                          IS DISTINCT FROM (price, quantity, listed)) AS change,
                   count(*) FILTER (WHERE NOT (new_price > 0 AND new_price <= %(max)s)) AS refused,
                   md5(coalesce(string_agg(concat_ws(':', id, price, quantity, listed), ',' ORDER BY id), ''))
                       AS fingerprint
            FROM c""", params)
    sample = db.query(
        f"""WITH c AS ({_chosen(action)})
            SELECT *, NOT (new_price > 0 AND new_price <= %(max)s) AS refused FROM c
            WHERE NOT (new_price > 0 AND new_price <= %(max)s)
               OR (new_price, new_quantity, new_listed) IS DISTINCT FROM (price, quantity, listed)
            ORDER BY refused DESC, id DESC LIMIT {SAMPLE}""", params)
    return {**summary, "sample": sample}


def apply(seller_id: int, action: str, value, ids: list[int] | None, words: tuple[str, ...],
          fingerprint: str) -> int:
    """Make the previewed change in one transaction; returns how many offers
    changed. Raises SelectionChanged when the chosen offers differ from the
    preview's."""
    return db.run_transaction(_apply, _params(seller_id, ids, words, value), action, fingerprint)


def _apply(params: dict, action: str, fingerprint: str) -> int:
    locked = db.query_value(
        f"""WITH c AS ({_chosen(action)} ORDER BY o.id FOR UPDATE OF o)
            SELECT md5(coalesce(string_agg(concat_ws(':', id, price, quantity, listed), ',' ORDER BY id), ''))
            FROM c""", params)
    if locked != fingerprint:
        raise SelectionChanged
    price, quantity, listed = ACTIONS[action]
    return db.execute(
        f"""UPDATE offers o SET price = {price}, quantity = {quantity}, listed = {listed}, updated_at = now()
            FROM products p
            WHERE p.id = o.product_id AND o.seller_id = %(seller)s
              AND (%(ids)s::bigint[] IS NULL OR o.id = ANY(%(ids)s::bigint[]))
              AND (%(query)s::text IS NULL OR p.search_vector @@ to_tsquery('english', %(query)s))
              AND {price} > 0 AND {price} <= %(max)s
              AND ({price}, {quantity}, {listed}) IS DISTINCT FROM (o.price, o.quantity, o.listed)""",
        params)


def value_limits(action: str) -> tuple[Decimal, str]:
    """The largest value an action takes, and what the value is."""
    if action.endswith("_percent"):
        return (Decimal("99") if action.startswith("lower") else Decimal("1000")), "percent"
    return MAX_MONEY, "amount"
