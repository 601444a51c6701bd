"""Reads of department tasks: what a department received and sent, who may see and act on a
task, and who is told about it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from ecomops.accounts.selectors import user_departments, users_in_department, users_with_role

from .models import (
    OPEN_TASK_STATES,
    TaskAttachment,
    TaskReport,
    WorkTask,
    is_manager,
    may_act,
    may_cancel,
    may_see,
)


def _listed(queryset: QuerySet[WorkTask], *, open_only: bool, state: str) -> QuerySet[WorkTask]:
    if state:
        queryset = queryset.filter(state=state)
    elif open_only:
        queryset = queryset.filter(state__in=OPEN_TASK_STATES)
    return (
        queryset.select_related("dispatched_by", "accepted_by")
        .annotate(report_count=Count("reports"))
        .order_by("due_at", "pk")
    )


def _scope(user: Any, department: str | None) -> list[str] | None:
    """The departments whose tasks ``user`` looks at; None: every department (managers)."""
    if not getattr(user, "is_authenticated", False):
        return []
    mine = [str(d) for d in user_departments(user)]
    if department:
        return [department] if department in mine or is_manager(user) else []
    return None if is_manager(user) else mine


def tasks_received(
    user: Any, *, open_only: bool = True, state: str = "", department: str | None = None
) -> QuerySet[WorkTask]:
    """Tasks sent to the user's departments (or to ``department`` only), due first;
    managers see every department's. ``state`` picks one state instead of the open ones."""
    scope = _scope(user, department)
    queryset = WorkTask.objects.all()
    if scope is not None:
        queryset = queryset.filter(to_department__in=scope)
    return _listed(queryset, open_only=open_only, state=state)


def tasks_sent(
    user: Any, *, open_only: bool = True, state: str = "", department: str | None = None
) -> QuerySet[WorkTask]:
    """Tasks the user's departments (or ``department`` only) sent, and those the user
    dispatched; managers see every department's."""
    scope = _scope(user, department)
    queryset = WorkTask.objects.all()
    if scope is not None:
        sent = Q(from_department__in=scope)
        if not department and getattr(user, "is_authenticated", False):
            sent |= Q(dispatched_by=user)
        queryset = queryset.filter(sent)
    return _listed(queryset, open_only=open_only, state=state)


def received_open_count(user: Any) -> int:
    return tasks_received(user).count()


def overdue_count(user: Any) -> int:
    """Open tasks the user's departments received whose due time has passed."""
    return tasks_received(user).filter(due_at__lt=timezone.now()).count()


def user_can_act(user: Any, task: WorkTask) -> bool:
    """May accept, report on, complete or decline the task (not whether its state allows)."""
    return bool(getattr(user, "is_authenticated", False)) and may_act(task, user)


def user_can_cancel(user: Any, task: WorkTask) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and may_cancel(task, user)


def user_can_see(user: Any, task: WorkTask) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and may_see(task, user)


def task_detail(pk: int) -> WorkTask:
    """The task with its people, its own files (``task_attachments``) and its reports (oldest
    first) with theirs; ``WorkTask.DoesNotExist`` if there is none."""
    files = TaskAttachment.objects.select_related("uploaded_by").order_by("uploaded_at", "pk")
    return (
        WorkTask.objects.select_related(
            "dispatched_by", "accepted_by", "completed_by", "declined_by"
        )
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=TaskReport.objects.select_related("by")
                .prefetch_related(Prefetch("attachments", queryset=files))
                .order_by("at", "pk"),
            ),
            Prefetch(
                "attachments",
                queryset=files.filter(report__isnull=True),
                to_attr="task_attachments",
            ),
        )
        .get(pk=pk)
    )


def attachment_for_download(pk: int) -> TaskAttachment:
    return TaskAttachment.objects.select_related("task").get(pk=pk)


def task_receivers(task: WorkTask) -> QuerySet[Any]:
    """Who is told about a task sent to them: the holders of ``to_role`` if it names one
    (and anyone holds it), else everyone of the receiving department."""
    if task.to_role:
        holders = users_with_role(task.to_role)
        if holders.exists():
            return holders
    return users_in_department(task.to_department)


def task_senders(task: WorkTask) -> QuerySet[Any]:
    """Who is told what became of a task: whoever dispatched it (if still active), else the
    sending department."""
    if task.dispatched_by_id is not None:
        dispatcher = get_user_model().objects.filter(pk=task.dispatched_by_id, is_active=True)
        if dispatcher.exists():
            return dispatcher
    return users_in_department(task.from_department)
