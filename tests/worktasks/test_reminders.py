"""Overdue tasks remind both sides once, however often and late beat looks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from ecomops.notifications.models import Notification
from ecomops.worktasks import services
from ecomops.worktasks.tasks import remind_overdue_tasks
from tests.worktasks.factories import accepted, dispatch

pytestmark = pytest.mark.django_db


def overdue_notices(task: Any) -> list[str]:
    return sorted(
        Notification.objects.filter(key=f"worktasks.task.{task.pk}.overdue").values_list(
            "recipient__username", flat=True
        )
    )


def test_an_overdue_task_reminds_receivers_and_sender_once(keeper, shop, designer, clerk):
    task = dispatch(keeper, due_at=timezone.now() + timedelta(hours=2))
    late = task.due_at + timedelta(minutes=1)
    assert services.tasks_remind_overdue(now=task.due_at - timedelta(minutes=1)) == 0
    assert services.tasks_remind_overdue(now=late) == 1
    assert services.tasks_remind_overdue(now=late + timedelta(minutes=10)) == 0
    assert overdue_notices(task) == ["designer", "keeper", "shop"]
    task.refresh_from_db()
    assert task.overdue_reminded_at == late
    assert Notification.objects.filter(recipient=shop, key__endswith=".overdue").get().level == (
        Notification.Level.WARNING
    )


def test_the_beat_task_reminds_once_when_run_twice(keeper, shop):
    waiting = accepted(keeper, shop, due_at=timezone.now() + timedelta(hours=1))
    later = dispatch(keeper, title="下周的任务", due_at=timezone.now() + timedelta(days=7))
    done = accepted(keeper, shop, title="已完成", due_at=timezone.now() + timedelta(hours=1))
    services.task_complete(task_id=done.pk, note="", by=shop)
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        assert remind_overdue_tasks.delay().get() == 1
        assert remind_overdue_tasks.delay().get() == 0
    assert overdue_notices(waiting) == ["keeper", "shop"]
    assert overdue_notices(later) == []
    assert overdue_notices(done) == []


def test_the_reminder_is_scheduled_every_ten_minutes():
    task = PeriodicTask.objects.select_related("crontab").get(
        task="ecomops.worktasks.tasks.remind_overdue_tasks"
    )
    assert task.enabled
    assert task.crontab is not None
    assert task.crontab.minute == "*/10"
    assert str(task.crontab.timezone) == "Asia/Shanghai"
