"""Checkout: one transaction that buys a list of lines from many sellers,
all or nothing. The HTML checkout and the JSON API both call place_order.

Order of work inside the transaction (why it cannot oversell, charge twice
or deadlock, and why a flash sale's hot rows are locked only briefly), in
three round trips:
1. A per-buyer advisory lock (cart.lock_buyer) serialises one buyer's
   checkouts and holds, so a double submit waits for the first and then
   finds its purchase by the idempotency key (or an emptied cart), and the
   buyer's per-customer counts cannot race. It is sent with the BEGIN and
   the read of the lines (cart.locked_lines), whose snapshot is taken once
   the lock is held.
2. The lines (with the buyer's live holds and the sellers' shipping
   settings; priced_lines, migration 0091, keeps its plan) are checked
   without row locks, after one more statement draws the ids of the
   purchase and orders and reads the address; a checkout that would fail
   fails here, before it queues on any busy row: a sold-out sale answers
   "sold out" from this read alone (fail fast). A checkout that fails finds
   the purchase its key already made, if any, and answers with it.
3. Everything is written by one call of the SQL function
   place_order_write (migrations 0090, 0092), committed in the same round
   trip (db.commit_with):
   a. the key first: one that already bought refuses ('replayed', and the
      purchase is answered); then the buyer's rows, which nobody else
      waits for: the purchase, the cart emptied, the balance debited with
      its ledger row, the orders holding the money (orders.held_amount and
      a 'hold' row of order_money; no seller balance is touched) and the
      notices;
   b. then the hot rows, line by line in (product_id, offer_id) order.
      Units the buyer holds (sale_holds: "Add to cart" of a flash sale took
      them off the offer's stock and into the sale's count already) are
      converted on the buyer's own hold row, and touch neither the offer
      nor the sale: checkout of held units cannot fail for stock. Other
      units are taken by take_units: the offer's row (stale holds of the
      offer are given back under that lock first), then the sale's, with
      conditional UPDATEs at the prices read. Zero rows updated means the
      line lost a race: the whole checkout is refused. The per-customer
      count (flash_sale_buyers, the buyer's own row) counts bought and
      still-held units;
   c. the order lines last: their foreign-key checks share-lock the offer,
      product and sale rows, which this transaction holds by now when it
      took units (a share lock taken before the update would meet the
      updates of other checkouts and let a seller's SELECT ... FOR UPDATE
      wedge itself between two locks of a checkout). Their trigger appends
      to sales_pending; products.units_sold and the seller summary are
      summed from it later (fold_pending_sales), off the hot path. A unit
      taken changes the product's offer statistics only when the offer
      sells out (migrations 0091, 0121), so the product row is not written.
   So a hot row is held from its UPDATE to the commit only while the rest
   of one server-side call runs: no round trip to Python in between.
Holds (cart.add_to_cart: one read, then add_line of migration 0092 sent
with the buyer's lock and committed in the same round trip) lock in the
same order: the buyer, the offer's row, then the sale's, then the buyer's
hold row; a hold whose time is up is given back by whoever next locks the
offer (or the periodic job), and every read of "units left" counts it as
free already.
Any deadlock or serialization failure that still happens is retried by
db.run_transaction (db.atomic_value for a hold), and answered with db.Busy
(a 503) after the last try.
"""
from decimal import Decimal

from .. import db
from ..ids import MAX_ID
from ..money import format_money
from . import address, cart, notification, order_notices, shipping

MAX_KEY_LENGTH = 100

# The statements of every checkout: the lines (cart.locked_lines), then
# the ids and address, then the write.
_REPLAYED = """SELECT id, total, created_at FROM purchases WHERE buyer_id = %s AND idempotency_key = %s"""
_NEW_IDS = (f"""SELECT now() AS placed_at, nextval(pg_get_serial_sequence('purchases', 'id')) AS purchase,
                       ARRAY(SELECT nextval(pg_get_serial_sequence('orders', 'id'))
                             FROM generate_series(1, %(orders)s::int)) AS orders,
                       a.recipient, a.address
                FROM (VALUES (1)) one LEFT JOIN LATERAL ({address.SHIP_TO}) a ON true""")
_WRITE = (
    """SELECT * FROM place_order_write(
           %s::bigint, %s::bigint, %s::text, %s::numeric, %s::boolean, %s::text,
           %s::bigint[], %s::bigint[], %s::bigint[], %s::int[], %s::numeric[], %s::numeric[],
           %s::bigint[], %s::int[],
           %s::bigint[], %s::bigint[], %s::numeric[], %s::numeric[],
           %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[])""")


class CheckoutFailed(Exception):
    """Nothing was bought. `problems` lists what stopped it: dicts with
    offer_id, product_name (None for problems of the whole order), reason
    (empty_cart, bad_item, offer_gone, own_offer, out_of_stock, sale_sold_out,
    sale_limit, price_changed, offer_changed, insufficient_balance,
    no_address, total_changed) and message."""

    def __init__(self, problems: list[dict]):
        super().__init__("; ".join(problem["message"] for problem in problems))
        self.problems = problems


def _order_problem(reason: str, message: str) -> dict:
    return {"offer_id": None, "product_name": None, "reason": reason, "message": message}


def _merged_items(items: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The same offer twice becomes one line; bad quantities are refused."""
    merged: dict[int, int] = {}
    for offer_id, quantity in items:
        merged[offer_id] = merged.get(offer_id, 0) + quantity
    if len(merged) > cart.MAX_CART_LINES:
        raise CheckoutFailed([_order_problem("bad_item", f"At most {cart.MAX_CART_LINES} different "
                                                         "offers per order.")])
    bad = [offer_id for offer_id, quantity in merged.items()
           if not 1 <= quantity <= cart.MAX_LINE_QUANTITY or not 1 <= offer_id <= MAX_ID]
    if bad:
        raise CheckoutFailed([{"offer_id": offer_id, "product_name": None, "reason": "bad_item",
                               "message": f"Each offer needs a quantity from 1 to "
                                          f"{cart.MAX_LINE_QUANTITY:,}."} for offer_id in bad])
    return list(merged.items())


def place_order(buyer_id: int, idempotency_key: str | None,
                items: list[tuple[int, int]] | None = None, address_id: int | None = None,
                total_seen: Decimal | None = None) -> dict:
    """Buy `items` ((offer_id, quantity) pairs), or the buyer's cart when
    items is None (the cart then loses the lines bought), in one transaction,
    shipped to one of the buyer's addresses (their default when address_id
    is None), which each order keeps a copy of.

    Prices come from the database: the offer's price, or the flash sale's
    during a live sale, plus each seller's shipping fee (models/shipping.py).
    The same idempotency key returns the same purchase
    without charging again. With `total_seen` (the total the buyer was
    shown), another total (a shipping fee or a price changed since) is
    refused, saying so, rather than charged. Returns the purchase: id, total, created_at and
    replayed (True when the key had already bought it). Raises CheckoutFailed
    naming every line that stopped it; then nothing has changed."""
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
        raise CheckoutFailed([_order_problem("bad_item", "The idempotency key must have 1 to "
                                                         f"{MAX_KEY_LENGTH} characters.")])
    if items is not None:
        items = _merged_items(items)
    try:
        return db.run_transaction(_place_order, buyer_id, idempotency_key, items, address_id, total_seen)
    except db.Refused as refused:
        if refused.reason == "replayed":  # read after the rollback; it committed before
            return _replayed(buyer_id, idempotency_key)
        raise CheckoutFailed([_write_problem(buyer_id, refused)]) from None


def _ship_to(row: dict, address_id: int | None) -> str:
    """The address label copied onto the orders, or CheckoutFailed."""
    if row["address"] is None:
        raise CheckoutFailed([_order_problem(
            "no_address", "Add a shipping address first." if address_id is None
            else "Choose one of your addresses to ship to.")])
    return address.shipping_label(row)


def _replayed(buyer_id: int, key: str | None) -> dict | None:
    """The purchase this idempotency key already bought, or None."""
    done = db.query_one(_REPLAYED, (buyer_id, key)) if key is not None else None
    return {**done, "replayed": True} if done else None


def _place_order(buyer_id: int, key: str | None, items: list[tuple[int, int]] | None,
                 address_id: int | None, total_seen: Decimal | None) -> dict:
    try:
        return _place(buyer_id, key, items, address_id, total_seen)
    except CheckoutFailed:
        # A second submit of a placed order finds the cart emptied or the
        # units bought: it answers with the purchase (the buyer's lock is
        # held, so the first one has committed by now).
        done = _replayed(buyer_id, key)
        if done:
            return done
        raise


def _place(buyer_id: int, key: str | None, items: list[tuple[int, int]] | None,
           address_id: int | None, total_seen: Decimal | None) -> dict:
    lines = cart.locked_lines(buyer_id, items)
    ids = db.query_one(_NEW_IDS, {"orders": len({line["seller_id"] for line in lines}),
                                  "user": buyer_id, "address": address_id})
    ship_to = _ship_to(ids, address_id)
    sellers = _check_lines(buyer_id, lines)
    total = sum(group["total"] for group in sellers)
    if total_seen is not None and total != total_seen:
        raise CheckoutFailed([_order_problem(
            "total_changed", f"The total changed from {format_money(total_seen)} to {format_money(total)} "
                             "since you reviewed your order (a shipping fee or a price changed). Check the "
                             "order below and place it again.")])
    orders = [{"id": order_id, "purchase_id": ids["purchase"], "seller_id": group["seller_id"],
               "buyer_id": buyer_id, "subtotal": group["subtotal"], "shipping_fee": group["shipping_fee"],
               "ship_to": ship_to} for order_id, group in zip(ids["orders"], sellers, strict=True)]
    ordered = sorted(lines, key=lambda line: (line["product_id"], line["offer_id"]))
    column = lambda name: [line[name] for line in ordered]  # noqa: E731
    try:
        db.commit_with(_WRITE, (
            buyer_id, ids["purchase"], key, total, items is None, ship_to,
            column("offer_id"), column("product_id"), column("seller_id"), column("quantity"),
            column("offer_price"), column("unit_price"), column("sale_id"), column("sale_limit"),
            [order["id"] for order in orders], [order["seller_id"] for order in orders],
            [order["subtotal"] for order in orders], [order["shipping_fee"] for order in orders],
            *notification.notice_columns(order_notices.placed(orders))))
    except db.Refused as refused:
        refused.lines, refused.total = ordered, total
        raise
    return {"id": ids["purchase"], "total": total, "created_at": ids["placed_at"], "replayed": False}


def _write_problem(buyer_id: int, refused: db.Refused) -> dict:
    """What place_order_write refused, for people (read after the rollback)."""
    if refused.reason == "insufficient_balance":
        return _insufficient(refused.total,
                             db.query_value("SELECT balance FROM users WHERE id = %s", (buyer_id,)))
    line = next(line for line in refused.lines if line["offer_id"] == refused.offer_id)
    if refused.reason == "sale_sold_out":
        return cart.problem_for(line, "sale_sold_out", "The flash sale is sold out.")
    if refused.reason == "sale_limit":
        return cart.problem_for(line, "sale_limit", f"Flash sale limit reached: at most {line['sale_limit']} "
                                                  "per customer.")
    return _lost_race(buyer_id, line)


def _check_lines(buyer_id: int, lines: list[dict]) -> list[dict]:
    """Refuse at once what is visibly wrong, without taking any lock; the
    lines grouped by seller with their shipping fees."""
    if not lines:
        raise CheckoutFailed([_order_problem("empty_cart", "Your cart is empty.")])
    problems = [problem for line in lines if (problem := cart.line_problem(line, buyer_id))]
    if problems:
        raise CheckoutFailed(problems)
    return shipping.with_fees(cart.group_by_seller(lines))


def _insufficient(total: Decimal, balance: Decimal | None) -> dict:
    detail = f"your balance is {format_money(balance)}" if balance is not None else "your balance is too low"
    return _order_problem("insufficient_balance",
                          f"Not enough balance: the order costs {format_money(total)} and {detail}. "
                          "Top up your balance first.")


def _lost_race(buyer_id: int, line: dict) -> dict:
    """Why the conditional update of a line's offer touched nothing."""
    fresh = cart.lines_for_items(buyer_id, [(line["offer_id"], line["quantity"])])[0]
    problem = cart.line_problem(fresh, buyer_id)
    if problem:
        return problem
    if fresh["offer_price"] != line["offer_price"]:
        return cart.problem_for(line, "price_changed",
                                f"The price changed from {format_money(line['offer_price'])} to "
                                f"{format_money(fresh['offer_price'])} while you were checking out. "
                                "Review your order and place it again.")
    return cart.problem_for(line, "offer_changed", "The seller changed this offer while you were checking "
                                                   "out. Review your order and place it again.")
