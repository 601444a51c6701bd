"""Checking uploaded documents by their own bytes (not their name or declared type).

``detect_document_type(upload, max_bytes=..., allowed=(PDF, JPEG, PNG))`` returns the
file's content type or raises Django's ``ValidationError`` with a message staff can act on
and one of the codes ``file_size``, ``file_damaged``, ``file_type``. Pictures are opened
with Pillow (``ecomops.images``), PDFs must carry their end marker, Office files must be
the zip package their type names, and plain text must decode as UTF-8 or GB18030.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ecomops.images import validate_image_upload

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"

# How each type is named to the user, in the order they are listed in messages.
TYPE_LABELS = {
    PDF: gettext_lazy("PDF"),
    JPEG: gettext_lazy("JPEG picture"),
    PNG: gettext_lazy("PNG picture"),
    XLSX: gettext_lazy("Excel workbook (.xlsx)"),
    DOCX: gettext_lazy("Word document (.docx)"),
    TEXT: gettext_lazy("plain text"),
}
# The extension a file of each type is saved and downloaded with.
EXTENSIONS = {
    PDF: ".pdf",
    JPEG: ".jpg",
    PNG: ".png",
    XLSX: ".xlsx",
    DOCX: ".docx",
    TEXT: ".txt",
}

PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
ZIP_MAGIC = b"PK\x03\x04"
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
    head = upload.read(8)
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
    if head.startswith((PNG_MAGIC, JPEG_MAGIC)):
        kind = PNG if head.startswith(PNG_MAGIC) else JPEG
        if kind in allowed:
            try:
                validate_image_upload(upload, max_bytes=max_bytes, formats=("JPEG", "PNG"))
            except ValidationError:
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
