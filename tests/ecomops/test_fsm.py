"""ecomops.fsm.transition: permission, refusal as a readable error, log with who and why."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django_fsm_log.models import StateLog

from ecomops.errors import ConflictError, PermissionDeniedError
from ecomops.fsm import transition
from tests.testapp.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def approver(make_user: Any) -> Any:
    user = make_user("manager")
    user.user_permissions.add(Permission.objects.get(codename="approve_ticket"))
    return type(user).objects.get(pk=user.pk)


def test_transition_saves_state_and_fields_and_logs_who_and_why(approver: Any) -> None:
    ticket = Ticket.objects.create(title="T1")
    transition(
        ticket,
        "approve",
        by=approver,
        reason="资料齐全",
        note="ok",
        update_fields=["approved_note"],
    )
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.APPROVED
    assert ticket.approved_note == "ok"
    log = StateLog.objects.for_(ticket).get()
    assert (log.source_state, log.state, log.by, log.description) == (
        "open",
        "approved",
        approver,
        "资料齐全",
    )


def test_user_without_the_permission_is_refused(make_user: Any) -> None:
    ticket = Ticket.objects.create(title="T2")
    with pytest.raises(PermissionDeniedError):
        transition(ticket, "approve", by=make_user("picker"))
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.OPEN
    assert not StateLog.objects.for_(ticket).exists()


def test_transition_from_the_wrong_state_is_a_conflict_naming_the_state(approver: Any) -> None:
    ticket = Ticket.objects.create(title="T3")
    with pytest.raises(ConflictError) as exc:
        transition(ticket, "close", by=approver)
    assert "T3" in exc.value.message
    assert "待处理" in exc.value.message
    assert exc.value.status_code == 409


def test_system_transitions_skip_the_permission_check() -> None:
    ticket = Ticket.objects.create(title="T4")
    transition(ticket, "approve", by=None)
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.APPROVED
    assert StateLog.objects.for_(ticket).get().by is None
