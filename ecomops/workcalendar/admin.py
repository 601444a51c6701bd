from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse

from .models import DaySource, WorkCalendarDay
from .selectors import calendar_warnings


@admin.register(WorkCalendarDay)
class WorkCalendarDayAdmin(admin.ModelAdmin[WorkCalendarDay]):
    list_display = ["date", "weekday", "is_working_day", "note", "source", "updated_at"]
    list_editable = ["is_working_day", "note"]
    list_filter = ["is_working_day", "source", ("date", admin.DateFieldListFilter)]
    date_hierarchy = "date"
    search_fields = ["note"]
    readonly_fields = ["source", "updated_at"]
    list_per_page = 100

    @admin.display(description="weekday")
    def weekday(self, obj: WorkCalendarDay) -> str:
        return "一二三四五六日"[obj.date.weekday()]

    def save_model(
        self, request: HttpRequest, obj: WorkCalendarDay, form: Any, change: bool
    ) -> None:
        obj.source = DaySource.MANUAL
        super().save_model(request, obj, form, change)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        for warning in calendar_warnings():
            messages.warning(request, warning)
        return super().changelist_view(request, extra_context)
