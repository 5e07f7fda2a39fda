"""The custom form fields every area shares: cleaned text, money, whole
numbers and ids, dates, a category and a star rating.

Text: every text a form reads goes through `clean_text` (the CleanText
fields, and the search boxes through app/views/helpers.search_arg), so what
form text may hold is decided here and nowhere else."""
import re
from datetime import UTC, datetime
from decimal import Decimal

from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import TextArea

from ..ids import MAX_ID

MAX_MONEY = Decimal("1000000.00")
# The longest search box text (catalog, inventory, sales, purchases, API).
MAX_QUERY = 200
_AMOUNT = re.compile(r"^-?[0-9]+(\.[0-9]*)?$|^-?\.[0-9]+$")
# What datetime-local inputs send (seconds only when a step asks for them).
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")
STAR_CHOICES = [SelectChoice(value, label) for value, label in (
    ("", "Choose a rating"), ("5", "5 stars: excellent"), ("4", "4 stars: good"), ("3", "3 stars: fair"),
    ("2", "2 stars: poor"), ("1", "1 star: bad"))]


def clean_text(text):
    """Trimmed text without NUL characters (PostgreSQL text cannot hold them)."""
    return text.replace("\x00", "").strip() if isinstance(text, str) else text


class CleanTextField(StringField):
    """One line of text, cleaned by clean_text before it is validated."""

    def __init__(self, label=None, validators=None, filters=(), **kwargs):
        super().__init__(label, validators, filters=(clean_text, *filters), **kwargs)


class CleanTextAreaField(CleanTextField):
    """Several lines of text, cleaned by clean_text."""

    widget = TextArea()


class MoneyField(StringField):
    """An amount of money: positive, at most two decimals, at most MAX_MONEY.
    Kept as text so a wrong value is shown back exactly as typed."""

    def __init__(self, label=None, validators=None, maximum: Decimal = MAX_MONEY, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.maximum = maximum
        self.amount: Decimal | None = None

    def pre_validate(self, form):
        text = (self.data or "").strip().replace(",", "")
        self.amount = None
        if not text:
            raise ValidationError("Enter an amount.")
        if len(text) > 20 or not _AMOUNT.match(text):
            raise ValidationError("Enter an amount as a number, like 12.50.")
        amount = Decimal(text)
        if amount.as_tuple().exponent < -2:
            raise ValidationError("Use at most 2 decimals.")
        if amount <= 0:
            raise ValidationError("The amount must be more than 0.")
        if amount > self.maximum:
            raise ValidationError(f"The amount can be at most {self.maximum:,}.")
        self.amount = amount.quantize(Decimal("0.01"))


class OptionalMoneyField(MoneyField):
    """A MoneyField that may be left empty (amount None)."""

    def pre_validate(self, form):
        if not (self.data or "").strip():
            self.amount = None
            return
        super().pre_validate(form)


class IntegerText(StringField):
    """A whole number in a range, kept as text so bad input is shown back."""

    def __init__(self, label=None, validators=None, minimum: int = 0, maximum: int = 1_000_000, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum
        self.number: int | None = None

    def pre_validate(self, form):
        text = (self.data or "").strip()
        self.number = None
        if not text:
            raise ValidationError("Enter a number.")
        if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 12:
            raise ValidationError("Enter a whole number, like 3.")
        number = int(text)
        if not self.minimum <= number <= self.maximum:
            raise ValidationError(f"Enter a number from {self.minimum:,} to {self.maximum:,}.")
        self.number = number


class IdField(IntegerText):
    """A database id (1 to MAX_ID), e.g. the offer of an "Add to cart" form."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, minimum=1, maximum=MAX_ID, **kwargs)


class DayField(DateField):
    """A date typed as 2026-01-31, with a message that says so."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Enter a date like 2026-01-31.") from exc


class UtcDateTimeField(StringField):
    """A date and time in UTC, typed as 2026-11-21T14:05 (what a
    datetime-local input sends); kept as text so bad input is shown back."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, render_kw={"type": "datetime-local"}, **kwargs)
        self.moment: datetime | None = None

    def pre_validate(self, form):
        text = (self.data or "").strip()
        self.moment = None
        if not text:
            raise ValidationError("Enter a date and time.")
        for pattern in DATETIME_FORMATS:
            try:
                self.moment = datetime.strptime(text, pattern).replace(tzinfo=UTC)
                return
            except ValueError:
                continue
        raise ValidationError("Enter a date and time like 2026-11-21T14:05.")


class CategoryField(SelectField):
    """A category chosen by id; the view fills choices. category_id is the
    chosen id once valid."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.category_id: int | None = None

    def pre_validate(self, form):
        valid = {choice.value for choice in self.choices or [] if choice.value}
        self.category_id = int(self.data) if self.data in valid else None
        if self.category_id is None:
            raise ValidationError("Choose a category.")


class StarsField(SelectField):
    """A rating from 1 to 5; anything else (0, 6, 'abc', nothing) gets one clear message."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, choices=STAR_CHOICES, **kwargs)
        self.stars: int | None = None

    def pre_validate(self, form):
        text = (self.data or "").strip()
        self.stars = int(text) if text in {"1", "2", "3", "4", "5"} else None
        if self.stars is None:
            raise ValidationError("Choose a rating from 1 to 5 stars.")
