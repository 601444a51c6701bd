"""Department tasks: dispatch (任务下达), accept, status reports (情况报告), complete,
decline, cancel, and the once-only reminder of overdue tasks.

Each state change notifies the other side with a link to the task, under a notification
key per event, so a repeated call notifies nobody twice. ``by=None`` is the system: it may
dispatch and cancel; the receiving side's steps are always someone's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.roles import ROLES, Department, role_label
from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError, PermissionDeniedError
from ecomops.fsm import transition
from ecomops.notifications.models import Notification
from ecomops.notifications.services import notify_users
from ecomops.numbering.services import next_number
from ecomops.uploads import (
    DOCX,
    JPEG,
    PDF,
    PNG,
    TEXT,
    XLSX,
    detect_document_type,
    display_name,
    stored_name,
)

from .models import (
    OPEN_TASK_STATES,
    TaskAttachment,
    TaskReport,
    TaskState,
    WorkTask,
    is_manager,
    is_member,
    may_act,
    may_cancel,
)
from .selectors import task_receivers, task_senders

NUMBER_PREFIX = "RW"
ALLOWED_TYPES = (PDF, JPEG, PNG, XLSX, DOCX, TEXT)
MAX_FILES = 10
# A link back to what dispatched the task: a page of this site or a web address.
SAFE_URL_PREFIXES = ("/", "https://", "http://")


class TaskError(ApplicationError):
    """A task step that cannot be taken as asked (field errors under ``fields``)."""


# --- Helpers -----------------------------------------------------------------------------------


def _lock(task_id: int) -> WorkTask:
    return WorkTask.objects.select_for_update().get(pk=task_id)


def _department_label(code: str) -> str:
    return str(Department(code).label) if code in Department.values else code


def _receiving_side(task: WorkTask) -> str:
    if task.to_role:
        return _("%(role)s of %(department)s") % {
            "role": role_label(task.to_role),
            "department": _department_label(task.to_department),
        }
    return _department_label(task.to_department)


def _require_person(by: Any) -> None:
    if by is None or not getattr(by, "is_authenticated", False):
        raise PermissionDeniedError(_("Sign in to work on department tasks."))


def _require_receiver(task: WorkTask, by: Any) -> None:
    _require_person(by)
    if not may_act(task, by):
        raise PermissionDeniedError(
            _("Only %(side)s can work on task %(number)s.")
            % {"side": _receiving_side(task), "number": task.number}
        )


def _require_sender(task: WorkTask, by: Any) -> None:
    if by is None:
        return
    _require_person(by)
    if not may_cancel(task, by):
        raise PermissionDeniedError(
            _("Only %(department)s, who sent task %(number)s, can cancel it.")
            % {"department": _department_label(task.from_department), "number": task.number}
        )


def _closed(task: WorkTask) -> ConflictError:
    return ConflictError(
        _("Task %(number)s is %(state)s; nothing more can be done on it.")
        % {"number": task.number, "state": task.get_state_display()}
    )


def _notify(users: QuerySet[Any], *, by: Any, **kwargs: Any) -> None:
    """Tell ``users`` (not the one who acted) about the task."""
    if by is not None and getattr(by, "pk", None) is not None:
        users = users.exclude(pk=by.pk)
    notify_users(users=users, **kwargs)


def _due_text(task: WorkTask) -> str:
    return _("Due %(due)s.") % {"due": f"{timezone.localtime(task.due_at):%Y-%m-%d %H:%M}"}


def _check_files(uploads: Iterable[UploadedFile]) -> tuple[list[tuple[Any, str]], list[str]]:
    """Each upload with its type read from its bytes, and the reasons for those refused."""
    limit = int(settings.WORKTASKS_ATTACHMENT_MAX_BYTES)
    checked: list[tuple[Any, str]] = []
    errors: list[str] = []
    files = [f for f in uploads if f]
    if len(files) > MAX_FILES:
        return [], [_("Attach at most %(count)s files at a time.") % {"count": MAX_FILES}]
    for upload in files:
        name = display_name(getattr(upload, "name", ""))
        try:
            content_type = detect_document_type(upload, max_bytes=limit, allowed=ALLOWED_TYPES)
        except ValidationError as exc:
            errors.append(
                _("%(name)s: %(reason)s") % {"name": name, "reason": " ".join(exc.messages)}
            )
            continue
        checked.append((upload, content_type))
    return checked, errors


def _save_files(
    task: WorkTask, report: TaskReport | None, checked: list[tuple[Any, str]], by: Any
) -> list[TaskAttachment]:
    saved = []
    for upload, content_type in checked:
        attachment = TaskAttachment(
            task=task,
            report=report,
            name=display_name(getattr(upload, "name", "")),
            size=upload.size,
            content_type=content_type,
            uploaded_by=acting_user(by),
        )
        upload.seek(0)
        # Named from the type its bytes showed, never from the uploader's file name.
        attachment.file.save(stored_name(content_type), upload, save=False)
        attachment.save()
        saved.append(attachment)
    return saved


# --- Dispatch ----------------------------------------------------------------------------------


def task_dispatch(
    *,
    from_department: str,
    to_department: str,
    title: str,
    details: str,
    due_at: datetime,
    by: Any | None,
    to_role: str = "",
    attachments: Iterable[UploadedFile] = (),
    source_label: str = "",
    source_url: str = "",
) -> WorkTask:
    """Hand a task to another department (or to one role of it), due at ``due_at``.

    A person dispatches from a department they belong to (managers from any); another app
    dispatching on a user's behalf passes that user, the system passes ``by=None``.
    """
    if by is not None:
        _require_person(by)
        if from_department in Department.values and not (
            is_manager(by) or is_member(by, from_department)
        ):
            message = _("You can only send tasks from your own department.")
            raise PermissionDeniedError(message, {"fields": {"from_department": [message]}})
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    details = (details or "").strip()
    to_role = (to_role or "").strip()
    source_url = (source_url or "").strip()
    if from_department not in Department.values:
        errors["from_department"] = [_("Choose the department sending the task.")]
    if to_department not in Department.values:
        errors["to_department"] = [_("Choose the department the task goes to.")]
    elif to_department == from_department:
        errors["to_department"] = [_("A task goes to another department than the sender.")]
    if to_role:
        role = ROLES.get(to_role)
        if role is None or role.department != to_department:
            errors["to_role"] = [
                _("%(role)s is not a role of %(department)s.")
                % {"role": role_label(to_role), "department": _department_label(to_department)}
            ]
    if not title:
        errors["title"] = [_("Give the task a title.")]
    elif len(title) > 200:
        errors["title"] = [_("Keep the title to 200 characters.")]
    if not details:
        errors["details"] = [_("Say what is to be done.")]
    if due_at is None:
        errors["due_at"] = [_("Enter when the task is due.")]
    else:
        if timezone.is_naive(due_at):
            due_at = timezone.make_aware(due_at)
        if due_at <= timezone.now():
            errors["due_at"] = [_("The due time must be in the future.")]
    if source_url and (len(source_url) > 300 or not source_url.startswith(SAFE_URL_PREFIXES)):
        errors["source_url"] = [_("The source link must be a page of this site or a web address.")]
    checked, file_errors = _check_files(attachments)
    if file_errors:
        errors["attachments"] = file_errors
    if errors:
        raise TaskError(_("Check the task."), {"fields": errors})
    with transaction.atomic():
        task = WorkTask.objects.create(
            number=next_number(NUMBER_PREFIX),
            title=title,
            details=details,
            from_department=from_department,
            to_department=to_department,
            to_role=to_role,
            due_at=due_at,
            dispatched_by=acting_user(by),
            dispatched_at=timezone.now(),
            source_label=(source_label or "").strip()[:200],
            source_url=source_url,
        )
        _save_files(task, None, checked, by)
    _notify(
        task_receivers(task),
        by=by,
        title=_("New task from %(department)s: %(title)s")
        % {"department": _department_label(task.from_department), "title": task.title},
        body=f"{_due_text(task)}\n{task.details[:500]}",
        url=task.get_absolute_url(),
        key=f"worktasks.task.{task.pk}.dispatched",
    )
    return task


# --- The receiving department's steps ----------------------------------------------------------


def task_accept(*, task_id: int, by: Any) -> WorkTask:
    """The receiving department takes the task on."""
    with transaction.atomic():
        task = _lock(task_id)
        _require_receiver(task, by)
        if task.state == TaskState.ACCEPTED:
            return task
        transition(
            task,
            "accept",
            by=by,
            actor=acting_user(by),
            at=timezone.now(),
            update_fields=["accepted_by", "accepted_at"],
        )
    _notify(
        task_senders(task),
        by=by,
        title=_("%(side)s accepted task %(number)s: %(title)s")
        % {"side": _receiving_side(task), "number": task.number, "title": task.title},
        url=task.get_absolute_url(),
        key=f"worktasks.task.{task.pk}.accepted",
    )
    return task


def task_report(
    *, task_id: int, text: str, by: Any, attachments: Iterable[UploadedFile] = ()
) -> TaskReport:
    """A status report on an accepted task, with optional files."""
    text = (text or "").strip()
    with transaction.atomic():
        task = _lock(task_id)
        _require_receiver(task, by)
        if task.state == TaskState.DISPATCHED:
            raise ConflictError(
                _("Accept task %(number)s before reporting on it.") % {"number": task.number}
            )
        if task.state != TaskState.ACCEPTED:
            raise _closed(task)
        errors: dict[str, list[str]] = {}
        if not text:
            errors["text"] = [_("Write what has been done so far.")]
        checked, file_errors = _check_files(attachments)
        if file_errors:
            errors["attachments"] = file_errors
        if errors:
            raise TaskError(_("Check the report."), {"fields": errors})
        report = TaskReport.objects.create(
            task=task, text=text, by=acting_user(by), at=timezone.now()
        )
        _save_files(task, report, checked, by)
    _notify(
        task_senders(task),
        by=by,
        title=_("Status report on task %(number)s: %(title)s")
        % {"number": task.number, "title": task.title},
        body=text[:500],
        url=task.get_absolute_url(),
        key=f"worktasks.report.{report.pk}",
    )
    return report


def task_complete(*, task_id: int, note: str, by: Any) -> WorkTask:
    """The receiving department has done the task (the note says how it went)."""
    note = (note or "").strip()
    with transaction.atomic():
        task = _lock(task_id)
        _require_receiver(task, by)
        if task.state == TaskState.COMPLETED:
            return task
        if task.state == TaskState.DISPATCHED:
            raise ConflictError(
                _("Accept task %(number)s before completing it.") % {"number": task.number}
            )
        transition(
            task,
            "complete",
            by=by,
            reason=note,
            actor=acting_user(by),
            at=timezone.now(),
            note=note,
            update_fields=["completed_by", "completed_at", "completion_note"],
        )
    _notify(
        task_senders(task),
        by=by,
        title=_("Task %(number)s is completed: %(title)s")
        % {"number": task.number, "title": task.title},
        body=note[:500],
        url=task.get_absolute_url(),
        key=f"worktasks.task.{task.pk}.completed",
    )
    return task


def task_decline(*, task_id: int, reason: str, by: Any) -> WorkTask:
    """The receiving department will not do the task, and says why."""
    reason = (reason or "").strip()
    with transaction.atomic():
        task = _lock(task_id)
        _require_receiver(task, by)
        if task.state == TaskState.DECLINED:
            return task
        if task.state not in OPEN_TASK_STATES:
            raise _closed(task)
        if not reason:
            raise TaskError(
                _("Say why the task is declined."),
                {"fields": {"reason": [_("Give a reason.")]}},
            )
        transition(
            task,
            "decline",
            by=by,
            reason=reason,
            why=reason,
            actor=acting_user(by),
            at=timezone.now(),
            update_fields=["declined_by", "declined_at", "decline_reason"],
        )
    _notify(
        task_senders(task),
        by=by,
        title=_("%(side)s declined task %(number)s: %(title)s")
        % {"side": _receiving_side(task), "number": task.number, "title": task.title},
        body=reason[:500],
        url=task.get_absolute_url(),
        level=Notification.Level.WARNING,
        key=f"worktasks.task.{task.pk}.declined",
    )
    return task


# --- The sending side ---------------------------------------------------------------------------


def task_cancel(*, task_id: int, reason: str, by: Any | None) -> WorkTask:
    """The sending department (or the system) withdraws the task, and says why."""
    reason = (reason or "").strip()
    with transaction.atomic():
        task = _lock(task_id)
        _require_sender(task, by)
        if task.state == TaskState.CANCELLED:
            return task
        if task.state not in OPEN_TASK_STATES:
            raise _closed(task)
        if not reason:
            raise TaskError(
                _("Say why the task is cancelled."),
                {"fields": {"reason": [_("Give a reason.")]}},
            )
        transition(
            task,
            "cancel",
            by=by,
            reason=reason,
            why=reason,
            at=timezone.now(),
            update_fields=["cancelled_at", "cancel_reason"],
        )
    _notify(
        task_receivers(task),
        by=by,
        title=_("Task %(number)s was cancelled: %(title)s")
        % {"number": task.number, "title": task.title},
        body=reason[:500],
        url=task.get_absolute_url(),
        key=f"worktasks.task.{task.pk}.cancelled",
    )
    return task


# --- Beat ---------------------------------------------------------------------------------------


def tasks_remind_overdue(*, now: datetime | None = None) -> int:
    """Open tasks past their due time remind both sides once (beat, safe twice or late).

    Each task is claimed under ``select_for_update(skip_locked=True)`` while
    ``overdue_reminded_at`` is empty, so two sweeps never remind of the same task.
    Returns how many tasks were reminded of.
    """
    now = now or timezone.now()
    reminded = 0
    with transaction.atomic():
        due = (
            WorkTask.objects.select_for_update(skip_locked=True)
            .filter(state__in=OPEN_TASK_STATES, due_at__lt=now, overdue_reminded_at__isnull=True)
            .order_by("due_at", "pk")
        )
        for task in due:
            message = {
                "title": _("Task %(number)s is overdue: %(title)s")
                % {"number": task.number, "title": task.title},
                "body": _("%(sender)s → %(receiver)s. %(due)s")
                % {
                    "sender": _department_label(task.from_department),
                    "receiver": _receiving_side(task),
                    "due": _due_text(task),
                },
                "url": task.get_absolute_url(),
                "level": Notification.Level.WARNING,
                "key": f"worktasks.task.{task.pk}.overdue",
            }
            notify_users(users=task_receivers(task), **message)
            notify_users(users=task_senders(task), **message)
            task.overdue_reminded_at = now
            task.save(update_fields=["overdue_reminded_at"])
            reminded += 1
    return reminded
