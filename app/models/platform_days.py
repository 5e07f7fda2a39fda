"""Daily platform figures for the console's charts: sales, orders, new
sellers and buyers per day, and sales per category.

A closed day (before today, UTC) is summarized once into platform_days and
platform_category_days (0111_platform_days) by the periodic job
summarize_platform_days just after midnight (app/jobs.py), or by the first
chart that asks for it, then read from there: a chart of 30 days reads 30 small rows
whatever the number of order lines. Summarizing one day reads that day's
purchases through purchases_created, their orders and lines by key, and
that day's sign-ups through users_created: a day's worth of rows, never a
table. Today is summed live the same way. Two requests summarizing the
same day at once both compute it; ON CONFLICT keeps the first."""
from datetime import date, timedelta

from .. import db
from .order_state import STATE_LABELS, STATES

# The bounds are parameters, not a CTE: with values the planner can see, it
# reads each day through purchases_created and users_created (a CTE's
# bounds hid them and it chose to scan: 3.6 s a day at the large preset).
_IN_DAY = "{column} >= %(day)s::timestamptz AND {column} < %(next)s::timestamptz"
_DAY = f"""
    SELECT (SELECT count(*) FROM purchases p WHERE {_IN_DAY.format(column="p.created_at")}) AS purchases,
           (SELECT coalesce(sum(p.total), 0) FROM purchases p
             WHERE {_IN_DAY.format(column="p.created_at")}) AS revenue,
           (SELECT count(*) FROM purchases p JOIN orders o ON o.purchase_id = p.id
             WHERE {_IN_DAY.format(column="p.created_at")}) AS orders,
           count(u.id) AS new_users,
           count(u.id) FILTER (WHERE EXISTS (SELECT 1 FROM offers f
               WHERE f.seller_id = u.id AND f.created_at < %(next)s::timestamptz)) AS new_sellers,
           count(u.id) FILTER (WHERE EXISTS (SELECT 1 FROM orders o
               WHERE o.buyer_id = u.id AND o.created_at < %(next)s::timestamptz)) AS new_buyers
    FROM users u WHERE {_IN_DAY.format(column="u.created_at")}"""

_CATEGORIES = """SELECT pr.category_id, sum(l.quantity) AS units, sum(l.quantity * l.unit_price) AS revenue
                 FROM purchases p JOIN orders o ON o.purchase_id = p.id
                 JOIN order_lines l ON l.order_id = o.id JOIN products pr ON pr.id = l.product_id
                 WHERE p.created_at >= %(day)s::timestamptz AND p.created_at < %(next)s::timestamptz
                 GROUP BY pr.category_id"""


def _bounds(day: date) -> dict:
    # Days are UTC days; the bounds carry their offset, whatever the session time zone.
    return {"day": day.isoformat() + " 00:00+00", "next": (day + timedelta(days=1)).isoformat() + " 00:00+00"}


def _summarize(day: date) -> None:
    bounds = _bounds(day)
    with db.transaction():
        figures = db.query_one(_DAY, bounds)
        inserted = db.execute(
            """INSERT INTO platform_days (day, purchases, orders, revenue, new_users, new_sellers, new_buyers)
               VALUES (%(day_date)s, %(purchases)s, %(orders)s, %(revenue)s, %(new_users)s, %(new_sellers)s,
                       %(new_buyers)s)
               ON CONFLICT (day) DO NOTHING""", {**figures, "day_date": day})
        if inserted:
            db.execute(f"""INSERT INTO platform_category_days (day, category_id, units, revenue)
                           SELECT %(day_date)s, category_id, units, revenue FROM ({_CATEGORIES}) c""",
                       {**bounds, "day_date": day})


def _ensure(days: list[date]) -> None:
    """Summarize the closed days among `days` that are not yet."""
    closed = [day for day in days if day < db.query_value("SELECT (now() AT TIME ZONE 'UTC')::date")]
    if not closed:
        return
    done = {row["day"] for row in db.query("SELECT day FROM platform_days WHERE day = ANY(%s)", (closed,))}
    for day in closed:
        if day not in done:
            _summarize(day)


def daily(days: int) -> list[dict]:
    """The last `days` days, oldest first, today included (live): day,
    purchases, orders, revenue, new_users, new_sellers, new_buyers."""
    today = db.query_value("SELECT (now() AT TIME ZONE 'UTC')::date")
    wanted = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    _ensure(wanted)
    rows = {row["day"]: row for row in db.query(
        """SELECT day, purchases, orders, revenue, new_users, new_sellers, new_buyers FROM platform_days
           WHERE day >= %s ORDER BY day""", (wanted[0],))}
    rows[today] = {"day": today, **db.query_one(_DAY, _bounds(today))}
    return [rows[day] for day in wanted]


def top_categories(days: int, limit: int = 10) -> list[dict]:
    """The categories that sold the most over the last `days` closed days
    plus today: category, units, total."""
    today = db.query_value("SELECT (now() AT TIME ZONE 'UTC')::date")
    _ensure([today - timedelta(days=n) for n in range(days - 1, 0, -1)])
    return db.query(
        f"""SELECT coalesce(c.name, 'Merged category #' || s.category_id) AS category,
                   sum(s.units)::bigint AS units, sum(s.revenue) AS total
            FROM (SELECT category_id, units, revenue FROM platform_category_days WHERE day > %(first)s
                  UNION ALL
                  SELECT category_id, units, revenue FROM ({_CATEGORIES}) live) s
            LEFT JOIN categories c ON c.id = s.category_id
            GROUP BY s.category_id, c.name ORDER BY total DESC, category LIMIT %(limit)s""",
        {**_bounds(today), "first": today - timedelta(days=days), "limit": limit})


def orders_by_state(days: list[dict]) -> list[dict]:
    """The orders placed on `days` (rows of daily(), today's live) by the
    state they are in now: state, label, orders, one row per state. The
    states other than delivered are counted live, an index-only range scan
    of orders_created_undelivered (0114: open and cancelled orders only);
    delivered ones are the days' orders less those."""
    counts = {row["state"]: row["orders"] for row in db.query(
        """SELECT state, count(*) AS orders FROM orders
           WHERE created_at >= %(day)s::timestamptz AND state <> 'delivered' GROUP BY state""",
        _bounds(days[0]["day"]))}
    counts["delivered"] = sum(day["orders"] for day in days) - sum(counts.values())
    return [{"state": state, "label": STATE_LABELS[state], "orders": counts.get(state, 0)}
            for state in STATES]
