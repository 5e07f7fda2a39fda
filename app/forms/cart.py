"""Forms of the cart and checkout."""
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from ..ids import MAX_ID
from ..models.address import MAX_ADDRESS, MAX_RECIPIENT
from ..models.cart import MAX_LINE_QUANTITY
from ..models.checkout import MAX_KEY_LENGTH
from .fields import CleanTextAreaField, CleanTextField, HiddenTextField, IdField, IntegerText


class CartLineForm(FlaskForm):
    """Add an offer to the cart (the catalog's "Add to cart" forms), or
    change a line's quantity (the cart page)."""

    offer_id = IdField("Offer")
    quantity = IntegerText("Quantity", minimum=1, maximum=MAX_LINE_QUANTITY)
    next = HiddenTextField()


class RemoveLineForm(FlaskForm):
    offer_id = IdField("Offer")


class CheckoutForm(FlaskForm):
    """"Place order": the idempotency key, made when the review page was
    shown, so a second submit of the same page cannot buy twice, and where
    to ship."""

    idempotency_key = HiddenTextField(validators=[
        InputRequired("The order form is incomplete."),
        Length(max=MAX_KEY_LENGTH, message="The order form is incomplete."),
        Regexp(r"^[A-Za-z0-9_-]+$", message="The order form is incomplete.")])
    # The total the review page showed (goods and shipping): "Place order"
    # refuses to charge another one without showing it first.
    total_seen = HiddenTextField(validators=[
        Optional(), Regexp(r"^\d{1,10}\.\d{2}$", message="The order form is incomplete.")])
    # One of the buyer's addresses (the view sets the choices, the default
    # one pre-selected); checkout refuses an address that is not theirs.
    address_id = RadioField("Ship to", choices=[], validate_choice=False)
    # A buyer without any address types one here; it joins their address book.
    recipient = CleanTextField("Recipient's name", [
        Length(max=MAX_RECIPIENT, message=f"At most {MAX_RECIPIENT} characters.")])
    address = CleanTextAreaField("Address to ship to", [
        Length(max=MAX_ADDRESS, message=f"At most {MAX_ADDRESS} characters.")])

    @property
    def total_shown(self) -> Decimal | None:
        """The total the review page showed, or None when none was sent."""
        return Decimal(self.total_seen.data) if self.total_seen.data else None

    @property
    def chosen_address(self) -> int | None:
        """The address id chosen, or None when none (or nonsense) was sent."""
        text = self.address_id.data or ""
        return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID else None
