"""Beat's "look now" for department tasks; safe to run twice or late."""

from __future__ import annotations

from celery import shared_task

from .services import tasks_remind_overdue


@shared_task(name="ecomops.worktasks.tasks.remind_overdue_tasks", acks_late=True)
def remind_overdue_tasks() -> int:
    """Open tasks past their due time: remind both departments once."""
    return tasks_remind_overdue()
