"""Managers' views of campaigns: plans with their SKUs, department tasks and waivers.
Transition buttons run the services; what the services write is read-only here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ecomops.admin_inlines import ReadOnlyInline, StateLogInline
from ecomops.bounds import TEXT_MAX_LENGTH
from ecomops.fsm_admin import ReasonForm, ServiceTransitionAdmin, ServiceWrittenAdmin

from . import services
from .models import Campaign, CampaignPlan, CampaignTask, PlanLine


class PlanInline(ReadOnlyInline, admin.TabularInline):
    model = CampaignPlan
    fields = ["name", "mechanics", "target_sales", "budget", "created_by"]


class CampaignTaskInline(ReadOnlyInline, admin.TabularInline):
    model = CampaignTask
    fields = ["kind", "work_task", "task_state", "waived_at", "waived_by", "waiver_reason"]

    @admin.display(description=_("task state"))
    def task_state(self, obj: CampaignTask) -> str:
        return obj.work_task.get_state_display()


class LessonsForm(forms.Form):
    lessons = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=_("lessons learned"),
        widget=forms.Textarea(attrs={"rows": 5}),
    )


@admin.register(Campaign)
class CampaignAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = ["number", "name", "state", "live_from", "live_until", "owner", "report_link"]
    list_filter = ["state", "owner"]
    list_select_related = ["owner"]
    search_fields = ["number", "name"]
    date_hierarchy = "live_from"
    inlines = [PlanInline, CampaignTaskInline, StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"cancel": ReasonForm, "close": LessonsForm}
    fsm_services = {
        "coordinate": lambda obj, request, data: services.campaign_coordinate(
            campaign_id=obj.pk, by=request.user
        ),
        "go_live": lambda obj, request, data: services.campaign_go_live(
            campaign_id=obj.pk, by=request.user
        ),
        "analyse": lambda obj, request, data: services.campaign_end(
            campaign_id=obj.pk, by=request.user
        ),
        "close": lambda obj, request, data: services.campaign_close(
            campaign_id=obj.pk, lessons=data.get("lessons", ""), by=request.user
        ),
        "cancel": lambda obj, request, data: services.campaign_cancel(
            campaign_id=obj.pk, reason=data.get("reason", ""), by=request.user
        ),
    }

    @admin.display(description=_("summary report"))
    def report_link(self, obj: Campaign) -> Any:
        if not obj.report:
            return "—"
        return format_html('<a href="{}">PDF</a>', obj.report.url)


@admin.register(CampaignPlan)
class CampaignPlanAdmin(ServiceWrittenAdmin):
    list_display = ["name", "campaign", "target_sales", "budget"]
    list_select_related = ["campaign"]
    search_fields = ["name", "campaign__number", "campaign__name"]

    class LineInline(ReadOnlyInline, admin.TabularInline):
        model = PlanLine
        fields = ["sku", "campaign_price", "target_units"]

    inlines = [LineInline]


@admin.register(CampaignTask)
class CampaignTaskAdmin(ServiceWrittenAdmin):
    """Read-only: managers waive a task on the campaign's page in the portal (with a reason)."""

    list_display = ["campaign", "kind", "work_task", "waived_at", "waived_by"]
    list_filter = ["kind", "campaign__state"]
    list_select_related = ["campaign", "work_task", "waived_by"]
