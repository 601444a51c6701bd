"""Managers' view of staffing requests: filters, the candidates supplied, the transition log,
and the approve and cancel buttons, which run the services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ecomops.admin_inlines import ReadOnlyInline, StateLogInline
from ecomops.bounds import TEXT_MAX_LENGTH
from ecomops.fsm_admin import ReasonForm, ServiceTransitionAdmin, ServiceWrittenAdmin

from . import services
from .models import Candidate, StaffingRequest


class CandidateInline(ReadOnlyInline, admin.TabularInline):
    model = Candidate
    fields = [
        "name",
        "phone",
        "source",
        "supplied_at",
        "outcome",
        "start_date",
        "outcome_note",
        "recorded_by",
    ]


class ApprovalNoteForm(forms.Form):
    note = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=_("approval note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@admin.register(StaffingRequest)
class StaffingRequestAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = [
        "number",
        "department",
        "position",
        "headcount",
        "wanted_by",
        "state",
        "requested_by",
        "requested_at",
    ]
    list_filter = ["state", "department", "wanted_by"]
    list_select_related = ["requested_by"]
    search_fields = ["number", "position", "reason", "candidates__name", "candidates__phone"]
    date_hierarchy = "requested_at"
    inlines = [CandidateInline, StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"approve": ApprovalNoteForm, "cancel": ReasonForm}
    fsm_services = {
        "approve": lambda obj, request, data: services.staffing_approve(
            request_id=obj.pk, note=data.get("note", ""), by=request.user
        ),
        "cancel": lambda obj, request, data: services.staffing_cancel(
            request_id=obj.pk, reason=data.get("reason", ""), by=request.user
        ),
    }


@admin.register(Candidate)
class CandidateAdmin(ServiceWrittenAdmin):
    list_display = ["name", "phone", "request", "source", "supplied_at", "outcome", "start_date"]
    list_filter = ["outcome", "source"]
    list_select_related = ["request"]
    search_fields = ["name", "phone", "request__number", "request__position"]
    date_hierarchy = "supplied_at"
