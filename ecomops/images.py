"""Checking uploaded pictures: type, size and dimensions, with messages staff can act on.

A picture is judged by its own bytes (Pillow reads the header and verifies the file), never
by its name or declared type. Its pixel count is checked against ``UPLOAD_IMAGE_MAX_PIXELS``
before anything decodes it, so a decompression bomb (a small file declaring, say, 30,000 ×
30,000 pixels) is refused with a message instead of filling the memory or answering 500.
"""

from __future__ import annotations

import struct
import warnings
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
# What Pillow may raise on a hostile or broken file besides "not an image".
_UNREADABLE = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    EOFError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    ZeroDivisionError,
    struct.error,
)


def max_image_pixels() -> int:
    return int(getattr(settings, "UPLOAD_IMAGE_MAX_PIXELS", 50_000_000))


def _too_many_pixels(
    limit: int, width: int | None = None, height: int | None = None
) -> ValidationError:
    megapixels = f"{limit / 1_000_000:g}"
    if width and height:
        message = _(
            "The picture is %(width)s×%(height)s pixels; the limit is %(limit)s megapixels. "
            "Save it smaller and upload it again."
        ) % {"width": width, "height": height, "limit": megapixels}
    else:
        message = _(
            "The picture is too large to open; the limit is %(limit)s megapixels. Save it "
            "smaller and upload it again."
        ) % {"limit": megapixels}
    return ValidationError(message, code="image_pixels")


def inspect_image(
    upload: IO[bytes] | Any,
    *,
    max_bytes: int = 5 * 1024 * 1024,
    min_width: int = 0,
    min_height: int = 0,
    formats: tuple[str, ...] = ALLOWED_FORMATS,
) -> tuple[str, int, int]:
    """(Pillow format, width, height) of ``upload`` if it is a real picture within the
    limits; ``ValidationError`` otherwise, with the code ``image_size``, ``image_type``,
    ``image_pixels`` or ``image_dimensions``. Leaves the file positioned at its start."""
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
    limit = max_image_pixels()
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow warns past MAX_IMAGE_PIXELS and raises past twice that: both refuse.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image_format = image.format or ""
                width, height = image.size
                if width * height > limit:
                    raise _too_many_pixels(limit, width, height)
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(limit) from None
    except _UNREADABLE:
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
    return image_format, width, height


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
    _format, width, height = inspect_image(
        upload, max_bytes=max_bytes, min_width=min_width, min_height=min_height, formats=formats
    )
    return width, height
