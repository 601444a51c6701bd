"""Managers' view of department tasks: filters by department, state and due time, the
reports and files read-only, and transition buttons that run the services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ecomops.admin_inlines import ReadOnlyInline, StateLogInline
from ecomops.bounds import TEXT_MAX_LENGTH
from ecomops.fsm_admin import ReasonForm, ServiceTransitionAdmin, ServiceWrittenAdmin

from . import services
from .models import TaskAttachment, TaskReport, WorkTask


class TaskReportInline(ReadOnlyInline, admin.TabularInline):
    model = TaskReport
    fields = ["at", "by", "text"]


class TaskAttachmentInline(ReadOnlyInline, admin.TabularInline):
    model = TaskAttachment
    fields = ["name", "content_type", "size", "report", "uploaded_by", "uploaded_at"]


class CompletionForm(forms.Form):
    note = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=_("completion note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@admin.register(WorkTask)
class WorkTaskAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = [
        "number",
        "title",
        "from_department",
        "to_department",
        "to_role",
        "state",
        "due_at",
        "dispatched_by",
        "overdue_reminded_at",
    ]
    list_filter = ["state", "from_department", "to_department", "to_role", "due_at"]
    list_select_related = ["dispatched_by"]
    search_fields = ["number", "title", "details", "source_label"]
    date_hierarchy = "due_at"
    inlines = [TaskReportInline, TaskAttachmentInline, StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"complete": CompletionForm, "decline": ReasonForm, "cancel": ReasonForm}
    fsm_services = {
        "accept": lambda obj, request, data: services.task_accept(task_id=obj.pk, by=request.user),
        "complete": lambda obj, request, data: services.task_complete(
            task_id=obj.pk, note=data.get("note", ""), by=request.user
        ),
        "decline": lambda obj, request, data: services.task_decline(
            task_id=obj.pk, reason=data.get("reason", ""), by=request.user
        ),
        "cancel": lambda obj, request, data: services.task_cancel(
            task_id=obj.pk, reason=data.get("reason", ""), by=request.user
        ),
    }
