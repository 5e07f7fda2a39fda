"""What tests share besides fixtures: test data written with plain SQL
(independent of the code under test), logging in, the JSON API's tokens and
error shape, the database invariants, and a counter of SQL statements.

    from tests.support import PASSWORD, add_offer, assert_invariants
"""
from .accounts import PASSWORD, log_in
from .api import assert_error, auth, bearer, get_token
from .catalog import add_category, add_offer, add_product, count_statements, rows, value
from .invariants import assert_invariants, violations
from .purchases import make_purchase

__all__ = ["PASSWORD", "add_category", "add_offer", "add_product", "assert_error", "assert_invariants",
           "auth", "bearer", "count_statements", "get_token", "log_in", "make_purchase", "rows", "value",
           "violations"]
