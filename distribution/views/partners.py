"""Partners: the list, master data, contacts and the contact log, the recruitment steps,
brand authorization letters, and one partner's sales.

Each POST parses a form and calls one service; a refused form shows the service's message
and keeps what was typed, a refused button shows it as a message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ..forms import (
    ApplicationForm,
    AuthorizationForm,
    ContactLogForm,
    FirstContactForm,
    FirstOrderForm,
    NoteForm,
    PartnerContactForm,
    PartnerFilterForm,
    PartnerForm,
    ReasonForm,
    StepForm,
)
from ..models import Authorization, ContactLogEntry, Partner, PartnerKind, PartnerState, Platform
from ..selectors import partners as selectors
from ..services import agents as agent_services
from ..services import distributors as distributor_services
from ..services import partners as services
from .common import act, back, bar_chart, call, flash_unshown, page_of

VIEW = "distribution.view_partner"
HANDLE = "distribution.handle_partner"
AUTHORIZE = "distribution.authorize_partner"

# The platform a new partner of each kind usually sells on.
DEFAULT_PLATFORM = {
    PartnerKind.AGENT: Platform.TAOBAO,
    PartnerKind.DISTRIBUTOR: Platform.TMALL_DISTRIBUTION,
    PartnerKind.GROUP_BUYING: Platform.MEITUAN,
}


# --- The recruitment steps ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step posted to ``partner_action``: the transition it takes (to know when it is
    offered), its form, the service call and what to say when it is done."""

    transition: str
    label: Promise
    form: type[forms.Form]
    run: Callable[..., Any]
    done: Promise
    style: str = "btn-primary"


STEPS: dict[str, Step] = {
    "contact": Step(
        "contact",
        gettext_lazy("Record the first contact"),
        FirstContactForm,
        lambda partner_id, by, data: services.partner_contact_first(
            partner_id=partner_id,
            note=data["note"],
            sku_ids=[sku.pk for sku in data["skus"]],
            by=by,
        ),
        gettext_lazy("First contact recorded."),
    ),
    "agree": Step(
        "agree",
        gettext_lazy("The shop agreed to become an agent"),
        NoteForm,
        lambda partner_id, by, data: agent_services.agent_agree(
            partner_id=partner_id, note=data["note"], by=by
        ),
        gettext_lazy("Agreement recorded; the agent has its order channel."),
    ),
    "first_order": Step(
        "place_first_order",
        gettext_lazy("Record the first order"),
        FirstOrderForm,
        lambda partner_id, by, data: agent_services.agent_first_order(
            partner_id=partner_id, order_number=data["order_number"], by=by
        ),
        gettext_lazy("First order recorded."),
    ),
    "first_order_paid": Step(
        "first_order_paid",
        gettext_lazy("Confirm the first order is paid"),
        StepForm,
        lambda partner_id, by, data: agent_services.agent_first_order_paid(
            partner_id=partner_id, by=by
        ),
        gettext_lazy("First order confirmed as paid."),
    ),
    "activate": Step(
        "activate",
        gettext_lazy("Activate the agent"),
        StepForm,
        lambda partner_id, by, data: agent_services.agent_activate(partner_id=partner_id, by=by),
        gettext_lazy("The agent is active."),
    ),
    "apply": Step(
        "apply",
        gettext_lazy("Record the application"),
        ApplicationForm,
        lambda partner_id, by, data: distributor_services.distributor_apply(
            partner_id=partner_id,
            shop_rating=data["shop_rating"],
            monthly_sales=data["monthly_sales"],
            years_open=data["years_open"],
            by=by,
        ),
        gettext_lazy("Application recorded; it waits for screening."),
    ),
    "suspend": Step(
        "suspend",
        gettext_lazy("Suspend"),
        ReasonForm,
        lambda partner_id, by, data: services.partner_suspend(
            partner_id=partner_id, why=data["reason"], by=by
        ),
        gettext_lazy("Partner suspended; its channel takes no orders."),
        "btn-danger",
    ),
    "reinstate": Step(
        "reinstate",
        gettext_lazy("Reinstate"),
        NoteForm,
        lambda partner_id, by, data: services.partner_reinstate(
            partner_id=partner_id, note=data["note"], by=by
        ),
        gettext_lazy("Partner reinstated."),
    ),
    "terminate": Step(
        "terminate",
        gettext_lazy("Terminate the partnership"),
        ReasonForm,
        lambda partner_id, by, data: services.partner_terminate(
            partner_id=partner_id, why=data["reason"], by=by
        ),
        gettext_lazy("Partnership terminated."),
        "btn-danger",
    ),
}


def _offered(partner: Partner, user: Any) -> set[str]:
    """The transitions this user may take on the partner now."""
    return {t.name for t in partner.get_available_user_state_transitions(user)}  # type: ignore[attr-defined]


# --- Lists ------------------------------------------------------------------------------------


@login_required
@permission_required(VIEW, raise_exception=True)
def partner_list(request: HttpRequest) -> HttpResponse:
    form = PartnerFilterForm(request.GET or None)
    q, kind, state, mine = "", "", "", False
    if form.is_valid():
        q = form.cleaned_data["q"]
        kind = form.cleaned_data["kind"]
        state = form.cleaned_data["state"]
        mine = form.cleaned_data["mine"]
    found = selectors.partners(
        kind=kind, state=state, query=q, owner_id=request.user.pk if mine else None
    ).order_by("shop_name", "pk")
    context = {
        "form": form,
        "page": page_of(request, found),
        "can_add": request.user.has_perm(HANDLE),
    }
    return render(request, "distribution/partner_list.html", context)


@login_required
@permission_required(HANDLE, raise_exception=True)
def partner_new(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in PartnerKind.values:
        kind = PartnerKind.AGENT
    initial = {
        "kind": kind,
        "platform": DEFAULT_PLATFORM[PartnerKind(kind)],
        "owner": request.user.pk,
    }
    form = PartnerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        partner = call(
            form,
            services.partner_create,
            kind=form.cleaned_data["kind"],
            data=form.service_data(),
            owner=form.cleaned_data["owner"],
            by=request.user,
        )
        if partner is not None:
            messages.success(request, _("Partner %(name)s added.") % {"name": partner.shop_name})
            return redirect(partner)
    return render(request, "distribution/partner_form.html", {"form": form, "partner": None})


@login_required
@permission_required(HANDLE, raise_exception=True)
def partner_edit(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_object_or_404(Partner.objects.select_related("owner"), pk=pk)
    form = PartnerForm.for_partner(partner, request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = call(
            form,
            services.partner_update,
            partner_id=partner.pk,
            data=form.service_data(),
            owner=form.cleaned_data["owner"],
            by=request.user,
        )
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect(done)
    return render(request, "distribution/partner_form.html", {"form": form, "partner": partner})


# --- A partner's page -----------------------------------------------------------------------


def _partner_page(
    request: HttpRequest, pk: int, *, bound: dict[str, forms.Form] | None = None
) -> HttpResponse:
    """The partner's page; ``bound`` holds a refused form to show again as typed."""
    try:
        partner = selectors.partner_detail(pk)
    except Partner.DoesNotExist:
        raise Http404 from None
    bound = bound or {}
    user = request.user
    offered = _offered(partner, user)
    steps = [
        {
            "name": name,
            "label": step.label,
            "style": step.style,
            "form": bound.get(name) or step.form(prefix=name),
        }
        for name, step in STEPS.items()
        if step.transition in offered and name != "terminate"
    ]
    terminate = None
    if "terminate" in offered:
        terminate = bound.get("terminate") or ReasonForm(prefix="terminate")
    can_handle = user.has_perm(HANDLE)
    shown = {str(s["name"]) for s in steps} | ({"terminate"} if terminate else set())
    flash_unshown(request, bound, shown | ({"person", "log"} if can_handle else set()))
    context = {
        "partner": partner,
        "contacts": list(partner.contacts.all()),
        "log": list(partner.log.all()),
        "authorizations": list(partner.authorizations.all()),
        "screenings": list(partner.screenings.all()),
        "deals": list(partner.deals.all()),
        "recommended": list(partner.recommended_skus.all()),
        "first_order": selectors.first_order_status(partner),
        "steps": steps,
        "terminate_form": terminate,
        "can_authorize": user.has_perm(AUTHORIZE)
        and partner.kind == PartnerKind.AGENT
        and partner.state in (PartnerState.FIRST_ORDER_PAID, PartnerState.ACTIVE),
        "can_screen": "accept" in offered or "decline" in offered,
        "can_handle": can_handle,
        "person_form": bound.get("person") or PartnerContactForm(prefix="person"),
        "log_form": bound.get("log") or ContactLogForm.blank(prefix="log"),
        "open_form": next(iter(bound), ""),
        "today": timezone.localdate(),
        "now": timezone.now(),
    }
    return render(request, "distribution/partner_detail.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _partner_page(request, pk)


@login_required
@require_POST
@permission_required(VIEW, raise_exception=True)
def partner_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One recruitment step: a form's refusal shows on the page, a button's as a message."""
    step = STEPS.get(action)
    if step is None:
        raise Http404
    partner = get_object_or_404(Partner, pk=pk)
    form = step.form(request.POST, prefix=action)
    if not form.fields:
        if act(request, step.run, partner_id=pk, by=request.user, data={}):
            messages.success(request, str(step.done))
        return redirect(partner)
    if form.is_valid():
        done = call(form, step.run, partner_id=pk, by=request.user, data=form.cleaned_data)
        if done is not None:
            messages.success(request, str(step.done))
            return redirect(partner)
    return _partner_page(request, pk, bound={action: form})


@login_required
@require_POST
@permission_required(VIEW, raise_exception=True)
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_object_or_404(Partner, pk=pk)
    form = PartnerContactForm(request.POST, prefix="person")
    if form.is_valid():
        done = call(
            form,
            services.partner_contact_add,
            partner_id=pk,
            data=form.cleaned_data,
            by=request.user,
        )
        if done is not None:
            messages.success(request, _("Contact %(name)s added.") % {"name": done.name})
            return redirect(partner)
    return _partner_page(request, pk, bound={"person": form})


@login_required
@require_POST
@permission_required(VIEW, raise_exception=True)
def log_add(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_object_or_404(Partner, pk=pk)
    form = ContactLogForm(request.POST, prefix="log")
    if form.is_valid():
        data = form.cleaned_data
        done = call(
            form,
            services.contact_log_add,
            partner_id=pk,
            at=data["at"],
            method=data["method"],
            summary=data["summary"],
            outcome=data["outcome"],
            next_step=data["next_step"],
            next_step_due=data["next_step_due"],
            by=request.user,
        )
        if done is not None:
            messages.success(request, _("Contact recorded."))
            return redirect(partner)
    return _partner_page(request, pk, bound={"log": form})


@login_required
@require_POST
@permission_required(VIEW, raise_exception=True)
def log_step_done(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(ContactLogEntry.objects.select_related("partner"), pk=pk)
    if act(request, services.contact_step_done, entry_id=pk, by=request.user):
        messages.success(request, _("Next step done: %(step)s") % {"step": entry.next_step})
    return back(request, entry.partner)


# --- Brand authorization ----------------------------------------------------------------------


@login_required
@permission_required(AUTHORIZE, raise_exception=True)
def authorization_new(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_object_or_404(Partner.objects.select_related("owner"), pk=pk)
    if partner.kind != PartnerKind.AGENT:
        raise Http404
    today = timezone.localdate()
    initial = {
        "channels": [partner.platform],
        "valid_from": today,
        "valid_until": agent_services.default_validity(today),
    }
    form = AuthorizationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        authorization = call(
            form,
            agent_services.authorization_issue,
            partner_id=partner.pk,
            brand_ids=[brand.pk for brand in data["brands"]],
            channels=data["channels"],
            territory=data["territory"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            by=request.user,
        )
        if authorization is not None:
            messages.success(
                request,
                _("Brand authorization %(number)s issued with its product data package.")
                % {"number": authorization.number},
            )
            return redirect(partner)
    context = {
        "partner": partner,
        "form": form,
        "earlier": list(partner.authorizations.prefetch_related("brands")),
    }
    return render(request, "distribution/authorization_form.html", context)


@login_required
@permission_required("distribution.view_authorization", raise_exception=True)
def authorization_letter(request: HttpRequest, pk: int) -> FileResponse:
    authorization = get_object_or_404(Authorization, pk=pk)
    if not authorization.letter:
        raise Http404
    return FileResponse(
        authorization.letter.open("rb"),
        content_type="application/pdf",
        filename=f"{authorization.number}.pdf",
    )


@login_required
@permission_required("distribution.view_authorization", raise_exception=True)
def authorization_package(request: HttpRequest, pk: int) -> FileResponse:
    authorization = get_object_or_404(Authorization, pk=pk)
    if not authorization.data_package:
        raise Http404
    return FileResponse(
        authorization.data_package.open("rb"),
        content_type="application/zip",
        as_attachment=True,
        filename=f"{authorization.number}-data.zip",
    )


# --- Sales ------------------------------------------------------------------------------------


@login_required
@permission_required(VIEW, raise_exception=True)
def partner_sales(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_object_or_404(Partner.objects.select_related("owner", "channel"), pk=pk)
    sales = selectors.partner_sales(partner)
    months = sales["months"]
    chart = bar_chart(
        [row["month"] for row in months],
        [{"label": _("Revenue"), "values": [row["revenue"] for row in months]}],
    )
    context = {"partner": partner, "sales": sales, **chart}
    return render(request, "distribution/partner_sales.html", context)
