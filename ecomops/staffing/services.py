"""Staffing requests (招聘需求 → 人才输送): a department head asks HR for people, HR (or a
manager) approves, HR supplies candidates, the department or HR records what came of each,
and the request is filled when the hires reach the headcount (or cancelled with a reason).

Every refusal is a ``StaffingError`` (field errors under ``{"fields": {...}}``), a
``ConflictError`` when the request's state does not allow the step, or a
``PermissionDeniedError`` for the wrong person.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.roles import ROLES, Department, RoleCode
from ecomops.accounts.selectors import acting_user, department_head, users_with_role
from ecomops.errors import (
    ApplicationError,
    ConflictError,
    PermissionDeniedError,
    require_permission,
)
from ecomops.fsm import transition
from ecomops.notifications.services import notify_users
from ecomops.numbering.services import next_number
from ecomops.validators import normalize_mobile, validate_mobile

from .models import (
    MAX_HEADCOUNT,
    SUPPLY_STATES,
    Candidate,
    CandidateOutcome,
    CandidateSource,
    StaffingRequest,
    StaffingState,
)
from .selectors import (
    APPROVE,
    SUPPLY,
    is_hr_side,
    is_requesting_side,
    may_cancel,
    may_record_outcomes,
    may_request,
)

NUMBER_PREFIX = "ZP"  # 招聘


class StaffingError(ApplicationError):
    """A staffing step that cannot be taken as asked."""


def _lock(request_id: int) -> StaffingRequest:
    return StaffingRequest.objects.select_for_update().get(pk=request_id)


def _people(*users: Any, but: Any = None) -> list[Any]:
    """The distinct active users among ``users``, leaving out ``but`` (who acted)."""
    seen: dict[int, Any] = {}
    skip = getattr(but, "pk", None)
    for user in users:
        if user is None or not user.is_active or user.pk == skip:
            continue
        seen.setdefault(user.pk, user)
    return list(seen.values())


def _hr(but: Any = None) -> list[Any]:
    return _people(*users_with_role(RoleCode.HR), but=but)


def _requesting_side(request: StaffingRequest, but: Any = None) -> list[Any]:
    return _people(request.requested_by, department_head(request.department), but=but)


def _notify(
    users: Iterable[Any], request: StaffingRequest, title: str, key: str, body: str = ""
) -> None:
    notify_users(users=users, title=title, body=body, url=request.get_absolute_url(), key=key)


# --- Raising a request ----------------------------------------------------------------------


def staffing_request(
    *,
    department: str,
    position: str,
    headcount: int,
    reason: str,
    wanted_by: date,
    by: Any,
    role: str = "",
) -> StaffingRequest:
    """A department asks HR for ``headcount`` people for ``position`` by ``wanted_by``.

    Only the department's head or a manager may ask; HR is notified.
    """
    errors: dict[str, list[str]] = {}
    if department not in Department.values:
        errors["department"] = [_("Choose a department.")]
    elif not may_request(by, department):
        raise PermissionDeniedError(
            _("Only the head of %(department)s or a manager may ask HR for staff for it.")
            % {"department": Department(department).label},
            {"fields": {"department": [_("Choose a department you head.")]}},
        )
    position = (position or "").strip()
    if not position:
        errors["position"] = [_("Say which position you need people for.")]
    elif len(position) > 100:
        errors["position"] = [_("At most 100 characters.")]
    try:
        count = int(headcount)
    except (TypeError, ValueError):
        count = 0
    if count < 1:
        errors["headcount"] = [_("Ask for at least one person.")]
    elif count > MAX_HEADCOUNT:
        errors["headcount"] = [_("At most %(max)s people per request.") % {"max": MAX_HEADCOUNT}]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why the department needs these people.")]
    if wanted_by is None:
        errors["wanted_by"] = [_("Say by when the people are needed.")]
    elif wanted_by < timezone.localdate():
        errors["wanted_by"] = [_("This date is in the past.")]
    role = (role or "").strip()
    if role and role not in ROLES:
        errors["role"] = [_("Choose a role from the list.")]
    elif role and department in Department.values and ROLES[role].department != department:
        errors["role"] = [
            _("%(role)s is not a role of %(department)s.")
            % {"role": ROLES[role].label, "department": Department(department).label}
        ]
    if errors:
        raise StaffingError(_("Check the staffing request."), {"fields": errors})
    actor = acting_user(by)
    with transaction.atomic():
        request = StaffingRequest.objects.create(
            number=next_number(NUMBER_PREFIX),
            department=department,
            position=position,
            role=role,
            headcount=count,
            reason=reason,
            wanted_by=wanted_by,
            requested_by=actor,
            requested_at=timezone.now(),
        )
        _notify(
            _hr(but=actor),
            request,
            _("Staffing request %(number)s: %(count)s × %(position)s for %(department)s by %(day)s")
            % {
                "number": request.number,
                "count": count,
                "position": position,
                "department": request.get_department_display(),
                "day": wanted_by.isoformat(),
            },
            f"staffing.request.{request.pk}.requested",
            body=reason,
        )
    return request


def staffing_approve(*, request_id: int, by: Any, note: str = "") -> StaffingRequest:
    """HR or a manager agrees to look for the people; the requester is told."""
    require_permission(by, APPROVE, _("Only HR or a manager approves staffing requests."))
    note = (note or "").strip()
    with transaction.atomic():
        request = _lock(request_id)
        if request.approved_at is not None and request.state != StaffingState.CANCELLED:
            return request  # approved already
        actor = acting_user(by)
        if actor is not None and request.requested_by_id == actor.pk:
            raise PermissionDeniedError(
                _("You raised this request; someone else in HR or management approves it.")
            )
        transition(
            request,
            "approve",
            by=by,
            reason=note,
            approver=actor,
            at=timezone.now(),
            note=note,
            update_fields=["approved_by", "approved_at", "approval_note"],
        )
        _notify(
            _people(request.requested_by, but=actor),
            request,
            _("Staffing request %(number)s (%(position)s) was approved")
            % {"number": request.number, "position": request.position},
            f"staffing.request.{request.pk}.approved",
            body=note,
        )
    return request


# --- Candidates -----------------------------------------------------------------------------


def staffing_candidate_add(
    *,
    request_id: int,
    name: str,
    phone: str,
    source: str,
    by: Any,
    supplied_at: date | None = None,
) -> Candidate:
    """HR supplies a candidate to the department (人才输送). The first one puts an approved
    request in progress; the requester and the department's head are told."""
    require_permission(by, SUPPLY, _("Only HR supplies candidates."))
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Enter the candidate's name.")]
    elif len(name) > 100:
        errors["name"] = [_("At most 100 characters.")]
    mobile = normalize_mobile(phone or "")
    try:
        validate_mobile(mobile)
    except ValidationError as exc:
        errors["phone"] = list(exc.messages)
    if source not in CandidateSource.values:
        errors["source"] = [_("Choose where the candidate came from.")]
    today = timezone.localdate()
    supplied_on = supplied_at or today
    if supplied_on > today:
        errors["supplied_at"] = [_("This date is in the future.")]
    if errors:
        raise StaffingError(_("Check the candidate."), {"fields": errors})
    actor = acting_user(by)
    with transaction.atomic():
        request = _lock(request_id)
        if request.state not in SUPPLY_STATES:
            raise ConflictError(
                _(
                    "Staffing request %(number)s is %(state)s; candidates are supplied once it "
                    "is approved and until it is filled."
                )
                % {"number": request.number, "state": request.get_state_display()}
            )
        if request.candidates.filter(phone=mobile).exists():
            raise StaffingError(
                _("This candidate was already supplied for request %(number)s.")
                % {"number": request.number},
                {"fields": {"phone": [_("Already supplied for this request.")]}},
            )
        candidate = Candidate.objects.create(
            request=request,
            name=name,
            phone=mobile,
            source=source,
            supplied_at=supplied_on,
            recorded_by=actor,
        )
        if request.state == StaffingState.APPROVED:
            transition(request, "start", by=by, at=timezone.now(), update_fields=["started_at"])
        _notify(
            _requesting_side(request, but=actor),
            request,
            _("Staffing request %(number)s: HR supplied a candidate, %(name)s")
            % {"number": request.number, "name": name},
            f"staffing.candidate.{candidate.pk}.supplied",
            body=_("%(position)s · %(source)s · %(phone)s")
            % {
                "position": request.position,
                "source": candidate.get_source_display(),
                "phone": mobile,
            },
        )
    return candidate


def staffing_candidate_outcome(
    *,
    candidate_id: int,
    outcome: str,
    note: str,
    by: Any,
    start_date: date | None = None,
) -> Candidate:
    """The department's head or HR records what came of a candidate. A hire needs a start
    date; the hire that reaches the headcount fills the request (requester and HR told)."""
    errors: dict[str, list[str]] = {}
    note = (note or "").strip()
    choices = [c for c in CandidateOutcome.values if c != CandidateOutcome.SUPPLIED]
    if outcome not in choices:
        errors["outcome"] = [_("Choose what came of the candidate.")]
    if outcome == CandidateOutcome.HIRED and start_date is None:
        errors["start_date"] = [_("A hire needs a start date.")]
    with transaction.atomic():
        request_id = Candidate.objects.values_list("request_id", flat=True).get(pk=candidate_id)
        # Always the request first, then its candidate: the same order as every writer.
        request = _lock(request_id)
        candidate = Candidate.objects.select_for_update().get(pk=candidate_id)
        if not may_record_outcomes(by, request):
            raise PermissionDeniedError(
                _("Only HR or the head of %(department)s records what came of a candidate.")
                % {"department": request.get_department_display()}
            )
        if (
            outcome == CandidateOutcome.HIRED
            and start_date is not None
            and start_date < candidate.supplied_at
        ):
            errors["start_date"] = [_("The start date is before the candidate was supplied.")]
        if errors:
            raise StaffingError(_("Check the outcome."), {"fields": errors})
        _check_outcome_allowed(request, candidate, outcome)
        actor = acting_user(by)
        candidate.outcome = outcome
        candidate.outcome_note = note
        candidate.start_date = start_date if outcome == CandidateOutcome.HIRED else None
        candidate.outcome_by = actor
        candidate.save(
            update_fields=["outcome", "outcome_note", "start_date", "outcome_by", "updated_at"]
        )
        if request.state == StaffingState.IN_PROGRESS and request.still_needed == 0:
            transition(request, "fill", by=by, at=timezone.now(), update_fields=["filled_at"])
            _notify(
                _people(request.requested_by, *_hr(), but=actor),
                request,
                _("Staffing request %(number)s is filled: %(count)s × %(position)s")
                % {
                    "number": request.number,
                    "count": request.headcount,
                    "position": request.position,
                },
                f"staffing.request.{request.pk}.filled",
            )
    return candidate


def _check_outcome_allowed(request: StaffingRequest, candidate: Candidate, outcome: str) -> None:
    hired = candidate.outcome == CandidateOutcome.HIRED
    if outcome == CandidateOutcome.HIRED and not hired and request.still_needed == 0:
        raise StaffingError(
            _("All %(count)s places of request %(number)s are filled; no more hires.")
            % {"count": request.headcount, "number": request.number},
            {"fields": {"outcome": [_("The headcount is reached.")]}},
        )
    if request.state == StaffingState.FILLED:
        if hired:
            raise ConflictError(
                _("Request %(number)s is filled; its hires are final.") % {"number": request.number}
            )
        if outcome not in (CandidateOutcome.REJECTED, CandidateOutcome.WITHDRAWN):
            raise ConflictError(
                _("Request %(number)s is filled; its other candidates can only be closed.")
                % {"number": request.number}
            )
    elif request.state != StaffingState.IN_PROGRESS:
        raise ConflictError(
            _("Staffing request %(number)s is %(state)s; no outcomes are recorded.")
            % {"number": request.number, "state": request.get_state_display()}
        )
    if candidate.is_closed and outcome != candidate.outcome:
        raise ConflictError(
            _("%(name)s is %(outcome)s already.")
            % {"name": candidate.name, "outcome": candidate.get_outcome_display()}
        )


# --- Cancelling -----------------------------------------------------------------------------


def staffing_cancel(*, request_id: int, reason: str, by: Any) -> StaffingRequest:
    """The requesting side (requester or head), HR or a manager withdraws an open request,
    with a reason; the other side is told."""
    reason = (reason or "").strip()
    if not reason:
        raise StaffingError(
            _("Say why the request is cancelled."),
            {"fields": {"reason": [_("Give a reason.")]}},
        )
    with transaction.atomic():
        request = _lock(request_id)
        if request.state == StaffingState.CANCELLED:
            return request
        if not may_cancel(by, request):
            raise PermissionDeniedError(
                _("Only the requester, the head of %(department)s, HR or a manager cancels it.")
                % {"department": request.get_department_display()}
            )
        actor = acting_user(by)
        transition(
            request,
            "cancel",
            by=by,
            reason=reason,
            canceller=actor,
            at=timezone.now(),
            why=reason,
            update_fields=["cancelled_by", "cancelled_at", "cancel_reason"],
        )
        # The other side: HR hears from the department, the department from HR.
        if actor is not None and is_requesting_side(actor, request) and not is_hr_side(actor):
            told = _hr(but=actor)
        elif actor is not None and is_requesting_side(actor, request):
            told = _people(*_hr(), *_requesting_side(request), but=actor)
        else:
            told = _requesting_side(request, but=actor)
        _notify(
            told,
            request,
            _("Staffing request %(number)s (%(position)s) was cancelled")
            % {"number": request.number, "position": request.position},
            f"staffing.request.{request.pk}.cancelled",
            body=reason,
        )
    return request
