"""Reads of SLA clocks: an object's clocks, queues sorted by time left, breaches."""

from __future__ import annotations

from typing import TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import OuterRef, Subquery

from .models import SlaClock

M = TypeVar("M", bound=models.Model)


def clocks_for(obj: models.Model) -> models.QuerySet[SlaClock]:
    """Every clock of ``obj``, oldest first, with its policy."""
    return (
        SlaClock.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        )
        .select_related("policy")
        .order_by("started_at", "pk")
    )


def annotate_sla(queryset: models.QuerySet[M], code: str) -> models.QuerySet[M]:
    """Annotate each row with its latest ``code`` clock, in the same query.

    Adds ``sla_started_at``, ``sla_due_at``, ``sla_stopped_at`` and ``sla_breached_at``
    (None when the row has no such clock), so a queue can ``order_by("sla_due_at")``
    (sorted by time left) and show ``{% sla_countdown row %}``. Works for models with an
    integer primary key (the clocks' ``object_id``).
    """
    ct = ContentType.objects.get_for_model(queryset.model)
    latest = SlaClock.objects.filter(
        policy__code=code, content_type=ct, object_id=OuterRef("pk")
    ).order_by("-started_at", "-pk")
    return queryset.annotate(
        sla_started_at=Subquery(latest.values("started_at")[:1]),
        sla_due_at=Subquery(latest.values("due_at")[:1]),
        sla_stopped_at=Subquery(latest.values("stopped_at")[:1]),
        sla_breached_at=Subquery(latest.values("breached_at")[:1]),
    )


def running_clocks(role: str | None = None) -> models.QuerySet[SlaClock]:
    """Running clocks, soonest due first; optionally only those ``role`` owns."""
    qs = SlaClock.objects.filter(stopped_at__isnull=True)
    if role is not None:
        qs = qs.filter(owner_role=role)
    return qs.select_related("policy", "content_type").order_by("due_at", "pk")


def breached_running_clocks(role: str | None = None) -> models.QuerySet[SlaClock]:
    """Running clocks the sweep has marked overdue, longest overdue first."""
    return running_clocks(role).filter(breached_at__isnull=False)
