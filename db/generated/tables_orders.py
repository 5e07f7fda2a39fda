"""The CSV form of the sellers' shipping settings and the purchase, order,
order line, order money, platform commission, return and seller sales
summary tables (planned in plan_orders.py, plan_states.py and plan.py)."""
import numpy as np

from . import csvbytes as cb
from .columns import Table, ids, ints, money, ref, times
from .plan import Plan
from .plan_states import CANCELLED, DELIVERED, RETURN_STATES, SHIPPED, STATES
from .tables_catalog import postal_label

CARRIERS = ("Posti", "DHL", "UPS", "PostNord")


def purchases(plan: Plan, table: str) -> Table:
    bought = plan.purchases
    return Table(table, len(bought["buyer"]), [
        ("id", ids), ("buyer_id", ref(bought["buyer"])), ("total", money(bought["total"])),
        ("created_at", times(bought["created"])),
    ])


def orders(plan: Plan, table: str) -> Table:
    placed = plan.orders
    state = placed["state"]
    states, by = cb.Pool(STATES), cb.Pool(("seller", "buyer"))
    carriers = cb.Pool(CARRIERS)
    sent = (state == SHIPPED) | (state == DELIVERED)

    def carrier(part):
        return cb.pooled(carriers, np.arange(part.start, part.stop) % len(CARRIERS), null=~sent[part])

    def tracking(part):
        n, row = part.stop - part.start, np.arange(part.start, part.stop)
        number = 100_000_000 + row * 7_919 % 900_000_000
        return cb.concat(cb.const(n, "SK", null=~sent[part]), cb.integer(number, null=~sent[part]))

    return Table(table, len(placed["purchase"]), [
        ("id", ids), ("purchase_id", ref(placed["purchase"])), ("seller_id", ref(placed["seller"])),
        ("buyer_id", ref(placed["buyer"])), ("subtotal", money(placed["subtotal"])),
        ("shipping_fee", money(placed["shipping_fee"])), ("created_at", times(placed["created"])),
        ("state", lambda part: cb.pooled(states, state[part])),
        ("ship_to", postal_label(plan, placed["buyer"])),
        ("held_amount", money(placed["held"])), ("refunded_amount", money(placed["refunded"])),
        ("carrier", carrier), ("tracking_number", tracking),
        ("shipped_at", times(placed["shipped_at"])), ("delivered_at", times(placed["delivered_at"])),
        ("cancelled_at", times(placed["cancelled_at"])),
        ("cancelled_by", lambda part: cb.pooled(by, np.maximum(placed["cancelled_by"][part], 0),
                                                null=placed["cancelled_by"][part] < 0)),
        ("released_at", times(placed["delivered_at"])),
    ])


def order_lines(plan: Plan, table: str) -> Table:
    lines = plan.lines
    return Table(table, len(lines["order"]), [
        ("id", ids), ("order_id", ref(lines["order"])), ("offer_id", ref(lines["offer"])),
        ("product_id", ref(lines["product"])), ("quantity", ints(lines["quantity"])),
        ("unit_price", money(lines["unit_price"])), ("flash_sale_id", ref(lines["flash_sale"])),
        ("cancelled_quantity", ints(lines["cancelled_quantity"])),
        ("returned_quantity", ints(lines["returned_quantity"])),
    ])


def seller_shipping(plan: Plan, table: str) -> Table:
    shipping = plan.shipping
    return Table(table, len(shipping["seller"]), [
        ("seller_id", ref(shipping["seller"])), ("fee", money(shipping["fee"])),
        ("free_from", money(shipping["free_from"])),
        ("updated_at", times(plan.users["created"][shipping["seller"]])),  # set when they joined
    ], optional=True)


def order_money(plan: Plan, table: str) -> Table:
    """Each order's hold at checkout (subtotal and shipping fee), and on
    delivery its release to the seller and the platform's commission, or
    its refund on cancellation (returns are refunded by the seller, not
    here)."""
    placed = plan.orders
    paid = placed["subtotal"] + placed["shipping_fee"]
    done = np.flatnonzero(placed["state"] == DELIVERED)
    charged = done[placed["commission"][done] > 0]
    cancelled = np.flatnonzero(placed["state"] == CANCELLED)
    everyone = np.arange(len(placed["state"]))
    order = np.concatenate([everyone, done, charged, cancelled])
    kind = np.concatenate([np.zeros(len(everyone), np.int64), np.ones(len(done), np.int64),
                           np.full(len(charged), 3), np.full(len(cancelled), 2)])
    amount = np.concatenate([paid, placed["commission"][done] - paid[done], -placed["commission"][charged],
                             -paid[cancelled]])
    when = np.concatenate([placed["created"], placed["delivered_at"][done], placed["delivered_at"][charged],
                           placed["cancelled_at"][cancelled]])
    kinds = cb.Pool(("hold", "release", "refund", "commission"))
    return Table(table, len(order), [
        ("id", ids), ("order_id", ref(order)), ("kind", lambda part: cb.pooled(kinds, kind[part])),
        ("amount", lambda part: cb.money(amount[part])), ("created_at", times(when)),
    ], optional=True)


def platform_ledger(plan: Plan, table: str) -> Table:
    """The platform's commission on each delivered order, and what it gave
    back of it on accepted returns."""
    placed, returns = plan.orders, plan.returns
    charged = np.flatnonzero(placed["commission"] > 0)
    back = np.flatnonzero(returns["commission_back"] > 0)
    order = np.concatenate([charged, returns["order"][back]])
    kind = np.concatenate([np.zeros(len(charged), np.int64), np.ones(len(back), np.int64)])
    amount = np.concatenate([placed["commission"][charged], -returns["commission_back"][back]])
    when = np.concatenate([placed["delivered_at"][charged], returns["decided"][back]])
    kinds = cb.Pool(("commission", "commission_refund"))
    return Table(table, len(order), [
        ("id", ids), ("order_id", ref(order)), ("kind", lambda part: cb.pooled(kinds, kind[part])),
        ("amount", lambda part: cb.money(amount[part])), ("created_at", times(when)),
    ], optional=True)


def return_requests(plan: Plan, table: str) -> Table:
    returns = plan.returns
    states = cb.Pool(RETURN_STATES)
    reasons = cb.Pool(("It arrived broken.", "Not as described.", "Wrong size.", "I changed my mind."))
    refunded = np.where(returns["state"] == RETURN_STATES.index("accepted"), returns["refund"], -1)
    return Table(table, len(returns["order"]), [
        ("id", ids), ("order_id", ref(returns["order"])), ("seller_id", ref(returns["seller"])),
        ("state", lambda part: cb.pooled(states, returns["state"][part])),
        ("reason", lambda part: cb.pooled(reasons, np.arange(part.start, part.stop) % 4)),
        ("refund_amount", money(refunded)), ("created_at", times(returns["created"])),
        ("decided_at", times(returns["decided"])),
    ], optional=True)


def return_lines(plan: Plan, table: str) -> Table:
    returns = plan.returns
    return Table(table, len(returns["order"]), [
        ("return_id", ids), ("line_id", ref(returns["line"])), ("quantity", ints(returns["quantity"])),
    ], optional=True)


def seller_product_sales(plan: Plan, table: str) -> Table:
    """The per-seller sales summary of migration 0030 (kept by a trigger on
    order_lines, which is off during the load)."""
    summary = plan.seller_sales
    return Table(table, len(summary["seller"]), [
        ("seller_id", ref(summary["seller"])), ("product_id", ref(summary["product"])),
        ("category_id", ref(summary["category"])), ("units", ints(summary["units"])),
        ("revenue", money(summary["revenue"])),
    ], optional=True)
