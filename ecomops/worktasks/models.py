"""Cross-department tasks (任务下达 / 情况报告).

A ``WorkTask`` is work one department hands another: a title, details, a due time and
attachments. The receiving department (or only the holders of one of its roles) accepts
it, reports progress with ``TaskReport`` rows (情况报告) and completes it with a note, or
declines it with a reason; the sending side may cancel it with a reason. An open task past
its due time reminds both sides once.

Who may do what is decided by the departments of the roles a user holds
(``ecomops.accounts.roles``); managers may do everything. The rules live here, as the
transitions' ``permission`` callables, so the admin's buttons, the services and the
portal's selectors agree.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePath
from typing import Any

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from ecomops.accounts.fields import actor_field
from ecomops.accounts.roles import ROLES, Department, RoleCode
from ecomops.accounts.selectors import user_departments, user_role_codes
from ecomops.uploads import EXTENSIONS, JPEG


def department_choices() -> list[tuple[str, Any]]:
    """Callables, so that a department or role added later needs no migration here."""
    return list(Department.choices)


def role_choices() -> list[tuple[str, Any]]:
    return [(code, role.label) for code, role in ROLES.items()]


# Extensions a file of a type may carry besides the usual one.
SUFFIXES = {JPEG: (".jpg", ".jpeg", ".jfif")}


class TaskState(models.TextChoices):
    DISPATCHED = "dispatched", pgettext_lazy("task state", "Dispatched")
    ACCEPTED = "accepted", pgettext_lazy("task state", "Accepted")
    COMPLETED = "completed", pgettext_lazy("task state", "Completed")
    DECLINED = "declined", pgettext_lazy("task state", "Declined")
    CANCELLED = "cancelled", pgettext_lazy("task state", "Cancelled")


OPEN_TASK_STATES = (TaskState.DISPATCHED, TaskState.ACCEPTED)


# --- Who may do what (pure: roles only) ------------------------------------------------------


def is_manager(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False)) or RoleCode.MANAGER in user_role_codes(user)


def is_member(user: Any, department: str) -> bool:
    return department in user_departments(user)


def may_act(task: WorkTask, user: Any) -> bool:
    """Accept, report, complete, decline: the receiving department (only the holders of
    ``to_role`` when the task names one) and managers."""
    if is_manager(user):
        return True
    if task.to_role:
        return task.to_role in user_role_codes(user)
    return is_member(user, task.to_department)


def may_cancel(task: WorkTask, user: Any) -> bool:
    """Cancel: the sending department, whoever dispatched it, and managers."""
    if is_manager(user):
        return True
    if task.dispatched_by_id is not None and task.dispatched_by_id == getattr(user, "pk", None):
        return True
    return is_member(user, task.from_department)


def may_see(task: WorkTask, user: Any) -> bool:
    """Both departments, whoever dispatched it, and managers."""
    return may_cancel(task, user) or is_member(user, task.to_department)


def _act_permission(instance: Any, user: Any) -> bool:
    return may_act(instance, user)


def _cancel_permission(instance: Any, user: Any) -> bool:
    return may_cancel(instance, user)


# --- Tasks -----------------------------------------------------------------------------------


class WorkTask(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """任务: work one department hands another, with its due time."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    title = models.CharField(_("title"), max_length=200)
    details = models.TextField(_("details"))
    from_department = models.CharField(
        _("from department"), max_length=20, choices=department_choices
    )
    to_department = models.CharField(_("to department"), max_length=20, choices=department_choices)
    to_role = models.CharField(
        _("for role"),
        max_length=30,
        choices=role_choices,
        blank=True,
        help_text=_("Only the holders of this role of the receiving department act on it."),
    )
    due_at = models.DateTimeField(_("due"))
    state = FSMField(
        _("state"), default=TaskState.DISPATCHED, choices=TaskState.choices, protected=True
    )
    dispatched_by = actor_field(_("dispatched by"))
    dispatched_at = models.DateTimeField(_("dispatched"), default=timezone.now)
    accepted_by = actor_field(_("accepted by"))
    accepted_at = models.DateTimeField(pgettext_lazy("task", "accepted"), null=True, blank=True)
    completed_by = actor_field(_("completed by"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completion_note = models.TextField(_("completion note"), blank=True)
    declined_by = actor_field(_("declined by"))
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    overdue_reminded_at = models.DateTimeField(_("overdue reminder sent"), null=True, blank=True)
    source_label = models.CharField(
        _("source"),
        max_length=200,
        blank=True,
        help_text=_("What dispatched the task, e.g. a campaign and its number."),
    )
    source_url = models.CharField(_("source link"), max_length=300, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("department task")
        verbose_name_plural = _("department tasks")
        indexes = [
            models.Index(fields=["to_department", "state"], name="worktask_to_state"),
            models.Index(fields=["from_department", "state"], name="worktask_from_state"),
            models.Index(fields=["state", "due_at"], name="worktask_state_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_department=models.F("to_department")),
                name="worktask_other_department",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("worktasks:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_TASK_STATES

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.is_open and self.due_at < (now or timezone.now())

    @property
    def overdue(self) -> bool:
        """For templates: open and past its due time now."""
        return self.is_overdue()

    @transition(
        field=state,
        source=TaskState.DISPATCHED,
        target=TaskState.ACCEPTED,
        permission=_act_permission,
        custom={"label": _("accept")},
    )
    def accept(self, *, actor: Any, at: datetime) -> None:
        self.accepted_by = actor
        self.accepted_at = at

    @transition(
        field=state,
        source=TaskState.ACCEPTED,
        target=TaskState.COMPLETED,
        permission=_act_permission,
        custom={"label": _("complete")},
    )
    def complete(self, *, actor: Any, at: datetime, note: str) -> None:
        self.completed_by = actor
        self.completed_at = at
        self.completion_note = note

    @transition(
        field=state,
        source=[TaskState.DISPATCHED, TaskState.ACCEPTED],
        target=TaskState.DECLINED,
        permission=_act_permission,
        custom={"label": _("decline")},
    )
    def decline(self, *, actor: Any, at: datetime, why: str) -> None:
        self.declined_by = actor
        self.declined_at = at
        self.decline_reason = why

    @transition(
        field=state,
        source=[TaskState.DISPATCHED, TaskState.ACCEPTED],
        target=TaskState.CANCELLED,
        permission=_cancel_permission,
        custom={"label": _("cancel")},
    )
    def cancel(self, *, at: datetime, why: str) -> None:
        self.cancelled_at = at
        self.cancel_reason = why


class TaskReport(models.Model):
    """情况报告: what the receiving department reports on the task's progress."""

    task = models.ForeignKey(
        WorkTask, on_delete=models.CASCADE, related_name="reports", verbose_name=_("task")
    )
    text = models.TextField(_("report"))
    by = actor_field(_("reported by"))
    at = models.DateTimeField(_("reported"), default=timezone.now)

    class Meta:
        ordering = ["task", "at", "pk"]
        verbose_name = _("status report")
        verbose_name_plural = _("status reports")

    def __str__(self) -> str:
        return self.text[:60]


class TaskAttachment(models.Model):
    """A file sent with the task or with one of its reports (type checked by its bytes)."""

    task = models.ForeignKey(
        WorkTask, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("task")
    )
    report = models.ForeignKey(
        TaskReport,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("status report"),
    )
    file = models.FileField(_("file"), upload_to="worktasks/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("file type"), max_length=100)
    uploaded_by = actor_field(_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["task", "uploaded_at", "pk"]
        verbose_name = _("task attachment")
        verbose_name_plural = _("task attachments")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("worktasks:attachment", args=[self.pk])

    @property
    def download_name(self) -> str:
        """The name as uploaded, with the extension of the type its bytes showed."""
        extension = EXTENSIONS.get(self.content_type, "")
        name = PurePath(self.name)
        if not extension or name.suffix.lower() in SUFFIXES.get(self.content_type, (extension,)):
            return self.name
        return f"{name.stem}{extension}"
