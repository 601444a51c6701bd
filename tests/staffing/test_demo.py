"""The staffing demo: heads of the demo departments and two requests, made once."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from ecomops import demo
from ecomops.accounts.models import DepartmentHead
from ecomops.notifications.models import Notification
from ecomops.staffing.demo import seed_staffing
from ecomops.staffing.models import Candidate, StaffingRequest

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return (
        DepartmentHead.objects.count(),
        StaffingRequest.objects.count(),
        Candidate.objects.count(),
        Notification.objects.count(),
    )


def test_demo_is_idempotent() -> None:
    lines: list[str] = []
    demo.seed_users(lines.append)
    seed_staffing(lines.append)
    first = counts()
    assert first[:3] == (9, 2, 3)
    hr = get_user_model().objects.get(username="hr")
    assert (hr.last_name, hr.first_name) == ("何", "晓燕")
    states = dict(StaffingRequest.objects.values_list("department", "state"))
    assert states == {"warehouse": "in_progress", "ecommerce": "requested"}
    assert Candidate.objects.filter(outcome="hired").count() == 1
    demo.seed_users(lines.append)
    seed_staffing(lines.append)
    assert counts() == first


def test_the_staffing_seeder_is_registered() -> None:
    assert "staffing" in {s.name for s in demo.seeders()}
