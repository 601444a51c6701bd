from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.errors import ApplicationError

from .forms import NoticeForm
from .models import DaySource, WorkCalendarDay
from .selectors import calendar_warnings
from .services import calendar_notice_apply, calendar_notice_preview


@admin.register(WorkCalendarDay)
class WorkCalendarDayAdmin(admin.ModelAdmin[WorkCalendarDay]):
    list_display = [
        "date",
        "weekday",
        "is_working_day",
        "note",
        "source",
        "source_title",
        "applied_by",
        "updated_at",
    ]
    list_editable = ["is_working_day", "note"]
    list_filter = ["is_working_day", "source", ("date", admin.DateFieldListFilter)]
    date_hierarchy = "date"
    search_fields = ["note"]
    readonly_fields = ["source", "source_title", "applied_by", "applied_at", "updated_at"]
    list_select_related = ["applied_by"]
    list_per_page = 100

    @admin.display(description="weekday")
    def weekday(self, obj: WorkCalendarDay) -> str:
        return "一二三四五六日"[obj.date.weekday()]

    def save_model(
        self, request: HttpRequest, obj: WorkCalendarDay, form: Any, change: bool
    ) -> None:
        obj.source = DaySource.MANUAL
        obj.source_title = ""
        obj.applied_by = request.user  # type: ignore[assignment]
        obj.applied_at = timezone.now()
        super().save_model(request, obj, form, change)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        for warning in calendar_warnings():
            messages.warning(request, warning)
        return super().changelist_view(request, extra_context)

    # The State Council notice: paste, preview, apply (one view each).

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "notice/",
                view(self.notice_preview_view),
                name="workcalendar_workcalendarday_notice",
            ),
            path(
                "notice/apply/",
                view(self.notice_apply_view),
                name="workcalendar_workcalendarday_notice_apply",
            ),
            *super().get_urls(),
        ]

    def _require_calendar_manager(self, request: HttpRequest) -> None:
        if not (self.has_change_permission(request) and self.has_add_permission(request)):
            raise PermissionDenied

    def _notice_page(
        self, request: HttpRequest, form: NoticeForm, preview: Any = None, error: str = ""
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import the State Council notice"),
            "form": form,
            "preview": preview,
            "error": error,
        }
        return TemplateResponse(request, "admin/workcalendar/workcalendarday/notice.html", context)

    def notice_preview_view(self, request: HttpRequest) -> HttpResponse:
        """Paste the notice; a valid paste shows what applying it would change."""
        self._require_calendar_manager(request)
        if request.method != "POST":
            return self._notice_page(request, NoticeForm())
        form = NoticeForm(request.POST)
        if not form.is_valid():
            return self._notice_page(request, form)
        try:
            preview = calendar_notice_preview(
                text=form.cleaned_data["text"], year=form.cleaned_data["year"]
            )
        except ApplicationError as error:
            return self._notice_page(request, form, error=error.message)
        return self._notice_page(request, form, preview=preview)

    def notice_apply_view(self, request: HttpRequest) -> HttpResponse:
        """Apply the previewed notice; a refusal shows the paste again with the reason."""
        self._require_calendar_manager(request)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:workcalendar_workcalendarday_notice"))
        form = NoticeForm(request.POST)
        if not form.is_valid():
            return self._notice_page(request, form)
        try:
            applied = calendar_notice_apply(
                text=form.cleaned_data["text"], by=request.user, year=form.cleaned_data["year"]
            )
        except ApplicationError as error:
            return self._notice_page(request, form, error=error.message)
        messages.success(
            request,
            _(
                "%(title)s applied: %(holidays)s days off, %(workdays)s make-up working days, "
                "%(rows)s calendar days written."
            )
            % {
                "title": applied.notice.title,
                "holidays": len(applied.holidays),
                "workdays": len(applied.workdays),
                "rows": applied.rows_to_write,
            },
        )
        url = reverse("admin:workcalendar_workcalendarday_changelist")
        return HttpResponseRedirect(f"{url}?date__year={applied.notice.year}")
