"""Every generated table, in one list: its name and the function that makes
its CSV form from the plan (column names and how each column's text is made,
chunk by chunk; see columns.py). A builder lives in the tables_<area>.py
that mirrors the plan_<area>.py planning its rows.

The order respects foreign keys, parents before children (the loader does
not need it, a reader of the CSV files may); TABLE_ORDER is read from it.
"""
from .columns import Table
from .plan import Plan
from .tables_catalog import addresses, categories, offers, photos, product_photos, products, users
from .tables_ledger import ledger_entries
from .tables_orders import (
    order_lines,
    order_money,
    orders,
    platform_ledger,
    purchases,
    return_lines,
    return_requests,
    seller_product_sales,
    seller_shipping,
)
from .tables_reviews import reviews
from .tables_sales import cart_items, flash_sale_buyers, flash_sales

TABLES = {
    "categories": categories,
    "users": users,
    "addresses": addresses,
    "products": products,
    "offers": offers,
    "photos": photos,
    "product_photos": product_photos,
    "seller_shipping": seller_shipping,
    "cart_items": cart_items,
    "flash_sales": flash_sales,
    "flash_sale_buyers": flash_sale_buyers,
    "purchases": purchases,
    "orders": orders,
    "order_lines": order_lines,
    "order_money": order_money,
    "platform_ledger": platform_ledger,
    "return_requests": return_requests,
    "return_lines": return_lines,
    "seller_product_sales": seller_product_sales,
    "product_reviews": reviews,
    "seller_reviews": reviews,
    "ledger_entries": ledger_entries,
}
TABLE_ORDER = list(TABLES)


def build_tables(plan: Plan) -> list[Table]:
    """Every generated table, parents before children."""
    return [build(plan, table) for table, build in TABLES.items()]
