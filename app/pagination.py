"""Page numbers from the query string, and pages of rows.

Lists fetch per_page + 1 rows: the extra row only says whether a next page
exists, so no list ever needs a COUNT over a large table."""
from dataclasses import dataclass

from flask import abort, request

MAX_PAGE = 1000


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.number > 1


def paginate(rows: list, number: int, per_page: int) -> Page:
    """Wrap rows fetched with LIMIT per_page + 1 into a Page."""
    return Page(items=rows[:per_page], number=number, per_page=per_page, has_next=len(rows) > per_page)


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
