"""Checkout: one transaction that buys a list of lines from many sellers,
all or nothing. The HTML checkout and the JSON API both call place_order.

Order of work inside the transaction (why it cannot oversell, charge twice
or deadlock):
1. A per-buyer advisory lock serialises one buyer's checkouts, so a double
   submit waits for the first and then finds its purchase by the
   idempotency key (or an emptied cart).
2. The lines are read and checked without locks; a checkout that would fail
   fails here, before it queues on any busy row. The purchase row is
   inserted and the cart emptied (rows nobody else waits for).
3. Stock, then flash-sale units and per-customer counts, then
   products.units_sold are changed with conditional UPDATEs, product by
   product in (product_id, offer_id) order; the offers trigger may write the
   product row, which this order also respects. Zero rows updated means the
   line lost a race: the whole checkout is refused. The prices read in 2
   are part of the condition, so the lines are bought at those prices.
4. The buyer's balance is debited, with its ledger row. No seller is
   credited: each seller's order holds its money (orders.held_amount and a
   'hold' row of order_money) until it completes (models/order_state.py),
   so checkout writes no row that every checkout of a seller would write.
5. The orders, their money and their lines last: their foreign-key checks
   share-lock the offer, product, sale and user rows, which this
   transaction holds by now anyway. Earlier, they would share a hot row
   with the updates of other checkouts (a MultiXact on every sale) and let
   a seller's SELECT ... FOR UPDATE of an offer wedge itself between two
   locks of a checkout.
Any deadlock or serialization failure that still happens is retried by
db.run_transaction, and answered with db.Busy (a 503) after the last try.
"""
from decimal import Decimal
from itertools import groupby

from .. import db
from ..ids import MAX_ID
from ..money import format_money
from . import address, cart, ledger, order_notices, shipping

# Namespace of the per-buyer advisory locks (two-int form, distinct from the
# single-bigint migration lock).
CHECKOUT_LOCK = 4
MAX_KEY_LENGTH = 100


class CheckoutFailed(Exception):
    """Nothing was bought. `problems` lists what stopped it: dicts with
    offer_id, product_name (None for problems of the whole order), reason
    (empty_cart, bad_item, offer_gone, own_offer, out_of_stock, sale_sold_out,
    sale_limit, price_changed, offer_changed, insufficient_balance,
    no_address) and message."""

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
                items: list[tuple[int, int]] | None = None, address_id: int | None = None) -> dict:
    """Buy `items` ((offer_id, quantity) pairs), or the buyer's cart when
    items is None (the cart then loses the lines bought), in one transaction,
    shipped to one of the buyer's addresses (their default when address_id
    is None), which each order keeps a copy of.

    Prices come from the database: the offer's price, or the flash sale's
    during a live sale, plus each seller's shipping fee (models/shipping.py).
    The same idempotency key returns the same purchase
    without charging again. Returns the purchase: id, total, created_at and
    replayed (True when the key had already bought it). Raises CheckoutFailed
    naming every line that stopped it; then nothing has changed."""
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
        raise CheckoutFailed([_order_problem("bad_item", "The idempotency key must have 1 to "
                                                         f"{MAX_KEY_LENGTH} characters.")])
    if items is not None:
        items = _merged_items(items)
    return db.run_transaction(_place_order, buyer_id, idempotency_key, items, address_id)


def _ship_to(buyer_id: int, address_id: int | None) -> str:
    """The address label copied onto the orders, or CheckoutFailed."""
    row = (address.default_address(buyer_id) if address_id is None
           else address.address_of(buyer_id, address_id))
    if row is None:
        raise CheckoutFailed([_order_problem(
            "no_address", "Add a shipping address first." if address_id is None
            else "Choose one of your addresses to ship to.")])
    return address.shipping_label(row)


def _place_order(buyer_id: int, key: str | None, items: list[tuple[int, int]] | None,
                 address_id: int | None) -> dict:
    db.query_value("SELECT pg_advisory_xact_lock(%s, hashint8(%s))", (CHECKOUT_LOCK, buyer_id))
    if key is not None:
        done = db.query_one("""SELECT id, total, created_at FROM purchases
                               WHERE buyer_id = %s AND idempotency_key = %s""", (buyer_id, key))
        if done:
            return {**done, "replayed": True}
    lines = cart.cart_lines(buyer_id) if items is None else cart.lines_for_items(buyer_id, items)
    ship_to = _ship_to(buyer_id, address_id)
    sellers = _check_lines(buyer_id, lines)
    purchase = db.query_one("""INSERT INTO purchases (buyer_id, total, idempotency_key) VALUES (%s, %s, %s)
                               RETURNING id, total, created_at""",
                            (buyer_id, sum(group["total"] for group in sellers), key))
    if items is None:
        cart.remove_offers(buyer_id, [line["offer_id"] for line in lines])
    problems = _take_stock(buyer_id, lines)
    if not problems:
        problems = _debit_buyer(buyer_id, purchase)
    if problems:
        raise CheckoutFailed(problems)
    _record_orders(buyer_id, purchase["id"], sellers, ship_to)
    return {**purchase, "replayed": False}


def _check_lines(buyer_id: int, lines: list[dict]) -> list[dict]:
    """Refuse at once what is visibly wrong, without taking any lock; the
    lines grouped by seller with their shipping fees."""
    if not lines:
        raise CheckoutFailed([_order_problem("empty_cart", "Your cart is empty.")])
    problems = [problem for line in lines if (problem := cart.line_problem(line, buyer_id))]
    if problems:
        raise CheckoutFailed(problems)
    sellers = shipping.with_fees(cart.group_by_seller(lines))
    total = sum(group["total"] for group in sellers)
    balance = db.query_value("SELECT balance FROM users WHERE id = %s", (buyer_id,))
    if balance < total:
        raise CheckoutFailed([_insufficient(total, balance)])
    return sellers


def _insufficient(total: Decimal, balance: Decimal | None) -> dict:
    detail = f"your balance is {format_money(balance)}" if balance is not None else "your balance is too low"
    return _order_problem("insufficient_balance",
                          f"Not enough balance: the order costs {format_money(total)} and {detail}. "
                          "Top up your balance first.")


def _record_orders(buyer_id: int, purchase_id: int, sellers: list[dict], ship_to: str) -> None:
    """Insert one order per seller, holding what the buyer paid for it, its
    'hold' money row, its lines at the prices read (which the conditional
    updates of the stock checked) and the notices to buyer and sellers."""
    orders = db.query(
        """WITH placed AS (
               INSERT INTO orders (purchase_id, seller_id, buyer_id, subtotal, shipping_fee, held_amount,
                                   ship_to)
               SELECT %s, seller_id, %s, subtotal, fee, subtotal + fee, %s
               FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[]) AS s (seller_id, subtotal, fee)
               RETURNING id, purchase_id, seller_id, buyer_id, subtotal, shipping_fee, held_amount, ship_to),
           held AS (INSERT INTO order_money (order_id, kind, amount)
                    SELECT id, 'hold', held_amount FROM placed)
           SELECT * FROM placed""",
        (purchase_id, buyer_id, ship_to, [group["seller_id"] for group in sellers],
         [group["subtotal"] for group in sellers], [group["shipping_fee"] for group in sellers]))
    order_of = {order["seller_id"]: order["id"] for order in orders}
    lines = [line for group in sellers for line in group["lines"]]
    db.execute(
        """INSERT INTO order_lines (order_id, offer_id, product_id, quantity, unit_price, flash_sale_id)
           SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::int[], %s::numeric[],
                                %s::bigint[])""",
        ([order_of[line["seller_id"]] for line in lines], [line["offer_id"] for line in lines],
         [line["product_id"] for line in lines], [line["quantity"] for line in lines],
         [line["unit_price"] for line in lines], [line["sale_id"] for line in lines]))
    order_notices.placed(orders)


def _take_stock(buyer_id: int, lines: list[dict]) -> list[dict]:
    """Decrement stock (and sale units) product by product in a fixed order;
    the problems of the lines that lost a race since they were read."""
    problems = []
    ordered = sorted(lines, key=lambda line: (line["product_id"], line["offer_id"]))
    for product_id, product_lines in groupby(ordered, key=lambda line: line["product_id"]):
        sold = 0
        for line in product_lines:
            problem = _take_offer(buyer_id, line)
            if problem:
                problems.append(problem)
            else:
                sold += line["quantity"]
        if sold and not problems:
            db.execute("UPDATE products SET units_sold = units_sold + %s WHERE id = %s", (sold, product_id))
    return problems


def _take_offer(buyer_id: int, line: dict) -> dict | None:
    quantity = line["quantity"]
    taken = db.execute(
        """UPDATE offers SET quantity = quantity - %s
           WHERE id = %s AND active AND seller_id <> %s AND quantity >= %s AND price = %s""",
        (quantity, line["offer_id"], buyer_id, quantity, line["offer_price"]))
    if not taken:
        return _lost_race(buyer_id, line)
    if line["sale_id"] is None:
        return None
    sale_units = db.execute(
        """UPDATE flash_sales SET units_sold = units_sold + %s
           WHERE id = %s AND starts_at <= now() AND ends_at > now() AND units_sold + %s <= units_total""",
        (quantity, line["sale_id"], quantity))
    if not sale_units:
        return cart.problem_for(line, "sale_sold_out", "The flash sale is sold out.")
    # The advisory lock already queues this buyer's checkouts; the WHERE
    # still refuses to count past the limit, whoever else writes here.
    counted = db.query_value(
        """INSERT INTO flash_sale_buyers (sale_id, buyer_id, units) VALUES (%s, %s, %s)
           ON CONFLICT (sale_id, buyer_id) DO UPDATE SET units = flash_sale_buyers.units + EXCLUDED.units
               WHERE flash_sale_buyers.units + EXCLUDED.units <= %s
           RETURNING units""", (line["sale_id"], buyer_id, quantity, line["sale_limit"]))
    if counted is None:
        return cart.problem_for(line, "sale_limit", f"Flash sale limit reached: at most {line['sale_limit']} "
                                                 "per customer.")
    return None


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


def _debit_buyer(buyer_id: int, purchase: dict) -> list[dict]:
    """Take the purchase's total (goods and shipping) from the buyer."""
    try:
        ledger.post_entry(buyer_id, "purchase", -purchase["total"], purchase["id"])
    except ledger.InsufficientFunds:
        balance = db.query_value("SELECT balance FROM users WHERE id = %s", (buyer_id,))
        return [_insufficient(purchase["total"], balance)]
    return []
