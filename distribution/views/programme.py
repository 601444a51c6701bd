"""The distributor programme: its rules and brochure, and the screening of applications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from .. import pdf
from ..forms import ProgrammeForm, ScreenForm
from ..models import Partner, PartnerKind, PartnerState, ProgrammeVersion
from ..selectors import partners as selectors
from ..services import distributors as services
from .common import call, page_of

VIEW = "distribution.view_programmeversion"
EDIT = "distribution.edit_programme"


@login_required
@permission_required(VIEW, raise_exception=True)
def programme(request: HttpRequest) -> HttpResponse:
    current = selectors.current_programme()
    can_edit = request.user.has_perm(EDIT)
    form = ProgrammeForm.for_version(current, request.POST or None) if can_edit else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            version = call(form, services.programme_save, data=form.cleaned_data, by=request.user)
            if version is not None:
                messages.success(
                    request,
                    _("Programme saved as version %(version)d.") % {"version": version.version},
                )
                return redirect("distribution:programme")
    context = {
        "current": current,
        "history": list(
            ProgrammeVersion.objects.select_related("changed_by").order_by("-version")[:50]
        ),
        "criteria": selectors.brochure_criteria(),
        "form": form,
        "applications": selectors.applications_to_screen().count(),
    }
    return render(request, "distribution/programme.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def brochure(request: HttpRequest) -> HttpResponse:
    """The recruitment brochure (PDF) of the current programme, or of ``?version=``."""
    wanted = request.GET.get("version", "")
    if wanted.isdigit():
        version = ProgrammeVersion.objects.filter(version=int(wanted)).first()
    else:
        version = selectors.current_programme()
    if version is None:
        return render(request, "distribution/no_programme.html", status=404)
    content = pdf.brochure(version, criteria=selectors.brochure_criteria())
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="brochure-v{version.version}.pdf"'
    return response


@login_required
@permission_required(VIEW, raise_exception=True)
def applications(request: HttpRequest) -> HttpResponse:
    page = page_of(request, selectors.applications_to_screen())
    rows = [
        {"partner": partner, "criteria": selectors.screening_criteria(partner)} for partner in page
    ]
    for row in rows:
        row["missed"] = [c for c in row["criteria"] if not c.met]
    context = {
        "page": page,
        "rows": rows,
        "can_screen": request.user.has_perm("distribution.screen_distributor"),
    }
    return render(request, "distribution/applications.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def screen(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_object_or_404(
        Partner.objects.select_related("owner"), pk=pk, kind=PartnerKind.DISTRIBUTOR
    )
    form = ScreenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        screening = call(
            form,
            services.distributor_screen,
            partner_id=partner.pk,
            decision=form.cleaned_data["decision"],
            note=form.cleaned_data["note"],
            by=request.user,
        )
        if screening is not None:
            messages.success(
                request,
                _("%(partner)s: %(decision)s.")
                % {"partner": partner.shop_name, "decision": screening.get_decision_display()},
            )
            return redirect("distribution:applications")
    criteria = selectors.screening_criteria(partner)
    context = {
        "partner": partner,
        "criteria": criteria,
        "all_met": all(c.met for c in criteria),
        "form": form,
        "waiting": partner.state == PartnerState.APPLIED,
        "can_screen": request.user.has_perm("distribution.screen_distributor"),
        "can_override": request.user.has_perm("distribution.override_screening"),
        "screenings": list(partner.screenings.select_related("decided_by")),
    }
    return render(request, "distribution/screen.html", context)
