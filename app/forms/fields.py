"""The custom form fields every area shares: cleaned text, money, whole
numbers and ids, dates, a category and a star rating.

Text: every text a form reads goes through `clean_text` (the CleanText
fields, and the search boxes through app/views/helpers.search_arg), so what
form text may hold is decided here and nowhere else."""
from datetime import datetime
from decimal import Decimal

from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import TextArea

from .. import zones
from ..ids import MAX_ID
from ..money import MoneyFormatError, format_money, parse_money

MAX_MONEY = Decimal("1000000.00")
# The longest search box text (catalog, inventory, sales, purchases, API).
MAX_QUERY = 200
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
    """An amount of money typed with a decimal point or comma (app.money
    reads it, refusing ambiguous input): positive, at most two decimals, at
    most MAX_MONEY. Kept as text so a wrong value is shown back exactly as
    typed."""

    def __init__(self, label=None, validators=None, maximum: Decimal = MAX_MONEY, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.maximum = maximum
        self.amount: Decimal | None = None

    def pre_validate(self, form):
        self.amount = None
        try:
            amount = parse_money(self.data or "")
        except MoneyFormatError as exc:
            raise ValidationError(str(exc)) from exc
        if amount <= 0:
            raise ValidationError("The amount must be more than 0.")
        if amount > self.maximum:
            raise ValidationError(f"The amount can be at most {format_money(self.maximum)}.")
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


class LocalDateTimeField(StringField):
    """A date and time typed in the form's time zone (form.zone) as
    2026-11-21T14:05 (what a datetime-local input sends) or 2026-11-21 14:05
    (how times are shown); kept as text so bad input is shown back.
    `moment` is the aware datetime."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, render_kw={"type": "datetime-local"}, **kwargs)
        self.moment: datetime | None = None

    def pre_validate(self, form):
        self.moment = None
        text = clean_text(self.data or "")
        if not text:
            raise ValidationError("Enter a date and time.")
        try:
            self.moment = zones.parse_local(text, form.zone)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


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
