"""Managers keep the list of department heads (who may, e.g., ask HR for people)."""

from __future__ import annotations

from django.contrib import admin

from .models import DepartmentHead


@admin.register(DepartmentHead)
class DepartmentHeadAdmin(admin.ModelAdmin):
    list_display = ["department", "user", "since"]
    list_filter = ["department"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]
