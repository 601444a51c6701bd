"""Finance portal screens for fully digital e-invoices (数电票): the tax platform desk (batch
export, result import), manual entry of one number, and red-letter confirmation forms.

Each POST parses a form and calls one service; a refused one shows the service's message on
the form and keeps what was typed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ecomops.errors import ApplicationError
from ecomops.forms import call_service

from . import services
from .digital_forms import DigitalEntryForm, RedNumberForm, ResultImportForm
from .forms import ReasonForm, RedLetterForm
from .models import (
    DeliveryMethod,
    DigitalInvoiceBatch,
    Invoice,
    InvoiceRequest,
    InvoiceRequestState,
    RedLetterConfirmation,
    RedLetterConfirmationState,
)


def _desk_context(request: HttpRequest, import_form: ResultImportForm) -> dict[str, Any]:
    waiting = InvoiceRequest.objects.filter(
        state=InvoiceRequestState.REQUESTED, delivery_method=DeliveryMethod.EMAIL
    )
    return {
        "issuer": services.company_issuer().code,
        "to_export": waiting.filter(platform_batch__isnull=True).count(),
        "on_platform": waiting.filter(platform_batch__isnull=False).count(),
        "batches": DigitalInvoiceBatch.objects.select_related("created_by")[:20],
        "import_form": import_form,
    }


@login_required
@permission_required("finance.issue_invoice", raise_exception=True)
def platform_desk(request: HttpRequest) -> HttpResponse:
    """批量开具: export the open electronic requests, import the platform's result."""
    form = ResultImportForm(request.POST or None, request.FILES or None)
    outcomes = None
    if request.method == "POST" and form.is_valid():
        uploads = [(f.name, f.read()) for f in form.cleaned_data["issued_files"]]
        outcomes = call_service(
            form,
            services.digital_batch_import_result,
            content=form.cleaned_data["result"].read(),
            files=uploads,
            by=request.user,
        )
        if outcomes is not None:
            attached = sum(1 for o in outcomes if o.invoice is not None)
            messages.success(
                request,
                _("%(attached)d of %(rows)d invoices attached.")
                % {"attached": attached, "rows": len(outcomes)},
            )
    context = _desk_context(request, form)
    context["outcomes"] = outcomes
    status = 400 if form.errors else 200
    return render(request, "finance/platform_desk.html", context, status=status)


@login_required
@permission_required("finance.issue_invoice", raise_exception=True)
@require_POST
def platform_export(request: HttpRequest) -> HttpResponse:
    export = services.digital_batch_export(by=request.user)
    for held, reason in export.held:
        messages.warning(
            request,
            _("%(request)s held: %(reason)s") % {"request": held.number, "reason": reason},
        )
    if export.batch is None:
        messages.info(request, _("No electronic request is waiting to be exported."))
    else:
        messages.success(
            request,
            _("Batch %(batch)s with %(count)d requests: download its template below.")
            % {"batch": export.batch.number, "count": len(export.exported)},
        )
    return redirect("finance:platform_desk")


@login_required
@permission_required("finance.issue_invoice", raise_exception=True)
def platform_batch_template(request: HttpRequest, pk: int) -> FileResponse:
    batch = get_object_or_404(DigitalInvoiceBatch, pk=pk)
    if not batch.template:
        raise Http404
    return FileResponse(
        batch.template.open("rb"), as_attachment=True, filename=f"批量开具-{batch.number}.xlsx"
    )


@login_required
@permission_required("finance.issue_invoice", raise_exception=True)
def digital_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """The number and file of one 数电票 issued in the platform's page."""
    invoice_request = get_object_or_404(InvoiceRequest.objects.select_related("order"), pk=pk)
    form = DigitalEntryForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        invoice = call_service(
            form,
            services.digital_invoice_enter,
            request_id=pk,
            number=form.cleaned_data["number"],
            issued_on=form.cleaned_data["issued_on"],
            total_amount=form.cleaned_data["total_amount"],
            file_name=upload.name if upload else "",
            file_content=upload.read() if upload else b"",
            by=request.user,
        )
        if invoice is not None:
            messages.success(
                request, _("Invoice %(number)s recorded.") % {"number": invoice.number}
            )
            return redirect(invoice)
    status = 400 if form.errors else 200
    return render(
        request,
        "finance/digital_entry.html",
        {"req": invoice_request, "form": form},
        status=status,
    )


# --- Red-letter confirmation forms ----------------------------------------------------------


@login_required
@permission_required("finance.view_invoice", raise_exception=True)
def red_confirmation_list(request: HttpRequest) -> HttpResponse:
    forms_ = RedLetterConfirmation.objects.select_related("invoice", "red_invoice")[:200]
    return render(request, "finance/red_confirmation_list.html", {"confirmations": forms_})


@login_required
@permission_required("finance.issue_red_letter", raise_exception=True)
def red_confirmation_new(request: HttpRequest, invoice_pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=invoice_pk)
    lines = list(invoice.lines.all())
    form = RedLetterForm(request.POST or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        done = call_service(
            form,
            services.red_letter_confirmation_draft,
            invoice_id=invoice.pk,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            quantities=form.quantities(),
            by=request.user,
        )
        if done is not None:
            messages.success(
                request, _("Confirmation form %(number)s drafted.") % {"number": done.number}
            )
            return redirect(done)
    status = 400 if form.errors else 200
    return render(
        request,
        "finance/red_confirmation_form.html",
        {"invoice": invoice, "form": form},
        status=status,
    )


@login_required
@permission_required("finance.view_invoice", raise_exception=True)
def red_confirmation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    form_obj = get_object_or_404(
        RedLetterConfirmation.objects.select_related("invoice", "red_invoice", "request"), pk=pk
    )
    action = request.POST.get("action", "")
    number_form = RedNumberForm(
        request.POST if action == "issue" else None,
        request.FILES if action == "issue" else None,
    )
    cancel_form = ReasonForm(request.POST if action == "cancel" else None)
    if request.method == "POST":
        if not request.user.has_perm("finance.issue_red_letter"):
            return HttpResponse(status=403)
        handler = CONFIRMATION_ACTIONS.get(action)
        if handler is None:
            return HttpResponse(status=400)
        done = handler(request, form_obj, number_form, cancel_form)
        if done is not None:
            return redirect(done)
    lines = {line.position: line for line in form_obj.invoice.lines.all()}
    rows = [(lines.get(int(p)), q) for p, q in form_obj.quantities.items()]
    context = {
        "confirmation": form_obj,
        "rows": rows,
        "number_form": number_form,
        "cancel_form": cancel_form,
        "can_act": request.user.has_perm("finance.issue_red_letter"),
        "states": RedLetterConfirmationState,
    }
    status = 400 if number_form.errors or cancel_form.errors else 200
    return render(request, "finance/red_confirmation_detail.html", context, status=status)


def _submit(request: HttpRequest, form_obj: Any, number_form: Any, cancel_form: Any) -> Any:
    try:
        done = services.red_letter_confirmation_submit(confirmation_id=form_obj.pk, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, _("Submitted on the platform."))
    return done


def _buyer_confirmed(
    request: HttpRequest, form_obj: Any, number_form: Any, cancel_form: Any
) -> Any:
    try:
        done = services.red_letter_confirmation_buyer_confirmed(
            confirmation_id=form_obj.pk, by=request.user
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, _("The buyer's confirmation is recorded."))
    return done


def _issue(request: HttpRequest, form_obj: Any, number_form: Any, cancel_form: Any) -> Any:
    if not number_form.is_valid():
        return None
    upload = number_form.cleaned_data["file"]
    done = call_service(
        number_form,
        services.red_letter_confirmation_issue,
        confirmation_id=form_obj.pk,
        number=number_form.cleaned_data["number"],
        issued_on=number_form.cleaned_data["issued_on"],
        file_name=upload.name if upload else "",
        file_content=upload.read() if upload else b"",
        by=request.user,
    )
    if done is not None:
        messages.success(request, _("Red-letter invoice recorded."))
    return done


def _cancel(request: HttpRequest, form_obj: Any, number_form: Any, cancel_form: Any) -> Any:
    if not cancel_form.is_valid():
        return None
    done = call_service(
        cancel_form,
        services.red_letter_confirmation_cancel,
        confirmation_id=form_obj.pk,
        why=cancel_form.cleaned_data["reason"],
        by=request.user,
    )
    if done is not None:
        messages.success(request, _("Cancelled."))
    return done


CONFIRMATION_ACTIONS = {
    "submit": _submit,
    "buyer_confirmed": _buyer_confirmed,
    "issue": _issue,
    "cancel": _cancel,
}


@login_required
@permission_required("finance.issue_red_letter", raise_exception=True)
@require_POST
def invoice_buyer_used(request: HttpRequest, pk: int) -> HttpResponse:
    """The platform shows the buyer used or booked the invoice (用途确认/入账确认)."""
    get_object_or_404(Invoice, pk=pk)
    try:
        services.invoice_mark_buyer_used(
            invoice_id=pk, used=request.POST.get("used") != "0", by=request.user
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("finance:invoice_detail", pk=pk)
