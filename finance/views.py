"""Finance portal: the clerk's desk (invoice requests against the 15:00 rule, refunds to pay,
payments to match), invoices, receivables, reconciliation runs and settlements.

Each POST parses a form and calls one service; a refused one shows the service's message
on the form and keeps what was typed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from ecomops.errors import ApplicationError
from ecomops.forms import call_service, call_service_with_status
from ecomops.money import format_money
from orders.models import Customer

from . import pdf, selectors, services
from .forms import (
    BankPaymentForm,
    InvoiceRequestForm,
    IssueForm,
    MatchForm,
    MismatchFilterForm,
    PayRefundForm,
    ReasonForm,
    RecoverForm,
    RedLetterForm,
    RefundForm,
    RemittanceDifferenceForm,
    RemittanceReceiveForm,
    RunForm,
    SearchForm,
    SettlementForm,
    StatementPeriodForm,
    TaxDetailsForm,
    TrackingForm,
)
from .models import (
    Invoice,
    InvoiceRequest,
    InvoiceRequestState,
    Payment,
    ReconciliationRun,
    RedLetterRequest,
    RedLetterRequestState,
    Refund,
    RefundState,
    Remittance,
    RemittanceDifference,
    Settlement,
    SettlementState,
)
from .statements import customer_statement as customer_statement_for


def _file(content: bytes, filename: str, content_type: str = "application/pdf") -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    disposition = "inline" if content_type == "application/pdf" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def _page(request: HttpRequest, queryset: Any, size: int = 50) -> Any:
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _bar(value: Decimal | int, peak: Decimal | int, height: int) -> int:
    return int(height * value / peak) if peak else 0


# --- The clerk's desk ------------------------------------------------------------------------


@login_required
@permission_required("finance.issue_invoice", raise_exception=True)
def home(request: HttpRequest) -> HttpResponse:
    chart = selectors.invoiced_vs_shipped(14)
    peak = max([max(d["invoiced"], d["shipped"]) for d in chart] + [Decimal(1)])
    mismatches = selectors.open_mismatches_over_time(30)
    mismatch_peak = max([m["mismatch_count"] for m in mismatches] + [1])
    context = {
        "requests": list(selectors.request_queue()[:200]),
        "to_deliver": list(selectors.requests_to_deliver()[:100]),
        "refunds": list(selectors.refunds_to_pay()[:50]),
        "payments": list(selectors.payments_to_match()[:50]),
        "remittances": list(selectors.remittances_open()[:50]),
        "counts": selectors.finance_counts(),
        "chart": [
            {
                **d,
                "x": i * 34,
                "invoiced_height": _bar(d["invoiced"], peak, 120),
                "invoiced_y": 130 - _bar(d["invoiced"], peak, 120),
                "shipped_height": _bar(d["shipped"], peak, 120),
                "shipped_y": 130 - _bar(d["shipped"], peak, 120),
            }
            for i, d in enumerate(chart)
        ],
        "chart_width": len(chart) * 34,
        "mismatch_chart": [
            {
                **m,
                "x": i * 22,
                "height": _bar(m["mismatch_count"], mismatch_peak, 100),
                "y": 105 - _bar(m["mismatch_count"], mismatch_peak, 100),
            }
            for i, m in enumerate(mismatches)
        ],
        "mismatch_width": max(len(mismatches) * 22, 22),
    }
    return render(request, "finance/home.html", context)


# --- Invoice requests ------------------------------------------------------------------------


@login_required
@permission_required("finance.view_invoicerequest", raise_exception=True)
def request_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    query = request.GET.get("q", "").strip()
    context = {
        "page": _page(request, selectors.invoice_requests(state=state, query=query)),
        "states": InvoiceRequestState.choices,
        "state": state,
        "form": SearchForm(request.GET or None),
    }
    return render(request, "finance/request_list.html", context)


@login_required
@permission_required("finance.request_invoice", raise_exception=True)
def request_new(request: HttpRequest) -> HttpResponse:
    form = InvoiceRequestForm(request.POST or None, initial={"delivery_method": "email"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = call_service(
            form,
            services.invoice_request_create,
            order=data["order"],
            source="service",
            by=request.user,
            kind=data["kind"],
            title=data["title"],
            tax_id=data["tax_id"],
            address_phone=data["address_phone"],
            bank_account=data["bank_account"],
            delivery_method=data["delivery_method"],
            email=data["email"],
            postal_address=data["postal_address"],
            note=data["note"],
        )
        if created is not None:
            messages.success(
                request,
                _("Invoice request %(number)s sent to finance; it is due by %(due)s.")
                % {"number": created.number, "due": created.due_at.strftime("%m-%d %H:%M")},
            )
            return redirect(created)
    return render(request, "finance/request_form.html", {"form": form})


@login_required
@permission_required("finance.view_invoicerequest", raise_exception=True)
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice_request = get_object_or_404(
        InvoiceRequest.objects.select_related("order", "order__channel", "requested_by"), pk=pk
    )
    issue_form = IssueForm(
        request.POST if request.POST.get("action") == "issue" else None,
        initial={"delivery_method": invoice_request.delivery_method},
    )
    reject_form = ReasonForm(request.POST if request.POST.get("action") == "reject" else None)
    fix_form = TaxDetailsForm(
        request.POST if request.POST.get("action") == "resubmit" else None,
        initial={
            f: getattr(invoice_request, f)
            for f in (
                "kind",
                "title",
                "tax_id",
                "address_phone",
                "bank_account",
                "delivery_method",
                "email",
                "postal_address",
            )
        },
    )
    action = request.POST.get("action")
    if request.method == "POST":
        done: Any = None
        if action == "issue" and issue_form.is_valid():
            done = call_service(
                issue_form,
                services.invoice_issue,
                request_id=pk,
                by=request.user,
                delivery_method=issue_form.cleaned_data["delivery_method"],
            )
            if done is not None:
                messages.success(request, _("Invoice %(number)s issued.") % {"number": done.number})
        elif action == "reject" and reject_form.is_valid():
            done = call_service(
                reject_form,
                services.invoice_request_reject,
                request_id=pk,
                why=reject_form.cleaned_data["reason"],
                by=request.user,
            )
            if done is not None:
                messages.success(request, _("Rejected; the requester is told why."))
        elif action == "resubmit" and fix_form.is_valid():
            done = call_service(
                fix_form,
                services.invoice_request_resubmit,
                request_id=pk,
                details=fix_form.cleaned_data,
                by=request.user,
            )
            if done is not None:
                messages.success(request, _("Sent to finance again."))
        if done is not None:
            return redirect("finance:request_detail", pk=pk)
    context = {
        "req": invoice_request,
        "invoice": Invoice.objects.filter(request=invoice_request).first(),
        "issue_form": issue_form,
        "reject_form": reject_form,
        "fix_form": fix_form,
        "can_issue": request.user.has_perm("finance.issue_invoice"),
        "can_request": request.user.has_perm("finance.request_invoice"),
    }
    return render(request, "finance/request_detail.html", context)


# --- Invoices --------------------------------------------------------------------------------


@login_required
@permission_required("finance.view_invoice", raise_exception=True)
def invoice_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    red = request.GET.get("red") == "1"
    context = {
        "page": _page(request, selectors.invoices(query=query, red_only=red)),
        "form": SearchForm(request.GET or None),
        "red": red,
    }
    return render(request, "finance/invoice_list.html", context)


@login_required
@permission_required("finance.view_invoice", raise_exception=True)
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        invoice = selectors.invoice_detail(pk)
    except Invoice.DoesNotExist as exc:
        raise Http404 from exc
    lines = list(invoice.lines.all())
    action = request.POST.get("action")
    tracking_form = TrackingForm(request.POST if action == "post" else None)
    recover_form = RecoverForm(request.POST if action == "recover" else None)
    red_form = RedLetterForm(request.POST if action == "red" else None, lines=lines)
    if request.method == "POST":
        done: Any = None
        if action == "post" and tracking_form.is_valid():
            done = call_service(
                tracking_form,
                services.invoice_post,
                invoice_id=pk,
                tracking_number=tracking_form.cleaned_data["tracking_number"],
                by=request.user,
            )
        elif action == "recover" and recover_form.is_valid():
            done = call_service(
                recover_form,
                services.invoice_recover_paper,
                invoice_id=pk,
                note=recover_form.cleaned_data["note"],
                by=request.user,
            )
        elif action == "red" and red_form.is_valid():
            done = call_service(
                red_form,
                services.invoice_red_letter,
                invoice_id=pk,
                reason=red_form.cleaned_data["reason"],
                note=red_form.cleaned_data["note"],
                quantities=red_form.quantities(),
                by=request.user,
            )
            if done is not None:
                messages.success(
                    request, _("Red-letter invoice %(number)s issued.") % {"number": done.number}
                )
                return redirect(done)
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("finance:invoice_detail", pk=pk)
    context = {
        "invoice": invoice,
        "lines": lines,
        "tracking_form": tracking_form,
        "recover_form": recover_form,
        "red_form": red_form,
        "can_red": request.user.has_perm("finance.issue_red_letter"),
        "can_issue": request.user.has_perm("finance.issue_invoice"),
    }
    return render(request, "finance/invoice_detail.html", context)


@login_required
@permission_required("finance.view_invoice", raise_exception=True)
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice.objects.select_related("order", "original"), pk=pk)
    return _file(pdf.invoice_pdf(invoice), f"{invoice.number}.pdf")


# --- Payments and receivables --------------------------------------------------------------


@login_required
@permission_required("finance.view_payment", raise_exception=True)
def payment_list(request: HttpRequest) -> HttpResponse:
    form = BankPaymentForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("finance.match_payment"):
            raise PermissionDenied
        if form.is_valid():
            payment = call_service(
                form, services.bank_payment_record, by=request.user, **form.cleaned_data
            )
            if payment is not None:
                messages.success(
                    request,
                    _("Bank payment %(ref)s recorded: match it to orders.")
                    % {"ref": payment.reference},
                )
                return redirect(payment)
    query = request.GET.get("q", "").strip()
    context = {
        "to_match": list(selectors.payments_to_match()[:100]),
        "page": _page(request, selectors.payments(query=query)),
        "form": form,
        "search": SearchForm(request.GET or None),
    }
    return render(request, "finance/payment_list.html", context)


@login_required
@permission_required("finance.view_payment", raise_exception=True)
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(Payment.objects.select_related("channel", "customer"), pk=pk)
    form = MatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = call_service(
            form,
            services.payment_match,
            payment_id=pk,
            allocations=form.cleaned_data["lines"],
            by=request.user,
        )
        if done is not None:
            messages.success(request, _("Matched to %(count)d orders.") % {"count": len(done)})
            return redirect(payment)
    context = {
        "payment": payment,
        "allocations": payment.allocations.select_related("order", "matched_by"),
        "form": form,
        "can_match": request.user.has_perm("finance.match_payment"),
    }
    return render(request, "finance/payment_detail.html", context)


@login_required
@permission_required("finance.view_payment", raise_exception=True)
def receivables(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "overdue")
    if status not in ("paid", "part", "unpaid", "overdue"):
        status = "overdue"
    page = _page(request, selectors.receivables(status=status))
    for order in page:
        order.days_overdue = selectors.days_overdue(order)
    context = {
        "page": page,
        "status": status,
        "ageing": selectors.ageing(),
        "unallocated": selectors.remittances_received_unallocated(),
    }
    return render(request, "finance/receivables.html", context)


# --- Group-buying remittances ------------------------------------------------------------


@login_required
@permission_required("finance.view_remittance", raise_exception=True)
def remittance_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    if state not in ("open", "held", "settled", "all"):
        state = "open"
    query = request.GET.get("q", "").strip()
    context = {
        "page": _page(
            request, selectors.remittances(state="" if state == "all" else state, query=query)
        ),
        "state": state,
        "search": SearchForm(request.GET or None),
        "held": list(selectors.remittance_differences_held()[:50]),
    }
    return render(request, "finance/remittance_list.html", context)


def _remittance_page(
    request: HttpRequest,
    remittance: Remittance,
    *,
    receive_form: Any = None,
    difference_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    open_amount = remittance.amount_open
    context = {
        "remittance": remittance,
        "receipts": list(selectors.remittance_receipts(remittance)),
        "differences": list(selectors.remittance_differences(remittance)),
        "allocation": selectors.remittance_allocation(remittance),
        "tolerance": services.remittance_fee_tolerance(remittance),
        "receive_form": receive_form
        or RemittanceReceiveForm(initial={"amount": open_amount if open_amount > 0 else None}),
        "difference_form": difference_form
        or RemittanceDifferenceForm(initial={"amount": open_amount if open_amount > 0 else None}),
        "decision_form": ReasonForm(),
        "can_record": request.user.has_perm("finance.match_payment") and not remittance.is_settled,
        "can_decide": request.user.has_perm("finance.accept_remittance_difference"),
    }
    return render(request, "finance/remittance_detail.html", context, status=status)


@login_required
@permission_required("finance.view_remittance", raise_exception=True)
def remittance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        remittance = selectors.remittance_detail(pk)
    except Remittance.DoesNotExist as exc:
        raise Http404 from exc
    return _remittance_page(request, remittance)


@login_required
@permission_required("finance.match_payment", raise_exception=True)
def remittance_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """Record one transfer of the site (a part or the rest), with what it kept back."""
    remittance = get_object_or_404(Remittance.objects.select_related("channel"), pk=pk)
    if request.method != "POST":
        return redirect(remittance)
    form = RemittanceReceiveForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        done, status = call_service_with_status(
            form, services.remittance_receive, remittance_id=pk, by=request.user, **data
        )
        if done is not None:
            messages.success(
                request,
                _("Settled and allocated to its orders: %(ref)s.") % {"ref": done.reference}
                if done.is_settled
                else _("Receipt recorded for %(ref)s; still open: %(open)s.")
                % {"ref": done.reference, "open": format_money(done.amount_open)},
            )
            return redirect(done)
    else:
        status = 400
    return _remittance_page(request, remittance, receive_form=form, status=status)


@login_required
@permission_required("finance.match_payment", raise_exception=True)
@require_POST
def remittance_difference(request: HttpRequest, pk: int) -> HttpResponse:
    """Book what the site kept back (commission, fees) with a reason."""
    remittance = get_object_or_404(Remittance.objects.select_related("channel"), pk=pk)
    form = RemittanceDifferenceForm(request.POST)
    status = 400
    if form.is_valid():
        difference, status = call_service_with_status(
            form,
            services.remittance_book_difference,
            remittance_id=pk,
            by=request.user,
            **form.cleaned_data,
        )
        if difference is not None:
            if difference.automatic:
                messages.success(request, _("Within the site's tolerance: accepted."))
            else:
                messages.warning(
                    request, _("Beyond the site's tolerance: held for finance to decide.")
                )
            return redirect(remittance)
    remittance.refresh_from_db()
    return _remittance_page(request, remittance, difference_form=form, status=status)


_DIFFERENCE_DECISIONS = {
    "accept": (services.remittance_difference_accept, _lazy("Difference accepted.")),
    "reject": (
        services.remittance_difference_reject,
        _lazy("Difference rejected: the site still owes it."),
    ),
}


@login_required
@permission_required("finance.accept_remittance_difference", raise_exception=True)
@require_POST
def remittance_difference_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    if decision not in _DIFFERENCE_DECISIONS:
        raise Http404
    difference = get_object_or_404(RemittanceDifference, pk=pk)
    action, done = _DIFFERENCE_DECISIONS[decision]
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
    else:
        try:
            action(difference_id=pk, reason=form.cleaned_data["reason"], by=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, str(done))
    return redirect("finance:remittance_detail", pk=difference.remittance_id)


# --- Customer statements (对账单) -------------------------------------------------------------


@login_required
@permission_required("finance.view_payment", raise_exception=True)
def customer_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    customers = selectors.customers_with_orders(query=query)
    context = {"page": _page(request, customers), "search": SearchForm(request.GET or None)}
    return render(request, "finance/customer_list.html", context)


@login_required
@permission_required("finance.view_payment", raise_exception=True)
def customer_statement(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A customer's statement for a period: on the page, as PDF or as Excel."""
    customer = get_object_or_404(Customer, pk=pk)
    today = timezone.localdate()
    form = StatementPeriodForm(
        request.GET if "period_start" in request.GET or "period_end" in request.GET else None,
        initial={"period_start": today.replace(day=1), "period_end": today},
    )
    if form.is_bound and not form.is_valid():
        context = {"customer": customer, "form": form, "statement": None}
        return render(request, "finance/customer_statement.html", context, status=400)
    if form.is_bound:
        start, end = form.cleaned_data["period_start"], form.cleaned_data["period_end"]
    else:
        start, end = today.replace(day=1), today
    statement = customer_statement_for(customer=customer, period_start=start, period_end=end)
    kind = request.GET.get("format", "")
    if kind == "pdf":
        return _file(
            pdf.customer_statement_pdf(statement, prepared_by=request.user),
            f"{statement.number}.pdf",
        )
    if kind == "xlsx":
        return _file(
            pdf.customer_statement_xlsx(statement, prepared_by=request.user),
            f"{statement.number}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    context = {
        "customer": customer,
        "form": form,
        "statement": statement,
        "query": f"period_start={start:%Y-%m-%d}&period_end={end:%Y-%m-%d}",
    }
    return render(request, "finance/customer_statement.html", context)


# --- Refunds ---------------------------------------------------------------------------------


@login_required
@permission_required("finance.view_refund", raise_exception=True)
def refund_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    context = {
        "to_approve": list(selectors.refunds_to_approve()[:100]),
        "to_pay": list(selectors.refunds_to_pay()[:100]),
        "page": _page(request, selectors.refunds(state=state)),
        "states": RefundState.choices,
        "state": state,
        "can_request": request.user.has_perm("finance.approve_refund"),
    }
    return render(request, "finance/refund_list.html", context)


@login_required
@permission_required("finance.approve_refund", raise_exception=True)
def refund_new(request: HttpRequest) -> HttpResponse:
    form = RefundForm(request.POST or None, initial={"order": request.GET.get("order", "")})
    if request.method == "POST" and form.is_valid():
        refund = call_service(
            form,
            services.refund_request,
            order_id=form.cleaned_data["order"].pk,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
        if refund is not None:
            messages.success(request, _("Refund %(number)s requested.") % {"number": refund.number})
            return redirect(refund)
    return render(request, "finance/refund_form.html", {"form": form})


@login_required
@permission_required("finance.view_refund", raise_exception=True)
def refund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    refund = get_object_or_404(Refund.objects.select_related("order", "requested_by"), pk=pk)
    action = request.POST.get("action")
    pay_form = PayRefundForm(request.POST if action == "pay" else None)
    reject_form = ReasonForm(request.POST if action == "reject" else None)
    if request.method == "POST":
        done: Any = None
        if action == "approve":
            try:
                done = services.refund_approve(refund_id=pk, by=request.user)
            except ApplicationError as exc:
                messages.error(request, exc.message)
        elif action == "pay" and pay_form.is_valid():
            done = call_service(
                pay_form,
                services.refund_pay,
                refund_id=pk,
                reference=pay_form.cleaned_data["reference"],
                by=request.user,
            )
        elif action == "reject" and reject_form.is_valid():
            done = call_service(
                reject_form,
                services.refund_reject,
                refund_id=pk,
                why=reject_form.cleaned_data["reason"],
                by=request.user,
            )
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect(refund)
    context = {
        "refund": refund,
        "lines": refund.lines.select_related("sku"),
        "pay_form": pay_form,
        "reject_form": reject_form,
        "paid": services.order_paid_amount(refund.order_id),
        "refunded": services.order_refunded_amount(refund.order_id),
        "can_approve": request.user.has_perm("finance.approve_refund"),
        "can_pay": request.user.has_perm("finance.pay_refund"),
    }
    return render(request, "finance/refund_detail.html", context)


# --- Red-letter requests ---------------------------------------------------------------------


@login_required
@permission_required("finance.view_redletterrequest", raise_exception=True)
def red_letter_request_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    page = Paginator(selectors.red_letter_requests(state=state), 50).get_page(
        request.GET.get("page")
    )
    context = {
        "to_issue": selectors.red_letter_requests_to_issue(),
        "page": page,
        "state": state,
        "states": RedLetterRequestState.choices,
    }
    return render(request, "finance/red_letter_request_list.html", context)


@login_required
@permission_required("finance.view_redletterrequest", raise_exception=True)
def red_letter_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    red_request = get_object_or_404(
        RedLetterRequest.objects.select_related(
            "invoice", "invoice__order", "red_invoice", "requested_by"
        ),
        pk=pk,
    )
    action = request.POST.get("action")
    cancel_form = ReasonForm(request.POST if action == "cancel" else None)
    if request.method == "POST":
        done: Any = None
        if action == "issue":
            try:
                done = services.red_letter_request_issue(request_id=pk, by=request.user)
            except ApplicationError as exc:
                messages.error(request, exc.message)
        elif action == "cancel" and cancel_form.is_valid():
            done = call_service(
                cancel_form,
                services.red_letter_request_cancel,
                request_id=pk,
                why=cancel_form.cleaned_data["reason"],
                by=request.user,
            )
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect(red_request)
    lines = {line.position: line for line in red_request.invoice.lines.select_related("sku")}
    rows = [
        (lines.get(int(position)), quantity)
        for position, quantity in sorted(red_request.quantities.items(), key=lambda i: int(i[0]))
    ]
    context = {
        "red_request": red_request,
        "rows": rows,
        "cancel_form": cancel_form,
        "can_issue": request.user.has_perm("finance.issue_red_letter"),
    }
    return render(request, "finance/red_letter_request_detail.html", context)


# --- Reconciliation --------------------------------------------------------------------------


@login_required
@permission_required("finance.view_reconciliationrun", raise_exception=True)
def run_list(request: HttpRequest) -> HttpResponse:
    form = RunForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("finance.run_reconciliation"):
            raise PermissionDenied
        if form.is_valid():
            run = call_service(
                form, services.reconcile, day=form.cleaned_data["day"], by=request.user
            )
            if run is not None:
                messages.success(
                    request,
                    _("%(day)s reconciled: %(count)d mismatches.")
                    % {"day": run.day.isoformat(), "count": run.mismatch_count},
                )
                return redirect(run)
    runs = list(selectors.runs()[:60])
    peak = max([r.mismatch_count for r in runs] + [1])
    chart = [
        {
            "run": r,
            "x": i * 22,
            "height": _bar(r.mismatch_count, peak, 100),
            "y": 105 - _bar(r.mismatch_count, peak, 100),
        }
        for i, r in enumerate(reversed(runs[:30]))
    ]
    return render(
        request,
        "finance/run_list.html",
        {"runs": runs, "form": form, "chart": chart, "chart_width": max(len(chart) * 22, 22)},
    )


@login_required
@permission_required("finance.view_reconciliationrun", raise_exception=True)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ReconciliationRun, pk=pk)
    form = MismatchFilterForm(request.GET or None)
    kind = channel = ""
    if form.is_valid():
        kind = form.cleaned_data["kind"]
        channel = form.cleaned_data["channel"].strip()
    context = {
        "run": run,
        "form": form,
        "kinds": selectors.run_kind_counts(run),
        "page": _page(request, selectors.run_mismatches(run, kind=kind, channel=channel), 100),
    }
    return render(request, "finance/run_detail.html", context)


@login_required
@permission_required("finance.view_reconciliationrun", raise_exception=True)
def run_file(request: HttpRequest, pk: int, kind: str) -> HttpResponseBase:
    run = get_object_or_404(ReconciliationRun, pk=pk)
    stored = run.csv_file if kind == "csv" else run.pdf_file
    if not stored:
        raise Http404
    content_type = "text/csv; charset=utf-8" if kind == "csv" else "application/pdf"
    return FileResponse(
        stored.open("rb"),
        content_type=content_type,
        as_attachment=kind == "csv",
        filename=f"reconciliation-{run.day:%Y-%m-%d}.{kind}",
    )


# --- Settlements -----------------------------------------------------------------------------


@login_required
@permission_required("finance.view_settlement", raise_exception=True)
def settlement_list(request: HttpRequest) -> HttpResponse:
    form = SettlementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        settlement = call_service(
            form, services.settlement_draw_up, by=request.user, **form.cleaned_data
        )
        if settlement is not None:
            messages.success(
                request, _("Settlement %(number)s drawn up.") % {"number": settlement.number}
            )
            return redirect(settlement)
    context = {
        "settlements": list(selectors.settlements()[:100]),
        "form": form,
        "can_draw_up": request.user.has_perm("finance.confirm_settlement_finance"),
    }
    return render(request, "finance/settlement_list.html", context)


def _settlement(pk: int) -> tuple[Settlement, list[Any]]:
    settlement = get_object_or_404(
        Settlement.objects.select_related(
            "finance_confirmed_by", "business_unit_confirmed_by", "created_by"
        ),
        pk=pk,
    )
    return settlement, list(settlement.lines.select_related("sku"))


@login_required
@permission_required("finance.view_settlement", raise_exception=True)
def settlement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    settlement, lines = _settlement(pk)
    context = {
        "settlement": settlement,
        "lines": lines,
        "can_confirm_finance": request.user.has_perm("finance.confirm_settlement_finance")
        and settlement.finance_confirmed_at is None,
        "can_confirm_bu": request.user.has_perm("finance.confirm_settlement_bu")
        and settlement.business_unit_confirmed_at is None,
        "confirmed": settlement.state == SettlementState.CONFIRMED,
    }
    return render(request, "finance/settlement_detail.html", context)


@login_required
@permission_required("finance.view_settlement", raise_exception=True)
@require_POST
def settlement_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.settlement_confirm(
            settlement_id=pk, side=request.POST.get("side", ""), by=request.user
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Confirmed."))
    return redirect("finance:settlement_detail", pk=pk)


@login_required
@permission_required("finance.view_settlement", raise_exception=True)
def settlement_file(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    settlement, lines = _settlement(pk)
    if kind == "xlsx":
        return _file(
            pdf.settlement_xlsx(settlement, lines),
            f"{settlement.number}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return _file(pdf.settlement_pdf(settlement, lines), f"{settlement.number}.pdf")
