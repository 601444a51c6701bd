"""The demo tasks: one in each state, made once however often seed_demo runs."""

from __future__ import annotations

import pytest

from ecomops import demo
from ecomops.worktasks.demo import TASKS, seed_worktasks
from ecomops.worktasks.models import TaskAttachment, TaskReport, WorkTask

pytestmark = pytest.mark.django_db


def test_the_demo_tasks_are_seeded_once():
    log: list[str] = []
    demo.seed_users(log.append)
    seed_worktasks(log.append)
    assert WorkTask.objects.count() == len(TASKS)
    counts = (WorkTask.objects.count(), TaskReport.objects.count(), TaskAttachment.objects.count())
    seed_worktasks(log.append)
    assert (
        WorkTask.objects.count(),
        TaskReport.objects.count(),
        TaskAttachment.objects.count(),
    ) == counts
    assert log[-1] == "0 department tasks"
    states = set(WorkTask.objects.values_list("state", flat=True))
    assert states == {"dispatched", "accepted", "completed", "declined", "cancelled"}
    assert sum(task.overdue for task in WorkTask.objects.all()) == 1
    assert TaskReport.objects.count() == 2
    assert [s.name for s in demo.seeders()].index("worktasks") < [
        s.name for s in demo.seeders()
    ].index("distribution")
