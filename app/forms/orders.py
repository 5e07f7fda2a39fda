"""Forms of what follows checkout: shipping an order, asking for a return,
the address book and a seller's shipping fees."""
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from ..models.address import MAX_ADDRESS, MAX_RECIPIENT
from ..models.order_state import MAX_REASON, MAX_TRACKING
from ..models.shipping import MAX_FEE
from .fields import CleanTextAreaField, CleanTextField, MoneyField, OptionalMoneyField


def _no_nul(form, field):
    """A tracking number with a NUL character is corrupt: say so rather than
    quietly store another one."""
    if field.data and "\x00" in field.data:
        raise ValidationError("Cannot contain a NUL character.")


class ShipForm(FlaskForm):
    """"Mark shipped": carrier and tracking number, both optional."""

    carrier = StringField("Carrier (optional)", [_no_nul, Length(max=MAX_TRACKING, message=(
        f"At most {MAX_TRACKING} characters."))], filters=[lambda text: text.strip() if text else text])
    tracking = StringField("Tracking number (optional)", [_no_nul, Length(max=MAX_TRACKING, message=(
        f"At most {MAX_TRACKING} characters."))], filters=[lambda text: text.strip() if text else text])


class ReturnForm(FlaskForm):
    """The reason of a return; the units per line are read by
    return_quantities (one field per line of the order)."""

    reason = CleanTextAreaField("Why do you return them?", [
        InputRequired("Enter a reason for the return."),
        Length(max=MAX_REASON, message=f"At most {MAX_REASON:,} characters.")])


def return_quantities(formdata, lines: list[dict]) -> tuple[dict[int, int], dict[str, str]]:
    """The units to return per line ({line_id: units}) from fields named
    line-<id>, and the errors by field name. Only this order's lines are
    read; a line's units go from 0 to what is left of it."""
    quantities, errors = {}, {}
    for line in lines:
        name = f"line-{line['id']}"
        text = (formdata.get(name) or "0").strip()
        if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 9:
            errors[name] = "Enter a whole number, like 1."
        elif int(text) < 0:
            errors[name] = f"Enter a number from 0 to {line['net']}."
        elif int(text) > line["net"]:
            errors[name] = f"You can return at most {line['net']}."
        elif int(text):
            quantities[line["id"]] = int(text)
    if not errors and not quantities:
        errors["lines"] = "Choose at least one unit to return."
    return quantities, errors


class AddressForm(FlaskForm):
    recipient = CleanTextField("Recipient's name", [
        InputRequired("Enter who receives the parcels."),
        Length(max=MAX_RECIPIENT, message=f"At most {MAX_RECIPIENT} characters.")])
    address = CleanTextAreaField("Address", [
        InputRequired("Enter the address."),
        Length(max=MAX_ADDRESS, message=f"At most {MAX_ADDRESS} characters.")])
    make_default = BooleanField("Use this address by default")


class FeeField(MoneyField):
    """An amount that may be 0 (free)."""

    def pre_validate(self, form):
        text = (self.data or "").strip().replace(",", "")
        try:
            zero = text != "" and len(text) <= 20 and Decimal(text) == 0
        except ArithmeticError:
            zero = False
        if zero:
            self.amount = Decimal("0.00")
            return
        super().pre_validate(form)


class ShippingForm(FlaskForm):
    fee = FeeField("Shipping fee per order", maximum=MAX_FEE)
    free_from = OptionalMoneyField("Free shipping from (goods total)")
