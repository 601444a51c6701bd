"""Group-buying deals: the board, a deal's lines, papers and steps, and the warehouse's
queue of stock to prepare.

Each POST parses a form and calls one service; a refused form shows the service's message
and keeps what was typed, a refused button shows it as a message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ecomops.uploads import file_response
from listings.models import Sku
from listings.selectors import with_current_price

from ..forms import (
    CloseForm,
    ContentForm,
    DealFilterForm,
    DealForm,
    DealLineForm,
    DocumentForm,
    ReasonForm,
    RemittanceForm,
    ScheduleForm,
    StepForm,
)
from ..models import Deal, DealDocument, DealLine, DealState
from ..selectors import deals as selectors
from ..services import deals as services
from .common import act, back, call, flash_unshown

VIEW = "distribution.view_deal"
HANDLE = "distribution.handle_deal"
PREPARE = "distribution.prepare_deal_stock"
# From the listing date on, the deal's orders count in its results.
RESULT_STATES = (
    DealState.LIVE,
    DealState.SHIPPED,
    DealState.REMITTANCE_EXPECTED,
    DealState.REMITTED,
    DealState.CLOSED,
)
# Until it goes live, the deal's estimate is checked against the stock available.
STOCK_STATES = (DealState.CONTACTED, DealState.PROPOSED, DealState.SCHEDULED, DealState.PREPARED)


@dataclass(frozen=True)
class Step:
    """One step posted to ``deal_action``: when it is offered, its form, the service call
    and what to say when it is done."""

    label: Promise
    form: type[forms.Form]
    run: Callable[..., Any]
    done: Promise
    style: str = "btn-primary"


STEPS: dict[str, Step] = {
    "quote_sheet": Step(
        gettext_lazy("Make the quote sheet"),
        StepForm,
        lambda deal_id, by, data: services.deal_quote_sheet(deal_id=deal_id, by=by),
        gettext_lazy("Quote sheet made from the deal's lines."),
        "btn",
    ),
    "propose": Step(
        gettext_lazy("Send the proposal"),
        StepForm,
        lambda deal_id, by, data: services.deal_propose(deal_id=deal_id, by=by),
        gettext_lazy("Proposal sent with the quote sheet."),
    ),
    "schedule": Step(
        gettext_lazy("The site approved: schedule"),
        ScheduleForm,
        lambda deal_id, by, data: services.deal_schedule(
            deal_id=deal_id,
            listing_date=data["listing_date"],
            end_date=data["end_date"],
            by=by,
        ),
        gettext_lazy("Deal scheduled."),
    ),
    "stock_request": Step(
        gettext_lazy("Ask the warehouse to prepare the stock"),
        StepForm,
        lambda deal_id, by, data: services.deal_stock_request(deal_id=deal_id, by=by),
        gettext_lazy("The warehouse was asked to prepare the stock."),
    ),
    "stock_confirm": Step(
        gettext_lazy("Stock is prepared"),
        StepForm,
        lambda deal_id, by, data: services.deal_stock_confirm(deal_id=deal_id, by=by),
        gettext_lazy("Stock confirmed as prepared."),
    ),
    "content_ready": Step(
        gettext_lazy("Images and texts are prepared"),
        ContentForm,
        lambda deal_id, by, data: services.deal_content_ready(
            deal_id=deal_id, note=data["note"], by=by
        ),
        gettext_lazy("Images and texts recorded as prepared."),
    ),
    "go_live": Step(
        gettext_lazy("Go live"),
        StepForm,
        lambda deal_id, by, data: services.deal_go_live(deal_id=deal_id, by=by),
        gettext_lazy("The deal is live."),
    ),
    "all_shipped": Step(
        gettext_lazy("All orders shipped"),
        StepForm,
        lambda deal_id, by, data: services.deal_all_shipped(deal_id=deal_id, by=by),
        gettext_lazy("All the deal's orders are shipped."),
    ),
    "expect_remittance": Step(
        gettext_lazy("Tell finance what the site owes"),
        RemittanceForm,
        lambda deal_id, by, data: services.deal_expect_remittance(
            deal_id=deal_id, amount=data["amount"], due=data["due"], by=by
        ),
        gettext_lazy("Finance expects the site's remittance."),
    ),
    "close": Step(
        gettext_lazy("Close the deal"),
        CloseForm,
        lambda deal_id, by, data: services.deal_close(
            deal_id=deal_id, lessons=data["lessons"], by=by
        ),
        gettext_lazy("Deal closed with its summary."),
    ),
    "cancel": Step(
        gettext_lazy("Cancel the deal"),
        ReasonForm,
        lambda deal_id, by, data: services.deal_cancel(deal_id=deal_id, why=data["reason"], by=by),
        gettext_lazy("Deal cancelled."),
        "btn-danger",
    ),
}
# The steps that are the deal's own transitions, offered when the user may take them.
TRANSITION_STEPS = (
    "propose",
    "schedule",
    "go_live",
    "all_shipped",
    "expect_remittance",
    "close",
    "cancel",
)


def _offered(deal: Deal, user: Any) -> list[str]:
    """The steps this user may take on the deal now, in the order they come."""
    transitions = {t.name for t in deal.get_available_user_state_transitions(user)}  # type: ignore[attr-defined]
    offered = {name for name in TRANSITION_STEPS if name in transitions}
    if deal.state == DealState.CONTACTED and user.has_perm(HANDLE):
        offered.add("quote_sheet")
    if deal.state == DealState.SCHEDULED:
        if user.has_perm(HANDLE) and deal.stock_prepared_at is None:
            offered.add("stock_request")
        if user.has_perm(HANDLE) and deal.content_prepared_at is None:
            offered.add("content_ready")
        if user.has_perm(PREPARE) and deal.stock_prepared_at is None:
            offered.add("stock_confirm")
    return [name for name in STEPS if name in offered]


def _initial(deal: Deal, name: str, results: dict[str, Any] | None) -> dict[str, Any]:
    today = timezone.localdate()
    if name == "schedule":
        return {"listing_date": deal.listing_date or today, "end_date": deal.end_date}
    if name == "expect_remittance":
        return {
            "amount": results["revenue"] if results else None,
            "due": today + timedelta(days=settings.DISTRIBUTION_REMITTANCE_DAYS),
        }
    return {}


# --- The board ------------------------------------------------------------------------------


@login_required
@permission_required(VIEW, raise_exception=True)
def deal_board(request: HttpRequest) -> HttpResponse:
    form = DealFilterForm(request.GET or None)
    mine = form.is_valid() and form.cleaned_data["mine"]
    columns = selectors.deal_board(owner_id=request.user.pk if mine else None)
    context = {
        "form": form,
        "mine": mine,
        "columns": columns,
        "total": sum(column["count"] for column in columns),
        "can_create": request.user.has_perm(HANDLE),
    }
    return render(request, "distribution/deal_board.html", context)


@login_required
@permission_required(HANDLE, raise_exception=True)
def deal_new(request: HttpRequest) -> HttpResponse:
    site = request.GET.get("partner", "")
    initial = {"owner": request.user.pk, "partner": int(site) if site.isdigit() else None}
    form = DealForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        deal = call(
            form,
            services.deal_create,
            partner_id=data["partner"].pk,
            title=data["title"],
            owner=data["owner"],
            notes=data["notes"],
            by=request.user,
        )
        if deal is not None:
            messages.success(request, _("Deal %(number)s created.") % {"number": deal.number})
            return redirect(deal)
    return render(request, "distribution/deal_form.html", {"form": form})


# --- A deal's page ----------------------------------------------------------------------------


def _deal_page(
    request: HttpRequest, pk: int, *, bound: dict[str, forms.Form] | None = None
) -> HttpResponse:
    """The deal's page; ``bound`` holds a refused form to show again as typed."""
    try:
        deal = selectors.deal_detail(pk)
    except Deal.DoesNotExist:
        raise Http404 from None
    bound = bound or {}
    user = request.user
    lines = list(deal.lines.all())
    skus = Sku.objects.filter(pk__in=[line.sku_id for line in lines])
    prices = {sku.pk: getattr(sku, "current_price", None) for sku in with_current_price(skus)}
    results = selectors.deal_results(deal) if deal.state in RESULT_STATES else None
    offered = _offered(deal, user)
    steps = [
        {
            "name": name,
            "label": STEPS[name].label,
            "style": STEPS[name].style,
            "form": bound.get(name)
            or STEPS[name].form(prefix=name, initial=_initial(deal, name, results)),
        }
        for name in offered
        if name != "cancel"
    ]
    cancel = None
    if "cancel" in offered:
        cancel = bound.get("cancel") or ReasonForm(prefix="cancel")
    can_handle = user.has_perm(HANDLE)
    lines_open = deal.state == DealState.CONTACTED
    papers_open = deal.state in (DealState.CONTACTED, DealState.PROPOSED, DealState.SCHEDULED)
    shown = {str(s["name"]) for s in steps} | ({"cancel"} if cancel else set())
    if can_handle:
        shown |= {name for name, open_ in (("line", lines_open), ("doc", papers_open)) if open_}
    flash_unshown(request, bound, shown)
    editing = request.GET.get("edit", "")
    line_initial: dict[str, Any] = {}
    for line in lines:
        if str(line.pk) == editing:
            line_initial = {
                "sku": line.sku_id,
                "group_price": line.group_price,
                "min_quantity": line.min_quantity,
                "estimated_quantity": line.estimated_quantity,
            }
    context = {
        "deal": deal,
        "lines": [{"line": line, "online_price": prices.get(line.sku_id)} for line in lines],
        "documents": list(deal.documents.all()),
        "missing": selectors.missing_documents(deal) if deal.state == DealState.CONTACTED else [],
        "stock": selectors.stock_check(deal) if deal.state in STOCK_STATES else None,
        "results": results,
        "steps": steps,
        "cancel_form": cancel,
        "can_handle": can_handle,
        "lines_open": lines_open,
        "papers_open": papers_open,
        "line_form": bound.get("line") or DealLineForm(prefix="line", initial=line_initial),
        "document_form": bound.get("doc") or DocumentForm(prefix="doc"),
        "open_form": next(iter(bound), ""),
    }
    return render(request, "distribution/deal_detail.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _deal_page(request, pk)


@login_required
@require_POST
@permission_required(VIEW, raise_exception=True)
def deal_line_save(request: HttpRequest, pk: int) -> HttpResponse:
    deal = get_object_or_404(Deal, pk=pk)
    form = DealLineForm(request.POST, prefix="line")
    if form.is_valid():
        data = form.cleaned_data
        line = call(
            form,
            services.deal_line_save,
            deal_id=pk,
            sku_id=data["sku"].pk,
            group_price=data["group_price"],
            min_quantity=data["min_quantity"],
            estimated_quantity=data["estimated_quantity"],
            by=request.user,
        )
        if line is not None:
            messages.success(request, _("%(sku)s saved.") % {"sku": data["sku"].code})
            return redirect(deal)
    return _deal_page(request, pk, bound={"line": form})


@login_required
@require_POST
@permission_required(VIEW, raise_exception=True)
def deal_line_remove(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    line = get_object_or_404(DealLine.objects.select_related("deal", "sku"), pk=line_pk, deal_id=pk)
    if act(request, services.deal_line_remove, line_id=line.pk, by=request.user):
        messages.success(request, _("%(sku)s removed.") % {"sku": line.sku.code})
    return redirect(line.deal)


@login_required
@require_POST
@permission_required(VIEW, raise_exception=True)
def deal_document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    deal = get_object_or_404(Deal, pk=pk)
    form = DocumentForm(request.POST, request.FILES, prefix="doc")
    if form.is_valid():
        data = form.cleaned_data
        document = call(
            form,
            services.deal_document_upload,
            deal_id=pk,
            kind=data["kind"],
            upload=data["file"],
            title=data["title"],
            by=request.user,
        )
        if document is not None:
            messages.success(request, _("%(title)s attached.") % {"title": document.title})
            return redirect(deal)
    return _deal_page(request, pk, bound={"doc": form})


@login_required
@permission_required(VIEW, raise_exception=True)
def deal_document_file(request: HttpRequest, pk: int) -> FileResponse:
    document = get_object_or_404(DealDocument, pk=pk)
    # Its stored type (read from its bytes), inline only if a picture or PDF, never sniffed.
    return file_response(
        document.file.open("rb"), content_type=document.content_type, name=document.title
    )


@login_required
@require_POST
@permission_required(VIEW, raise_exception=True)
def deal_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One step of the deal: a form's refusal shows on the page, a button's as a message."""
    step = STEPS.get(action)
    if step is None:
        raise Http404
    deal = get_object_or_404(Deal, pk=pk)
    form = step.form(request.POST, prefix=action)
    if not form.fields:
        if act(request, step.run, deal_id=pk, by=request.user, data={}):
            messages.success(request, str(step.done))
        return back(request, deal)
    if form.is_valid():
        done = call(form, step.run, deal_id=pk, by=request.user, data=form.cleaned_data)
        if done is not None:
            messages.success(request, str(step.done))
            return redirect(deal)
    return _deal_page(request, pk, bound={action: form})


# --- The warehouse's queue ------------------------------------------------------------------


@login_required
@permission_required(VIEW, raise_exception=True)
def stock_requests(request: HttpRequest) -> HttpResponse:
    deals = list(selectors.stock_requests_open())
    checks = selectors.stock_checks(deals)
    rows = [
        {"deal": deal, "lines": checks[deal.pk], "short": any(r["short"] for r in checks[deal.pk])}
        for deal in deals
    ]
    context = {
        "rows": rows,
        "can_confirm": request.user.has_perm(PREPARE),
        "today": timezone.localdate(),
    }
    return render(request, "distribution/stock_requests.html", context)
