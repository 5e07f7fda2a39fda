"""/ops/charts: the platform over the last 30 days (sales per day, orders
per day, new sellers and buyers, top categories, orders by state now),
each chart beside a
table with its numbers, drawn like the other analytics pages
(views/chart_pages.py) from the daily summaries of models/platform_days."""
from flask import abort, render_template, url_for

from ...charts import ChartSpec
from ...models import platform_days
from ..chart_pages import chart_response, money_values
from . import console_blueprint

bp = console_blueprint("charts", "/charts")
DAYS = 30


def _labels(rows) -> tuple[str, ...]:
    """Day of the month; the month too under the first bar and every 1st."""
    return tuple(r["day"].strftime("%d\n%b" if n == 0 or r["day"].day == 1 else "%d")
                 for n, r in enumerate(rows))


def _sales(days=None):
    rows = days or platform_days.daily(DAYS)
    return rows, ChartSpec("Sales per day", _labels(rows), money_values(rows, "revenue"),
                           empty_message="No sales in the last 30 days.")


def _orders(days=None):
    rows = days or platform_days.daily(DAYS)
    return rows, ChartSpec("Orders per day", _labels(rows), tuple(float(r["orders"]) for r in rows),
                           empty_message="No orders in the last 30 days.")


def _newcomers(days=None):
    rows = days or platform_days.daily(DAYS)
    return rows, ChartSpec("New sellers per day", _labels(rows), tuple(float(r["new_sellers"]) for r in rows),
                           empty_message="No new sellers in the last 30 days.")


def _categories(_):
    rows = platform_days.top_categories(DAYS)
    return rows, ChartSpec("Top categories", tuple(r["category"] for r in rows), money_values(rows),
                           horizontal=True, value_format="{:,.2f}", empty_message="No sales yet.")


def _states(days=None):
    rows = platform_days.orders_by_state(days or platform_days.daily(DAYS))
    return rows, ChartSpec("Orders of the last 30 days by state now", tuple(r["label"] for r in rows),
                           tuple(float(r["orders"]) for r in rows), horizontal=True,
                           empty_message="No orders in the last 30 days.")


CHARTS = {"sales": _sales, "orders": _orders, "new-sellers": _newcomers, "categories": _categories,
          "states": _states}


@bp.route("/")
def index():
    days = platform_days.daily(DAYS)
    categories, category_spec = _categories(None)
    states, state_spec = _states(days)  # the days are read once for every chart of the page
    specs = {"sales": _sales(days)[1], "orders": _orders(days)[1], "new-sellers": _newcomers(days)[1],
             "categories": category_spec, "states": state_spec}
    urls = {name: None if spec.empty else url_for(".chart", name=name, v=spec.key)
            for name, spec in specs.items()}
    return render_template("ops/charts.html", days=days, categories=categories, states=states, charts=urls)


@bp.route("/<name>.svg")
def chart(name: str):
    if name not in CHARTS:
        abort(404, description="There is no such chart.")
    return chart_response(CHARTS[name](None)[1])
