"""Staffing requests through their services: the whole path, every refusal, and who is told."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from django_fsm_log.models import StateLog

from ecomops.errors import ConflictError, PermissionDeniedError
from ecomops.notifications.models import Notification
from ecomops.staffing import services
from ecomops.staffing.models import CandidateOutcome, StaffingRequest, StaffingState
from ecomops.staffing.services import StaffingError
from tests.staffing.factories import (
    PICKERS,
    approved,
    hire,
    in_days,
    refreshed,
    requested,
    supply,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def told(user: Any) -> list[str]:
    """The titles of the notifications ``user`` got, oldest first."""
    return list(
        Notification.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True)
    )


def fields_of(exc: pytest.ExceptionInfo[Any]) -> set[str]:
    return set(exc.value.extra.get("fields", {}))


# --- The whole path ---------------------------------------------------------------------------


def test_requested_approved_in_progress_filled_on_the_last_hire(head: Any, hr: Any) -> None:
    request = requested(head, headcount=2)
    assert request.state == StaffingState.REQUESTED
    assert request.number.startswith("ZP" + timezone.localdate().strftime("%Y%m%d"))
    assert len(request.number) == 14
    assert request.requested_by == head
    assert request.role == "picker"

    services.staffing_approve(request_id=request.pk, note="大促前到岗", by=hr)
    request = refreshed(request)
    assert request.state == StaffingState.APPROVED
    assert (request.approved_by, request.approval_note) == (hr, "大促前到岗")
    assert request.approved_at is not None

    first = supply(request, hr, phone="138 0013 8001", name="陈晓明")
    assert first.phone == "13800138001"  # kept as the 11 digits
    assert first.outcome == CandidateOutcome.SUPPLIED
    assert first.recorded_by == hr
    assert first.supplied_at == timezone.localdate()
    request = refreshed(request)
    assert request.state == StaffingState.IN_PROGRESS
    assert request.started_at is not None

    second = supply(request, hr, phone="13900139002", name="林志强", source="referral")
    third = supply(request, hr, phone="13700137003", name="赵丽华", source="agency")
    assert refreshed(request).state == StaffingState.IN_PROGRESS  # moved once only

    hire(first, head)
    services.staffing_candidate_outcome(
        candidate_id=third.pk, outcome="rejected", note="不能上夜班", by=hr
    )
    request = refreshed(request)
    assert request.state == StaffingState.IN_PROGRESS
    assert (request.hired_count, request.still_needed) == (1, 1)

    hire(second, hr)
    request = refreshed(request)
    assert request.state == StaffingState.FILLED
    assert request.filled_at is not None
    assert (request.hired_count, request.still_needed) == (2, 0)
    assert not request.is_late

    logs = StateLog.objects.filter(object_id=request.pk).order_by("pk")
    assert [(log.source_state, log.state, log.by) for log in logs] == [
        ("requested", "approved", hr),
        ("approved", "in_progress", hr),
        ("in_progress", "filled", hr),
    ]


def test_a_manager_asks_for_any_department(manager: Any, hr: Any) -> None:
    request = requested(manager, department="finance", role="finance_clerk", position="出纳")
    assert (request.department, request.requested_by) == ("finance", manager)


def test_steps_already_taken_change_nothing(head: Any, hr: Any, manager: Any) -> None:
    request = approved(head, hr)
    again = services.staffing_approve(request_id=request.pk, note="again", by=manager)
    assert (again.approved_by, again.approval_note) == (hr, "同意")
    services.staffing_cancel(request_id=request.pk, reason="预算取消", by=head)
    again = services.staffing_cancel(request_id=request.pk, reason="another", by=hr)
    assert again.cancel_reason == "预算取消"
    assert StateLog.objects.filter(object_id=request.pk).count() == 2


# --- Raising a request --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"position": "  "}, "position"),
        ({"position": "x" * 101}, "position"),
        ({"headcount": 0}, "headcount"),
        ({"headcount": -2}, "headcount"),
        ({"headcount": 1000}, "headcount"),
        ({"reason": ""}, "reason"),
        ({"wanted_by": None}, "wanted_by"),
        ({"role": "astronaut"}, "role"),
        ({"role": "designer"}, "role"),  # a role of e-commerce, not of the warehouse
    ],
)
def test_a_request_with_a_wrong_field_is_refused_naming_it(
    head: Any, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(StaffingError) as exc:
        requested(head, **change)
    assert fields_of(exc) == {field}
    assert not StaffingRequest.objects.exists()


def test_wanted_by_may_be_today_but_not_in_the_past(head: Any) -> None:
    with pytest.raises(StaffingError) as exc:
        requested(head, wanted_by=timezone.localdate() - timedelta(days=1))
    assert fields_of(exc) == {"wanted_by"}
    assert "past" in str(exc.value.extra["fields"]["wanted_by"][0])
    assert requested(head, wanted_by=timezone.localdate()).wanted_by == timezone.localdate()


def test_every_field_error_at_once(head: Any) -> None:
    with pytest.raises(StaffingError) as exc:
        requested(head, position="", headcount=0, reason="", wanted_by=in_days(-3))
    assert fields_of(exc) == {"position", "headcount", "reason", "wanted_by"}


def test_an_unknown_department_is_a_field_error(manager: Any) -> None:
    with pytest.raises(StaffingError) as exc:
        requested(manager, department="space", role="")
    assert fields_of(exc) == {"department"}


def test_only_the_departments_head_or_a_manager_asks(
    head: Any, other_head: Any, picker: Any, hr: Any
) -> None:
    for user in (picker, hr, other_head):  # staff, HR, the head of another department
        with pytest.raises(PermissionDeniedError):
            requested(user)
    with pytest.raises(PermissionDeniedError):
        requested(head, department="ecommerce", role="designer")
    assert not StaffingRequest.objects.exists()
    assert requested(other_head, department="ecommerce", role="designer").requested_by == (
        other_head
    )


def test_a_head_who_left_cannot_ask(head: Any) -> None:
    head.is_active = False
    head.save(update_fields=["is_active"])
    with pytest.raises(PermissionDeniedError):
        requested(head)


# --- Approval -------------------------------------------------------------------------------


def test_only_hr_or_a_manager_approves(head: Any, picker: Any, hr: Any, manager: Any) -> None:
    request = requested(head)
    for user in (head, picker):
        with pytest.raises(PermissionDeniedError):
            services.staffing_approve(request_id=request.pk, by=user)
    assert refreshed(request).state == StaffingState.REQUESTED
    services.staffing_approve(request_id=request.pk, by=manager)
    assert refreshed(request).approved_by == manager


def test_no_one_approves_their_own_request(manager: Any, hr: Any) -> None:
    request = requested(manager)
    with pytest.raises(PermissionDeniedError):
        services.staffing_approve(request_id=request.pk, by=manager)
    services.staffing_approve(request_id=request.pk, by=hr)
    assert refreshed(request).state == StaffingState.APPROVED


def test_a_cancelled_request_is_not_approved(head: Any, hr: Any) -> None:
    request = requested(head)
    services.staffing_cancel(request_id=request.pk, reason="不需要了", by=head)
    with pytest.raises(ConflictError):
        services.staffing_approve(request_id=request.pk, by=hr)


# --- Candidates -----------------------------------------------------------------------------


def test_candidates_only_on_approved_or_in_progress_requests(head: Any, hr: Any) -> None:
    request = requested(head)
    with pytest.raises(ConflictError):
        supply(request, hr)
    services.staffing_cancel(request_id=request.pk, reason="不需要了", by=head)
    with pytest.raises(ConflictError):
        supply(request, hr)
    filled = approved(head, hr, headcount=1, position="打包员", role="packer")
    hire(supply(filled, hr), hr)
    assert refreshed(filled).state == StaffingState.FILLED
    with pytest.raises(ConflictError):
        supply(filled, hr, phone="13900139002")


def test_only_hr_supplies_candidates(head: Any, hr: Any, picker: Any) -> None:
    request = approved(head, hr)
    for user in (head, picker):
        with pytest.raises(PermissionDeniedError):
            supply(request, user)
    assert not request.candidates.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "010-88886666"}, "phone"),
        ({"source": "magic"}, "source"),
        ({"supplied_at": "tomorrow"}, "supplied_at"),
    ],
)
def test_a_candidate_with_a_wrong_field_is_refused(
    head: Any, hr: Any, change: dict[str, Any], field: str
) -> None:
    request = approved(head, hr)
    if change.get("supplied_at") == "tomorrow":
        change = {"supplied_at": in_days(1)}
    with pytest.raises(StaffingError) as exc:
        supply(request, hr, **change)
    assert fields_of(exc) == {field}
    assert refreshed(request).state == StaffingState.APPROVED


def test_the_same_candidate_is_supplied_once_per_request(head: Any, hr: Any) -> None:
    request = approved(head, hr)
    supply(request, hr, phone="13800138000")
    with pytest.raises(StaffingError) as exc:
        supply(request, hr, phone="+86 138-0013-8000", name="陈晓明")
    assert fields_of(exc) == {"phone"}
    other = approved(head, hr, position="叉车司机", role="")
    assert supply(other, hr, phone="13800138000").request == other


# --- Outcomes -------------------------------------------------------------------------------


def test_a_hire_needs_a_start_date(head: Any, hr: Any) -> None:
    candidate = supply(approved(head, hr), hr)
    with pytest.raises(StaffingError) as exc:
        services.staffing_candidate_outcome(
            candidate_id=candidate.pk, outcome="hired", note="", by=head
        )
    assert fields_of(exc) == {"start_date"}
    with pytest.raises(StaffingError) as exc:
        hire(candidate, head, start=timezone.localdate() - timedelta(days=1))
    assert fields_of(exc) == {"start_date"}
    assert refreshed(candidate).outcome == CandidateOutcome.SUPPLIED


def test_an_unknown_outcome_is_a_field_error(head: Any, hr: Any) -> None:
    candidate = supply(approved(head, hr), hr)
    for outcome in ("promoted", "supplied"):
        with pytest.raises(StaffingError) as exc:
            services.staffing_candidate_outcome(
                candidate_id=candidate.pk, outcome=outcome, note="", by=hr
            )
        assert fields_of(exc) == {"outcome"}


def test_no_more_hires_than_the_headcount(head: Any, hr: Any) -> None:
    request = approved(head, hr, headcount=1)
    first = supply(request, hr)
    second = supply(request, hr, phone="13900139002", name="林志强")
    hire(first, head)
    assert refreshed(request).state == StaffingState.FILLED
    with pytest.raises(StaffingError) as exc:
        hire(second, head)
    assert fields_of(exc) == {"outcome"}
    assert refreshed(second).outcome == CandidateOutcome.SUPPLIED
    assert refreshed(request).hired_count == 1


def test_on_a_filled_request_hires_are_final_and_the_others_only_closed(head: Any, hr: Any) -> None:
    request = approved(head, hr, headcount=1)
    hired = supply(request, hr)
    waiting = supply(request, hr, phone="13900139002", name="林志强")
    hire(hired, head)
    with pytest.raises(ConflictError):
        services.staffing_candidate_outcome(
            candidate_id=hired.pk, outcome="withdrawn", note="没来报到", by=head
        )
    with pytest.raises(ConflictError):
        services.staffing_candidate_outcome(
            candidate_id=waiting.pk, outcome="interviewing", note="", by=head
        )
    services.staffing_candidate_outcome(
        candidate_id=waiting.pk, outcome="rejected", note="名额已满", by=hr
    )
    assert refreshed(waiting).outcome == CandidateOutcome.REJECTED


def test_a_hire_withdrawn_before_the_request_is_filled_frees_the_place(head: Any, hr: Any) -> None:
    request = approved(head, hr, headcount=2)
    first = supply(request, hr)
    hire(first, head)
    services.staffing_candidate_outcome(
        candidate_id=first.pk, outcome="withdrawn", note="去了别家", by=head
    )
    first = refreshed(first)
    assert (first.outcome, first.start_date, first.outcome_note) == ("withdrawn", None, "去了别家")
    assert refreshed(request).still_needed == 2
    with pytest.raises(ConflictError):  # closed candidates stay closed
        hire(first, head)


def test_outcomes_by_hr_or_the_departments_head_only(
    head: Any, other_head: Any, hr: Any, picker: Any, manager: Any
) -> None:
    candidate = supply(approved(head, hr), hr)
    for user in (picker, other_head):
        with pytest.raises(PermissionDeniedError):
            services.staffing_candidate_outcome(
                candidate_id=candidate.pk, outcome="interviewing", note="", by=user
            )
    for user in (head, hr, manager):
        done = services.staffing_candidate_outcome(
            candidate_id=candidate.pk, outcome="interviewing", note="周四面试", by=user
        )
        assert done.outcome_by == user


# --- Cancelling -----------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["requested", "approved", "in_progress"])
def test_an_open_request_is_cancelled_with_a_reason(head: Any, hr: Any, stage: str) -> None:
    request = requested(head)
    if stage != "requested":
        services.staffing_approve(request_id=request.pk, by=hr)
    if stage == "in_progress":
        supply(request, hr)
    assert refreshed(request).state == stage
    with pytest.raises(StaffingError) as exc:
        services.staffing_cancel(request_id=request.pk, reason="  ", by=head)
    assert fields_of(exc) == {"reason"}
    services.staffing_cancel(request_id=request.pk, reason="订单预测下调", by=head)
    request = refreshed(request)
    assert request.state == StaffingState.CANCELLED
    assert (request.cancelled_by, request.cancel_reason) == (head, "订单预测下调")
    assert request.cancelled_at is not None
    assert not request.is_late


def test_a_filled_request_is_not_cancelled(head: Any, hr: Any) -> None:
    request = approved(head, hr, headcount=1)
    hire(supply(request, hr), hr)
    with pytest.raises(ConflictError):
        services.staffing_cancel(request_id=request.pk, reason="晚了", by=head)


def test_who_may_cancel(
    head: Any, other_head: Any, hr: Any, picker: Any, manager: Any, make_user: Any
) -> None:
    for user in (picker, other_head):
        request = requested(head)
        with pytest.raises(PermissionDeniedError):
            services.staffing_cancel(request_id=request.pk, reason="x", by=user)
        assert refreshed(request).state == StaffingState.REQUESTED
    for user in (head, hr, manager):
        request = requested(head)
        services.staffing_cancel(request_id=request.pk, reason="不需要了", by=user)
        assert refreshed(request).cancelled_by == user
    # The requester keeps the right after handing the department to a new head.
    request = requested(head)
    head.departments_headed.all().delete()
    services.staffing_cancel(request_id=request.pk, reason="岗位合并", by=head)


# --- Who is told ----------------------------------------------------------------------------


def test_who_is_told_along_the_way(head: Any, hr: Any, hr2: Any, manager: Any, picker: Any) -> None:
    # A manager asks for the warehouse: HR hears of it; the warehouse's head hears of the
    # candidates too.
    request = requested(manager, headcount=1)
    assert len(told(hr)) == 1
    assert request.number in told(hr)[0]
    assert told(hr2) == told(hr)
    assert told(manager) == []
    assert told(head) == []
    assert told(picker) == []

    services.staffing_approve(request_id=request.pk, by=hr)
    assert len(told(manager)) == 1
    assert "approved" in told(manager)[0]
    assert told(head) == []

    candidate = supply(request, hr, name="陈晓明")
    assert "陈晓明" in told(manager)[-1]
    assert "陈晓明" in told(head)[-1]
    assert len(told(hr)) == 1  # HR did it

    hire(candidate, head)
    assert "filled" in told(manager)[-1]
    assert "filled" in told(hr)[-1]
    assert "filled" in told(hr2)[-1]
    assert len(told(head)) == 1  # the head recorded the hire: told of the candidate only
    assert told(picker) == []
    # Running nothing twice: every notification once.
    assert Notification.objects.filter(recipient=manager).count() == 3


def test_the_new_request_reaches_every_hr_specialist(head: Any, hr: Any, hr2: Any) -> None:
    request = requested(head, position="拣货员", headcount=2)
    [title] = told(hr)
    assert request.number in title
    assert "拣货员" in title
    assert "2" in title
    assert told(hr2) == [title]
    note = Notification.objects.get(recipient=hr)
    assert note.url == request.get_absolute_url()
    assert note.body == PICKERS["reason"]


def test_a_cancellation_reaches_the_other_side(head: Any, hr: Any, hr2: Any) -> None:
    by_department = requested(head)
    services.staffing_cancel(request_id=by_department.pk, reason="不需要了", by=head)
    assert "cancelled" in told(hr)[-1]
    assert "cancelled" in told(hr2)[-1]
    assert told(head) == []

    by_hr = approved(head, hr, position="叉车司机", role="")
    services.staffing_cancel(request_id=by_hr.pk, reason="岗位取消", by=hr)
    assert by_hr.number in told(head)[-1]
    assert "cancelled" in told(head)[-1]
    assert not [t for t in told(hr) if by_hr.number in t and "cancelled" in t]
    assert [t for t in told(hr2) if by_hr.number in t and "cancelled" in t] == []


def test_is_late_once_the_date_wanted_passed(head: Any, hr: Any) -> None:
    request = requested(head, wanted_by=in_days(3))
    assert not request.is_late
    with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
        assert refreshed(request).is_late
