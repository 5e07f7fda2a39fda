"""Forms of the operator console: a reason for every action, categories."""
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..models.audit import MAX_REASON
from .fields import CategoryField, CleanTextAreaField, CleanTextField


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
