"""Forms of selling: a new product with its offer, an offer's price and
stock, a flash sale."""
from flask_wtf import FlaskForm
from wtforms.widgets import HiddenInput

from .catalog import ProductFields
from .fields import IntegerText, MoneyField, UtcDateTimeField

MAX_STOCK = 1_000_000
MAX_SALE_UNITS = 1_000_000


class OfferFields:
    price = MoneyField("Price")
    quantity = IntegerText("Quantity in stock", minimum=0, maximum=MAX_STOCK)


class NewProductForm(ProductFields, OfferFields, FlaskForm):
    """Sell a new product: its details and the seller's offer."""


class OfferForm(OfferFields, FlaskForm):
    """Sell one like this: price and stock for an existing product."""


class OfferEditForm(OfferFields, FlaskForm):
    """Change an offer; quantity_seen is the stock the form showed."""

    quantity_seen = IntegerText("Stock shown", minimum=0, maximum=2**31 - 1, widget=HiddenInput())


class SaleForm(FlaskForm):
    sale_price = MoneyField("Sale price")
    starts_at = UtcDateTimeField("Starts (UTC)")
    ends_at = UtcDateTimeField("Ends (UTC)")
    units = IntegerText("Units for the sale", minimum=1, maximum=MAX_SALE_UNITS)
    per_customer_limit = IntegerText("Limit per customer", minimum=1, maximum=MAX_SALE_UNITS)
