"""Money and stock of an order after checkout: releasing what it holds to
its seller, refunding its buyer, and putting cancelled or returned units
back. Only the transitions of models/order_state.py call these, inside
their transaction, after locking the order row.

Where the money is (see migration 0065): checkout moves the buyer's money
onto each seller's order (orders.held_amount, 'hold' rows of order_money).
Release pays the seller the held money less commission ('sale' ledger row)
and the platform the commission (platform_ledger). A refund while the money
is held comes out of the order; after release (a return, or an order from
before escrow whose seller was paid at checkout) it comes back from the
seller's balance and the platform's commission on it. Every statement
keeps: balances + held + platform = top-ups - withdrawals.

Lock order, the same as checkout's so neither can deadlock the other: the
order row (taken by the caller), then offers, flash sales and their
buyers, products, product by product in (product_id, offer_id) order, then
balances in user id order, then the order lines (whose trigger updates the
seller's sales summary, as checkout's inserts do)."""
from decimal import ROUND_HALF_UP, Decimal

from .. import db
from . import ledger

CENT = Decimal("0.01")


class CannotRefund(Exception):
    """The seller's balance cannot cover a refund of money already paid to them."""

    def __init__(self, balance: Decimal, amount: Decimal):
        super().__init__(f"balance {balance} < {amount}")
        self.balance = balance
        self.amount = amount


def commission_of(amount: Decimal, percent: Decimal) -> Decimal:
    """The platform's commission on `amount`, rounded half up to the cent."""
    return (amount * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _money_row(order_id: int, kind: str, amount: Decimal) -> None:
    if amount:
        db.execute("INSERT INTO order_money (order_id, kind, amount) VALUES (%s, %s, %s)",
                   (order_id, kind, amount))


def _platform_row(order_id: int, kind: str, amount: Decimal) -> None:
    if amount:
        db.execute("INSERT INTO platform_ledger (order_id, kind, amount) VALUES (%s, %s, %s)",
                   (order_id, kind, amount))


def release(order: dict, percent: Decimal) -> Decimal:
    """Pay the seller what the order holds, less `percent` commission; the
    order holds nothing after. Returns the seller's share."""
    held = order["held_amount"]
    commission = commission_of(held, percent)
    share = held - commission
    _money_row(order["id"], "release", -share)
    _money_row(order["id"], "commission", -commission)
    _platform_row(order["id"], "commission", commission)
    if share:
        ledger.post_entry(order["seller_id"], "sale", share, order["purchase_id"], order["id"])
    db.execute("""UPDATE orders SET held_amount = 0, released_at = coalesce(released_at, now())
                  WHERE id = %s""", (order["id"],))
    return share


def refund(order: dict, amount: Decimal) -> None:
    """Give `amount` of the order back to its buyer ('refund' ledger row).
    From the held money while it is held; else from the seller's balance
    and the platform's commission on it (raises CannotRefund when the
    seller's balance is too low; the caller's transaction then rolls back)."""
    if order["released_at"] is None:
        _money_row(order["id"], "refund", -amount)
        entries = [(order["buyer_id"], amount)]
        db.execute("UPDATE orders SET held_amount = held_amount - %s WHERE id = %s", (amount, order["id"]))
    else:
        commission_back = _commission_back(order["id"], amount)
        _platform_row(order["id"], "commission_refund", -commission_back)
        entries = [(order["buyer_id"], amount), (order["seller_id"], commission_back - amount)]
    for user_id, change in sorted(entries):
        try:
            ledger.post_entry(user_id, "refund", change, order["purchase_id"], order["id"])
        except ledger.InsufficientFunds:
            balance = db.query_value("SELECT balance FROM users WHERE id = %s", (user_id,))
            raise CannotRefund(balance, -change) from None
    db.execute("UPDATE orders SET refunded_amount = refunded_amount + %s WHERE id = %s",
               (amount, order["id"]))


def _commission_back(order_id: int, amount: Decimal) -> Decimal:
    """The platform's part of a refund after release: the share it took at
    release (of what was released), never more than it still keeps."""
    paid = db.query_one(
        """SELECT (SELECT coalesce(sum(amount), 0) FROM platform_ledger WHERE order_id = %(id)s) AS kept,
                  (SELECT coalesce(sum(amount), 0) FROM platform_ledger
                   WHERE order_id = %(id)s AND kind = 'commission') AS taken,
                  (SELECT -coalesce(sum(amount), 0) FROM order_money
                   WHERE order_id = %(id)s AND kind IN ('release', 'commission')) AS released""",
        {"id": order_id})
    if not paid["taken"]:
        return Decimal("0.00")
    share = (amount * paid["taken"] / paid["released"]).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(share, paid["kept"])


def shipping_left(order: dict, lines: list[dict]) -> Decimal:
    """The order's shipping fee not refunded yet, given its lines as they
    are before this change (rows of order_lines below): what was refunded
    beyond the cancelled and returned units at their prices was shipping."""
    if order["state"] == "cancelled":
        return Decimal("0.00")
    units_back = sum(((line["cancelled_quantity"] + line["returned_quantity"]) * line["unit_price"]
                      for line in lines), Decimal("0.00"))
    return max(order["shipping_fee"] - (order["refunded_amount"] - units_back), Decimal("0.00"))


def order_lines(order_id: int) -> list[dict]:
    """The order's lines with what is still sold of each (net)."""
    return db.query(
        """SELECT l.id, l.offer_id, l.product_id, p.name AS product_name, l.quantity, l.unit_price,
                  l.cancelled_quantity, l.returned_quantity, l.flash_sale_id,
                  l.quantity - l.cancelled_quantity - l.returned_quantity AS net
           FROM order_lines l JOIN products p ON p.id = l.product_id
           WHERE l.order_id = %s ORDER BY l.id""", (order_id,))


def put_back(buyer_id: int, takes: list[tuple[dict, int]], column: str, restock: bool = True) -> Decimal:
    """Undo the sale of `takes` ((line, units) pairs): stock back on the
    offer (unless not `restock`: the units never came back), units back to
    the flash sale and off the buyer's count there, and counted in the
    lines' `column` (cancelled_quantity or
    returned_quantity), whose trigger takes them off the product's
    units_sold and the seller's summary (through sales_pending). Returns
    their value at the prices paid."""
    assert column in ("cancelled_quantity", "returned_quantity")
    for line, quantity in sorted(takes, key=lambda take: (take[0]["product_id"], take[0]["offer_id"])):
        if restock:
            db.execute("UPDATE offers SET quantity = quantity + %s WHERE id = %s",
                       (quantity, line["offer_id"]))
        if line["flash_sale_id"] is not None:
            _put_back_sale_units(line["flash_sale_id"], buyer_id, quantity)
    by_line = sorted((line["id"], quantity) for line, quantity in takes)
    db.execute(
        f"""UPDATE order_lines l SET {column} = l.{column} + t.quantity
            FROM unnest(%s::bigint[], %s::int[]) AS t (id, quantity) WHERE l.id = t.id""",
        ([line_id for line_id, _ in by_line], [quantity for _, quantity in by_line]))
    return sum((line["unit_price"] * quantity for line, quantity in takes), Decimal("0.00"))


def _put_back_sale_units(sale_id: int, buyer_id: int, quantity: int) -> None:
    db.execute("UPDATE flash_sales SET units_sold = units_sold - %s WHERE id = %s", (quantity, sale_id))
    # The per-customer count row goes when it reaches zero (units > 0).
    if not db.execute("DELETE FROM flash_sale_buyers WHERE sale_id = %s AND buyer_id = %s AND units <= %s",
                      (sale_id, buyer_id, quantity)):
        db.execute("UPDATE flash_sale_buyers SET units = units - %s WHERE sale_id = %s AND buyer_id = %s",
                   (quantity, sale_id, buyer_id))
