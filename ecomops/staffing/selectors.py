"""Reads about staffing requests: who sees and may do what, the list, a request's page and
the portal's queues.

Who is who: HR (``staffing.supply_candidates``) and managers see every request; a
department's head sees the requests of the departments they head; whoever raised a request
keeps seeing it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from ecomops.accounts.models import DepartmentHead
from ecomops.accounts.roles import Department
from ecomops.accounts.selectors import departments_headed

from .models import (
    OPEN_STATES,
    SUPPLY_STATES,
    Candidate,
    CandidateOutcome,
    StaffingRequest,
    StaffingState,
)

VIEW = "staffing.view_staffingrequest"
REQUEST = "staffing.request_staff"
APPROVE = "staffing.approve_staffingrequest"
SUPPLY = "staffing.supply_candidates"


def _is_user(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def sees_all(user: Any) -> bool:
    """HR and managers see every department's requests."""
    return _is_user(user) and user.has_perm(VIEW)


def requestable_departments(user: Any) -> list[str]:
    """The departments ``user`` may ask HR for staff for: those they head, or every one
    for a manager (``staffing.request_staff``)."""
    if not _is_user(user):
        return []
    if user.has_perm(REQUEST):
        return list(Department.values)
    return departments_headed(user)


def may_request(user: Any, department: str) -> bool:
    """``user=None`` is the system, which may."""
    return user is None or department in requestable_departments(user)


def has_access(user: Any) -> bool:
    """Whether ``user`` has any business on the staffing pages: HR and managers, the
    heads of departments and whoever asked for staff. The portal asks this for its
    sidebar on every page, so it costs one query at most."""
    if not _is_user(user):
        return False
    if sees_all(user) or user.has_perm(REQUEST):
        return True
    heads = DepartmentHead.objects.filter(user=OuterRef("pk"))
    asked = StaffingRequest.objects.filter(requested_by=OuterRef("pk"))
    return (
        get_user_model()
        .objects.filter(pk=user.pk)
        .filter(Q(Exists(heads), is_active=True) | Q(Exists(asked)))
        .exists()
    )


def visible_requests(user: Any) -> QuerySet[StaffingRequest]:
    if sees_all(user):
        return StaffingRequest.objects.all()
    if not _is_user(user):
        return StaffingRequest.objects.none()
    return StaffingRequest.objects.filter(
        Q(department__in=departments_headed(user)) | Q(requested_by=user)
    )


def user_can_see(user: Any, request: StaffingRequest) -> bool:
    if sees_all(user):
        return True
    if not _is_user(user):
        return False
    return request.requested_by_id == user.pk or request.department in departments_headed(user)


def user_can_approve(user: Any, request: StaffingRequest) -> bool:
    """HR or a manager, on a request someone else raised."""
    return (
        request.state == StaffingState.REQUESTED
        and _is_user(user)
        and user.has_perm(APPROVE)
        and request.requested_by_id != user.pk
    )


def user_can_supply(user: Any, request: StaffingRequest) -> bool:
    return request.state in SUPPLY_STATES and _is_user(user) and user.has_perm(SUPPLY)


def may_record_outcomes(user: Any, request: StaffingRequest) -> bool:
    """HR (and managers), or the head of the request's department. ``None`` is the system."""
    if user is None:
        return True
    if not _is_user(user):
        return False
    return user.has_perm(SUPPLY) or request.department in departments_headed(user)


def user_can_record_outcome(user: Any, request: StaffingRequest) -> bool:
    return request.state in (
        StaffingState.IN_PROGRESS,
        StaffingState.FILLED,
    ) and may_record_outcomes(user, request)


def is_requesting_side(user: Any, request: StaffingRequest) -> bool:
    """The colleague who raised the request, or the head of its department."""
    if not _is_user(user):
        return False
    return request.requested_by_id == user.pk or request.department in departments_headed(user)


def is_hr_side(user: Any) -> bool:
    """HR or a manager: those who approve and supply."""
    return _is_user(user) and (user.has_perm(SUPPLY) or user.has_perm(APPROVE))


def may_cancel(user: Any, request: StaffingRequest) -> bool:
    """The requesting side, HR or a manager. ``None`` is the system."""
    if user is None:
        return True
    return is_hr_side(user) or is_requesting_side(user, request)


def user_can_cancel(user: Any, request: StaffingRequest) -> bool:
    return request.state in OPEN_STATES and may_cancel(user, request)


def with_hired(queryset: QuerySet[StaffingRequest]) -> QuerySet[StaffingRequest]:
    """Each request with ``hired_total`` (read by ``hired_count``) in the same query."""
    return queryset.annotate(
        hired_total=Count("candidates", filter=Q(candidates__outcome=CandidateOutcome.HIRED))
    )


def request_list(user: Any, *, state: str = "", department: str = "") -> QuerySet[StaffingRequest]:
    """The requests ``user`` sees, newest first, optionally of one state or department."""
    queryset = visible_requests(user)
    if state:
        queryset = queryset.filter(state=state)
    if department:
        queryset = queryset.filter(department=department)
    return with_hired(queryset.select_related("requested_by")).order_by("-requested_at", "-pk")


def request_detail(pk: int) -> StaffingRequest:
    """One request with its people and its candidates (raises ``DoesNotExist``)."""
    candidates = Candidate.objects.select_related("recorded_by", "outcome_by").order_by(
        "supplied_at", "pk"
    )
    return (
        with_hired(StaffingRequest.objects.all())
        .select_related("requested_by", "approved_by", "cancelled_by")
        .prefetch_related(Prefetch("candidates", queryset=candidates))
        .get(pk=pk)
    )


# --- The portal's queues ------------------------------------------------------------------


def _late(queryset: QuerySet[StaffingRequest], today: date | None = None) -> int:
    return queryset.filter(wanted_by__lt=today or timezone.localdate()).count()


def to_handle() -> QuerySet[StaffingRequest]:
    """What HR still works on: requested, approved and in progress."""
    return StaffingRequest.objects.filter(state__in=OPEN_STATES)


def to_handle_count(user: Any = None) -> int:
    return to_handle().count()


def to_handle_late_count(user: Any = None) -> int:
    return _late(to_handle())


def to_approve() -> QuerySet[StaffingRequest]:
    return StaffingRequest.objects.filter(state=StaffingState.REQUESTED)


def to_approve_count(user: Any = None) -> int:
    return to_approve().count()


def to_approve_late_count(user: Any = None) -> int:
    return _late(to_approve())
