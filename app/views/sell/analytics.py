"""Seller analytics (/sell/analytics): revenue by month and by category,
best-selling products, ratings."""
from ...charts import ChartSpec
from ...models import analytics
from ...models import review as reviews
from .. import chart_pages


def by_month(user_id: int):
    return chart_pages.month_chart("Revenue by month", analytics.seller_revenue_by_month(user_id),
                                   "No sales in the last 12 months")


def by_category(user_id: int):
    return chart_pages.category_chart("Revenue by category", analytics.seller_sales_by_category(user_id),
                                      "No sales yet")


def best_products(user_id: int):
    rows = analytics.seller_best_products(user_id)
    return rows, ChartSpec("Best-selling products (units)", tuple(r["product"] for r in rows),
                           tuple(float(r["units"]) for r in rows), horizontal=True,
                           empty_message="No sales yet")


def ratings(user_id: int):
    summary = reviews.summary(reviews.SELLER, user_id)
    return summary, ChartSpec("Your ratings (stars)", tuple(f"{row['stars']} ★" for row in summary["hist"]),
                              tuple(float(row["count"]) for row in summary["hist"]), horizontal=True,
                              empty_message="No ratings yet")


CHARTS = {"revenue-by-month": by_month, "sales-by-category": by_category,
          "best-products": best_products, "ratings": ratings}

bp = chart_pages.blueprint("sell_analytics", "/sell/analytics", CHARTS, "sell/analytics.html")
