"""Checking uploaded pictures: type, size and dimensions, with messages staff can act on."""

from __future__ import annotations

from typing import IO, Any

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")


def validate_image_upload(
    upload: IO[bytes] | Any,
    *,
    max_bytes: int = 5 * 1024 * 1024,
    min_width: int = 0,
    min_height: int = 0,
    formats: tuple[str, ...] = ALLOWED_FORMATS,
) -> tuple[int, int]:
    """Raise ``ValidationError`` unless ``upload`` is a real picture within the limits.

    Reads the file's own bytes (not its name or declared type); returns (width, height)
    and leaves the file positioned at its start.
    """
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if size > max_bytes:
        raise ValidationError(
            _("The picture is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes)},
            code="image_size",
        )
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image_format = image.format or ""
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValidationError(
            _("This file is not a picture we can read. Upload a JPEG, PNG or WebP image."),
            code="image_type",
        ) from None
    finally:
        upload.seek(0)
    if image_format not in formats:
        raise ValidationError(
            _("%(format)s pictures are not accepted. Upload one of: %(formats)s.")
            % {"format": image_format or "?", "formats": ", ".join(formats)},
            code="image_type",
        )
    if width < min_width or height < min_height:
        raise ValidationError(
            _(
                "The picture is %(width)s×%(height)s pixels; it must be at least "
                "%(min_w)s×%(min_h)s."
            )
            % {"width": width, "height": height, "min_w": min_width, "min_h": min_height},
            code="image_dimensions",
        )
    return width, height
