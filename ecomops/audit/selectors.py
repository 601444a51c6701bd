"""An object's timeline: its state transitions (django-fsm-log), SLA clocks and notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django_fsm_log.models import StateLog

from ecomops.sla.selectors import clocks_for

from .models import Note


@dataclass
class TimelineEntry:
    kind: str  # "transition" | "note" | "clock"
    at: datetime
    who: Any | None
    title: str
    detail: str = ""
    obj: Any = None


def timeline_for(obj: models.Model) -> list[TimelineEntry]:
    """Everything that happened to ``obj``, oldest first, in three queries."""
    ct = ContentType.objects.get_for_model(obj)
    entries: list[TimelineEntry] = []
    for log in StateLog.objects.filter(content_type=ct, object_id=obj.pk).select_related("by"):
        entries.append(
            TimelineEntry(
                kind="transition",
                at=log.timestamp,
                who=log.by,
                title=f"{_state_label(obj, log.source_state)} → {_state_label(obj, log.state)}",
                detail=log.description or "",
                obj=log,
            )
        )
    for note in Note.objects.filter(content_type=ct, object_id=obj.pk).select_related("author"):
        entries.append(TimelineEntry("note", note.created_at, note.author, note.text, obj=note))
    for clock in clocks_for(obj):
        entries.append(TimelineEntry("clock", clock.started_at, None, str(clock.policy), obj=clock))
    entries.sort(key=lambda e: e.at)
    return entries


def _state_label(obj: models.Model, state: str | None) -> str:
    if not state:
        return "—"
    from django_fsm import FSMFieldMixin

    for field in obj._meta.concrete_fields:
        if isinstance(field, FSMFieldMixin):
            return str(dict(field.flatchoices).get(state, state))
    return state
