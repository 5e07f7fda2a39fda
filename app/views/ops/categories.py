"""/ops/categories: add, rename (with the slug) and merge categories."""
from flask import abort, render_template, url_for

from ...forms.catalog import category_choices
from ...forms.ops import CategoryForm, MergeCategoryForm, RenameCategoryForm
from ...models import audit
from ...models import category as categories
from . import actor, console_blueprint, done, refused

bp = console_blueprint("categories", "/categories")


def _index_page(form: CategoryForm | None = None, status: int = 200):
    return render_template("ops/categories.html", categories=categories.all_categories(),
                           form=form or CategoryForm()), status


@bp.route("/")
def index():
    return _index_page()


@bp.route("/", methods=["POST"])
def add():
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category_id = categories.add_category(actor(), form.name.data, form.slug.data)
        except categories.CategoryError as exc:
            form.name.errors.append(str(exc))
        else:
            return done(True, f"Category “{form.name.data}” added.", "",
                        url_for(".show", category_id=category_id))
    return _index_page(form, 400)


def _merge_form(category: dict, data=None) -> MergeCategoryForm:
    form = MergeCategoryForm(data=data)
    others = [c for c in categories.all_categories() if c["id"] != category["id"]]
    form.into.choices = category_choices(others)
    return form


def _category_page(category_id: int, rename: RenameCategoryForm | None = None,
                   merge: MergeCategoryForm | None = None, status: int = 200):
    category = categories.get_category(category_id)
    if category is None:
        abort(404, description="There is no such category.")
    rename = rename or RenameCategoryForm(data={"name": category["name"], "slug": category["slug"]})
    return render_template("ops/category.html", category=category, rename=rename,
                           merge=merge or _merge_form(category),
                           history=audit.for_subject("category", category_id)), status


@bp.route("/<id:category_id>")
def show(category_id: int):
    return _category_page(category_id)


@bp.route("/<id:category_id>/rename", methods=["POST"])
def rename(category_id: int):
    form = RenameCategoryForm()
    if form.validate_on_submit():
        try:
            changed = categories.rename_category(actor(), category_id, form.name.data, form.slug.data,
                                                 form.reason.data)
        except categories.NoSuchCategory as exc:
            return refused(exc, url_for(".index"))
        except categories.CategoryError as exc:
            form.name.errors.append(str(exc))
        else:
            return done(changed, "The category is renamed.", "Nothing changed.",
                        url_for(".show", category_id=category_id))
    return _category_page(category_id, rename=form, status=400)


@bp.route("/<id:category_id>/merge", methods=["POST"])
def merge(category_id: int):
    category = categories.get_category(category_id)
    if category is None:
        abort(404, description="There is no such category.")
    form = _merge_form(category)
    if form.validate_on_submit():
        target = form.into.category_id
        try:
            moved = categories.merge_categories(actor(), category_id, target, form.reason.data)
        except categories.CategoryError as exc:
            form.into.errors.append(str(exc))
        else:
            return done(True, f"“{category['name']}” is merged: {moved:,} products moved.", "",
                        url_for(".show", category_id=target))
    return _category_page(category_id, merge=form, status=400)
