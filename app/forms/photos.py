"""The photo upload form of a product's photos page."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from ..images import MAX_UPLOAD_BYTES


class PhotoForm(FlaskForm):
    """One photo file; its content is checked by app.images, not its name."""

    photo = FileField(f"Photo (JPEG, PNG, WebP or GIF, up to {MAX_UPLOAD_BYTES // (1024 * 1024)} MB)",
                      [FileRequired("Choose a photo to upload.")],
                      render_kw={"accept": "image/jpeg,image/png,image/webp,image/gif"})
