"""Shared form fields and the account forms."""
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from .money import MoneyFormatError, format_money, parse_money
from .zones import zone_names

MAX_MONEY = Decimal("1000000.00")
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


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


def _names():
    return [DataRequired("Required."), Length(max=100, message="At most 100 characters.")]


class ProfileFields:
    email = EmailField("Email", [DataRequired("Enter your email."),
                                 Length(max=254, message="At most 254 characters."),
                                 Regexp(EMAIL_PATTERN, message="Enter an email like name@example.com.")])
    first_name = StringField("First name", _names())
    last_name = StringField("Last name", _names())
    address = TextAreaField("Address", [Length(max=500, message="At most 500 characters.")])


def _new_password(label: str):
    return PasswordField(label, [DataRequired("Choose a password."),
                                 Length(min=8, max=200, message="Use 8 to 200 characters.")])


class RegisterForm(ProfileFields, FlaskForm):
    password = _new_password("Password (at least 8 characters)")
    confirm = PasswordField("Repeat password", [EqualTo("password", message="The passwords differ.")])


class LoginForm(FlaskForm):
    email = EmailField("Email", [DataRequired("Enter your email."), Length(max=254)])
    password = PasswordField("Password", [DataRequired("Enter your password."), Length(max=200)])
    remember = BooleanField("Remember me")


class ProfileForm(ProfileFields, FlaskForm):
    # Choices are set in __init__: "" (the site's default) and every IANA
    # zone of app.zones; the SelectField refuses anything else.
    time_zone = SelectField("Time zone", default="")

    def __init__(self, *args, site_zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone.choices = [SelectChoice("", f"The site's time zone ({site_zone})")] + [
            SelectChoice(name, name.replace("_", " ")) for name in zone_names()]
        if self.time_zone.data is None:
            self.time_zone.data = ""


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", [DataRequired("Enter your current password."),
                                                 Length(max=200)])
    password = _new_password("New password (at least 8 characters)")
    confirm = PasswordField("Repeat new password", [EqualTo("password", message="The passwords differ.")])


class MoneyForm(FlaskForm):
    amount = MoneyField("Amount")
