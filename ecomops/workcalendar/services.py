"""Seeding and syncing the calendar from the ``chinesecalendar`` package."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from .models import DaySource, WorkCalendarDay

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

    Days a manager changed by hand are kept unless ``overwrite_manual``. ``model`` lets the
    data migration pass its historical model.
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
        elif (row.source != DaySource.MANUAL or overwrite_manual) and (
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
