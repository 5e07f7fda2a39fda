"""Product photos: the files themselves (/photos/<hash>/<size>.webp, cached
for ever since the hash names their content) and a product's photos page,
where its creator uploads, reorders and removes them (/photos/products/<id>).

Also `Vary: Save-Data` on every HTML page: with `Save-Data: on` lists
leave their thumbnails out (templating.save_data), so a cache must never
hand that page to another browser."""
import re

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from ..assets import YEAR
from ..errors import error_response
from ..forms.photos import PhotoForm
from ..images import MAX_UPLOAD_BYTES, VARIANTS, BadImage, web_sizes
from ..models import photo as photos
from ..models import product as products

bp = Blueprint("photos", __name__, url_prefix="/photos")
POSITION = f"<int(min=1, max={photos.MAX_PER_PRODUCT}):position>"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# The form's own fields and the multipart envelope around the file.
UPLOAD_REQUEST_BYTES = MAX_UPLOAD_BYTES + 64 * 1024
TOO_LARGE = f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."


@bp.after_app_request
def vary_on_save_data(response):
    if response.mimetype == "text/html":
        response.vary.add("Save-Data")
    return response


@bp.url_value_preprocessor
def allow_uploads(endpoint, values):
    # Runs before any before_request function, so before CSRFProtect reads
    # the form: only the upload may send more than the site's 1 MB.
    if endpoint == "photos.manage" and request.method == "POST":
        request.max_content_length = UPLOAD_REQUEST_BYTES


@bp.route("/<sha256>/<variant>.webp")
def photo_file(sha256: str, variant: str):
    if not _SHA256.match(sha256) or variant not in VARIANTS:
        abort(404, description="There is no such photo.")
    data = photos.photo_file(sha256, variant)
    if data is None:
        abort(404, description="There is no such photo.")
    response = make_response(data)
    response.mimetype = "image/webp"
    response.set_etag(f"{sha256[:20]}-{variant}")
    response.cache_control.public = True
    response.cache_control.max_age = YEAR
    response.cache_control.immutable = True
    return response.make_conditional(request)


def _own_product(product_id: int) -> dict:
    product = products.product_details(product_id, current_user.id)
    if product is None:
        abort(404, description="There is no such product.")
    if product["creator_id"] != current_user.id:
        abort(403, description="Only the seller who created this product can change its photos.")
    return product


def _manage_page(product: dict, form: PhotoForm, status: int = 200):
    return render_template("photos/manage.html", product=product, form=form,
                           photos=photos.product_photos(product["id"]), limit=photos.MAX_PER_PRODUCT), status


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(exc):
    """The upload form again with the error, for the product's creator; an
    error page for anyone else (nothing may be raised from here)."""
    product_id = (request.view_args or {}).get("product_id")
    uploading = request.endpoint == "photos.manage" and product_id and current_user.is_authenticated
    product = products.product_details(product_id, current_user.id) if uploading else None
    if product is None or product["creator_id"] != current_user.id:
        return error_response(413, TOO_LARGE)
    form = PhotoForm(formdata=None)
    form.photo.errors = [TOO_LARGE]
    return _manage_page(product, form, 413)


@bp.route("/products/<id:product_id>", methods=["GET", "POST"])
@login_required
def manage(product_id: int):
    product = _own_product(product_id)
    form = PhotoForm()
    if not form.validate_on_submit():
        return _manage_page(product, form, 400 if form.errors else 200)
    try:
        sizes = web_sizes(form.photo.data.read(MAX_UPLOAD_BYTES + 1))
        photos.add_photo(product_id, current_user.id, sizes)
    except BadImage as exc:
        form.photo.errors.append(str(exc))
    except photos.TooManyPhotos:
        form.photo.errors.append(f"A product has at most {photos.MAX_PER_PRODUCT} photos: remove one first.")
    if form.photo.errors:
        return _manage_page(product, form, 400)
    flash("The photo is added.", "success")
    return redirect(url_for(".manage", product_id=product_id))


@bp.route(f"/products/<id:product_id>/{POSITION}/<any(earlier, later):direction>", methods=["POST"])
@login_required
def move(product_id: int, position: int, direction: str):
    _own_product(product_id)
    if photos.move_photo(product_id, current_user.id, position, -1 if direction == "earlier" else 1):
        flash(f"Photo {position} moved {direction}.", "success")
    else:
        flash("That photo cannot move further.", "error")
    return redirect(url_for(".manage", product_id=product_id))


@bp.route(f"/products/<id:product_id>/{POSITION}/remove", methods=["POST"])
@login_required
def remove(product_id: int, position: int):
    _own_product(product_id)
    if photos.remove_photo(product_id, current_user.id, position):
        flash(f"Photo {position} is removed.", "success")
    else:
        flash("That photo was already removed.", "error")
    return redirect(url_for(".manage", product_id=product_id))
