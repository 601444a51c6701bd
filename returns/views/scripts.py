"""The reply-script knowledge base (话术库): search while on a chat, write and correct
scripts, read a script's versions and the changes of a day."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.errors import ApplicationError
from ecomops.forms import add_service_errors

from ..forms_cases import DayForm, ScriptEditForm, ScriptForm, ScriptSearchForm
from ..models import ReplyScript
from ..selectors import scripts as selectors
from ..services import scripts as services

VIEW = "returns.view_replyscript"
EDIT = "returns.edit_replyscript"


@login_required
@permission_required(VIEW, raise_exception=True)
def script_list(request: HttpRequest) -> HttpResponse:
    form = ScriptSearchForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "q": data["q"],
            "category": data["category"],
            "audience": data["audience"],
            "active_only": not data["inactive"],
        }
    page = Paginator(selectors.script_search(**filters), 30).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "form": form,
        "terms": filters.get("q", "").split(),
        "can_edit": request.user.has_perm(EDIT),
        "today": timezone.localdate(),
    }
    return render(request, "returns/script_list.html", context)


@login_required
@permission_required(EDIT, raise_exception=True)
def script_new(request: HttpRequest) -> HttpResponse:
    form = ScriptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            script = services.script_create(by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Reply script saved."))
            return redirect(script)
    return render(request, "returns/script_form.html", {"form": form, "script": None})


@login_required
@permission_required(EDIT, raise_exception=True)
def script_edit(request: HttpRequest, pk: int) -> HttpResponse:
    script = get_object_or_404(ReplyScript, pk=pk)
    form = ScriptEditForm(
        request.POST or None,
        initial={
            "category": script.category,
            "audience": script.audience,
            "question": script.question,
            "answer": script.answer,
            "active": script.active,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.script_update(script_id=pk, by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Reply script saved."))
            return redirect(script)
    return render(request, "returns/script_form.html", {"form": form, "script": script})


@login_required
@permission_required(VIEW, raise_exception=True)
def script_detail(request: HttpRequest, pk: int) -> HttpResponse:
    script = get_object_or_404(ReplyScript.objects.select_related("updated_by"), pk=pk)
    context = {
        "script": script,
        "versions": selectors.script_history(script),
        "can_edit": request.user.has_perm(EDIT),
    }
    return render(request, "returns/script_detail.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def script_changes(request: HttpRequest) -> HttpResponse:
    form = DayForm(request.GET or None, initial={"day": timezone.localdate()})
    day = form.cleaned_data["day"] if form.is_valid() else timezone.localdate()
    context = {"form": form, "day": day, "changes": selectors.changes_on(day)}
    return render(request, "returns/script_changes.html", context)
