"""Buyer analytics (/account/analytics) and seller analytics (/sell/analytics):
each chart is an SVG beside a table with the same numbers.

A chart's URL carries its data key (?v=...), so the browser may keep it for
long: when the numbers change, the page links a new URL. The chart endpoint
answers If-None-Match with a 304 without drawing anything."""
from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user, login_required

from .. import charts
from ..charts import ChartSpec
from ..models import analytics
from ..models import review as reviews

bp = Blueprint("analytics", __name__)
LONG_CACHE = "private, max-age=31536000, immutable"
REVALIDATE = "private, no-cache"


def _month_labels(rows) -> tuple[str, ...]:
    """Short axis labels: "Jan", with the year under the first month and every January."""
    return tuple(r["month"].strftime("%b\n%Y" if n == 0 or r["month"].month == 1 else "%b")
                 for n, r in enumerate(rows))


def _money_values(rows, key="total") -> tuple[float, ...]:
    # Floats only to draw bars; the tables show the exact Decimal amounts.
    return tuple(float(row[key]) for row in rows)


# Each chart function returns (the rows for the table, the chart's ChartSpec):
# the page shows both, the chart endpoint draws the spec.

def buyer_by_month(user_id: int):
    rows = analytics.buyer_spending_by_month(user_id)
    return rows, ChartSpec("Spending by month", _month_labels(rows),
                           _money_values(rows), empty_message="No purchases in the last 12 months")


def buyer_by_category(user_id: int):
    rows = analytics.buyer_spending_by_category(user_id)
    return rows, ChartSpec("Spending by category", tuple(r["category"] for r in rows), _money_values(rows),
                           horizontal=True, value_format="{:,.2f}", empty_message="No purchases yet")


def seller_by_month(user_id: int):
    rows = analytics.seller_revenue_by_month(user_id)
    return rows, ChartSpec("Revenue by month", _month_labels(rows),
                           _money_values(rows), empty_message="No sales in the last 12 months")


def seller_by_category(user_id: int):
    rows = analytics.seller_sales_by_category(user_id)
    return rows, ChartSpec("Revenue by category", tuple(r["category"] for r in rows), _money_values(rows),
                           horizontal=True, value_format="{:,.2f}", empty_message="No sales yet")


def seller_best_products(user_id: int):
    rows = analytics.seller_best_products(user_id)
    return rows, ChartSpec("Best-selling products (units)", tuple(r["product"] for r in rows),
                           tuple(float(r["units"]) for r in rows), horizontal=True,
                           empty_message="No sales yet")


def seller_ratings(user_id: int):
    summary = reviews.summary(reviews.SELLER, user_id)
    return summary, ChartSpec("Your ratings (stars)", tuple(f"{row['stars']} ★" for row in summary["hist"]),
                              tuple(float(row["count"]) for row in summary["hist"]), horizontal=True,
                              empty_message="No ratings yet")


BUYER_CHARTS = {"spending-by-month": buyer_by_month, "spending-by-category": buyer_by_category}
SELLER_CHARTS = {"revenue-by-month": seller_by_month, "sales-by-category": seller_by_category,
                 "best-products": seller_best_products, "ratings": seller_ratings}


def _chart_url(endpoint: str, name: str, spec: ChartSpec) -> str:
    return url_for(endpoint, name=name, v=spec.key)


def _not_modified(key: str) -> bool:
    # flask-compress stores a compressed body's ETag as "key:br" / "key:gzip".
    return any(tag.split(":", 1)[0] == key for tag in request.if_none_match.as_set())


def chart_response(spec: ChartSpec) -> Response:
    """The chart as SVG with an ETag (its data key); 304 when the client has it."""
    cache_control = LONG_CACHE if request.args.get("v") == spec.key else REVALIDATE
    if _not_modified(spec.key):
        response = Response(status=304)
    else:
        response = Response(charts.render_svg(spec), mimetype="image/svg+xml")
    response.set_etag(spec.key)
    response.headers["Cache-Control"] = cache_control
    return response


def _sections(charts_by_name: dict, endpoint: str, user_id: int) -> tuple[dict, dict]:
    """({variable name: table rows}, {chart name: versioned URL or None when empty})."""
    sections = {name: chart(user_id) for name, chart in charts_by_name.items()}
    urls = {name: None if spec.empty else _chart_url(endpoint, name, spec)
            for name, (_, spec) in sections.items()}
    return {name.replace("-", "_"): rows for name, (rows, _) in sections.items()}, urls


@bp.route("/account/analytics")
@login_required
def buyer():
    data, urls = _sections(BUYER_CHARTS, "analytics.buyer_chart", current_user.id)
    return render_template("analytics/buyer.html", charts=urls, **data)


@bp.route("/account/analytics/<name>.svg")
@login_required
def buyer_chart(name: str):
    if name not in BUYER_CHARTS:
        abort(404, description="There is no such chart.")
    return chart_response(BUYER_CHARTS[name](current_user.id)[1])


@bp.route("/sell/analytics")
@login_required
def seller():
    data, urls = _sections(SELLER_CHARTS, "analytics.seller_chart", current_user.id)
    return render_template("analytics/seller.html", charts=urls, **data)


@bp.route("/sell/analytics/<name>.svg")
@login_required
def seller_chart(name: str):
    if name not in SELLER_CHARTS:
        abort(404, description="There is no such chart.")
    return chart_response(SELLER_CHARTS[name](current_user.id)[1])
