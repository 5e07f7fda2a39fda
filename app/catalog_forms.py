"""Forms of the catalog and of sellers' inventories: the filters of a
product list (a GET form, no CSRF), product details, offers."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import HiddenInput

from .forms import IntegerText, MoneyField
from .models.product import SORTS

MAX_QUERY = 200
MAX_NAME = 200
MAX_DESCRIPTION = 5000
MAX_STOCK = 1_000_000
SORT_LABELS = {"relevance": "Best match", "price_asc": "Price: low to high",
               "price_desc": "Price: high to low", "rating": "Customer rating",
               "best_selling": "Best selling", "newest": "Newest"}
RATING_CHOICES = [SelectChoice("", "Any rating"), SelectChoice("4", "4 stars and up"),
                  SelectChoice("3", "3 stars and up"), SelectChoice("2", "2 stars and up"),
                  SelectChoice("1", "1 star and up")]


def clean_text(text):
    """Trimmed text without NUL characters (PostgreSQL text cannot hold them)."""
    return text.replace("\x00", "").strip() if isinstance(text, str) else text


class OptionalMoneyField(MoneyField):
    """A MoneyField that may be left empty (amount None)."""

    def pre_validate(self, form):
        if not (self.data or "").strip():
            self.amount = None
            return
        super().pre_validate(form)


class FiltersForm(Form):
    """Keywords, filters and sort of a product list, from the query string.
    The view fills category.choices."""

    q = StringField("Search", [Length(max=MAX_QUERY, message=f"Search for at most {MAX_QUERY} characters.")],
                    filters=[clean_text], default="")
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


class CategoryField(SelectField):
    """A category chosen by id; the view fills choices. category_id is the
    chosen id once valid."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.category_id: int | None = None

    def pre_validate(self, form):
        valid = {choice.value for choice in self.choices or [] if choice.value}
        self.category_id = int(self.data) if self.data in valid else None
        if self.category_id is None:
            raise ValidationError("Choose a category.")


class ProductFields:
    name = StringField("Product name", [DataRequired("Enter the product's name."),
                                        Length(max=MAX_NAME, message=f"At most {MAX_NAME} characters.")],
                       filters=[clean_text])
    description = TextAreaField("Description", [Length(max=MAX_DESCRIPTION,
                                                       message=f"At most {MAX_DESCRIPTION:,} characters.")],
                                filters=[clean_text])
    category = CategoryField("Category")


class OfferFields:
    price = MoneyField("Price")
    quantity = IntegerText("Quantity in stock", minimum=0, maximum=MAX_STOCK)


class ProductForm(ProductFields, FlaskForm):
    """Edit a product's details."""


class NewProductForm(ProductFields, OfferFields, FlaskForm):
    """Sell a new product: its details and the seller's offer. `insist`
    creates it even when the category has a product of the same name."""

    insist = BooleanField("It is a different product: create it anyway")


class OfferForm(OfferFields, FlaskForm):
    """Sell one like this: price and stock for an existing product."""


class OfferEditForm(OfferFields, FlaskForm):
    """Change an offer; quantity_seen is the stock the form showed."""

    quantity_seen = IntegerText("Stock shown", minimum=0, maximum=2**31 - 1, widget=HiddenInput())


def category_choices(categories: list[dict]) -> list[SelectChoice]:
    """Choices for CategoryField (by id), with an empty first choice."""
    return [SelectChoice("", "Choose a category")] + [SelectChoice(str(c["id"]), c["name"])
                                                      for c in categories]


def category_filter_choices(categories: list[dict]) -> list[SelectChoice]:
    """Choices for FiltersForm.category (by slug), "all" first."""
    return [SelectChoice("", "All categories")] + [SelectChoice(c["slug"], c["name"]) for c in categories]
