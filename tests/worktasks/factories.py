"""Department tasks test data: tasks moved along by the real services, files of each type."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from ecomops.numbering.services import next_number
from ecomops.worktasks import services
from ecomops.worktasks.models import TaskState, WorkTask


class WorkTaskFactory(factory.django.DjangoModelFactory):
    """A task as it stands after dispatch (warehouse → e-commerce), written directly: for
    lists and counts where how it got there does not matter."""

    class Meta:
        model = WorkTask

    # From the real series, so tasks dispatched through the services never collide.
    number = factory.LazyFunction(lambda: next_number("RW"))
    title = factory.Sequence(lambda n: f"盘点任务{n}")
    details = "请核对库存"
    from_department = "warehouse"
    to_department = "ecommerce"
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    state = TaskState.DISPATCHED


def dispatch(by: Any, **values: Any) -> WorkTask:
    """Warehouse → e-commerce, due in two days, unless told otherwise."""
    data: dict[str, Any] = {
        "from_department": "warehouse",
        "to_department": "ecommerce",
        "title": "确认第四季度库存盘点数据",
        "details": "请核对盘点差异并回复",
        "due_at": timezone.now() + timedelta(days=2),
    }
    data.update(values)
    return services.task_dispatch(by=by, **data)


def accepted(sender: Any, receiver: Any, **values: Any) -> WorkTask:
    task = dispatch(sender, **values)
    return services.task_accept(task_id=task.pk, by=receiver)


# --- Files ------------------------------------------------------------------------------------


def pdf_file(name: str = "说明.pdf") -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def picture(name: str = "photo.png", fmt: str = "PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 120, 90)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def office_file(name: str, part: str) -> SimpleUploadedFile:
    """A minimal Office Open XML package holding ``part`` (xl/workbook.xml, word/...)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(part, "<root/>")
    return SimpleUploadedFile(name, buffer.getvalue())


def xlsx_file(name: str = "清单.xlsx") -> SimpleUploadedFile:
    return office_file(name, "xl/workbook.xml")


def docx_file(name: str = "方案.docx") -> SimpleUploadedFile:
    return office_file(name, "word/document.xml")


def text_file(name: str = "notes.txt", text: str = "盘点差异：3个SKU\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/plain")
