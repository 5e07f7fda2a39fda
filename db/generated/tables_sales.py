"""The CSV form of the flash sale and cart tables (planned in plan_sales.py)."""
from .columns import Table, ids, ints, money, ref, times
from .plan import Plan


def cart_items(plan: Plan, table: str) -> Table:
    items = plan.carts
    return Table(table, len(items["user"]), [
        ("user_id", ref(items["user"])), ("offer_id", ref(items["offer"])),
        ("quantity", ints(items["quantity"])),
        ("price_seen", money(items["price_seen"])), ("added_at", times(items["added"])),
    ])


def flash_sales(plan: Plan, table: str) -> Table:
    sales = plan.sales
    return Table(table, len(sales["offer"]), [
        ("id", ids), ("offer_id", ref(sales["offer"])), ("sale_price", money(sales["sale_price"])),
        ("starts_at", times(sales["starts"])), ("ends_at", times(sales["ends"])),
        ("units_total", ints(sales["units_total"])), ("units_sold", ints(sales["units_sold"])),
        ("per_customer_limit", ints(sales["limit"])), ("created_at", times(sales["created"])),
    ])


def flash_sale_buyers(plan: Plan, table: str) -> Table:
    buyers = plan.sale_buyers
    return Table(table, len(buyers["sale"]), [
        ("sale_id", ref(buyers["sale"])), ("buyer_id", ref(buyers["buyer"])),
        ("units", ints(buyers["units"])),
    ])
