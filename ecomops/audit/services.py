"""Writing notes on objects."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext as _

from ecomops.errors import ApplicationError

from .models import Note


def note_add(*, obj: models.Model, text: str, by: Any | None) -> Note:
    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("A note cannot be empty."), {"fields": {"text": [_("Required.")]}})
    return Note.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        author=by if getattr(by, "is_authenticated", False) else None,
        text=text,
    )
