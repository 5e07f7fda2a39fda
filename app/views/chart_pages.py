"""What the buyer's and the seller's analytics pages share: each chart is an
SVG beside a table with the same numbers.

A chart's URL carries its data key (?v=...), so the browser may keep it for
long: when the numbers change, the page links a new URL. The chart endpoint
answers If-None-Match with a 304 without drawing anything."""
from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user, login_required

from .. import charts
from ..charts import ChartSpec

LONG_CACHE = "private, max-age=31536000, immutable"
REVALIDATE = "private, no-cache"


def month_labels(rows) -> tuple[str, ...]:
    """Short axis labels: "Jan", with the year under the first month and every January."""
    return tuple(r["month"].strftime("%b\n%Y" if n == 0 or r["month"].month == 1 else "%b")
                 for n, r in enumerate(rows))


def money_values(rows, key="total") -> tuple[float, ...]:
    # Floats only to draw bars; the tables show the exact Decimal amounts.
    return tuple(float(row[key]) for row in rows)


def month_chart(title: str, rows: list, empty_message: str) -> tuple[list, ChartSpec]:
    """(rows, spec) of an amount per month: vertical bars."""
    return rows, ChartSpec(title, month_labels(rows), money_values(rows), empty_message=empty_message)


def category_chart(title: str, rows: list, empty_message: str) -> tuple[list, ChartSpec]:
    """(rows, spec) of an amount per category: horizontal bars, amounts labelled."""
    return rows, ChartSpec(title, tuple(r["category"] for r in rows), money_values(rows), horizontal=True,
                           value_format="{:,.2f}", empty_message=empty_message)


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


def sections(charts_by_name: dict, endpoint: str, user_id: int) -> tuple[dict, dict]:
    """({variable name: table rows}, {chart name: versioned URL or None when empty}).
    Each chart function returns (the rows for the table, the chart's ChartSpec)."""
    built = {name: chart(user_id) for name, chart in charts_by_name.items()}
    urls = {name: None if spec.empty else url_for(endpoint, name=name, v=spec.key)
            for name, (_, spec) in built.items()}
    return {name.replace("-", "_"): rows for name, (rows, _) in built.items()}, urls



def blueprint(name: str, url_prefix: str, charts_by_name: dict, template: str) -> Blueprint:
    """The blueprint of an analytics page of the logged-in user: the page at
    the prefix (every chart with its table) and each chart at <name>.svg."""
    bp = Blueprint(name, __name__, url_prefix=url_prefix)

    @bp.before_request
    @login_required
    def require_login():
        """Everyone sees only their own numbers."""

    @bp.route("")
    def index():
        data, urls = sections(charts_by_name, ".chart", current_user.id)
        return render_template(template, charts=urls, **data)

    @bp.route("/<name>.svg")
    def chart(name: str) -> Response:
        if name not in charts_by_name:
            abort(404, description="There is no such chart.")
        return chart_response(charts_by_name[name](current_user.id)[1])

    return bp
