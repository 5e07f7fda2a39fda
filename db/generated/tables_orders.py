"""The CSV form of the purchase, order, order line and seller sales summary
tables (planned in plan_orders.py and plan.py)."""
from .columns import Table, ids, ints, money, ref, times
from .plan import Plan


def purchases(plan: Plan, table: str) -> Table:
    bought = plan.purchases
    return Table(table, len(bought["buyer"]), [
        ("id", ids), ("buyer_id", ref(bought["buyer"])), ("total", money(bought["total"])),
        ("created_at", times(bought["created"])),
    ])


def orders(plan: Plan, table: str) -> Table:
    placed = plan.orders
    return Table(table, len(placed["purchase"]), [
        ("id", ids), ("purchase_id", ref(placed["purchase"])), ("seller_id", ref(placed["seller"])),
        ("buyer_id", ref(placed["buyer"])), ("subtotal", money(placed["subtotal"])),
        ("created_at", times(placed["created"])), ("fulfilled_at", times(placed["fulfilled"])),
    ])


def order_lines(plan: Plan, table: str) -> Table:
    lines = plan.lines
    return Table(table, len(lines["order"]), [
        ("id", ids), ("order_id", ref(lines["order"])), ("offer_id", ref(lines["offer"])),
        ("product_id", ref(lines["product"])), ("quantity", ints(lines["quantity"])),
        ("unit_price", money(lines["unit_price"])), ("flash_sale_id", ref(lines["flash_sale"])),
        ("fulfilled_at", times(lines["fulfilled"])),
    ])


def seller_product_sales(plan: Plan, table: str) -> Table:
    """The per-seller sales summary of migration 0030 (kept by a trigger on
    order_lines, which is off during the load)."""
    summary = plan.seller_sales
    return Table(table, len(summary["seller"]), [
        ("seller_id", ref(summary["seller"])), ("product_id", ref(summary["product"])),
        ("category_id", ref(summary["category"])), ("units", ints(summary["units"])),
        ("revenue", money(summary["revenue"])),
    ], optional=True)
