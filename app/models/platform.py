"""The platform as the operator console sees it: a few figures of orders,
money and sellers for the dashboard. Each figure is an index range (recent
purchases, recent sign-ups, the partial indexes of moderation) or the
planner's row estimate, so the dashboard costs the same at any size."""
from .. import db


def dashboard() -> dict:
    """Figures of the last day and week, and what moderation holds now."""
    figures = db.query_one(
        """SELECT (SELECT count(*) FROM purchases
                    WHERE created_at > now() - interval '1 day') AS purchases_day,
                  (SELECT coalesce(sum(total), 0) FROM purchases
                    WHERE created_at > now() - interval '1 day') AS revenue_day,
                  (SELECT count(*) FROM purchases
                    WHERE created_at > now() - interval '7 days') AS purchases_week,
                  (SELECT coalesce(sum(total), 0) FROM purchases
                    WHERE created_at > now() - interval '7 days') AS revenue_week,
                  (SELECT count(*) FROM users WHERE created_at > now() - interval '7 days') AS new_users_week,
                  (SELECT count(*) FROM flash_sales
                    WHERE ends_at > now() AND starts_at <= now()) AS live_sales,
                  (SELECT count(*) FROM users WHERE suspended_at IS NOT NULL) AS suspended_users,
                  (SELECT count(*) FROM products WHERE hidden_reason IS NOT NULL) AS hidden_products,
                  (SELECT count(*) FROM offers WHERE hidden_reason IS NOT NULL) AS hidden_offers,
                  (SELECT count(*) FROM users WHERE is_operator) AS operators""")
    estimates = db.query(
        """SELECT relname, greatest(reltuples, 0)::bigint AS rows FROM pg_class
           WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace
             AND relname IN ('users', 'products', 'offers', 'orders', 'order_lines')""")
    figures["estimates"] = {row["relname"]: row["rows"] for row in estimates}
    return figures


def live_sale_units(limit: int = 200) -> list[dict]:
    """Each live flash sale's id and units left (index flash_sales_ends)."""
    return db.query("""SELECT id, sale_units_left(s) AS units_left FROM flash_sales s
                       WHERE ends_at > now() AND starts_at <= now() ORDER BY id LIMIT %s""", (limit,))


def job_queue_counts() -> dict[str, int]:
    """Jobs of the background queue (app/jobs.py) waiting, running and given
    up, by status; empty before the queue's tables exist."""
    if not db.query_value("SELECT to_regclass('procrastinate_jobs') IS NOT NULL"):
        return {}
    rows = db.query("""SELECT status::text AS status, count(*) AS n FROM procrastinate_jobs
                       WHERE status IN ('todo', 'doing', 'failed') GROUP BY status""")
    return {row["status"]: row["n"] for row in rows}


def replica_lag() -> list[dict]:
    """Each streaming replica's replay lag in seconds, as the primary sees
    it (empty without replicas)."""
    return db.query("""SELECT application_name AS replica,
                              coalesce(extract(epoch FROM replay_lag), 0)::float AS seconds
                       FROM pg_stat_replication ORDER BY application_name""")
