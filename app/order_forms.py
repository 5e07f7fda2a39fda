"""Forms of the cart, checkout, purchase history and flash sales."""
from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import DateField, Form, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from .forms import IntegerText, MoneyField
from .models.cart import MAX_LINE_QUANTITY
from .models.checkout import MAX_KEY_LENGTH

MAX_ID = 2**63 - 1
MAX_SALE_UNITS = 1_000_000
# What datetime-local inputs send (seconds only when a step asks for them).
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


def _no_nul(text):
    """Trimmed text without NUL characters (PostgreSQL text cannot hold them)."""
    return text.replace("\x00", "").strip() if isinstance(text, str) else text


class CartLineForm(FlaskForm):
    """Add an offer to the cart (the catalog's "Add to cart" forms), or
    change a line's quantity (the cart page)."""

    offer_id = IntegerText("Offer", minimum=1, maximum=MAX_ID)
    quantity = IntegerText("Quantity", minimum=1, maximum=MAX_LINE_QUANTITY)
    next = HiddenField()


class RemoveLineForm(FlaskForm):
    offer_id = IntegerText("Offer", minimum=1, maximum=MAX_ID)


class CheckoutForm(FlaskForm):
    """"Place order": only the idempotency key, made when the review page was
    shown, so a second submit of the same page cannot buy twice."""

    idempotency_key = HiddenField(validators=[
        InputRequired("The order form is incomplete."),
        Length(max=MAX_KEY_LENGTH, message="The order form is incomplete."),
        Regexp(r"^[A-Za-z0-9_-]+$", message="The order form is incomplete.")])


class DayField(DateField):
    """A date typed as 2026-01-31, with a message that says so."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Enter a date like 2026-01-31.") from exc


class PurchaseFiltersForm(Form):
    """Filters of the purchase history, from the query string. The view fills
    seller.choices with the sellers the buyer bought from."""

    since = DayField("From", [Optional()])
    until = DayField("To", [Optional()])
    seller = SelectField("Seller", default="")
    # Its own id: the header's product search is id="q" on every page.
    q = StringField("Product name contains", [Length(max=100, message="At most 100 characters.")],
                    filters=[_no_nul], default="", id="purchase-q")

    def validate_until(self, field):
        if self.since.data and field.data and field.data < self.since.data:
            raise ValidationError("The end date must not be before the start date.")

    @property
    def seller_id(self) -> int | None:
        return int(self.seller.data) if self.seller.data else None


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


class SaleForm(FlaskForm):
    sale_price = MoneyField("Sale price")
    starts_at = UtcDateTimeField("Starts (UTC)")
    ends_at = UtcDateTimeField("Ends (UTC)")
    units = IntegerText("Units for the sale", minimum=1, maximum=MAX_SALE_UNITS)
    per_customer_limit = IntegerText("Limit per customer", minimum=1, maximum=MAX_SALE_UNITS)
