"""Carts: a buyer's lines (offer, quantity) kept in the database, priced
from the database at every read, with what would stop each line selling.

Checkout reads its lines through the same functions, so the cart page warns
about exactly what checkout would refuse."""
from datetime import timedelta
from itertools import groupby

from flask import current_app

from .. import db
from ..money import format_money
from . import shipping

# Namespace of the per-buyer advisory locks (two-int form, distinct from the
# single-bigint migration lock): one buyer's checkouts and holds queue on it.
BUYER_LOCK = 4

# One line may ask for at most this many units (the JSON API uses the same).
MAX_LINE_QUANTITY = 1000
# A cart holds at most this many different offers, which keeps every cart
# page and every checkout bounded.
MAX_CART_LINES = 100


class CartError(Exception):
    """An add or change that cannot be done; `message` says why."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def _priced(rows: list[dict]) -> list[dict]:
    """Add the unit price each line would be bought at now: the sale price
    during a live sale (never above the regular price), else the price."""
    for line in rows:
        if line["offer_price"] is None:
            line["unit_price"] = line["line_total"] = None
            continue
        price = line["offer_price"]
        if line["sale_id"] is not None:
            price = min(line["sale_price"], price)
        line["unit_price"] = price
        line["line_total"] = price * line["quantity"]
    return rows


# The lines with what would stop them selling: priced_lines (migration 0091),
# a function so that its plan is kept.
_PRICED_LINES = "SELECT * FROM priced_lines(%s::bigint, %s::bigint[], %s::int[])"


def cart_lines(user_id: int) -> list[dict]:
    """The user's cart lines priced now, ordered by seller then product."""
    return _priced(db.query(_PRICED_LINES, (user_id, None, None)))


def lines_for_items(buyer_id: int, items: list[tuple[int, int]]) -> list[dict]:
    """(offer_id, quantity) pairs priced like cart lines. An unknown offer
    comes back with offer_price None so the caller can name the problem."""
    return _priced(db.query(_PRICED_LINES, (buyer_id, [offer for offer, _ in items],
                                            [quantity for _, quantity in items])))


def locked_lines(buyer_id: int, items: list[tuple[int, int]] | None) -> list[dict]:
    """Take the buyer's lock (lock_buyer), then read their cart's lines
    (items None) or the items' (as lines_for_items), in one round trip:
    the read's snapshot is taken once the lock is held."""
    offers, quantities = (None, None) if items is None else ([o for o, _ in items], [q for _, q in items])
    return _priced(db.query(f"{_LOCK_BUYER}; {_PRICED_LINES}",
                            (BUYER_LOCK, buyer_id, buyer_id, offers, quantities)))


def problem_for(line: dict, reason: str, message: str) -> dict:
    """A problem of one line, in the shape checkout reports."""
    return {"offer_id": line["offer_id"], "product_name": line["product_name"],
            "reason": reason, "message": message}


def _stock_message(stock: int, asked: int) -> str:
    return "Sold out." if stock == 0 else f"Sold out: only {stock} left, you asked for {asked}."


def _sale_problem(line: dict) -> dict | None:
    # The limit first: a customer who has had their share hears that, not
    # that the sale sold out since.
    left, asked = line["sale_units_left"], line["quantity"]
    allowed = line["sale_limit"] - line["sale_bought"]
    if asked > allowed:
        message = f"Flash sale limit reached: at most {line['sale_limit']} per customer"
        return problem_for(line, "sale_limit", message + (f", you can buy {allowed} more." if allowed > 0
                                                          else ", and you have bought them."))
    if left < asked:
        return problem_for(line, "sale_sold_out", "The flash sale is sold out." if left == 0 else
                           f"The flash sale is sold out: only {left} left, you asked for {asked}.")
    return None


def _inactive_problem(line: dict) -> dict:
    """Why an offer is off sale: the seller's choice or the marketplace's."""
    if line["seller_suspended"]:
        return problem_for(line, "seller_suspended", "The seller's account is suspended, so this offer "
                                                     "cannot be bought. Remove it from your cart.")
    if line["taken_down"]:
        return problem_for(line, "taken_down",
                           "The marketplace took this offer down. Remove it from your cart.")
    return problem_for(line, "offer_gone", "The seller stopped selling this.")


def line_problem(line: dict, buyer_id: int) -> dict | None:
    """Why this priced line cannot be bought now, or None. The problem is a
    dict: offer_id, product_name, reason (offer_gone, seller_suspended, taken_down, own_offer,
    out_of_stock, sale_sold_out, sale_limit) and a message for people."""
    if line["offer_price"] is None:
        return problem_for(line, "offer_gone", f"There is no offer number {line['offer_id']}.")
    if not line["active"]:
        return _inactive_problem(line)
    if line["seller_id"] == buyer_id:
        return problem_for(line, "own_offer", "This is your own offer; you cannot buy it.")
    if line["stock"] < line["quantity"]:
        return problem_for(line, "out_of_stock", _stock_message(line["stock"], line["quantity"]))
    if line["sale_id"] is not None:
        return _sale_problem(line)
    return None


def _warnings(line: dict, buyer_id: int) -> list[str]:
    problem = line_problem(line, buyer_id)
    warnings = [problem["message"]] if problem else []
    if line["price_seen"] is not None and line["unit_price"] != line["price_seen"]:
        warnings.append(f"The price changed from {format_money(line['price_seen'])} to "
                        f"{format_money(line['unit_price'])} since you added it.")
    return warnings


def group_by_seller(lines: list[dict]) -> list[dict]:
    """Lines (ordered by seller) as one group per seller with its subtotal."""
    groups = []
    for (seller_id, seller_name), seller_lines in groupby(
            lines, key=lambda line: (line["seller_id"], line["seller_name"])):
        seller_lines = list(seller_lines)
        groups.append({"seller_id": seller_id, "seller_name": seller_name, "lines": seller_lines,
                       "subtotal": sum(line["line_total"] or 0 for line in seller_lines)})
    return groups


def cart_summary(user_id: int) -> dict:
    """The cart as its pages show it: groups per seller (each line with its
    warnings, the seller's shipping fee and total), the total with shipping,
    the number of units and whether any line has a problem that would stop
    checkout."""
    lines = cart_lines(user_id)
    for line in lines:
        line["warnings"] = _warnings(line, user_id)
    sellers = shipping.with_fees(group_by_seller(lines))
    return {"sellers": sellers,
            "total": sum(group["total"] for group in sellers),
            "units": sum(line["quantity"] for line in lines),
            "blocked": any(line_problem(line, user_id) for line in lines)}


def count_units(user_id: int) -> int:
    """How many units the user's cart holds (for the header)."""
    return db.query_value("SELECT coalesce(sum(quantity), 0) FROM cart_items WHERE user_id = %s",
                          (user_id,))


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise CartError("bad_quantity", f"Enter a quantity from 1 to {MAX_LINE_QUANTITY:,}.")


# "Add to cart" reads the units of the offer in the cart, the cart's lines
# and the offer's line priced for the units it would then have, at once.
_ADD_READ = (
    """SELECT c.in_cart, c.lines, l.*
        FROM (SELECT coalesce(max(quantity) FILTER (WHERE offer_id = %(offer)s::bigint), 0)::int AS in_cart,
                     count(*) AS lines
              FROM cart_items WHERE user_id = %(buyer)s::bigint) c
        CROSS JOIN LATERAL priced_lines(%(buyer)s::bigint, ARRAY[%(offer)s::bigint],
                                        ARRAY[c.in_cart + %(quantity)s::int]) l""")


def _in_cart(user_id: int, offer_id: int) -> int:
    return db.query_value("SELECT quantity FROM cart_items WHERE user_id = %s AND offer_id = %s",
                          (user_id, offer_id)) or 0


def checked_line(user_id: int, offer_id: int, quantity: int, in_cart: int = 0) -> dict:
    """The priced line of `quantity` units of an offer, checked by checkout's
    own rules (line_problem: the offer still sold and not the user's, stock,
    flash-sale units left, the per-customer limit counting what the user
    already bought). Raises CartError with checkout's message when checkout
    would refuse it; `in_cart` (units already in the cart) is named in it.
    Every add and change of the cart goes through here."""
    return _checked(user_id, lines_for_items(user_id, [(offer_id, quantity)])[0], in_cart)


def _checked(user_id: int, line: dict, in_cart: int) -> dict:
    problem = line_problem(line, user_id)
    if problem:
        held = f" (You already have {in_cart} in your cart.)" if in_cart else ""
        raise CartError(problem["reason"], problem["message"] + held)
    return line


_LOCK_BUYER = ("SELECT pg_advisory_xact_lock(%s::int, hashint8(%s::bigint))")


def lock_buyer(buyer_id: int) -> None:
    """Queue behind this buyer's other checkouts and holds until the
    transaction ends (their per-customer counts then cannot race)."""
    db.query_value(_LOCK_BUYER, (BUYER_LOCK, buyer_id))


def _hold_error(user_id: int, line: dict, units: int, reason: str, in_cart: int) -> CartError:
    """Why the units of `line` could not be held, for people."""
    if reason == "lost_race":
        # Read again: the line now says what changed (checked_line raises).
        checked_line(user_id, line["offer_id"], units, in_cart)
        return CartError("offer_changed", "The seller changed this offer just now; try again.")
    message = ("The flash sale is sold out." if reason == "sale_sold_out"
               else f"Flash sale limit reached: at most {line['sale_limit']} per customer.")
    return CartError(reason, message + (f" (You already have {in_cart} in your cart.)" if in_cart else ""))


_SET_HOLD = ("SELECT set_hold(%s::bigint, %s::bigint, %s::bigint, %s::int, %s::numeric, %s::int, "
                        "%s::interval)")


def _hold(user_id: int, line: dict, units: int) -> None:
    """Make the user's hold on a flash-sale line `units` (set_hold in
    migration 0090) and commit, in one round trip: the offer and sale rows
    it writes are the hot ones. Raises db.Refused when the units cannot be
    held (the transaction rolled back)."""
    db.commit_with(_SET_HOLD, (user_id, line["offer_id"], line["sale_id"], units, line["offer_price"],
                               line["sale_limit"], timedelta(minutes=current_app.config["HOLD_MINUTES"])))


_ADD_LINE = ("SELECT add_line(%s::bigint, %s::bigint, %s::bigint, %s::int, %s::numeric, %s::numeric, "
                             "%s::int, %s::interval, %s::int)")


def _add_line(user_id: int, line: dict, quantity: int) -> int | None:
    """Add `quantity` units to the user's line of a checked offer (add_line
    in migration 0092): the units in the line then, or None when the line
    would pass MAX_LINE_QUANTITY. Two tabs may add at once: the line gets
    both adds, within the maximum. The units of a live flash sale are held
    too, under the buyer's lock, and committed in the same round trip (the
    offer and sale rows it writes are the hot ones); db.Refused when they
    cannot be held (nothing changed)."""
    params = (user_id, line["offer_id"], line["sale_id"], quantity, line["unit_price"], line["offer_price"],
              line["sale_limit"], timedelta(minutes=current_app.config["HOLD_MINUTES"]), MAX_LINE_QUANTITY)
    if line["sale_id"] is None:
        return db.atomic_value(_ADD_LINE, params)
    return db.atomic_value(f"{_LOCK_BUYER}; {_ADD_LINE}", (BUYER_LOCK, user_id, *params))


def add_to_cart(user_id: int, offer_id: int, quantity: int) -> dict:
    """Add units of an offer (adding to the line already there). Refuses,
    naming why, whatever checkout would refuse for the line's new quantity
    (see checked_line), more than MAX_LINE_QUANTITY in one line and more than
    MAX_CART_LINES lines. The units of a live flash sale are held for the
    user (SOUK_HOLD_MINUTES, never past the sale's end), so checkout cannot
    then fail for stock; regular offers are not held. Returns the line:
    product_id, product_name, quantity (now in the cart), held_until (None
    when not held)."""
    _check_quantity(quantity)
    line = _priced(db.query(_ADD_READ, {"buyer": user_id, "offer": offer_id, "quantity": quantity}))[0]
    in_cart, wanted = line["in_cart"], line["quantity"]
    if wanted > MAX_LINE_QUANTITY:
        raise CartError("bad_quantity", f"One cart line holds at most {MAX_LINE_QUANTITY:,} units; "
                                        f"you already have {in_cart}.")
    _checked(user_id, line, in_cart)
    if not in_cart and line["lines"] >= MAX_CART_LINES:
        raise CartError("cart_full", f"Your cart holds at most {MAX_CART_LINES} different offers; "
                                     "check out or remove some first.")
    try:
        now_in_cart = _add_line(user_id, line, quantity)
    except db.Refused as refused:
        raise _hold_error(user_id, line, wanted, refused.reason, in_cart) from None
    if now_in_cart is None:
        raise CartError("bad_quantity", f"One cart line holds at most {MAX_LINE_QUANTITY:,} units.")
    return {"product_id": line["product_id"], "product_name": line["product_name"], "quantity": now_in_cart}


def _set_held(user_id: int, line: dict, quantity: int) -> bool:
    lock_buyer(user_id)
    if db.execute("UPDATE cart_items SET quantity = %s WHERE user_id = %s AND offer_id = %s",
                  (quantity, user_id, line["offer_id"])) != 1:
        return False
    _hold(user_id, line, quantity)
    return True


def set_quantity(user_id: int, offer_id: int, quantity: int) -> bool:
    """Change the quantity of one of the user's lines; False when the user
    has no such line. Raises CartError (the line unchanged) when checkout
    would refuse the new quantity (see checked_line) or, on a flash sale,
    the units cannot be held."""
    _check_quantity(quantity)
    if not _in_cart(user_id, offer_id):
        return False
    line = checked_line(user_id, offer_id, quantity)
    if line["sale_id"] is not None:
        try:
            return db.run_transaction(_set_held, user_id, line, quantity)
        except db.Refused as refused:
            raise _hold_error(user_id, line, quantity, refused.reason, 0) from None
    return db.execute("UPDATE cart_items SET quantity = %s WHERE user_id = %s AND offer_id = %s",
                      (quantity, user_id, offer_id)) == 1


def _remove(user_id: int, offer_id: int) -> bool:
    lock_buyer(user_id)
    if not db.execute("DELETE FROM cart_items WHERE user_id = %s AND offer_id = %s", (user_id, offer_id)):
        return False
    db.query_value("SELECT release_hold(%s, %s)", (user_id, offer_id))
    return True


def remove_line(user_id: int, offer_id: int) -> bool:
    """Remove one of the user's lines (giving back the units held for it);
    False when the user has no such line."""
    return db.run_transaction(_remove, user_id, offer_id)


def remove_offers(user_id: int, offer_ids: list[int]) -> None:
    """Remove the lines of these offers (checkout empties what it bought)."""
    db.execute("DELETE FROM cart_items WHERE user_id = %s AND offer_id = ANY(%s)", (user_id, offer_ids))


def product_of_offer(offer_id: int) -> int | None:
    """The product an offer sells (to send a guest back to its page)."""
    return db.query_value("SELECT product_id FROM offers WHERE id = %s", (offer_id,))
