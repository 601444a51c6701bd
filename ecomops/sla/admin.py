from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import SlaClock, SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin[SlaPolicy]):
    list_display = [
        "code",
        "name",
        "limit",
        "warning_percent",
        "escalation_delay",
        "owner_role",
        "owner_department_display",
        "active",
    ]
    list_editable = ["limit", "warning_percent", "escalation_delay", "active"]
    list_filter = ["active", "owner_role"]
    search_fields = ["code", "name", "description"]
    fields = [
        "code",
        "name",
        "limit",
        "warning_percent",
        "escalation_delay",
        "owner_role",
        "active",
        "description",
    ]

    @admin.display(description=_("owner department"))
    def owner_department_display(self, obj: SlaPolicy) -> str:
        dept = obj.owner_department
        return str(dept.label) if dept else "—"

    def get_readonly_fields(self, request: HttpRequest, obj: SlaPolicy | None = None) -> list[str]:
        # Apps start clocks by code: renaming the code of a policy in use would break them.
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: SlaPolicy | None = None) -> bool:
        # Switch a policy off instead: clocks keep their history, code keeps its reference.
        return False


class ClockStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(SlaClock.Status.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[SlaClock]) -> QuerySet[SlaClock]:
        value = self.value()
        running = Q(stopped_at__isnull=True)
        overdue = running & (Q(breached_at__isnull=False) | Q(due_at__lt=timezone.now()))
        if value == SlaClock.Status.RUNNING:
            return queryset.filter(running).exclude(overdue)
        if value == SlaClock.Status.BREACHED:
            return queryset.filter(overdue)
        if value == SlaClock.Status.MET:
            return queryset.filter(stopped_at__lte=F("due_at"))
        if value == SlaClock.Status.MISSED:
            return queryset.filter(stopped_at__gt=F("due_at"))
        return queryset


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin[SlaClock]):
    list_display = [
        "policy",
        "object_link",
        "owner_role",
        "started_at",
        "due_at",
        "stopped_at",
        "breached_at",
        "warned_at",
        "escalated_at",
        "status_display",
    ]
    list_filter = [ClockStatusFilter, "policy", "owner_role", "content_type"]
    list_select_related = ["policy", "content_type"]
    search_fields = ["policy__code", "policy__name", "note"]
    date_hierarchy = "started_at"
    ordering = ["-started_at", "-pk"]
    readonly_fields = [
        "policy",
        "content_type",
        "object_id",
        "object_link",
        "owner_role",
        "started_at",
        "due_at",
        "stopped_at",
        "breached_at",
        "warn_at",
        "warned_at",
        "escalate_at",
        "escalated_at",
        "status_display",
        "note",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SlaClock]:
        return super().get_queryset(request).prefetch_related("content_object")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SlaClock | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SlaClock | None = None) -> bool:
        return False

    @admin.display(description=_("object"))
    def object_link(self, clock: SlaClock) -> str:
        obj = clock.content_object
        if obj is None:
            return f"{clock.content_type} #{clock.object_id}"
        url = ""
        ct = clock.content_type
        try:
            url = reverse(f"admin:{ct.app_label}_{ct.model}_change", args=[clock.object_id])
        except NoReverseMatch:
            get_url = getattr(obj, "get_absolute_url", None)
            url = str(get_url()) if callable(get_url) else ""
        if not url:
            return str(obj)
        return format_html('<a href="{}">{}</a>', url, obj)

    @admin.display(description=_("status"))
    def status_display(self, clock: SlaClock) -> str:
        return clock.get_status_display()
