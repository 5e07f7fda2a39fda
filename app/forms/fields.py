"""The custom form fields every area shares: cleaned text, money, whole
numbers and ids, dates, a category and a star rating.

Text: every field that reads text is a TextField (a StorableText), which
refuses text PostgreSQL cannot store (NUL, lone surrogates) with a field
error before any other check, so such text never reaches a query; the
CleanText fields also trim it. Search boxes read outside forms go through
`clean_text` (app/views/helpers.search_arg). What form text may hold is
decided here and nowhere else (tests/test_form_fuzz.py walks every form to
keep it so)."""
from datetime import datetime
from decimal import Decimal

from wtforms import DateField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import TextArea

from .. import zones
from ..ids import MAX_ID
from ..money import format_money, parse_money

MAX_MONEY = Decimal("1000000.00")
# The longest search box text (catalog, inventory, sales, purchases, API).
MAX_QUERY = 200
STAR_CHOICES = [SelectChoice(value, label) for value, label in (
    ("", "Choose a rating"), ("5", "5 stars: excellent"), ("4", "4 stars: good"), ("3", "3 stars: fair"),
    ("2", "2 stars: poor"), ("1", "1 star: bad"))]


CANNOT_STORE = "This text has a character that is not allowed (a NUL byte). Remove it and try again."


def is_storable_text(text: str) -> bool:
    """False for text PostgreSQL cannot hold: NUL, or lone surrogates (which
    JSON allows but UTF-8 does not)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def clean_text(text):
    """Trimmed text without NUL characters, for search boxes read outside a
    form: there a NUL is dropped rather than refused."""
    return text.replace("\x00", "").strip() if isinstance(text, str) else text


def _trim(text):
    return text.strip() if isinstance(text, str) else text


def read_amount(text: str, maximum: Decimal = MAX_MONEY) -> Decimal:
    """An amount of money as MoneyField reads it (app.money, either decimal
    mark): more than 0, at most `maximum`, two decimals. Raises ValueError
    with a message for people. Files read outside forms (inventory CSV) use
    it too, so they read money exactly as the forms do."""
    amount = parse_money(text)  # a MoneyFormatError is a ValueError
    if amount <= 0:
        raise ValueError("The amount must be more than 0.")
    if amount > maximum:
        raise ValueError(f"The amount can be at most {format_money(maximum)}.")
    return amount.quantize(Decimal("0.01"))


def read_whole_number(text: str, minimum: int, maximum: int) -> int:
    """A whole number from `minimum` to `maximum` as IntegerText reads it;
    raises ValueError with a message for people."""
    text = text.strip()
    if not text:
        raise ValueError("Enter a number.")
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 12:
        raise ValueError("Enter a whole number, like 3.")
    number = int(text)
    if not minimum <= number <= maximum:
        raise ValueError(f"Enter a number from {minimum:,} to {maximum:,}.")
    return number


class StorableText:
    """Mixed into every field that reads text: text PostgreSQL cannot store
    is a field error, checked before the field's own checks (which cannot
    skip it by overriding pre_validate)."""

    def validate(self, form, extra_validators=()):
        if isinstance(self.data, str) and not is_storable_text(self.data):
            self.errors = [*self.process_errors, CANNOT_STORE]
            return False
        return super().validate(form, extra_validators)


class TextField(StorableText, StringField):
    """A text input; the base of every text field of the site."""


class EmailTextField(StorableText, EmailField):
    """An email input."""


class PasswordTextField(StorableText, PasswordField):
    """A password input (never rendered back with its value)."""


class HiddenTextField(StorableText, HiddenField):
    """A hidden input."""


class CleanTextField(TextField):
    """One line of text, trimmed before it is validated."""

    def __init__(self, label=None, validators=None, filters=(), **kwargs):
        super().__init__(label, validators, filters=(_trim, *filters), **kwargs)


class CleanTextAreaField(CleanTextField):
    """Several lines of text, trimmed."""

    widget = TextArea()


class MoneyField(TextField):
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
            self.amount = read_amount(self.data or "", self.maximum)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class OptionalMoneyField(MoneyField):
    """A MoneyField that may be left empty (amount None)."""

    def pre_validate(self, form):
        if not (self.data or "").strip():
            self.amount = None
            return
        super().pre_validate(form)


class IntegerText(TextField):
    """A whole number in a range, kept as text so bad input is shown back."""

    def __init__(self, label=None, validators=None, minimum: int = 0, maximum: int = 1_000_000, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum
        self.number: int | None = None

    def pre_validate(self, form):
        self.number = None
        try:
            self.number = read_whole_number(self.data or "", self.minimum, self.maximum)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class OptionalIntegerText(IntegerText):
    """An IntegerText that may be left empty (number None)."""

    def pre_validate(self, form):
        self.number = None
        if (self.data or "").strip():
            super().pre_validate(form)


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


class LocalDateTimeField(TextField):
    """A date and time typed in the form's time zone (form.zone) as
    2026-11-21T14:05 (what a datetime-local input sends) or 2026-11-21 14:05
    (how times are shown); kept as text so bad input is shown back.
    `moment` is the aware datetime."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, render_kw={"type": "datetime-local"}, **kwargs)
        self.moment: datetime | None = None

    def pre_validate(self, form):
        self.moment = None
        text = (self.data or "").strip()
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
