"""The review form (products and sellers share it)."""
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, Length

from .fields import CleanTextAreaField, CleanTextField, StarsField

MAX_BODY = 5000


class ReviewForm(FlaskForm):
    rating = StarsField("Rating")
    title = CleanTextField("Title (optional)", [Length(max=200, message="At most 200 characters.")])
    body = CleanTextAreaField("Your review", [
        DataRequired("Write a few words about it."),
        Length(max=MAX_BODY, message=f"At most {MAX_BODY:,} characters.")])
