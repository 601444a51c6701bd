"""Attachments are checked by their bytes: size, type, and whether they are whole."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from ecomops import uploads
from ecomops.worktasks import services
from ecomops.worktasks.models import TaskAttachment, WorkTask
from tests.worktasks.factories import (
    accepted,
    dispatch,
    docx_file,
    pdf_file,
    picture,
    text_file,
    xlsx_file,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.mark.parametrize(
    ("make", "content_type", "download_name"),
    [
        (lambda: pdf_file("说明.pdf"), uploads.PDF, "说明.pdf"),
        (lambda: picture("a.png"), uploads.PNG, "a.png"),
        (lambda: picture("a.jpeg", fmt="JPEG"), uploads.JPEG, "a.jpeg"),
        (lambda: picture("named-wrong.pdf", fmt="JPEG"), uploads.JPEG, "named-wrong.jpg"),
        (lambda: xlsx_file("清单.xlsx"), uploads.XLSX, "清单.xlsx"),
        (lambda: docx_file("方案.docx"), uploads.DOCX, "方案.docx"),
        (lambda: text_file("notes.txt"), uploads.TEXT, "notes.txt"),
        (
            lambda: SimpleUploadedFile("gbk.txt", "库存差异".encode("gb18030")),
            uploads.TEXT,
            "gbk.txt",
        ),
    ],
)
def test_accepted_types_are_known_by_their_bytes(keeper, make, content_type, download_name):
    task = dispatch(keeper, attachments=[make()])
    attachment = task.attachments.get()
    assert attachment.content_type == content_type
    assert attachment.size > 0
    assert attachment.uploaded_by == keeper
    assert attachment.report is None
    assert attachment.download_name == download_name
    assert attachment.file.name.startswith("worktasks/")


def zip_of(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name in names:
            package.writestr(name, "x")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "body", "reason"),
    [
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "not accepted"),
        ("archive.docx", zip_of("readme.txt"), "not accepted"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "damaged"),
        ("cut.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n" + b"x" * 2000, "damaged"),
        ("cut.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "damaged"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_other_files_are_refused_with_their_name_and_why(keeper, name, body, reason):
    upload = SimpleUploadedFile(name, body)
    with pytest.raises(services.TaskError) as refused:
        dispatch(keeper, attachments=[text_file(), upload])
    errors = refused.value.extra["fields"]["attachments"]
    assert len(errors) == 1
    assert errors[0].startswith(f"{name}: ")
    assert reason in errors[0]
    assert not WorkTask.objects.exists()
    assert not TaskAttachment.objects.exists()


def test_a_file_over_the_limit_is_refused(keeper, settings):
    settings.WORKTASKS_ATTACHMENT_MAX_BYTES = 40
    with pytest.raises(services.TaskError) as refused:
        dispatch(keeper, attachments=[pdf_file("big.pdf")])
    (error,) = refused.value.extra["fields"]["attachments"]
    assert error.startswith("big.pdf: The file is ")
    assert "the limit is 40" in error
    assert not WorkTask.objects.exists()


def test_a_reports_files_are_checked_too(keeper, shop):
    task = accepted(keeper, shop)
    bad = SimpleUploadedFile("x.bin", b"\x00\x01\x02\x03")
    with pytest.raises(services.TaskError) as refused:
        services.task_report(task_id=task.pk, text="进展", attachments=[bad], by=shop)
    assert "attachments" in refused.value.extra["fields"]
    assert not task.reports.exists()
    report = services.task_report(
        task_id=task.pk, text="进展", attachments=[picture(), xlsx_file()], by=shop
    )
    assert {a.content_type for a in report.attachments.all()} == {uploads.PNG, uploads.XLSX}


def test_detect_document_type_only_allows_what_it_is_asked_to():
    with pytest.raises(ValidationError) as refused:
        uploads.detect_document_type(text_file(), max_bytes=1000, allowed=(uploads.PDF,))
    assert refused.value.code == "file_type"
    assert uploads.detect_document_type(picture(), max_bytes=10_000, allowed=(uploads.PNG,)) == (
        uploads.PNG
    )
    with pytest.raises(ValueError, match="unknown"):
        uploads.detect_document_type(picture(), max_bytes=10_000, allowed=("video/mp4",))
