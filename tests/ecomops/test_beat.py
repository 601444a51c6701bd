"""Default beat schedules: created by data migrations through ecomops.beat."""

from __future__ import annotations

import json
import re

import pytest
from django.apps import apps as django_apps
from django_celery_beat.models import CrontabSchedule, PeriodicTask, PeriodicTasks

from ecomops.beat import ensure_crontab_task, remove_task, rename_task

pytestmark = pytest.mark.django_db

SWEEP = "SLA 时限巡检（每分钟）"


def test_sla_sweep_is_scheduled_every_minute() -> None:
    task = PeriodicTask.objects.select_related("crontab").get(name=SWEEP)
    assert task.task == "ecomops.sla.tasks.sweep_sla_clocks"
    assert task.enabled
    assert task.crontab is not None
    assert task.crontab.minute == "*"
    assert task.crontab.hour == "*"
    assert task.crontab.day_of_week == "*"
    assert str(task.crontab.timezone) == "Asia/Shanghai"
    assert task.interval is None


def test_scheduled_task_is_registered() -> None:
    import ecomops.sla.tasks  # noqa: F401  (what the worker's autodiscovery imports)
    from ecomops.celery import app

    assert "ecomops.sla.tasks.sweep_sla_clocks" in app.tasks


def test_ensure_crontab_task_is_idempotent() -> None:
    tasks_before = PeriodicTask.objects.count()
    crontabs_before = CrontabSchedule.objects.count()
    for _ in range(2):
        ensure_crontab_task(
            django_apps,
            name="Nightly test job",
            task="tests.nightly",
            minute="30",
            hour="1",
            kwargs={"dry_run": False},
            description="test",
        )
    assert PeriodicTask.objects.count() == tasks_before + 1
    assert CrontabSchedule.objects.count() == crontabs_before + 1
    task = PeriodicTask.objects.get(name="Nightly test job")
    assert (task.crontab.minute, task.crontab.hour) == ("30", "1")
    assert str(task.crontab.timezone) == "Asia/Shanghai"
    assert json.loads(task.kwargs) == {"dry_run": False}
    assert PeriodicTasks.last_change() is not None


def test_ensure_crontab_task_updates_task_and_schedule() -> None:
    ensure_crontab_task(django_apps, name="Moving job", task="tests.old", minute="0", hour="2")
    PeriodicTask.objects.filter(name="Moving job").update(enabled=False)
    ensure_crontab_task(django_apps, name="Moving job", task="tests.new", minute="15", hour="3")
    task = PeriodicTask.objects.get(name="Moving job")
    assert task.task == "tests.new"
    assert (task.crontab.minute, task.crontab.hour) == ("15", "3")
    assert not task.enabled  # a manager's choice is kept


def test_ensure_crontab_task_shares_an_existing_crontab() -> None:
    ensure_crontab_task(django_apps, name="Another minute job", task="tests.minute")
    sweep = PeriodicTask.objects.get(name=SWEEP)
    other = PeriodicTask.objects.get(name="Another minute job")
    assert other.crontab_id == sweep.crontab_id


def test_remove_task() -> None:
    ensure_crontab_task(django_apps, name="Short-lived job", task="tests.gone")
    remove_task(django_apps, "Short-lived job")
    remove_task(django_apps, "Short-lived job")
    assert not PeriodicTask.objects.filter(name="Short-lived job").exists()


def test_rename_task_keeps_schedule_and_a_managers_choice() -> None:
    ensure_crontab_task(django_apps, name="Old label", task="tests.renamed", minute="5", hour="6")
    PeriodicTask.objects.filter(name="Old label").update(enabled=False)
    before = PeriodicTask.objects.get(name="Old label")
    for _ in range(2):  # safe twice
        rename_task(django_apps, "Old label", "新名称", description="说明")
    task = PeriodicTask.objects.get(name="新名称")
    assert (task.pk, task.task, task.crontab_id) == (before.pk, "tests.renamed", before.crontab_id)
    assert (task.description, task.enabled) == ("说明", False)
    assert not PeriodicTask.objects.filter(name="Old label").exists()


def test_default_schedules_have_chinese_names_and_descriptions() -> None:
    """The admin lists beat's tasks by name: a manager reads Chinese, the task path stays."""
    tasks = PeriodicTask.objects.exclude(task__startswith="celery.")
    assert tasks.count() >= 12
    for task in tasks:
        assert re.search(r"[\u4e00-\u9fff]", task.name), task.name
        assert re.search(r"[\u4e00-\u9fff]", task.description), task.name
        assert re.fullmatch(r"[a-z_.]+", task.task), task.task


def test_the_schedules_come_back_after_a_flush() -> None:
    """A transactional test's flush empties beat's tables; the next test on that worker
    gets every default schedule back under its current name, once."""
    from tests.factories import reseed_after_flush

    before = sorted(PeriodicTask.objects.values_list("name", "task"))
    PeriodicTask.objects.all().delete()
    reseed_after_flush()
    assert sorted(PeriodicTask.objects.values_list("name", "task")) == before
    reseed_after_flush()
    assert PeriodicTask.objects.count() == len(before)
