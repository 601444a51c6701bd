"""Checking uploaded documents by their own bytes (not their name or declared type).

``detect_document_type(upload, max_bytes=..., allowed=(PDF, JPEG, PNG))`` returns the
file's content type or raises Django's ``ValidationError`` with a message staff can act on
and one of the codes ``file_size``, ``file_damaged``, ``file_type``. Pictures are opened
with Pillow (``ecomops.images``), PDFs must carry their end marker, Office files must be
the zip package their type names, and plain text must decode as UTF-8 or GB18030.

Whatever is stored is named from the type its bytes showed (``stored_name``), never from
the uploader's file name, which is kept, cleaned (``display_name``), only to show and to
download under. ``file_response`` serves a stored upload with its stored type, inline only
for the pictures and PDFs the browser shows, as an attachment otherwise, with
``X-Content-Type-Options: nosniff`` and a policy that lets no script run in it.
"""

from __future__ import annotations

import secrets
import unicodedata
import zipfile
from collections.abc import Iterable
from pathlib import PurePath
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image

from ecomops.images import inspect_image

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"

# How each type is named to the user, in the order they are listed in messages.
TYPE_LABELS = {
    PDF: gettext_lazy("PDF"),
    JPEG: gettext_lazy("JPEG picture"),
    PNG: gettext_lazy("PNG picture"),
    WEBP: gettext_lazy("WebP picture"),
    XLSX: gettext_lazy("Excel workbook (.xlsx)"),
    DOCX: gettext_lazy("Word document (.docx)"),
    TEXT: gettext_lazy("plain text"),
}
# The extension a file of each type is saved and downloaded with.
EXTENSIONS = {
    PDF: ".pdf",
    JPEG: ".jpg",
    PNG: ".png",
    WEBP: ".webp",
    XLSX: ".xlsx",
    DOCX: ".docx",
    TEXT: ".txt",
}

PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
ZIP_MAGIC = b"PK\x03\x04"
# Pillow's format names of the pictures an upload may be.
IMAGE_TYPES = {"JPEG": JPEG, "PNG": PNG, "WEBP": WEBP}
# Shown in the browser when opened; any other stored type is only ever downloaded.
INLINE_TYPES = frozenset({PDF, JPEG, PNG, WEBP})
# Served files are data, never a page: nothing in them may run or load.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'"
DISPLAY_NAME_MAX = 200
# The part every Office Open XML package of that kind holds.
OFFICE_PARTS = {XLSX: "xl/workbook.xml", DOCX: "word/document.xml"}


def upload_size(upload: IO[bytes] | Any) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(0)
    return int(size)


def allowed_labels(allowed: Iterable[str]) -> str:
    return ", ".join(str(TYPE_LABELS[t]) for t in TYPE_LABELS if t in set(allowed))


def detect_document_type(upload: IO[bytes] | Any, *, max_bytes: int, allowed: Iterable[str]) -> str:
    """The content type of ``upload`` read from its bytes, if it is one of ``allowed``
    (the constants of this module) and at most ``max_bytes``; else ``ValidationError``.

    Leaves the file positioned at its start.
    """
    allowed = tuple(allowed)
    unknown = set(allowed) - set(TYPE_LABELS)
    if unknown:
        raise ValueError(f"unknown document types {sorted(unknown)}")
    size = upload_size(upload)
    if size > max_bytes:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes)},
            code="file_size",
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="file_type")
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    try:
        detected = _detect(upload, head, size, allowed, max_bytes)
    finally:
        upload.seek(0)
    if detected is None or detected not in allowed:
        raise ValidationError(
            _("This kind of file is not accepted. Upload one of: %(types)s.")
            % {"types": allowed_labels(allowed)},
            code="file_type",
        )
    return detected


def _detect(
    upload: IO[bytes] | Any, head: bytes, size: int, allowed: tuple[str, ...], max_bytes: int
) -> str | None:
    if head.startswith(PDF_MAGIC):
        if PDF in allowed:
            upload.seek(max(0, size - 1024))
            if b"%%EOF" not in upload.read():
                raise ValidationError(
                    _("This PDF is incomplete or damaged. Save it again and upload it."),
                    code="file_damaged",
                )
        return PDF
    if head.startswith((PNG_MAGIC, JPEG_MAGIC)) or (head[:4], head[8:12]) == (b"RIFF", b"WEBP"):
        kind = PNG if head.startswith(PNG_MAGIC) else JPEG if head.startswith(JPEG_MAGIC) else WEBP
        if kind in allowed:
            try:
                inspect_image(upload, max_bytes=max_bytes, formats=tuple(IMAGE_TYPES))
            except ValidationError as exc:
                if exc.code == "image_pixels":
                    raise
                raise ValidationError(
                    _("This picture is incomplete or damaged. Save it again and upload it."),
                    code="file_damaged",
                ) from None
        return kind
    if head.startswith(ZIP_MAGIC):
        return _office_type(upload)
    if TEXT in allowed and _is_text(upload):
        return TEXT
    return None


def _office_type(upload: IO[bytes] | Any) -> str | None:
    """XLSX or DOCX from the package's parts; another zip archive is no document."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ValidationError(
            _("This file is incomplete or damaged. Save it again and upload it."),
            code="file_damaged",
        ) from None
    if "[Content_Types].xml" not in names:
        return None
    for content_type, part in OFFICE_PARTS.items():
        if part in names:
            return content_type
    return None


def _is_text(upload: IO[bytes] | Any) -> bool:
    upload.seek(0)
    data = upload.read()
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # Control characters other than tabs and line ends mean a binary file.
        return not any(ord(c) < 32 and c not in "\t\r\n\f" for c in text)
    return False


def detect_image_type(
    upload: IO[bytes] | Any,
    *,
    max_bytes: int,
    allowed: Iterable[str] = (JPEG, PNG, WEBP),
    min_width: int = 0,
    min_height: int = 0,
) -> tuple[str, int, int]:
    """(content type, width, height) of a picture read from its bytes by Pillow, if it is
    one of ``allowed`` (``JPEG``, ``PNG``, ``WEBP``) within the limits (bytes, pixels:
    ``UPLOAD_IMAGE_MAX_PIXELS``, least dimensions); ``ValidationError`` otherwise."""
    formats = tuple(
        name for name, content_type in IMAGE_TYPES.items() if content_type in set(allowed)
    )
    image_format, width, height = inspect_image(
        upload, max_bytes=max_bytes, min_width=min_width, min_height=min_height, formats=formats
    )
    return IMAGE_TYPES[image_format], width, height


def stored_name(content_type: str, *, prefix: str = "") -> str:
    """A name to store an upload under: our own ``prefix`` (a document number, say; only
    letters, digits, ``-`` and ``_`` are kept), a random part and the extension of the type
    read from its bytes. Nothing of the uploader's file name reaches the disk."""
    extension = EXTENSIONS.get(content_type, ".bin")
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in prefix)
    safe = safe.strip("-")[:60]
    token = secrets.token_hex(8)
    return f"{safe}-{token}{extension}" if safe else f"{token}{extension}"


# Unicode categories never shown in a file name: controls (NUL, line breaks), format
# characters (right-to-left overrides, zero-width joiners), surrogates, private use and
# unassigned code points, line and paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def display_name(name: Any, *, default: str = "file", max_length: int = DISPLAY_NAME_MAX) -> str:
    """The uploader's file name made fit to show and to download under: its last path part
    (either slash), without control, bidirectional-override or other invisible characters,
    spaces collapsed, no leading or trailing dots, at most ``max_length`` characters with its
    extension kept; ``default`` when nothing is left."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(
        " " if c.isspace() else c
        for c in text
        if c.isspace() or unicodedata.category(c) not in _HIDDEN_CATEGORIES
    )
    text = " ".join(text.split()).strip(" .")
    if len(text) > max_length:
        stem, dot, extension = text.rpartition(".")
        if dot and stem and 0 < len(extension) <= 10:
            text = f"{stem[: max_length - len(extension) - 1].rstrip(' .')}.{extension}"
        else:
            text = text[:max_length].rstrip(" .")
    return text or default


def download_name(name: Any, content_type: str, *, default: str = "file") -> str:
    """``display_name(name)`` with the extension of the stored type (``evil.html`` stored
    as a PNG downloads as ``evil.png``); unchanged for a type we have no extension for."""
    shown = display_name(name, default=default)
    extension = EXTENSIONS.get(content_type)
    if not extension:
        return shown
    path = PurePath(shown)
    if path.suffix.lower() == extension or (
        extension == ".jpg" and path.suffix.lower() in (".jpeg", ".jfif")
    ):
        return shown
    return f"{path.stem or default}{extension}"


def file_response(handle: IO[bytes] | Any, *, content_type: str, name: Any) -> FileResponse:
    """Serve a stored upload: with the type stored when it was checked (an unknown one as
    ``application/octet-stream``), inline only for the pictures and PDFs of
    ``INLINE_TYPES`` and as an attachment otherwise, under ``download_name(name)``, never
    sniffed by the browser and with a policy under which nothing in it runs."""
    known = content_type if content_type in EXTENSIONS else "application/octet-stream"
    response = FileResponse(
        handle,
        content_type=known,
        as_attachment=known not in INLINE_TYPES,
        filename=download_name(name, known),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    return response


def stored_image_type(handle: IO[bytes] | Any) -> str:
    """The content type of a picture stored before its type was kept, read from its header
    by Pillow (``""`` when it is no picture we accept); leaves ``handle`` at its start."""
    handle.seek(0)
    try:
        with Image.open(handle) as image:
            return IMAGE_TYPES.get(image.format or "", "")
    except Exception:  # a bomb or a file Pillow cannot read is served as plain bytes
        return ""
    finally:
        handle.seek(0)
