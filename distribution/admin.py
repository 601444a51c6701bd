"""Managers' views of distribution: partners with their contacts, log, letters and
screenings; deals with lines and papers; the programme's versions. Transition buttons run
the services; what the services write is read-only here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ecomops.admin_inlines import ReadOnlyInline, StateLogInline
from ecomops.bounds import TEXT_MAX_LENGTH
from ecomops.fsm_admin import ReasonForm, ServiceTransitionAdmin, ServiceWrittenAdmin

from .models import (
    Authorization,
    ContactLogEntry,
    Deal,
    DealDocument,
    DealLine,
    Partner,
    PartnerContact,
    ProgrammeVersion,
    Screening,
)
from .services import agents, deals, distributors, partners


class PartnerContactInline(ReadOnlyInline, admin.TabularInline):
    model = PartnerContact
    fields = ["name", "title", "phone", "wechat", "email", "primary"]


class ContactLogInline(ReadOnlyInline, admin.TabularInline):
    model = ContactLogEntry
    fields = ["at", "method", "summary", "outcome", "next_step", "next_step_due", "recorded_by"]


class AuthorizationInline(ReadOnlyInline, admin.TabularInline):
    model = Authorization
    fields = ["number", "valid_from", "valid_until", "territory", "issued_at", "revoked_at"]


class ScreeningInline(ReadOnlyInline, admin.TabularInline):
    model = Screening
    fields = ["decision", "criteria_met", "note", "decided_by", "decided_at"]


class NoteForm(forms.Form):
    note = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=pgettext_lazy("remark", "note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@admin.register(Partner)
class PartnerAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = ["number", "shop_name", "kind", "platform", "state", "owner", "created_at"]
    list_filter = ["kind", "state", "platform", "owner"]
    list_select_related = ["owner"]
    search_fields = ["number", "shop_name", "company_name", "credit_code", "contacts__name"]
    date_hierarchy = "created_at"
    inlines = [
        PartnerContactInline,
        ContactLogInline,
        AuthorizationInline,
        ScreeningInline,
        StateLogInline,
    ]
    fsm_fields = ["state"]
    fsm_forms = {
        "suspend": ReasonForm,
        "terminate": ReasonForm,
        "reinstate": NoteForm,
        "decline": ReasonForm,
        "accept": NoteForm,
    }
    fsm_services = {
        "agree": lambda obj, request, data: agents.agent_agree(partner_id=obj.pk, by=request.user),
        "first_order_paid": lambda obj, request, data: agents.agent_first_order_paid(
            partner_id=obj.pk, by=request.user
        ),
        "activate": lambda obj, request, data: agents.agent_activate(
            partner_id=obj.pk, by=request.user
        ),
        "suspend": lambda obj, request, data: partners.partner_suspend(
            partner_id=obj.pk, why=data.get("reason", ""), by=request.user
        ),
        "reinstate": lambda obj, request, data: partners.partner_reinstate(
            partner_id=obj.pk, note=data.get("note", ""), by=request.user
        ),
        "terminate": lambda obj, request, data: partners.partner_terminate(
            partner_id=obj.pk, why=data.get("reason", ""), by=request.user
        ),
        "decline": lambda obj, request, data: distributors.distributor_screen(
            partner_id=obj.pk, decision="declined", note=data.get("reason", ""), by=request.user
        ),
        "accept": lambda obj, request, data: distributors.distributor_screen(
            partner_id=obj.pk, decision="accepted", note=data.get("note", ""), by=request.user
        ),
    }


@admin.register(ContactLogEntry)
class ContactLogEntryAdmin(ServiceWrittenAdmin):
    list_display = ["partner", "at", "method", "outcome", "next_step", "next_step_due"]
    list_filter = ["method"]
    list_select_related = ["partner"]
    search_fields = ["partner__shop_name", "summary", "next_step"]
    date_hierarchy = "at"


@admin.register(Authorization)
class AuthorizationAdmin(ServiceWrittenAdmin):
    list_display = ["number", "partner", "valid_from", "valid_until", "issued_at", "revoked_at"]
    list_filter = ["valid_until"]
    list_select_related = ["partner"]
    search_fields = ["number", "partner__shop_name", "partner__company_name"]
    date_hierarchy = "issued_at"

    @admin.display(description=_("letter (PDF)"))
    def letter_link(self, obj: Authorization) -> str:
        if not obj.letter:
            return "—"
        return format_html('<a href="{}" target="_blank">{}</a>', obj.letter.url, obj.number)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), "letter_link"]


@admin.register(Screening)
class ScreeningAdmin(ServiceWrittenAdmin):
    list_display = ["partner", "decision", "criteria_met", "decided_by", "decided_at"]
    list_filter = ["decision", "criteria_met"]
    list_select_related = ["partner", "decided_by"]
    search_fields = ["partner__shop_name", "note"]


@admin.register(ProgrammeVersion)
class ProgrammeVersionAdmin(ServiceWrittenAdmin):
    list_display = ["version", "title", "discount_percent", "changed_by", "changed_at"]
    list_select_related = ["changed_by"]


class DealLineInline(ReadOnlyInline, admin.TabularInline):
    model = DealLine
    fields = ["sku", "group_price", "min_quantity", "estimated_quantity"]


class DealDocumentInline(ReadOnlyInline, admin.TabularInline):
    model = DealDocument
    fields = ["kind", "title", "file", "content_type", "size", "uploaded_by", "uploaded_at"]


class LessonsForm(forms.Form):
    lessons = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=_("remarks"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@admin.register(Deal)
class DealAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = [
        "number",
        "title",
        "partner",
        "state",
        "listing_date",
        "end_date",
        "remittance_amount",
        "remittance_due",
        "owner",
    ]
    list_filter = ["state", "owner"]
    list_select_related = ["partner", "owner"]
    search_fields = ["number", "title", "partner__shop_name"]
    date_hierarchy = "created_at"
    inlines = [DealLineInline, DealDocumentInline, StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"cancel": ReasonForm, "close": LessonsForm}
    fsm_services = {
        "propose": lambda obj, request, data: deals.deal_propose(deal_id=obj.pk, by=request.user),
        "go_live": lambda obj, request, data: deals.deal_go_live(deal_id=obj.pk, by=request.user),
        "all_shipped": lambda obj, request, data: deals.deal_all_shipped(
            deal_id=obj.pk, by=request.user
        ),
        "expect_remittance": lambda obj, request, data: deals.deal_expect_remittance(
            deal_id=obj.pk, by=request.user
        ),
        "close": lambda obj, request, data: deals.deal_close(
            deal_id=obj.pk, lessons=data.get("lessons", ""), by=request.user
        ),
        "cancel": lambda obj, request, data: deals.deal_cancel(
            deal_id=obj.pk, why=data.get("reason", ""), by=request.user
        ),
    }
