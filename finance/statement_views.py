"""Statement screens (issue 22 §1): import a statement, look at its lines, accept a
suggested order for a line, undo a match with a reason.

Each POST parses a form and calls one service; a refused one re-renders the form with the
service's message and what was chosen.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ecomops.errors import ApplicationError
from ecomops.forms import add_service_errors

from . import services, statement_selectors
from .models import StatementLine
from .statement_forms import (
    AcceptMatchForm,
    StatementFilterForm,
    StatementUploadForm,
    UndoMatchForm,
)

PENDING_DIR = "finance/statements/pending"


def _pending_path(token: str) -> str:
    return f"{PENDING_DIR}/{token}"


@login_required
@permission_required("finance.view_statementline", raise_exception=True)
def statement_list(request: HttpRequest) -> HttpResponse:
    filters = StatementFilterForm(request.GET or None)
    values: dict[str, Any] = {"account": "", "status": "unmatched", "kind": "", "query": ""}
    if filters.is_valid():
        values.update(
            account=filters.cleaned_data["account"],
            status=filters.cleaned_data["status"] or "unmatched",
            kind=filters.cleaned_data["kind"],
            query=filters.cleaned_data["q"].strip(),
        )
    lines = statement_selectors.statement_lines(**values)
    context = {
        "page": Paginator(lines, 50).get_page(request.GET.get("page")),
        "filters": filters,
        "imports": statement_selectors.recent_imports(),
        "accounts": statement_selectors.payment_accounts(),
    }
    return render(request, "finance/statement_list.html", context)


@login_required
@permission_required("finance.import_statement", raise_exception=True)
def statement_upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = StatementUploadForm(initial={"account": request.GET.get("account", "")})
        return render(request, "finance/statement_upload.html", {"form": form})
    columns = request.POST.getlist("columns")
    form = StatementUploadForm(request.POST, request.FILES, columns=columns)
    status = 400
    if form.is_valid():
        upload = form.cleaned_data.get("file")
        if upload is not None:
            name, content = upload.name, upload.read()
        else:
            token = form.cleaned_data["pending"]
            name = form.cleaned_data["pending_name"] or "statement"
            path = _pending_path(token)
            content = default_storage.open(path).read() if default_storage.exists(path) else b""
            if not content:
                form.add_error("file", _("The kept file is gone: choose the file again."))
        if not form.errors:
            try:
                outcome = services.statement_import(
                    account=form.cleaned_data["account"],
                    file_name=name,
                    content=content,
                    by=request.user,
                    mapping=form.mapping() or None,
                )
            except services.MappingRequired as exc:
                # Keep the file and ask for the columns, proposing a mapping.
                token = uuid.uuid4().hex
                default_storage.save(_pending_path(token), ContentFile(content))
                data = request.POST.copy()
                data["pending"], data["pending_name"] = token, name
                for field, column in exc.extra.get("guess", {}).items():
                    data.setdefault(f"map_{field}", column)
                form = StatementUploadForm(data, columns=exc.extra.get("columns", []))
                form.is_valid()
                form.add_error(None, exc.message)
                status = 200
            except ApplicationError as exc:
                add_service_errors(form, exc)
                status = exc.status_code if exc.status_code != 200 else 400
            else:
                if form.cleaned_data.get("pending"):
                    default_storage.delete(_pending_path(form.cleaned_data["pending"]))
                messages.success(
                    request,
                    _(
                        "%(file)s: %(lines)d lines, %(created)d new, %(existing)d already in, "
                        "%(matched)d matched to orders."
                    )
                    % {
                        "file": name,
                        "lines": outcome.lines,
                        "created": outcome.created,
                        "existing": outcome.existing,
                        "matched": outcome.matched,
                    },
                )
                account = outcome.statement_import.account.code
                return redirect(f"{reverse('finance:statement_list')}?account={account}&status=all")
    return render(
        request,
        "finance/statement_upload.html",
        {"form": form, "columns": form.columns},
        status=status,
    )


def _line(pk: int) -> StatementLine:
    return get_object_or_404(
        StatementLine.objects.select_related(
            "account", "order", "channel", "matched_by", "statement_import"
        ),
        pk=pk,
    )


@login_required
@permission_required("finance.view_statementline", raise_exception=True)
def statement_line_detail(
    request: HttpRequest,
    pk: int,
    *,
    accept_form: AcceptMatchForm | None = None,
    undo_form: UndoMatchForm | None = None,
    status: int = 200,
) -> HttpResponse:
    line = _line(pk)
    context = {
        "line": line,
        "suggestions": [] if line.order_id else statement_selectors.suggestions(line),
        "log": line.match_log.select_related("order", "by"),
        "accept_form": accept_form or AcceptMatchForm(),
        "undo_form": undo_form or UndoMatchForm(),
        "can_match": request.user.has_perm("finance.import_statement"),
        "raw": sorted(line.raw.items()),
    }
    return render(request, "finance/statement_line_detail.html", context, status=status)


@login_required
@permission_required("finance.import_statement", raise_exception=True)
@require_POST
def statement_line_accept(request: HttpRequest, pk: int) -> HttpResponse:
    form = AcceptMatchForm(request.POST)
    if form.is_valid():
        try:
            line = services.statement_line_match(
                line_id=pk,
                order_id=form.cleaned_data["order"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return statement_line_detail(request, pk, accept_form=form, status=exc.status_code)
        messages.success(
            request,
            _("Line %(ref)s matched to %(order)s.")
            % {"ref": line.reference, "order": line.order.number if line.order else ""},
        )
        return redirect(line)
    return statement_line_detail(request, pk, accept_form=form, status=400)


@login_required
@permission_required("finance.import_statement", raise_exception=True)
@require_POST
def statement_line_undo(request: HttpRequest, pk: int) -> HttpResponse:
    form = UndoMatchForm(request.POST)
    if form.is_valid():
        try:
            line = services.statement_line_unmatch(
                line_id=pk, reason=form.cleaned_data["reason"], by=request.user
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return statement_line_detail(request, pk, undo_form=form, status=exc.status_code)
        messages.success(
            request, _("The match of line %(ref)s is undone.") % {"ref": line.reference}
        )
        return redirect(line)
    return statement_line_detail(request, pk, undo_form=form, status=400)
