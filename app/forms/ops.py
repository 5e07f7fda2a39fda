"""Forms of the operator console: a reason for every action, categories."""
import re

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..ids import MAX_ID
from ..models.audit import MAX_REASON
from ..models.order_dispute import MAX_KEY
from .fields import CategoryField, CleanTextAreaField, CleanTextField, HiddenTextField


class ReasonForm(FlaskForm):
    """Every console action says why: the audit log keeps it and the person
    affected reads it."""

    reason = CleanTextAreaField("Reason (kept in the audit log; shown to the person affected)", [
        DataRequired("Say why, in a few words."),
        Length(min=3, max=MAX_REASON, message=f"Between 3 and {MAX_REASON:,} characters.")])


class CategoryForm(FlaskForm):
    name = CleanTextField("Name", [DataRequired("Enter a name."),
                                   Length(max=100, message="At most 100 characters.")])
    slug = CleanTextField("Slug in the URL (optional: made from the name)", [
        Optional(), Length(max=100, message="At most 100 characters."),
        Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message="Lower-case letters and digits joined by hyphens.")])


class RenameCategoryForm(CategoryForm, ReasonForm):
    """New name and slug, and why."""


class MergeCategoryForm(ReasonForm):
    into = CategoryField("Merge into")


class RefundForm(ReasonForm):
    """Settling a dispute: the reason, whether the shipping fee goes back
    too, whether shipped units are written off instead of restocked, and the key made
    when the form was shown (a double click refunds once). The units per
    line are read by refund_quantities."""

    key = HiddenTextField(validators=[
        DataRequired("This form is out of date: open the order again."),
        Regexp(rf"^[0-9a-f]{{1,{MAX_KEY}}}$", message="This form is out of date: open the order again.")])
    shipping = BooleanField("Also refund the shipping fee")
    write_off = BooleanField("Write the units off: they never came back (a lost or broken parcel)")


_LINE_FIELD = re.compile(r"line-([0-9]{1,30})")
MAX_UNITS = 1_000_000


def refund_quantities(formdata) -> tuple[dict[int, int], dict[str, str]]:
    """The units to refund per line ({line_id: units}) from every field
    named line-<id>, and the errors by field name. Whose lines they are is
    the model's check (a line of another order is refused there)."""
    quantities, errors = {}, {}
    for name in formdata:
        match = _LINE_FIELD.fullmatch(name)
        if match is None:
            continue
        text = (formdata.get(name) or "0").strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 7 or int(text) > MAX_UNITS:
            errors[name] = "Enter a whole number of units, like 1."
        elif not 1 <= int(match.group(1)) <= MAX_ID:  # 30 digits at most: a cheap int()
            errors[name] = "There is no such line."
        elif int(text):
            quantities[int(match.group(1))] = int(text)
    return quantities, errors
