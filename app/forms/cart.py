"""Forms of the cart and checkout."""
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import InputRequired, Length, Regexp

from ..models.cart import MAX_LINE_QUANTITY
from ..models.checkout import MAX_KEY_LENGTH
from .fields import IdField, IntegerText


class CartLineForm(FlaskForm):
    """Add an offer to the cart (the catalog's "Add to cart" forms), or
    change a line's quantity (the cart page)."""

    offer_id = IdField("Offer")
    quantity = IntegerText("Quantity", minimum=1, maximum=MAX_LINE_QUANTITY)
    next = HiddenField()


class RemoveLineForm(FlaskForm):
    offer_id = IdField("Offer")


class CheckoutForm(FlaskForm):
    """"Place order": only the idempotency key, made when the review page was
    shown, so a second submit of the same page cannot buy twice."""

    idempotency_key = HiddenField(validators=[
        InputRequired("The order form is incomplete."),
        Length(max=MAX_KEY_LENGTH, message="The order form is incomplete."),
        Regexp(r"^[A-Za-z0-9_-]+$", message="The order form is incomplete.")])
