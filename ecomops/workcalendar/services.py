"""Seeding and syncing the calendar from the ``chinesecalendar`` package, and applying the
State Council's notice for a year the package does not know yet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.roles import RoleCode
from ecomops.calendar import day_start
from ecomops.cutoffs import cut_schedule_forget
from ecomops.errors import ApplicationError, require_permission
from ecomops.notifications.services import notify_role

from .models import CutSchedule, DaySource, WorkCalendarDay
from .notice import ParsedNotice, parse_notice

# The holiday names of chinesecalendar, as staff read them.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


# Days a manager set: a sync from the package leaves them alone.
MANAGER_SOURCES = (DaySource.MANUAL, DaySource.NOTICE)


@dataclass(frozen=True)
class PlannedDay:
    date: date
    is_working_day: bool
    note: str


def package_years() -> list[int]:
    """The years the installed chinesecalendar release knows the holidays of."""
    from chinese_calendar import constants

    return sorted({day.year for day in constants.holidays})


def package_days(year: int) -> list[PlannedDay]:
    """Every day of ``year``: Monday–Saturday working, then the official calendar on top.

    Every day inside a holiday is off (Saturdays included); the adjusted (in-lieu) working
    days are working days. Not ``chinese_calendar.is_workday``: it treats Saturdays as off.
    """
    from chinese_calendar import constants

    holidays: dict[date, Any] = constants.holidays
    workdays: dict[date, Any] = constants.workdays
    days = []
    day = date(year, 1, 1)
    while day.year == year:
        if day in holidays:
            name = str(holidays[day])
            days.append(PlannedDay(day, False, HOLIDAY_NAMES_ZH.get(name, name)))
        elif day in workdays:
            name = str(workdays[day])
            days.append(PlannedDay(day, True, f"{HOLIDAY_NAMES_ZH.get(name, name)}调休上班"))
        else:
            days.append(PlannedDay(day, day.weekday() < 6, ""))
        day += timedelta(days=1)
    return days


def calendar_sync_year(
    *, year: int, model: Any = WorkCalendarDay, overwrite_manual: bool = False
) -> int:
    """Write ``year`` from the package into the table; returns how many rows changed.

    Days a manager changed by hand or applied from the State Council notice are kept unless
    ``overwrite_manual``. ``model`` lets the data migration pass its historical model.
    """
    planned = {item.date: item for item in package_days(year)}
    existing = {row.date: row for row in model.objects.filter(date__year=year)}
    to_create = []
    to_update = []
    for day, item in planned.items():
        row = existing.get(day)
        if row is None:
            to_create.append(
                model(
                    date=day,
                    is_working_day=item.is_working_day,
                    note=item.note,
                    source=DaySource.PACKAGE,
                )
            )
        elif (row.source not in MANAGER_SOURCES or overwrite_manual) and (
            row.is_working_day != item.is_working_day
            or row.note != item.note
            or row.source != DaySource.PACKAGE
        ):
            row.is_working_day, row.note, row.source = (
                item.is_working_day,
                item.note,
                DaySource.PACKAGE,
            )
            to_update.append(row)
    with transaction.atomic():
        model.objects.bulk_create(to_create, batch_size=500)
        model.objects.bulk_update(to_update, ["is_working_day", "note", "source"], batch_size=500)
    return len(to_create) + len(to_update)


def calendar_sync(
    *, years: list[int] | None = None, model: Any = WorkCalendarDay
) -> dict[int, int]:
    """Sync every year the package covers (or ``years``); returns rows changed per year."""
    available = package_years()
    chosen = [year for year in (years or available) if year in available]
    return {year: calendar_sync_year(year=year, model=model) for year in chosen}


def calendar_fill_default_year(*, year: int) -> int:
    """Cover a year the package does not know with Monday–Saturday rows a manager then edits."""
    existing = set(WorkCalendarDay.objects.filter(date__year=year).values_list("date", flat=True))
    rows = []
    day = date(year, 1, 1)
    while day.year == year:
        if day not in existing:
            rows.append(
                WorkCalendarDay(
                    date=day, is_working_day=day.weekday() < 6, source=DaySource.DEFAULT
                )
            )
        day += timedelta(days=1)
    WorkCalendarDay.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def calendar_warn_managers(*, today: date | None = None) -> int:
    """Notify managers of each uncovered year, once per year; returns notifications made."""
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext as _

    from ecomops.accounts.roles import RoleCode
    from ecomops.notifications.models import Notification
    from ecomops.notifications.services import notify_role

    from .selectors import calendar_missing_years, calendar_warnings

    made = 0
    with translation.override(settings.LANGUAGE_CODE):
        warnings = calendar_warnings(today=today)
        for year, warning in zip(calendar_missing_years(today=today), warnings, strict=True):
            made += len(
                notify_role(
                    role=RoleCode.MANAGER,
                    title=_("The business calendar has no data for %(year)s") % {"year": year},
                    body=warning,
                    url=reverse("admin:workcalendar_workcalendarday_changelist"),
                    level=Notification.Level.WARNING,
                    key=f"calendar-missing:{year}",
                )
            )
    return made


@dataclass(frozen=True)
class NoticeDay:
    """One day of a notice's preview, laid over the company's Monday–Saturday week.

    ``declared`` is "holiday" or "workday" for a day the notice declares, "" for a day the
    apply resets to Monday–Saturday (left from an earlier notice or the package) or keeps
    because a manager changed it by hand.
    """

    date: date
    declared: str
    name: str
    is_working_day: bool
    note: str
    current_working: bool | None
    current_source: str | None
    kept: bool

    @property
    def weekday(self) -> str:
        return "一二三四五六日"[self.date.weekday()]

    @property
    def default_working(self) -> bool:
        return self.date.weekday() < 6

    @property
    def differs_from_week(self) -> bool:
        """Does the notice move this day off the Monday–Saturday week? A make-up Saturday
        does not: the company works Saturdays anyway."""
        return self.is_working_day != self.default_working

    @property
    def current_source_label(self) -> str:
        return str(DaySource(self.current_source).label) if self.current_source else ""

    @property
    def changes_calendar(self) -> bool:
        return not self.kept and self.current_working != self.is_working_day


@dataclass(frozen=True)
class NoticePreview:
    notice: ParsedNotice
    # The declared days, and the existing rows the apply resets or keeps.
    days: list[NoticeDay]
    # Rows written on apply (new, changed, or given the notice as their source).
    rows_to_write: int
    # Days of the year without a row, created as Monday–Saturday (not listed in ``days``).
    new_week_days: int

    @property
    def holidays(self) -> list[NoticeDay]:
        return [d for d in self.days if d.declared == "holiday"]

    @property
    def workdays(self) -> list[NoticeDay]:
        return [d for d in self.days if d.declared == "workday"]


@dataclass(frozen=True)
class _Write:
    day: NoticeDay
    source: str
    title: str


def _notice_plan(notice: ParsedNotice, existing: dict[date, Any]) -> list[_Write]:
    """What the apply writes: every declared day from the notice; every other day of the
    year back to Monday–Saturday, except a manager's hand edit, which stays."""
    declared: dict[date, tuple[str, str, bool, str]] = {}
    for day, name in notice.holiday_dates().items():
        declared[day] = ("holiday", name, False, name)
    for day, name in notice.workday_dates().items():
        declared[day] = ("workday", name, True, f"{name}调休上班")
    days = set(declared)
    day = date(notice.year, 1, 1)
    while day.year == notice.year:
        days.add(day)
        day += timedelta(days=1)
    plan = []
    for day in sorted(days):
        row = existing.get(day)
        current_working = row.is_working_day if row is not None else None
        current_source = row.source if row is not None else None
        if day in declared:
            kind, name, working, note = declared[day]
            shown = NoticeDay(
                day, kind, name, working, note, current_working, current_source, kept=False
            )
            plan.append(_Write(shown, DaySource.NOTICE, notice.title))
        elif row is not None and row.source == DaySource.MANUAL:
            if (row.is_working_day, row.note) != (day.weekday() < 6, ""):
                shown = NoticeDay(
                    day,
                    "",
                    "",
                    row.is_working_day,
                    row.note,
                    current_working,
                    current_source,
                    kept=True,
                )
                plan.append(_Write(shown, DaySource.MANUAL, row.source_title))
        elif row is None or (row.is_working_day, row.note) != (day.weekday() < 6, ""):
            shown = NoticeDay(
                day, "", "", day.weekday() < 6, "", current_working, current_source, kept=False
            )
            plan.append(_Write(shown, DaySource.DEFAULT, ""))
    return plan


def _preview(notice: ParsedNotice, plan: list[_Write], rows_to_write: int) -> NoticePreview:
    def new_week_day(day: NoticeDay) -> bool:
        return not day.declared and day.current_working is None

    return NoticePreview(
        notice=notice,
        days=[write.day for write in plan if not new_week_day(write.day)],
        rows_to_write=rows_to_write,
        new_week_days=sum(new_week_day(write.day) for write in plan),
    )


def _needs_write(write: _Write, row: Any) -> bool:
    if write.day.kept:
        return False
    if row is None:
        return True
    return (row.is_working_day, row.note, row.source, row.source_title) != (
        write.day.is_working_day,
        write.day.note,
        write.source,
        write.title,
    )


def _notice_rows(notice: ParsedNotice, *, lock: bool = False) -> dict[date, Any]:
    first = min([date(notice.year, 1, 1), *notice.holiday_dates(), *notice.workday_dates()])
    last = max([date(notice.year, 12, 31), *notice.holiday_dates(), *notice.workday_dates()])
    rows = WorkCalendarDay.objects.filter(date__range=(first, last)).order_by("date")
    if lock:
        rows = rows.select_for_update()
    return {row.date: row for row in rows}


def calendar_notice_preview(*, text: str, year: int | None = None) -> NoticePreview:
    """What applying the pasted notice would do, before anything is written.

    The days shown are the declared ones, and the others the apply would touch: a row an
    earlier notice or the package left that differs from Monday–Saturday (reset), or a
    manager's hand edit (kept). Raises ``NoticeError`` naming the line it cannot read.
    """
    notice = parse_notice(text, year)
    existing = _notice_rows(notice)
    plan = _notice_plan(notice, existing)
    return _preview(
        notice, plan, sum(_needs_write(write, existing.get(write.day.date)) for write in plan)
    )


def calendar_notice_apply(*, text: str, by: Any, year: int | None = None) -> NoticePreview:
    """Write the notice's year into the calendar; returns what was planned and written.

    Declared days take the notice as their source, with its title, who applied it and
    when; the rest of the year goes back to Monday–Saturday unless a manager changed the
    day by hand. Applying the same notice again writes nothing.
    """
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from ecomops.calendar import calendar_cache_clear
    from ecomops.errors import require_permission

    require_permission(
        by,
        "workcalendar.change_workcalendarday",
        _("Only a manager can change the business calendar."),
    )
    require_permission(by, "workcalendar.add_workcalendarday")
    notice = parse_notice(text, year)
    now = timezone.now()
    with transaction.atomic():
        existing = _notice_rows(notice, lock=True)
        plan = _notice_plan(notice, existing)
        to_create, to_update = [], []
        for write in plan:
            row = existing.get(write.day.date)
            if not _needs_write(write, row):
                continue
            notice_day = write.source == DaySource.NOTICE
            values = {
                "is_working_day": write.day.is_working_day,
                "note": write.day.note,
                "source": write.source,
                "source_title": write.title,
                "applied_by": by if notice_day else None,
                "applied_at": now if notice_day else None,
            }
            if row is None:
                to_create.append(WorkCalendarDay(date=write.day.date, **values))
            else:
                for field, value in values.items():
                    setattr(row, field, value)
                to_update.append(row)
        WorkCalendarDay.objects.bulk_create(to_create, batch_size=500)
        WorkCalendarDay.objects.bulk_update(
            to_update,
            ["is_working_day", "note", "source", "source_title", "applied_by", "applied_at"],
            batch_size=500,
        )
        # Bulk writes send no post_save: the calendar's cache learns of them here.
        transaction.on_commit(calendar_cache_clear)
    return _preview(notice, plan, len(to_create) + len(to_update))


# --- Cut times ---------------------------------------------------------------------------


def cut_schedule_errors(
    *, cut_hours: Sequence[int], effective_from: date, effective_today: bool, reason: str
) -> dict[str, list[str]]:
    """What is wrong with new cut times, per field (none: they can be set)."""
    errors: dict[str, list[str]] = {}
    if not cut_hours or not all(0 < hour < 24 for hour in cut_hours):
        errors["cut_hours"] = [_("Choose at least one cut hour between 01:00 and 23:00.")]
    if not reason.strip():
        errors["reason"] = [_("Say why the cut times change.")]
    if not effective_today and effective_from <= timezone.localdate():
        errors["effective_from"] = [
            _(
                "Today is under way: a change applies from tomorrow at the earliest. "
                "Choose a later date, or tick “effective today” to apply it from now on."
            )
        ]
    return errors


def cut_schedule_set(
    *,
    cut_hours: Sequence[int],
    invoice_cut: time,
    effective_from: date,
    reason: str,
    by: Any,
    effective_today: bool = False,
) -> CutSchedule:
    """Set new cut times (截单时间) from ``effective_from`` on, as a new row: history stays.

    A day already under way keeps its cuts, so the earliest date is tomorrow; with
    ``effective_today`` the change is in force from now on, for orders accepted from now
    (those accepted earlier keep their batch and today's earlier cuts still release them).
    The warehouse and finance are told.
    """
    require_permission(by, "workcalendar.add_cutschedule", _("Only a manager sets cut times."))
    errors = cut_schedule_errors(
        cut_hours=cut_hours,
        effective_from=effective_from,
        effective_today=effective_today,
        reason=reason,
    )
    if errors:
        raise ApplicationError(next(iter(errors.values()))[0], {"fields": errors})
    now = timezone.now()
    hours = sorted(set(cut_hours))
    if effective_today:
        effective_from = timezone.localdate(now)
        in_force_from = now
    else:
        in_force_from = day_start(effective_from)
    with transaction.atomic():
        schedule = CutSchedule.objects.create(
            effective_from=effective_from,
            in_force_from=in_force_from,
            cut_hours=",".join(str(hour) for hour in hours),
            invoice_cut=invoice_cut,
            reason=reason.strip(),
            set_by=by,
            set_at=now,
        )
        transaction.on_commit(cut_schedule_forget)
        _tell_about_cut_times(schedule, effective_today=effective_today)
    return schedule


def _tell_about_cut_times(schedule: CutSchedule, *, effective_today: bool) -> None:
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        _tell_in_language(schedule, effective_today=effective_today)


def _tell_in_language(schedule: CutSchedule, *, effective_today: bool) -> None:
    when = (
        _("from now on (today, %(time)s)")
        % {"time": timezone.localtime(schedule.in_force_from).strftime("%H:%M")}
        if effective_today
        else _("from %(date)s") % {"date": schedule.effective_from.isoformat()}
    )
    title = _("Cut times change %(when)s: batches at %(cuts)s, invoice cut %(invoice)s") % {
        "when": when,
        "cuts": schedule.cut_times_display,
        "invoice": schedule.invoice_cut.strftime("%H:%M"),
    }
    for role in (RoleCode.WAREHOUSE_ADMIN, RoleCode.FINANCE_CLERK):
        notify_role(
            role=role,
            title=title,
            body=schedule.reason,
            key=f"cut-schedule-{schedule.pk}",
        )
