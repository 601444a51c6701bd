"""Staffing pages: the list of requests, a department's new request, and a request's page
with the steps the user may take (approve, supply a candidate, record an outcome, cancel).

Each POST parses a form and calls one service; a refused form shows the service's message
next to the field and keeps what was typed. The wrong person gets a 403 page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ecomops.errors import PermissionDeniedError
from ecomops.forms import call_service

from . import selectors, services
from .forms import ApproveForm, CancelForm, CandidateForm, FilterForm, OutcomeForm, RequestForm
from .models import Candidate, CandidateOutcome, StaffingRequest, StaffingState


def _guarded(service: Callable[..., Any]) -> Callable[..., Any]:
    def run(**kwargs: Any) -> Any:
        try:
            return service(**kwargs)
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc

    return run


def _call(form: forms.BaseForm, service: Callable[..., Any], **kwargs: Any) -> Any:
    """The service's result, or None with its refusal on the form (403 for the wrong
    person)."""
    return call_service(form, _guarded(service), **kwargs)


def _require_access(user: Any) -> None:
    if not selectors.has_access(user):
        raise PermissionDenied(
            _("Staffing requests are for HR, managers and the heads of departments.")
        )


def _visible(request: HttpRequest, pk: int) -> StaffingRequest:
    """The request if the user may see it: 404 when it is not there or another
    department's, 403 for staff with no business on these pages."""
    _require_access(request.user)
    try:
        staffing = selectors.request_detail(pk)
    except StaffingRequest.DoesNotExist:
        raise Http404 from None
    if not selectors.user_can_see(request.user, staffing):
        raise Http404
    return staffing


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_access(user)
    if selectors.sees_all(user):
        departments = None
    else:
        departments = set(selectors.requestable_departments(user)) | set(
            selectors.visible_requests(user).values_list("department", flat=True)
        )
    form = FilterForm(request.GET or None, departments=departments)
    state = department = ""
    if form.is_valid():
        state = form.cleaned_data["state"]
        department = form.cleaned_data["department"]
    queryset = selectors.request_list(user, state=state, department=department)
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "today": timezone.localdate(),
        "can_request": bool(selectors.requestable_departments(user)),
    }
    return render(request, "staffing/request_list.html", context)


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    departments = selectors.requestable_departments(request.user)
    if not departments:
        raise PermissionDenied(_("Only the head of a department or a manager asks HR for staff."))
    form = RequestForm(request.POST or None, departments=departments)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        staffing = _call(
            form,
            services.staffing_request,
            department=data["department"],
            position=data["position"],
            headcount=data["headcount"],
            reason=data["reason"],
            wanted_by=data["wanted_by"],
            role=data["role"] or "",
            by=request.user,
        )
        if staffing is not None:
            messages.success(
                request,
                _("Staffing request %(number)s sent to HR.") % {"number": staffing.number},
            )
            return redirect(staffing)
    return render(request, "staffing/request_form.html", {"form": form})


def _outcome_candidates(staffing: StaffingRequest) -> QuerySet[Candidate]:
    """The candidates whose outcome may still be recorded."""
    queryset = staffing.candidates.exclude(
        outcome__in=(CandidateOutcome.REJECTED, CandidateOutcome.WITHDRAWN)
    )
    if staffing.state == StaffingState.FILLED:
        queryset = queryset.exclude(outcome=CandidateOutcome.HIRED)
    return queryset.order_by("supplied_at", "pk")


def _detail_page(
    request: HttpRequest, staffing: StaffingRequest, bound: dict[str, forms.Form] | None = None
) -> HttpResponse:
    """The request's page; ``bound`` holds a refused form to show again as typed."""
    bound = bound or {}
    user = request.user
    approve = cancel = candidate = outcome = None
    outcome_ids: set[int] = set()
    if selectors.user_can_approve(user, staffing):
        approve = bound.get("approve") or ApproveForm(prefix="approve")
    if selectors.user_can_supply(user, staffing):
        candidate = bound.get("candidate") or CandidateForm(
            prefix="candidate", initial={"supplied_at": timezone.localdate()}
        )
    if selectors.user_can_record_outcome(user, staffing):
        choices = _outcome_candidates(staffing)
        outcome_ids = set(choices.values_list("pk", flat=True))
        if outcome_ids:
            wanted = request.GET.get("candidate", "")
            outcome = bound.get("outcome") or OutcomeForm(
                prefix="outcome",
                candidates=choices,
                initial={"candidate": int(wanted) if wanted.isdigit() else None},
            )
    if selectors.user_can_cancel(user, staffing):
        cancel = bound.get("cancel") or CancelForm(prefix="cancel")
    shown = {
        name
        for name, form in (
            ("approve", approve),
            ("candidate", candidate),
            ("outcome", outcome),
            ("cancel", cancel),
        )
        if form is not None
    }
    for name, form in bound.items():
        if name not in shown:  # the request moved on meanwhile: say why it was refused
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, str(error))
    context = {
        "staffing": staffing,
        "candidates": list(staffing.candidates.all()),
        "approve_form": approve,
        "candidate_form": candidate,
        "outcome_form": outcome,
        "outcome_ids": outcome_ids,
        "cancel_form": cancel,
        "open_form": next(iter(bound), ""),
    }
    return render(request, "staffing/request_detail.html", context)


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _visible(request, pk))


@login_required
@require_POST
def request_approve(request: HttpRequest, pk: int) -> HttpResponse:
    staffing = _visible(request, pk)
    form = ApproveForm(request.POST, prefix="approve")
    if form.is_valid():
        done = _call(
            form,
            services.staffing_approve,
            request_id=pk,
            note=form.cleaned_data["note"],
            by=request.user,
        )
        if done is not None:
            messages.success(request, _("Request %(number)s approved.") % {"number": done.number})
            return redirect(done)
    return _detail_page(request, staffing, {"approve": form})


@login_required
@require_POST
def candidate_add(request: HttpRequest, pk: int) -> HttpResponse:
    staffing = _visible(request, pk)
    form = CandidateForm(request.POST, prefix="candidate")
    if form.is_valid():
        data = form.cleaned_data
        candidate = _call(
            form,
            services.staffing_candidate_add,
            request_id=pk,
            name=data["name"],
            phone=data["phone"],
            source=data["source"],
            supplied_at=data["supplied_at"],
            by=request.user,
        )
        if candidate is not None:
            messages.success(
                request,
                _("%(name)s supplied to the department.") % {"name": candidate.name},
            )
            return redirect(staffing)
    return _detail_page(request, staffing, {"candidate": form})


@login_required
@require_POST
def candidate_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    staffing = _visible(request, pk)
    form = OutcomeForm(
        request.POST, prefix="outcome", candidates=staffing.candidates.order_by("pk")
    )
    if form.is_valid():
        data = form.cleaned_data
        candidate = _call(
            form,
            services.staffing_candidate_outcome,
            candidate_id=data["candidate"].pk,
            outcome=data["outcome"],
            note=data["note"],
            start_date=data["start_date"],
            by=request.user,
        )
        if candidate is not None:
            messages.success(
                request,
                _("%(name)s: %(outcome)s.")
                % {"name": candidate.name, "outcome": candidate.get_outcome_display()},
            )
            return redirect(staffing)
    return _detail_page(request, staffing, {"outcome": form})


@login_required
@require_POST
def request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    staffing = _visible(request, pk)
    form = CancelForm(request.POST, prefix="cancel")
    if form.is_valid():
        done = _call(
            form,
            services.staffing_cancel,
            request_id=pk,
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
        if done is not None:
            messages.success(request, _("Request %(number)s cancelled.") % {"number": done.number})
            return redirect(staffing)
    return _detail_page(request, staffing, {"cancel": form})
