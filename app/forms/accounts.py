"""Forms of accounts: register, log in, profile, password, money in and out."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from ..zones import zone_names
from .fields import CleanTextAreaField, CleanTextField, MoneyField

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _names():
    return [DataRequired("Required."), Length(max=100, message="At most 100 characters.")]


class ProfileFields:
    email = EmailField("Email", [DataRequired("Enter your email."),
                                 Length(max=254, message="At most 254 characters."),
                                 Regexp(EMAIL_PATTERN, message="Enter an email like name@example.com.")])
    first_name = CleanTextField("First name", _names())
    last_name = CleanTextField("Last name", _names())
    address = CleanTextAreaField("Address", [Length(max=500, message="At most 500 characters.")])


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


class TopUpForm(FlaskForm):
    amount = MoneyField("Amount to add")


class WithdrawForm(FlaskForm):
    amount = MoneyField("Amount to withdraw")
