"""The filters of a buyer's purchase history (a GET form, no CSRF)."""
from wtforms import Form, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from ..models.order_state import STATES
from .fields import CleanTextField, DayField

MAX_PRODUCT_QUERY = 100


class PurchaseFiltersForm(Form):
    """Filters of the purchase history, from the query string. The view fills
    seller.choices with the sellers the buyer bought from."""

    since = DayField("From", [Optional()])
    until = DayField("To", [Optional()])
    seller = SelectField("Seller", default="")
    state = SelectField("Order status", default="", choices=[SelectChoice("", "Any status")] + [
        SelectChoice(state, state.capitalize()) for state in STATES])
    # Its own id: the header's product search is id="q" on every page.
    q = CleanTextField("Product name contains",
                       [Length(max=MAX_PRODUCT_QUERY, message=f"At most {MAX_PRODUCT_QUERY} characters.")],
                       default="", id="purchase-q")

    def validate_until(self, field):
        if self.since.data and field.data and field.data < self.since.data:
            raise ValidationError("The end date must not be before the start date.")

    @property
    def seller_id(self) -> int | None:
        return int(self.seller.data) if self.seller.data else None
