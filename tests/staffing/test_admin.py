"""Managers' admin of staffing requests: the list, a request with its candidates and log,
and the approve and cancel buttons running the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ecomops.staffing.models import StaffingState
from tests.staffing.factories import approved, refreshed, requested, supply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_managers_see_requests_with_candidates_and_run_the_steps(
    client: Client, head: Any, hr: Any, manager: Any
) -> None:
    busy = approved(head, hr)
    supply(busy, hr, name="陈晓明")
    waiting = requested(head, position="叉车司机", role="")
    client.force_login(manager)
    page = client.get(reverse("admin:staffing_staffingrequest_changelist")).content.decode()
    assert busy.number in page
    assert waiting.number in page
    page = client.get(
        reverse("admin:staffing_staffingrequest_change", args=[busy.pk])
    ).content.decode()
    assert "陈晓明" in page
    page = client.get(reverse("admin:staffing_candidate_changelist")).content.decode()
    assert "陈晓明" in page

    approve = reverse("admin:staffing_staffingrequest_transition", args=[waiting.pk, "approve"])
    response = client.post(approve, {"note": "同意"})
    assert response.status_code == 302
    waiting = refreshed(waiting)
    assert waiting.state == StaffingState.APPROVED
    assert (waiting.approved_by, waiting.approval_note) == (manager, "同意")

    cancel = reverse("admin:staffing_staffingrequest_transition", args=[busy.pk, "cancel"])
    response = client.post(cancel, {"reason": "岗位合并"})
    assert response.status_code == 302
    busy = refreshed(busy)
    assert busy.state == StaffingState.CANCELLED
    assert (busy.cancelled_by, busy.cancel_reason) == (manager, "岗位合并")


def test_a_refused_admin_step_is_a_message(client: Client, manager: Any) -> None:
    request = requested(manager)
    client.force_login(manager)
    approve = reverse("admin:staffing_staffingrequest_transition", args=[request.pk, "approve"])
    response = client.post(approve, {"note": ""}, follow=True)
    assert response.status_code == 200
    assert "someone else in HR or management approves it" in response.content.decode()
    assert refreshed(request).state == StaffingState.REQUESTED
