"""Department tasks in the portal: the received and sent lists, the dispatch form, a task's
page with the steps the user may take, and its attachments.

Each POST parses a form and calls one service; a refused form shows the service's message
next to its field and keeps what was typed; a refusal for lack of permission answers 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ecomops.accounts.selectors import user_departments
from ecomops.calendar import day_closing, next_working_day
from ecomops.errors import PermissionDeniedError
from ecomops.forms import call_service
from ecomops.uploads import file_response

from . import selectors, services
from .forms import AcceptForm, CompleteForm, DispatchForm, ReasonForm, ReportForm, TaskFilterForm
from .models import TaskAttachment, TaskState, WorkTask, is_manager


def _guarded(service: Callable[..., Any]) -> Callable[..., Any]:
    def run(**kwargs: Any) -> Any:
        try:
            return service(**kwargs)
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc

    return run


def _call(form: forms.BaseForm, service: Callable[..., Any], **kwargs: Any) -> Any:
    return call_service(form, _guarded(service), **kwargs)


# --- Lists ------------------------------------------------------------------------------------


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    """Tasks the user's departments received (tab ``received``) or sent (tab ``sent``)."""
    tab = "sent" if request.GET.get("tab") == "sent" else "received"
    form = TaskFilterForm(request.GET or None)
    show, state = "open", ""
    if form.is_valid():
        show = form.cleaned_data["show"] or "open"
        state = form.cleaned_data["state"]
    pick = selectors.tasks_sent if tab == "sent" else selectors.tasks_received
    tasks = pick(request.user, open_only=show != "all", state=state)
    page = Paginator(tasks, 50).get_page(request.GET.get("page"))
    context = {
        "tab": tab,
        "sent": tab == "sent",
        "form": form,
        "page": page,
        "tasks": page.object_list,
        "received_open": selectors.tasks_received(request.user).count(),
        "sent_open": selectors.tasks_sent(request.user).count(),
        "can_dispatch": bool(user_departments(request.user)) or is_manager(request.user),
    }
    return render(request, "worktasks/task_list.html", context)


# --- Dispatch ---------------------------------------------------------------------------------


@login_required
def task_new(request: HttpRequest) -> HttpResponse:
    departments = user_departments(request.user)
    if not departments and not is_manager(request.user):
        raise PermissionDenied(_("You belong to no department, so you cannot send tasks."))
    initial = {
        "from_department": departments[0] if departments else "",
        "to_department": request.GET.get("to", ""),
        "due_at": day_closing(next_working_day(timezone.localdate())),
    }
    form = DispatchForm(
        request.POST or None, request.FILES or None, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        task = _call(
            form,
            services.task_dispatch,
            from_department=data["from_department"],
            to_department=data["to_department"],
            to_role=data["to_role"],
            title=data["title"],
            details=data["details"],
            due_at=data["due_at"],
            attachments=data["attachments"],
            by=request.user,
        )
        if task is not None:
            messages.success(
                request,
                _("Task %(number)s sent to %(department)s.")
                % {"number": task.number, "department": task.get_to_department_display()},
            )
            return redirect(task)
    context = {
        "form": form,
        # Browsers never send a file twice: a refused form asks for them again.
        "files_dropped": request.method == "POST" and bool(request.FILES),
    }
    return render(request, "worktasks/task_form.html", context)


# --- A task's page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step posted to ``task_action``: its form, the service call and what to say."""

    label: Promise
    form: type[forms.Form]
    run: Callable[..., Any]
    done: Promise
    style: str = "btn-primary"


STEPS: dict[str, Step] = {
    "accept": Step(
        gettext_lazy("Accept the task"),
        AcceptForm,
        lambda task_id, by, data: services.task_accept(task_id=task_id, by=by),
        gettext_lazy("Task accepted; the sender was told."),
    ),
    "report": Step(
        gettext_lazy("Report progress"),
        ReportForm,
        lambda task_id, by, data: services.task_report(
            task_id=task_id, text=data["text"], attachments=data["attachments"], by=by
        ),
        gettext_lazy("Status report sent."),
        "btn",
    ),
    "complete": Step(
        gettext_lazy("Mark as completed"),
        CompleteForm,
        lambda task_id, by, data: services.task_complete(task_id=task_id, note=data["note"], by=by),
        gettext_lazy("Task completed; the sender was told."),
    ),
    "decline": Step(
        gettext_lazy("Decline the task"),
        ReasonForm,
        lambda task_id, by, data: services.task_decline(
            task_id=task_id, reason=data["reason"], by=by
        ),
        gettext_lazy("Task declined; the sender was told."),
        "btn-danger",
    ),
    "cancel": Step(
        gettext_lazy("Cancel the task"),
        ReasonForm,
        lambda task_id, by, data: services.task_cancel(
            task_id=task_id, reason=data["reason"], by=by
        ),
        gettext_lazy("Task cancelled; the receiving department was told."),
        "btn-danger",
    ),
}


def _offered(task: WorkTask, user: Any) -> list[str]:
    """The steps this user may take on the task now, in the order they come."""
    offered: list[str] = []
    if selectors.user_can_act(user, task):
        if task.state == TaskState.DISPATCHED:
            offered += ["accept", "decline"]
        elif task.state == TaskState.ACCEPTED:
            offered += ["report", "complete", "decline"]
    if task.is_open and selectors.user_can_cancel(user, task):
        offered.append("cancel")
    return offered


def _task_page(
    request: HttpRequest, pk: int, *, bound: dict[str, forms.Form] | None = None
) -> HttpResponse:
    """The task's page; ``bound`` holds a refused form to show again as typed."""
    try:
        task = selectors.task_detail(pk)
    except WorkTask.DoesNotExist:
        raise Http404 from None
    if not selectors.user_can_see(request.user, task):
        raise PermissionDenied(_("This task is between other departments."))
    bound = bound or {}
    offered = _offered(task, request.user)
    for name, form in bound.items():
        if name not in offered:  # the task moved on meanwhile: say why it was refused
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, str(error))
    steps = [
        {
            "name": name,
            "label": STEPS[name].label,
            "style": STEPS[name].style,
            "form": bound.get(name) or STEPS[name].form(prefix=name),
            "multipart": "attachments" in STEPS[name].form.base_fields,
            "open": name in bound,
        }
        for name in offered
    ]
    context = {
        "task": task,
        "steps": steps,
        "reports": list(task.reports.all()),
        "files_dropped": bool(request.FILES) and bool(bound),
        "now": timezone.now(),
    }
    return render(request, "worktasks/task_detail.html", context)


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_page(request, pk)


@login_required
@require_POST
def task_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One step on the task: done, or the page again with the refusal on the form."""
    step = STEPS.get(action)
    if step is None:
        raise Http404
    task = get_object_or_404(WorkTask, pk=pk)
    if not selectors.user_can_see(request.user, task):
        raise PermissionDenied(_("This task is between other departments."))
    form = step.form(request.POST, request.FILES, prefix=action)
    if form.is_valid():
        done = _call(form, step.run, task_id=pk, by=request.user, data=form.cleaned_data)
        if done is not None:
            messages.success(request, str(step.done))
            return redirect(task)
    return _task_page(request, pk, bound={action: form})


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    try:
        attachment = selectors.attachment_for_download(pk)
    except TaskAttachment.DoesNotExist:
        raise Http404 from None
    if not selectors.user_can_see(request.user, attachment.task):
        raise PermissionDenied(_("This file belongs to a task between other departments."))
    # Its stored type (read from its bytes), inline only if a picture or PDF, never sniffed.
    return file_response(
        attachment.file.open("rb"), content_type=attachment.content_type, name=attachment.name
    )
