from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from ecomops.cutoffs import cut_times_at
from ecomops.errors import ApplicationError

from .forms import CutScheduleForm, NoticeForm
from .models import CutSchedule, DaySource, WorkCalendarDay
from .selectors import calendar_warnings
from .services import calendar_notice_apply, calendar_notice_preview, cut_schedule_set


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


@admin.register(CutSchedule)
class CutScheduleAdmin(admin.ModelAdmin[CutSchedule]):
    """截单时间表: managers add new cut times; rows already set are read-only history."""

    form = CutScheduleForm
    list_display = [
        "effective_from",
        "in_force_from",
        "cut_times",
        "invoice_cut",
        "reason",
        "set_by",
        "set_at",
    ]
    list_select_related = ["set_by"]
    date_hierarchy = "effective_from"

    @admin.display(description=_lazy("cut times"))
    def cut_times(self, obj: CutSchedule) -> str:
        return obj.cut_times_display

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return super().get_fields(request, obj)
        return [
            "effective_from",
            "in_force_from",
            "cut_times",
            "invoice_cut",
            "reason",
            "set_by",
            "set_at",
        ]

    # History is kept: a schedule is never changed or deleted, a new one replaces it.
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        now = timezone.now()
        current = cut_times_at(now)
        return {
            "effective_from": timezone.localdate(now) + timedelta(days=1),
            "cut_times": list(current.slots),
            "invoice_cut": current.invoice_cut,
        }

    def save_model(self, request: HttpRequest, obj: CutSchedule, form: Any, change: bool) -> None:
        data = form.cleaned_data
        schedule = cut_schedule_set(
            cut_hours=data["cut_times"],
            invoice_cut=data["invoice_cut"],
            effective_from=data["effective_from"],
            effective_today=data["effective_today"],
            reason=data["reason"],
            by=request.user,
        )
        for field in schedule._meta.concrete_fields:
            setattr(obj, field.attname, getattr(schedule, field.attname))
        obj._state.adding = False
        if data["effective_today"]:
            messages.warning(
                request,
                _(
                    "The new cut times are in force from now on (%(time)s). Orders accepted "
                    "before keep their batch; today's earlier cuts still release them."
                )
                % {"time": timezone.localtime(schedule.in_force_from).strftime("%H:%M")},
            )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        current = cut_times_at(timezone.now())
        messages.info(
            request,
            _("In force now: batches cut at %(cuts)s, invoice cut %(invoice)s.")
            % {
                "cuts": " / ".join(f"{hour:02d}:00" for hour in current.slots),
                "invoice": current.invoice_cut.strftime("%H:%M"),
            },
        )
        return super().changelist_view(request, extra_context)
