"""Forms of selling: a new product with its offer, an offer's price and
stock, a flash sale."""
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import HiddenInput

from .catalog import ProductFields
from .fields import (
    CleanTextField,
    HiddenTextField,
    IntegerText,
    LocalDateTimeField,
    MoneyField,
    OptionalIntegerText,
    read_amount,
    read_whole_number,
)

MAX_STOCK = 1_000_000
MAX_SALE_UNITS = 1_000_000


class OfferFields:
    price = MoneyField("Price")
    quantity = IntegerText("Quantity in stock", minimum=0, maximum=MAX_STOCK)


class NewProductForm(ProductFields, OfferFields, FlaskForm):
    """Sell a new product: its details and the seller's offer. `insist`
    creates it even when the category has a product of the same name."""

    insist = BooleanField("It is a different product: create it anyway")


class OfferForm(OfferFields, FlaskForm):
    """Sell one like this: price and stock for an existing product."""


class OfferEditForm(OfferFields, FlaskForm):
    """Change an offer; quantity_seen is the stock the form showed."""

    quantity_seen = IntegerText("Stock shown", minimum=0, maximum=2**31 - 1, widget=HiddenInput())


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


class InventoryFileForm(FlaskForm):
    """An inventory CSV or XLSX to preview (checked by app/models/inventory_file.py)."""

    file = FileField("Inventory file (CSV UTF-8, or an Excel workbook .xlsx)",
                     [FileRequired("Choose a CSV or XLSX file to upload.")],
                     render_kw={"accept": ".csv,text/csv,.xlsx,"
                                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})


class ThresholdForm(FlaskForm):
    """The seller's default low-stock threshold; empty: no alerts."""

    threshold = OptionalIntegerText("Tell me when an offer's stock falls to", minimum=0, maximum=MAX_STOCK)


BULK_ACTIONS = [("raise_amount", "Raise the price by an amount"),
                ("lower_amount", "Lower the price by an amount"),
                ("raise_percent", "Raise the price by a percentage"),
                ("lower_percent", "Lower the price by a percentage"),
                ("set_stock", "Set the stock to"), ("stop", "Stop selling")]


class BulkChangeForm(FlaskForm):
    """A change of many offers (app/models/offer_bulk.py): which ones (the
    ticked `offer` boxes, read by the view, or all matching the search `q`),
    what to do and by how much. `fingerprint` comes from the preview."""

    scope = SelectField("Change", choices=[SelectChoice("selected", "the offers ticked"),
                                           SelectChoice("search", "all offers matching the search")])
    action = SelectField("Action", choices=[SelectChoice(value, label) for value, label in BULK_ACTIONS])
    value = CleanTextField("By or to (amount, % or units)")
    q = HiddenTextField()
    fingerprint = HiddenTextField()

    def validate_value(self, field):
        """Reads the value for the action: money as the forms read it, a
        percentage, or a stock; `field.number` is the result."""
        field.number = None
        action = self.action.data
        if action == "stop":
            return
        try:
            if action == "set_stock":
                field.number = read_whole_number(field.data or "", 0, MAX_STOCK)
            elif action.endswith("_percent"):
                number = read_amount((field.data or "").removesuffix("%"), Decimal("1000"))
                if action.startswith("lower") and number >= 100:
                    raise ValueError("Lower a price by less than 100 %.")
                field.number = number
            else:
                field.number = read_amount(field.data or "")
        except ValueError as exc:
            if action.endswith("_percent") and "amount" in str(exc):
                raise ValidationError("Enter a percentage from 0.01 to 1000, like 10 or 7.5.") from exc
            raise ValidationError(str(exc)) from exc
