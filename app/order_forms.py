"""Forms of the cart, checkout, purchase history and flash sales."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import DateField, Form, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from . import zones
from .forms import IntegerText, MoneyField
from .models.cart import MAX_LINE_QUANTITY
from .models.checkout import MAX_KEY_LENGTH

MAX_ID = 2**63 - 1
MAX_SALE_UNITS = 1_000_000


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


class LocalDateTimeField(StringField):
    """A date and time typed in the form's time zone (form.zone) as
    2026-11-21T14:05, what a datetime-local input sends; kept as text so bad
    input is shown back. `moment` is the aware datetime."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, render_kw={"type": "datetime-local"}, **kwargs)
        self.moment: datetime | None = None

    def pre_validate(self, form):
        self.moment = None
        text = (self.data or "").replace("\x00", "").strip()
        if not text:
            raise ValidationError("Enter a date and time.")
        try:
            self.moment = zones.parse_local(text, form.zone)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class ZonedForm(FlaskForm):
    """A form whose times are typed in `zone`; their labels name it."""

    def __init__(self, *args, zone: ZoneInfo, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        for field in self:
            if isinstance(field, LocalDateTimeField):
                field.label.text = f"{field.label.text} ({zone.key})"


class SaleForm(ZonedForm):
    """A new flash sale, or every value of one that has not started."""

    sale_price = MoneyField("Sale price")
    starts_at = LocalDateTimeField("Starts")
    ends_at = LocalDateTimeField("Ends")
    units = IntegerText("Units for the sale", minimum=1, maximum=MAX_SALE_UNITS)
    per_customer_limit = IntegerText("Limit per customer", minimum=1, maximum=MAX_SALE_UNITS)

    def values(self) -> dict:
        """The typed values; None for each that was refused."""
        return {"sale_price": self.sale_price.amount, "starts_at": self.starts_at.moment,
                "ends_at": self.ends_at.moment, "units": self.units.number,
                "per_customer_limit": self.per_customer_limit.number}


class LiveSaleForm(ZonedForm):
    """During a sale: an earlier end, more units."""

    ends_at = LocalDateTimeField("Ends")
    add_units = IntegerText("Units to add", minimum=0, maximum=MAX_SALE_UNITS)


class ConfirmForm(FlaskForm):
    """A confirmation button: only the CSRF token."""
