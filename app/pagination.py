"""Page numbers from the query string, and pages of rows.

Lists fetch per_page + 1 rows: the extra row only says whether a next page
exists, so no list ever needs a COUNT over a large table."""
from dataclasses import dataclass

from flask import abort, request

MAX_PAGE = 1000


@dataclass
class Page:
    """One page of a list. `total` is how many items the whole list has
    (None: not counted), `exact` whether that is a count or an estimate,
    and `last_number` the last page the list lets anyone reach."""

    items: list
    number: int
    per_page: int
    has_next: bool
    total: int | None = None
    exact: bool = True
    max_items: int | None = None

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def first_item(self) -> int:
        return (self.number - 1) * self.per_page + 1

    @property
    def last_item(self) -> int:
        return self.first_item + len(self.items) - 1

    @property
    def shown_total(self) -> int | None:
        """The total as a list says it: exact, or an estimate to three
        significant digits ("about 12,400")."""
        if self.total is None or self.exact or self.total < 1000:
            return self.total
        step = 10 ** (len(str(self.total)) - 3)
        return round(self.total / step) * step

    @property
    def last_number(self) -> int | None:
        if self.total is None:
            return None
        reachable = self.total if self.max_items is None else min(self.total, self.max_items)
        return max(1, -(-reachable // self.per_page), self.number if self.items else 1)

    def numbers(self, around: int = 2) -> list[int | None]:
        """Page numbers to link to: the first, the last, and `around` either
        side of this one; None stands for a gap ("…")."""
        last = self.last_number or (self.number + 1 if self.has_next else self.number)
        shown = sorted({1, last, *range(max(1, self.number - around), min(last, self.number + around) + 1)})
        numbers: list[int | None] = []
        for n in shown:
            if numbers and n - numbers[-1] > 1:
                numbers.append(None if n - numbers[-1] > 2 else n - 1)
            numbers.append(n)
        return numbers


def paginate(rows: list, number: int, per_page: int, count: tuple[int, bool] | None = None,
             max_items: int | None = None) -> Page:
    """Wrap rows fetched with LIMIT per_page + 1 into a Page. `count` is
    (total, exact) as db.count_about() gives it; the page corrects it with
    what it saw (the last page knows the exact total). `max_items` bounds
    how deep the list goes: no next page past it."""
    items, has_next = rows[:per_page], len(rows) > per_page
    if max_items is not None and number * per_page >= max_items:
        has_next = False
    total, exact = count if count is not None else (None, True)
    if total is not None:
        seen = (number - 1) * per_page + len(items)
        if not has_next and len(rows) <= per_page and (items or number == 1):
            total, exact = seen, True
        elif total <= seen:
            total, exact = seen + (1 if len(rows) > per_page else 0), False
    return Page(items=items, number=number, per_page=per_page, has_next=has_next, total=total, exact=exact,
                max_items=max_items)


def page_arg(name: str = "page") -> int:
    """The page number from the query string; a 400 with a clear message when
    it is not a whole number from 1 to MAX_PAGE."""
    raw = request.args.get(name, "1").strip() or "1"
    if not is_small_int(raw) or not 1 <= int(raw) <= MAX_PAGE:
        abort(400, description=f"The page number must be a whole number from 1 to {MAX_PAGE}.")
    return int(raw)


def is_small_int(text: str, digits: int = 9) -> bool:
    """True for plain ASCII digits short enough to parse cheaply and safely."""
    return text.isascii() and text.isdigit() and len(text) <= digits
