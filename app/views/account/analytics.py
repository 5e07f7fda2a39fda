"""Buyer analytics (/account/analytics): spending by month and by category."""
from ...models import analytics
from .. import chart_pages


def by_month(user_id: int):
    return chart_pages.month_chart("Spending by month", analytics.buyer_spending_by_month(user_id),
                                   "No purchases in the last 12 months")


def by_category(user_id: int):
    return chart_pages.category_chart("Spending by category", analytics.buyer_spending_by_category(user_id),
                                      "No purchases yet")


CHARTS = {"spending-by-month": by_month, "spending-by-category": by_category}

bp = chart_pages.blueprint("account_analytics", "/account/analytics", CHARTS, "account/analytics.html")
