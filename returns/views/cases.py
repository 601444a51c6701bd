"""The after-sales desk: cases (售后工单), callbacks (回访) and repeat customers (复购客户).

Each POST parses a form and calls one service; a refused one shows the service's message
on the form and keeps what was typed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.calendar import day_start
from ecomops.errors import ApplicationError
from ecomops.forms import call_service
from orders.models import Customer

from ..forms_cases import (
    CallbackForm,
    CaseFilterForm,
    CaseForm,
    CaseUpdateForm,
    OutcomeForm,
    ReopenForm,
    RescheduleForm,
    ResolveForm,
)
from ..models import AfterSalesCase, Callback
from ..selectors import cases as selectors
from ..services import cases as services

HANDLE = "returns.handle_case"


def _page(request: HttpRequest, queryset: Any, size: int = 50) -> Any:
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _id(value: Any) -> int | None:
    return int(value) if str(value or "").isdigit() else None


# --- Cases -------------------------------------------------------------------------------


@login_required
@permission_required("returns.view_aftersalescase", raise_exception=True)
def case_list(request: HttpRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET or None)
    q, state, mine = "", "", False
    if form.is_valid():
        q = form.cleaned_data["q"]
        state = form.cleaned_data["state"]
        mine = form.cleaned_data["mine"]
    cases = selectors.case_list(q=q, state=state, owner_id=request.user.pk if mine else None)
    context = {
        "page": _page(request, cases),
        "form": form,
        "can_open": request.user.has_perm(HANDLE),
    }
    return render(request, "returns/case_list.html", context)


@login_required
@permission_required(HANDLE, raise_exception=True)
def case_new(request: HttpRequest) -> HttpResponse:
    initial = {
        "customer": _id(request.GET.get("customer")),
        "order": request.GET.get("order", ""),
        "return_request": _id(request.GET.get("return_request")),
    }
    form = CaseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        return_request = data["return_request"]
        case = call_service(
            form,
            services.case_open,
            customer_id=data["customer_obj"].pk,
            order_id=data["order_obj"].pk if data["order_obj"] else None,
            return_request_id=return_request.pk if return_request else None,
            category=data["category"],
            problem=data["problem"],
            owner_id=data["owner"].pk if data["owner"] else None,
            by=request.user,
        )
        if case is not None:
            messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
            return redirect(case)
    customer_id = _id(form["customer"].value())
    context = {
        "form": form,
        "customer": Customer.objects.filter(pk=customer_id).first() if customer_id else None,
    }
    return render(request, "returns/case_form.html", context)


@login_required
@permission_required("returns.view_aftersalescase", raise_exception=True)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        case = selectors.case_detail(pk)
    except AfterSalesCase.DoesNotExist as exc:
        raise Http404 from exc
    action = request.POST.get("action")
    posted = request.POST if request.method == "POST" else None
    resolve_form = ResolveForm(
        posted if action == "resolve" else None, initial={"cause": case.cause}
    )
    reopen_form = ReopenForm(posted if action == "reopen" else None)
    update_form = CaseUpdateForm.for_case(case, posted if action == "update" else None)
    if request.method == "POST":
        if not request.user.has_perm(HANDLE):
            raise PermissionDenied
        done: Any = None
        if action == "resolve" and resolve_form.is_valid():
            done = call_service(
                resolve_form,
                services.case_resolve,
                case_id=pk,
                cause=resolve_form.cleaned_data["cause"],
                resolution=resolve_form.cleaned_data["resolution"],
                by=request.user,
            )
            if done is not None:
                messages.success(request, _("Case resolved."))
        elif action == "close":
            try:
                done = services.case_close(case_id=pk, by=request.user)
            except ApplicationError as exc:
                messages.error(request, exc.message)
                return redirect(case)
            messages.success(request, _("Case closed."))
        elif action == "reopen" and reopen_form.is_valid():
            done = call_service(
                reopen_form,
                services.case_reopen,
                case_id=pk,
                reason=reopen_form.cleaned_data["reason"],
                by=request.user,
            )
            if done is not None:
                messages.success(request, _("Case reopened."))
        elif action == "update" and update_form.is_valid():
            data = update_form.cleaned_data
            done = call_service(
                update_form,
                services.case_update,
                case_id=pk,
                category=data["category"],
                problem=data["problem"],
                cause=data["cause"],
                owner_id=data["owner"].pk,
                by=request.user,
            )
            if done is not None:
                messages.success(request, _("Saved."))
        if done is not None:
            return redirect(case)
    context = {
        "case": case,
        "callbacks": list(case.callbacks.all()),
        "resolve_form": resolve_form,
        "reopen_form": reopen_form,
        "update_form": update_form,
        "can_handle": request.user.has_perm(HANDLE),
        "now": timezone.now(),
        "open_action": action if request.method == "POST" else "",
    }
    return render(request, "returns/case_detail.html", context)


# --- Callbacks ---------------------------------------------------------------------------


@login_required
@permission_required("returns.view_callback", raise_exception=True)
def callback_list(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("mine") == "1"
    owner = request.user if mine else None
    today = timezone.localdate()
    start = day_start(today)
    due = list(selectors.callbacks_due_on(today, owner=owner))
    context = {
        "today": today,
        "tomorrow": today + timedelta(days=1),
        "overdue": [c for c in due if c.scheduled_at < start],
        "due_today": [c for c in due if c.scheduled_at >= start],
        "upcoming": list(selectors.callbacks_upcoming(today, owner=owner)[:100]),
        "done_today": list(selectors.callbacks_done_on(today, owner=owner)[:100]),
        "mine": mine,
        "now": timezone.now(),
        "can_schedule": request.user.has_perm(HANDLE),
    }
    return render(request, "returns/callback_list.html", context)


@login_required
@permission_required(HANDLE, raise_exception=True)
def callback_new(request: HttpRequest) -> HttpResponse:
    case_id = _id(request.GET.get("case"))
    initial = {
        "case": case_id,
        "customer": _id(request.GET.get("customer")),
        "order": request.GET.get("order", ""),
        "scheduled_at": timezone.localtime().replace(second=0, microsecond=0) + timedelta(hours=1),
    }
    form = CallbackForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        callback = call_service(
            form,
            services.callback_schedule,
            customer_id=data["customer_obj"].pk,
            case_id=data["case_obj"].pk if data["case_obj"] else None,
            order_id=data["order_obj"].pk if data["order_obj"] else None,
            purpose=data["purpose"],
            scheduled_at=data["scheduled_at"],
            owner_id=data["owner"].pk if data["owner"] else None,
            by=request.user,
        )
        if callback is not None:
            messages.success(
                request,
                _("Callback to %(customer)s scheduled for %(when)s.")
                % {
                    "customer": callback.customer.name,
                    "when": timezone.localtime(callback.scheduled_at).strftime("%m-%d %H:%M"),
                },
            )
            return redirect(callback.case or callback)
    case_pk = _id(form["case"].value())
    customer_pk = _id(form["customer"].value())
    context = {
        "form": form,
        "case": AfterSalesCase.objects.select_related("customer").filter(pk=case_pk).first()
        if case_pk
        else None,
        "customer": Customer.objects.filter(pk=customer_pk).first() if customer_pk else None,
    }
    return render(request, "returns/callback_form.html", context)


@login_required
@permission_required("returns.view_callback", raise_exception=True)
def callback_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        callback = selectors.callback_detail(pk)
    except Callback.DoesNotExist as exc:
        raise Http404 from exc
    action = request.POST.get("action")
    posted = request.POST if request.method == "POST" else None
    outcome_form = OutcomeForm(posted if action == "record" else None)
    reschedule_form = RescheduleForm(
        posted if action == "reschedule" else None,
        initial={"scheduled_at": timezone.localtime(callback.scheduled_at)},
    )
    if request.method == "POST":
        if not request.user.has_perm(HANDLE):
            raise PermissionDenied
        done: Any = None
        if action == "record" and outcome_form.is_valid():
            done = call_service(
                outcome_form,
                services.callback_record,
                callback_id=pk,
                outcome=outcome_form.cleaned_data["outcome"],
                note=outcome_form.cleaned_data["note"],
                by=request.user,
            )
            if done is not None:
                messages.success(request, _("Outcome recorded."))
        elif action == "reschedule" and reschedule_form.is_valid():
            done = call_service(
                reschedule_form,
                services.callback_reschedule,
                callback_id=pk,
                scheduled_at=reschedule_form.cleaned_data["scheduled_at"],
                by=request.user,
            )
            if done is not None:
                messages.success(request, _("Callback moved."))
        if done is not None:
            return redirect(callback)
    context = {
        "callback": callback,
        "outcome_form": outcome_form,
        "reschedule_form": reschedule_form,
        "can_handle": request.user.has_perm(HANDLE),
        "now": timezone.now(),
    }
    return render(request, "returns/callback_detail.html", context)


# --- Repeat customers --------------------------------------------------------------------


@login_required
@permission_required("returns.view_aftersalescase", raise_exception=True)
def repeat_customers(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    context = {
        "page": _page(request, selectors.repeat_customers(q=q)),
        "q": q,
        "can_open": request.user.has_perm(HANDLE),
    }
    return render(request, "returns/repeat_customers.html", context)
