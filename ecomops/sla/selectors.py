"""Reads of SLA clocks: an object's clocks, queues sorted by time left, breaches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery

from ecomops.calendar import day_start

from .models import SlaClock, SlaPolicy

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

    Adds ``sla_started_at``, ``sla_due_at``, ``sla_stopped_at``, ``sla_breached_at`` and
    ``sla_warn_at`` (the warning point; None when the row has no such clock), so a queue
    can ``order_by("sla_due_at")`` (sorted by time left) and show
    ``{% sla_countdown row %}`` (amber from the warning point). Works for models with an
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
        sla_warn_at=Subquery(latest.values("warn_at")[:1]),
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


@dataclass(frozen=True)
class SlaReportRow:
    """One policy's line of the daily SLA report: its clocks started that day, stopped in
    time that day, and warned, breached and escalated that day."""

    policy_code: str
    policy_name: str
    started: int
    met: int
    warned: int
    breached: int
    escalated: int

    @property
    def any(self) -> bool:
        return any((self.started, self.met, self.warned, self.breached, self.escalated))


def sla_report_rows(day: date) -> list[SlaReportRow]:
    """Per policy (by code), what its clocks did on ``day`` (company time), in one query."""
    start = day_start(day)
    end = day_start(day + timedelta(days=1))

    def within(field: str) -> Q:
        return Q(**{f"clocks__{field}__gte": start, f"clocks__{field}__lt": end})

    policies = SlaPolicy.objects.annotate(
        n_started=Count("clocks", filter=within("started_at")),
        n_met=Count(
            "clocks", filter=within("stopped_at") & Q(clocks__stopped_at__lte=F("clocks__due_at"))
        ),
        n_warned=Count("clocks", filter=within("warned_at")),
        n_breached=Count("clocks", filter=within("breached_at")),
        n_escalated=Count("clocks", filter=within("escalated_at")),
    ).order_by("code")
    return [
        SlaReportRow(
            policy_code=p.code,
            policy_name=p.name,
            started=p.n_started,
            met=p.n_met,
            warned=p.n_warned,
            breached=p.n_breached,
            escalated=p.n_escalated,
        )
        for p in policies
    ]


# --- The manager's live overview (issue 25 §3): clocks warned and breached now ----------------


def _breached_now(now: datetime) -> Q:
    """Running past its due time, marked by the sweep or not yet."""
    return Q(breached_at__isnull=False) | Q(due_at__lt=now)


def _warned_now(now: datetime) -> Q:
    """Running, not breached, and past its warning point (or warned by the sweep)."""
    return Q(breached_at__isnull=True, due_at__gte=now) & (
        Q(warned_at__isnull=False) | Q(warn_at__lte=now)
    )


CLOCK_RISKS = ("warned", "breached")


def clocks_at_risk_by_role(now: datetime) -> dict[str, tuple[int, int]]:
    """Per owner role, its running clocks (warned, breached) at ``now``, in one query; roles
    with neither are left out."""
    rows = (
        SlaClock.objects.filter(stopped_at__isnull=True)
        .filter(_warned_now(now) | _breached_now(now))
        .values("owner_role")
        .annotate(
            warned=Count("pk", filter=_warned_now(now)),
            breached=Count("pk", filter=_breached_now(now)),
        )
        .order_by("owner_role")
    )
    return {row["owner_role"]: (row["warned"], row["breached"]) for row in rows}


def clocks_at_risk(
    *, now: datetime, risk: str, roles: list[str] | None = None
) -> models.QuerySet[SlaClock]:
    """Running clocks ``risk`` ("warned" or "breached") at ``now``, optionally of these owner
    roles: the queue behind the overview's figures, least time left first."""
    condition = _breached_now(now) if risk == "breached" else _warned_now(now)
    qs = SlaClock.objects.filter(condition, stopped_at__isnull=True)
    if roles is not None:
        qs = qs.filter(owner_role__in=roles)
    return qs.select_related("policy", "content_type").order_by("due_at", "pk")
