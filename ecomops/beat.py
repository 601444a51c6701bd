"""Default schedules for django-celery-beat, created by each app's data migrations (§6).

Scheduled jobs live in the database so managers see and change them in the admin; an
app's data migration creates its defaults::

    from ecomops.beat import schedule_operation

    class Migration(migrations.Migration):
        dependencies = [("django_celery_beat", "0019_alter_periodictasks_options"), ...]
        operations = [
            schedule_operation(
                name="Nightly reconciliation",
                task="finance.tasks.reconcile",
                minute="30",
                hour="1",
            )
        ]

Crontabs are in company time (Asia/Shanghai). Beat only says "look now": the task finds
its work in the database and must be harmless when run twice or late (DESIGN §7).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.apps.registry import Apps
from django.utils import timezone

TIMEZONE = "Asia/Shanghai"


def ensure_crontab_task(
    apps: Apps,
    *,
    name: str,
    task: str,
    minute: str = "*",
    hour: str = "*",
    day_of_week: str = "*",
    day_of_month: str = "*",
    month_of_year: str = "*",
    kwargs: dict[str, Any] | None = None,
    description: str = "",
) -> Any:
    """Create or update the periodic task ``name`` running ``task`` on this crontab.

    Idempotent: the task is found by its unique name and its task, schedule, arguments and
    description are brought up to date; whether it is enabled is left as a manager set it.
    Returns the (historical model) ``PeriodicTask``.
    """
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    spec = {
        "minute": minute,
        "hour": hour,
        "day_of_week": day_of_week,
        "day_of_month": day_of_month,
        "month_of_year": month_of_year,
        "timezone": TIMEZONE,
    }
    # Not get_or_create: the table has no unique constraint, duplicates may exist.
    crontab = crontab_model.objects.filter(**spec).order_by("pk").first()
    if crontab is None:
        crontab = crontab_model.objects.create(**spec)
    values = {
        "task": task,
        "crontab": crontab,
        "interval": None,
        "solar": None,
        "clocked": None,
        "one_off": False,
        "kwargs": json.dumps(kwargs or {}),
        "description": description,
    }
    periodic, created = task_model.objects.get_or_create(name=name, defaults=values)
    if not created:
        for field, value in values.items():
            setattr(periodic, field, value)
        periodic.save()
    _schedule_changed(apps)
    return periodic


def remove_task(apps: Apps, name: str) -> None:
    """Delete the periodic task ``name`` (the reverse of ``ensure_crontab_task``).

    Its crontab stays: other tasks may share it, and an unused one costs nothing.
    """
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    deleted, _ = task_model.objects.filter(name=name).delete()
    if deleted:
        _schedule_changed(apps)


def rename_task(apps: Apps, old: str, new: str, *, description: str | None = None) -> None:
    """Rename the periodic task ``old`` to ``new`` (and set its description if given): its
    task, schedule, arguments, last run and whether a manager enabled it stay. Nothing
    happens when ``old`` is gone or ``new`` exists already (safe to run twice)."""
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    if task_model.objects.filter(name=new).exists():
        return
    values = {"name": new} if description is None else {"name": new, "description": description}
    if task_model.objects.filter(name=old).update(**values):
        _schedule_changed(apps)


def _schedule_changed(apps: Apps) -> None:
    # Historical models skip PeriodicTask.save()'s own bookkeeping: tell a running beat
    # (DatabaseScheduler polls this row) to reload its schedule.
    tracker = apps.get_model("django_celery_beat", "PeriodicTasks")
    tracker.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def schedule_operation(*, name: str, task: str, **crontab: Any) -> Any:
    """A migration operation creating the periodic task ``name`` (and removing it on reverse).

    ``operations = [schedule_operation(name=..., task=..., minute="0", hour="12")]``; the
    keyword arguments are those of ``ensure_crontab_task``.
    """
    from django.db import migrations

    def forwards(apps: Apps, schema_editor: Any) -> None:
        ensure_crontab_task(apps, name=name, task=task, **crontab)

    def backwards(apps: Apps, schema_editor: Any) -> None:
        remove_task(apps, name)

    return migrations.RunPython(forwards, backwards)


def rename_operation(names: Mapping[str, tuple[str, str]]) -> Any:
    """A migration operation giving periodic tasks new names and descriptions
    (``{old name: (new name, new description)}``); reversed, the old names come back (the
    descriptions stay). Beat runs the task path: the name and description are what managers
    read in the admin. ``ensure_crontab_task`` and ``remove_task`` find a task by name, so
    later migrations use the new name."""
    from django.db import migrations

    def forwards(apps: Apps, schema_editor: Any) -> None:
        for old, (new, description) in names.items():
            rename_task(apps, old, new, description=description)

    def backwards(apps: Apps, schema_editor: Any) -> None:
        for old, (new, _description) in names.items():
            rename_task(apps, new, old)

    return migrations.RunPython(forwards, backwards)
