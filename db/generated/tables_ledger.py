"""The CSV form of the ledger (planned in plan_ledger.py)."""
from . import csvbytes as cb
from .columns import Deferred, Table, ids, money, ref, times
from .plan import Plan
from .plan_ledger import KINDS

LEDGER_COLUMNS = ["id", "user_id", "kind", "amount", "balance_after", "purchase_id", "created_at", "order_id"]


def ledger_entries(plan: Plan, table: str) -> Deferred:
    """The ledger, planned when its rows are first read."""
    def build() -> Table:
        ledger = plan.ledger()
        kinds = cb.Pool(KINDS)
        return Table(table, len(ledger["user"]), list(zip(LEDGER_COLUMNS, [
            ids, ref(ledger["user"]), lambda part: cb.pooled(kinds, ledger["kind"][part]),
            lambda part: cb.money(ledger["amount"][part]), money(ledger["balance_after"]),
            ref(ledger["purchase"]), times(ledger["time"]), ref(ledger["order"])], strict=True)))

    return Deferred(table, LEDGER_COLUMNS, build)
