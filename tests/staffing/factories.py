"""Staffing test data: department heads, and requests moved along by the real services."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from ecomops.accounts.models import DepartmentHead
from ecomops.staffing import services
from ecomops.staffing.models import Candidate, StaffingRequest

PICKERS = {
    "department": "warehouse",
    "position": "拣货员",
    "headcount": 2,
    "reason": "双十二大促，出库量翻倍。",
    "role": "picker",
}


def head_of(department: str, user: Any) -> DepartmentHead:
    return DepartmentHead.objects.create(department=department, user=user)


def in_days(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


def requested(head: Any, **data: Any) -> StaffingRequest:
    values: dict[str, Any] = {**PICKERS, "wanted_by": in_days(14), **data}
    return services.staffing_request(by=head, **values)


def approved(head: Any, hr: Any, **data: Any) -> StaffingRequest:
    request = requested(head, **data)
    return services.staffing_approve(request_id=request.pk, note="同意", by=hr)


def supply(request: StaffingRequest, hr: Any, phone: str = "13800138000", **data: Any) -> Candidate:
    values: dict[str, Any] = {"name": "陈晓明", "source": "job_site", **data}
    return services.staffing_candidate_add(request_id=request.pk, phone=phone, by=hr, **values)


def hire(candidate: Candidate, by: Any, start: date | None = None) -> Candidate:
    return services.staffing_candidate_outcome(
        candidate_id=candidate.pk,
        outcome="hired",
        note="试岗通过",
        start_date=start or in_days(7),
        by=by,
    )


def refreshed(obj: Any) -> Any:
    obj.refresh_from_db()
    return obj
