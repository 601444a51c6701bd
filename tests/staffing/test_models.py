"""The staffing request's state machine: which transitions each state allows."""

from __future__ import annotations

from typing import Any

import pytest
from django_fsm import can_proceed

from ecomops.staffing.models import StaffingRequest, StaffingState
from tests.staffing.factories import in_days

TRANSITIONS = ["approve", "start", "fill", "cancel"]
# state -> the transitions it allows ("fill" also needs every place hired)
ALLOWED: dict[str, set[str]] = {
    StaffingState.REQUESTED: {"approve", "cancel"},
    StaffingState.APPROVED: {"start", "cancel"},
    StaffingState.IN_PROGRESS: {"fill", "cancel"},
    StaffingState.FILLED: set(),
    StaffingState.CANCELLED: set(),
}


def request_in(state: str, **data: Any) -> StaffingRequest:
    request = StaffingRequest(
        number="ZP202611230001",
        department="warehouse",
        position="拣货员",
        headcount=data.get("headcount", 1),
        reason="x",
        wanted_by=in_days(5),
    )
    request.__dict__["state"] = state  # protected field: set as loaded from the database
    request.__dict__["hired_total"] = data.get("hired", 1)
    return request


@pytest.mark.parametrize("state", list(ALLOWED))
@pytest.mark.parametrize("name", TRANSITIONS)
def test_transitions_by_state(state: str, name: str) -> None:
    request = request_in(state)
    assert can_proceed(getattr(request, name)) is (name in ALLOWED[state])


def test_filled_only_when_every_place_is_hired() -> None:
    assert not can_proceed(request_in(StaffingState.IN_PROGRESS, headcount=2, hired=1).fill)
    assert can_proceed(request_in(StaffingState.IN_PROGRESS, headcount=2, hired=2).fill)


def test_late_only_while_open() -> None:
    from datetime import timedelta

    from django.utils import timezone

    for state in StaffingState.values:
        request = request_in(state)
        request.wanted_by = timezone.localdate() - timedelta(days=1)
        assert request.is_late is (state in ("requested", "approved", "in_progress"))
