"""The CSV form of the carts, flash sales, purchases, orders, lines,
reviews and ledger tables (see tables.py for the catalog ones)."""

from . import csvbytes as cb
from .columns import Deferred, Table, flat, ids, ints, money, quoted, ref, times
from .plan import Plan
from .plan_ledger import KINDS
from .words import REVIEW_SENTENCES, REVIEW_TITLES, SELLER_SENTENCES, SELLER_TITLES


def carts(plan: Plan) -> Table:
    items = plan.carts
    return Table("cart_items", len(items["user"]), [
        ("user_id", ref(items["user"])), ("offer_id", ref(items["offer"])),
        ("quantity", ints(items["quantity"])),
        ("price_seen", money(items["price_seen"])), ("added_at", times(items["added"])),
    ])


def flash_sales(plan: Plan) -> Table:
    sales = plan.sales
    return Table("flash_sales", len(sales["offer"]), [
        ("id", ids), ("offer_id", ref(sales["offer"])), ("sale_price", money(sales["sale_price"])),
        ("starts_at", times(sales["starts"])), ("ends_at", times(sales["ends"])),
        ("units_total", ints(sales["units_total"])), ("units_sold", ints(sales["units_sold"])),
        ("per_customer_limit", ints(sales["limit"])), ("created_at", times(sales["created"])),
    ])


def flash_sale_buyers(plan: Plan) -> Table:
    buyers = plan.sale_buyers
    return Table("flash_sale_buyers", len(buyers["sale"]), [
        ("sale_id", ref(buyers["sale"])), ("buyer_id", ref(buyers["buyer"])),
        ("units", ints(buyers["units"])),
    ])


def purchases(plan: Plan) -> Table:
    bought = plan.purchases
    return Table("purchases", len(bought["buyer"]), [
        ("id", ids), ("buyer_id", ref(bought["buyer"])), ("total", money(bought["total"])),
        ("created_at", times(bought["created"])),
    ])


def orders(plan: Plan) -> Table:
    placed = plan.orders
    return Table("orders", len(placed["purchase"]), [
        ("id", ids), ("purchase_id", ref(placed["purchase"])), ("seller_id", ref(placed["seller"])),
        ("buyer_id", ref(placed["buyer"])), ("subtotal", money(placed["subtotal"])),
        ("created_at", times(placed["created"])), ("fulfilled_at", times(placed["fulfilled"])),
    ])


def order_lines(plan: Plan) -> Table:
    lines = plan.lines
    return Table("order_lines", len(lines["order"]), [
        ("id", ids), ("order_id", ref(lines["order"])), ("offer_id", ref(lines["offer"])),
        ("product_id", ref(lines["product"])), ("quantity", ints(lines["quantity"])),
        ("unit_price", money(lines["unit_price"])), ("flash_sale_id", ref(lines["flash_sale"])),
        ("fulfilled_at", times(lines["fulfilled"])),
    ])


def seller_product_sales(plan: Plan) -> Table:
    """The per-seller sales summary of migration 0030 (kept by a trigger on
    order_lines, which is off during the load)."""
    summary = plan.seller_sales
    return Table("seller_product_sales", len(summary["seller"]), [
        ("seller_id", ref(summary["seller"])), ("product_id", ref(summary["product"])),
        ("category_id", ref(summary["category"])), ("units", ints(summary["units"])),
        ("revenue", money(summary["revenue"])),
    ], optional=True)


def reviews(plan: Plan, table: str) -> Table:
    """product_reviews or seller_reviews: a title (or none) and one to three
    sentences that match the stars."""
    if table == "product_reviews":
        written, subject, title_lists, sentence_lists = (plan.reviews, "product_id", REVIEW_TITLES,
                                                         REVIEW_SENTENCES)
    else:
        written, subject, title_lists, sentence_lists = (plan.seller_reviews, "seller_id", SELLER_TITLES,
                                                         SELLER_SENTENCES)
    titles, title_at, title_count = flat(title_lists)
    sentences, sentence_at, sentence_count = flat(sentence_lists)
    spaced = cb.Pool(f" {s}" for lists in sentence_lists for s in lists)
    star = written["rating"] - 1

    def title(part):
        pick = title_at[star[part]] + written["text"][part, 0] % title_count[star[part]]
        return quoted(cb.pooled(titles, pick, null=~written["has_title"][part]))

    def body(part):
        # Consecutive sentences of the rating's list, so never one twice.
        at, count = sentence_at[star[part]], sentence_count[star[part]]
        first = written["text"][part, 1] % count
        fields = [cb.pooled(sentences, at + first)]
        for extra in (1, 2):
            fields.append(cb.pooled(spaced, at + (first + extra) % count,
                                    null=written["sentences"][part] <= extra))
        return quoted(*fields)

    return Table(table, len(written["author"]), [
        ("id", ids), (subject, ref(written["subject"])), ("author_id", ref(written["author"])),
        ("rating", ints(written["rating"])), ("title", title), ("body", body),
        ("created_at", times(written["created"])), ("updated_at", times(written["updated"])),
    ])


LEDGER_COLUMNS = ["id", "user_id", "kind", "amount", "balance_after", "purchase_id", "created_at"]


def ledger_entries(plan: Plan) -> Deferred:
    """The ledger, planned when its rows are first read."""
    def build() -> Table:
        ledger = plan.ledger()
        kinds = cb.Pool(KINDS)
        return Table("ledger_entries", len(ledger["user"]), list(zip(LEDGER_COLUMNS, [
            ids, ref(ledger["user"]), lambda part: cb.pooled(kinds, ledger["kind"][part]),
            lambda part: cb.money(ledger["amount"][part]), money(ledger["balance_after"]),
            ref(ledger["purchase"]), times(ledger["time"])], strict=True)))

    return Deferred("ledger_entries", LEDGER_COLUMNS, build)
