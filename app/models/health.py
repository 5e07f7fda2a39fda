"""The readiness check's one query."""
from .. import db


def database_answers() -> None:
    """Run a trivial query; raises when the database cannot be reached."""
    db.query_value("SELECT 1")
