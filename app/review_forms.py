"""The review form (products and sellers share it)."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

STAR_CHOICES = [SelectChoice(value, label) for value, label in (
    ("", "Choose a rating"), ("5", "5 stars: excellent"), ("4", "4 stars: good"), ("3", "3 stars: fair"),
    ("2", "2 stars: poor"), ("1", "1 star: bad"))]
MAX_BODY = 5000


def _clean(text):
    """Trimmed text without NUL characters (PostgreSQL text cannot hold them)."""
    return text.replace("\x00", "").strip() if isinstance(text, str) else text


class StarsField(SelectField):
    """A rating from 1 to 5; anything else (0, 6, 'abc', nothing) gets one clear message."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, choices=STAR_CHOICES, **kwargs)
        self.stars: int | None = None

    def pre_validate(self, form):
        text = (self.data or "").strip()
        self.stars = int(text) if text in {"1", "2", "3", "4", "5"} else None
        if self.stars is None:
            raise ValidationError("Choose a rating from 1 to 5 stars.")


class ReviewForm(FlaskForm):
    rating = StarsField("Rating")
    title = StringField("Title (optional)", [Length(max=200, message="At most 200 characters.")],
                        filters=[_clean])
    body = TextAreaField("Your review", [DataRequired("Write a few words about it."),
                                         Length(max=MAX_BODY, message=f"At most {MAX_BODY:,} characters.")],
                         filters=[_clean])
