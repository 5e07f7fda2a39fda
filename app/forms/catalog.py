"""Forms of the catalog: the filters of a product list (a GET form, no
CSRF) and a product's details."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, SelectChoice, SelectField
from wtforms.validators import DataRequired, Length, ValidationError

from ..models.product import SORTS
from .fields import MAX_QUERY, CategoryField, CleanTextAreaField, CleanTextField, OptionalMoneyField

MAX_NAME = 200
MAX_DESCRIPTION = 5000
SORT_LABELS = {"relevance": "Best match", "price_asc": "Price: low to high",
               "price_desc": "Price: high to low", "rating": "Customer rating",
               "best_selling": "Best selling", "newest": "Newest"}
RATING_CHOICES = [SelectChoice("", "Any rating"), SelectChoice("4", "4 stars and up"),
                  SelectChoice("3", "3 stars and up"), SelectChoice("2", "2 stars and up"),
                  SelectChoice("1", "1 star and up")]


class FiltersForm(Form):
    """Keywords, filters and sort of a product list, from the query string.
    The view fills category.choices."""

    q = CleanTextField("Search", [Length(max=MAX_QUERY,
                                         message=f"Search for at most {MAX_QUERY} characters.")], default="")
    category = SelectField("Category", default="")
    price_min = OptionalMoneyField("Lowest price")
    price_max = OptionalMoneyField("Highest price")
    min_rating = SelectField("Rating", choices=RATING_CHOICES, default="")
    in_stock = BooleanField("In stock only")
    sort = SelectField("Sort by", choices=[SelectChoice(sort, SORT_LABELS[sort]) for sort in SORTS],
                       default="relevance")

    def validate_price_max(self, field):
        low, high = self.price_min.amount, field.amount
        if low is not None and high is not None and low > high:
            raise ValidationError("The highest price must not be below the lowest price.")

    @property
    def min_rating_value(self) -> int | None:
        return int(self.min_rating.data) if self.min_rating.data else None


class ProductFields:
    name = CleanTextField("Product name", [DataRequired("Enter the product's name."),
                                           Length(max=MAX_NAME, message=f"At most {MAX_NAME} characters.")])
    description = CleanTextAreaField("Description", [
        Length(max=MAX_DESCRIPTION, message=f"At most {MAX_DESCRIPTION:,} characters.")])
    category = CategoryField("Category")


class ProductForm(ProductFields, FlaskForm):
    """Edit a product's details."""


def category_choices(categories: list[dict]) -> list[SelectChoice]:
    """Choices for CategoryField (by id), with an empty first choice."""
    return [SelectChoice("", "Choose a category")] + [SelectChoice(str(c["id"]), c["name"])
                                                      for c in categories]


def category_filter_choices(categories: list[dict]) -> list[SelectChoice]:
    """Choices for FiltersForm.category (by slug), "all" first."""
    return [SelectChoice("", "All categories")] + [SelectChoice(c["slug"], c["name"]) for c in categories]
