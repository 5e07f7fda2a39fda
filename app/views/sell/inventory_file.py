"""Inventory files (/sell/inventory/file): export the seller's offers as CSV
(or the empty template), upload a CSV, see its preview, apply or cancel it,
follow a long import's progress; and the default low-stock threshold.
The rules live in app/models/inventory_file.py."""
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ... import db
from ...errors import error_response
from ...forms.sell import ConfirmForm, InventoryFileForm, ThresholdForm
from ...models import inventory_file as files
from ...pagination import page_arg, paginate
from ..helpers import guard_seller_pages

bp = Blueprint("sell_inventory_file", __name__, url_prefix="/sell/inventory/file")
REFUSALS_PER_PAGE = 50
# Seconds a page of an import waiting for the background worker refreshes
# itself; a 100,000-row file is checked or applied well within them.
WAIT_REFRESHING = 120
# The form's own fields and the multipart envelope around the file.
UPLOAD_REQUEST_BYTES = files.MAX_FILE_BYTES + 64 * 1024
TOO_LARGE = (f"The file is larger than {files.MAX_FILE_BYTES // (1024 * 1024)} MB. Split it into smaller "
             "files (about 200,000 rows each) and upload them one after the other.")

guard_seller_pages(bp)


@bp.url_value_preprocessor
def allow_uploads(endpoint, values):
    # Before CSRFProtect reads the form: only the upload may send more than
    # the site's 1 MB.
    if endpoint == "sell_inventory_file.upload" and request.method == "POST":
        request.max_content_length = UPLOAD_REQUEST_BYTES


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(exc):
    if request.endpoint != "sell_inventory_file.upload" or not current_user.is_authenticated:
        return error_response(413, TOO_LARGE)
    form = InventoryFileForm(formdata=None)
    form.file.errors = [TOO_LARGE]
    return _index_page(form, ThresholdForm(formdata=None), 413)


def _index_page(form, threshold_form, status=200):
    if not threshold_form.threshold.data and threshold_form.threshold.data != "0":
        default = files.default_threshold(current_user.id)
        threshold_form.threshold.data = "" if default is None else str(default)
    return render_template("sell/inventory/file.html", form=form, threshold_form=threshold_form,
                           uploads=files.recent_uploads(current_user.id),
                           running=files.running_upload(current_user.id), columns=files.COLUMNS), status


@bp.route("")
def index():
    return _index_page(InventoryFileForm(formdata=None), ThresholdForm(formdata=None))


def _csv_response(body, name: str) -> Response:
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/export.csv")
def export():
    return _csv_response(stream_with_context(files.export_csv(current_user.id)),
                         f"inventory-{current_user.id}.csv")


@bp.route("/template.csv")
def template():
    return _csv_response(files.template_csv(), "inventory-template.csv")


@bp.route("/upload", methods=["POST"])
def upload():
    form = InventoryFileForm()
    if not form.validate_on_submit():
        return _index_page(form, ThresholdForm(formdata=None), 400)
    content = form.file.data.read(files.MAX_FILE_BYTES + 1)
    if len(content) > files.MAX_FILE_BYTES:
        form.file.errors.append(TOO_LARGE)
        return _index_page(form, ThresholdForm(formdata=None), 413)
    inline = files.check_now(content)
    try:
        with db.transaction():
            upload_id = files.create_upload(current_user.id, form.file.data.filename, content)
            if not inline:
                from ... import jobs  # the job queue (procrastinate, psycopg 3): not in every worker

                jobs.defer_in_transaction(jobs.check_inventory_upload, upload_id=upload_id)
    except files.ImportRunning:
        form.file.errors.append("Another import of yours is running: wait until it ends (see below).")
        return _index_page(form, ThresholdForm(formdata=None), 409)
    if inline:
        files.check_upload(upload_id)
    return redirect(url_for(".show", upload_id=upload_id))


def _upload_or_404(upload_id: int) -> dict:
    upload = files.get_upload(upload_id, current_user.id)
    if upload is None:
        abort(404, description="You have no such import.")
    return upload


@bp.route("/<id:upload_id>")
def show(upload_id: int):
    upload = _upload_or_404(upload_id)
    number = page_arg()
    page = paginate(files.refusals(upload_id, number, REFUSALS_PER_PAGE), number, REFUSALS_PER_PAGE,
                    (upload["rows_refused"] + upload["rows_skipped"], False))
    changes = files.preview_rows(upload_id) if upload["status"] == "ready" else []
    # The page of an import the worker has yet to finish refreshes itself,
    # with or without script; after WAIT_REFRESHING it stops (the worker may
    # be down) and says so, with a link to look again.
    stalled = upload["waited_seconds"] >= WAIT_REFRESHING
    response = Response(render_template("sell/inventory/import.html", upload=upload, page=page,
                                        changes=changes, form=ConfirmForm(),
                                        kept=files.MAX_REFUSALS_KEPT, stalled=stalled))
    if upload["status"] in ("checking", "applying") and not stalled:
        response.headers["Refresh"] = "2"
    return response


@bp.route("/<id:upload_id>/apply", methods=["POST"])
def apply(upload_id: int):
    upload = _upload_or_404(upload_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, description="The form expired. Go back, reload the page and try again.")
    inline = upload["rows_total"] <= files.INLINE_ROWS
    try:
        with db.transaction():
            started = files.start_applying(upload_id, current_user.id)
            if started and not inline:
                from ... import jobs

                jobs.defer_in_transaction(jobs.apply_inventory_upload, upload_id=upload_id)
    except files.ImportRunning:
        flash("Another import of yours is running: apply this one when it ends.", "error")
        return redirect(url_for(".show", upload_id=upload_id))
    if not started:
        flash("This import is not waiting for your confirmation any more.", "error")
    elif inline:
        files.apply_upload(upload_id)
    return redirect(url_for(".show", upload_id=upload_id))


@bp.route("/<id:upload_id>/cancel", methods=["POST"])
def cancel(upload_id: int):
    _upload_or_404(upload_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, description="The form expired. Go back, reload the page and try again.")
    if files.cancel_upload(upload_id, current_user.id):
        flash("The import is cancelled: nothing was changed.", "success")
    return redirect(url_for(".index"))


@bp.route("/threshold", methods=["POST"])
def threshold():
    form = ThresholdForm()
    if not form.validate_on_submit():
        return _index_page(InventoryFileForm(formdata=None), form, 400)
    files.set_default_threshold(current_user.id, form.threshold.number)
    flash("You will be told when an offer's stock falls to "
          f"{form.threshold.number}." if form.threshold.number is not None
          else "Low-stock alerts are off, except for offers with their own threshold.", "success")
    return redirect(url_for(".index"))
