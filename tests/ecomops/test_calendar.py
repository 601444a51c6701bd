"""The company calendar (DESIGN §3): official holidays and in-lieu days over Monday–Saturday."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from ecomops.calendar import (
    add_working_days,
    add_working_time,
    is_working_day,
    next_working_day,
    working_days_between,
    working_time_between,
)
from ecomops.workcalendar.models import DaySource, WorkCalendarDay
from ecomops.workcalendar.selectors import calendar_covered_years, calendar_warnings
from ecomops.workcalendar.services import calendar_fill_default_year, calendar_warn_managers
from tests.timeutil import at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        (date(2026, 10, 1), False, "National Day holiday (a Thursday)"),
        (date(2026, 10, 3), False, "a Saturday inside the National Day holiday"),
        (date(2026, 9, 20), True, "an adjusted working Sunday"),
        (date(2026, 1, 4), True, "an adjusted working Sunday after New Year"),
        (date(2026, 11, 22), False, "an ordinary Sunday"),
        (date(2026, 11, 21), True, "an ordinary Saturday: the company works Saturdays"),
        (date(2026, 11, 23), True, "an ordinary Monday"),
        (date(2026, 2, 17), False, "Spring Festival"),
    ],
)
def test_official_calendar(day, working, why):
    assert is_working_day(day) is working, why


def test_covered_years_come_from_the_package():
    covered = calendar_covered_years()
    assert {2024, 2025, 2026} <= covered
    assert 2031 not in covered


def test_year_outside_the_package_falls_back_to_monday_to_saturday():
    assert is_working_day(date(2031, 1, 1)) is True  # New Year's Day, unknown for 2031
    assert is_working_day(date(2031, 1, 4)) is True  # Saturday
    assert is_working_day(date(2031, 1, 5)) is False  # Sunday


def test_managers_are_warned_about_an_uncovered_year():
    warnings = calendar_warnings(today=date(2031, 3, 1))
    assert len(warnings) == 1
    assert "2031" in warnings[0]
    assert calendar_warnings(today=date(2026, 6, 1)) == []


def test_next_year_warning_starts_near_the_year_end():
    assert any("2027" in w for w in calendar_warnings(today=date(2026, 12, 1)))
    calendar_fill_default_year(year=2027)
    assert calendar_warnings(today=date(2026, 12, 1)) == []


def test_calendar_warning_notifies_each_manager_once(make_user):
    manager = make_user("manager")
    assert calendar_warn_managers(today=date(2031, 3, 1)) == 1
    assert calendar_warn_managers(today=date(2031, 3, 2)) == 0
    assert manager.notifications.filter(key="calendar-missing:2031").count() == 1


def test_a_manager_edit_takes_effect_at_once():
    assert is_working_day(date(2026, 11, 24)) is True
    row = WorkCalendarDay.objects.get(date=date(2026, 11, 24))
    row.is_working_day = False
    row.note = "盘点停工"
    row.source = DaySource.MANUAL
    row.save()
    assert is_working_day(date(2026, 11, 24)) is False
    assert next_working_day(date(2026, 11, 23)) == date(2026, 11, 25)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 21), date(2026, 11, 23)),  # Saturday → Monday
        (date(2026, 9, 30), date(2026, 10, 8)),  # before National Day → after it
        (date(2026, 9, 19), date(2026, 9, 20)),  # Saturday → adjusted working Sunday
        (date(2026, 11, 23), date(2026, 11, 24)),
    ],
)
def test_next_working_day(day, expected):
    assert next_working_day(day) == expected


@pytest.mark.parametrize(
    ("start", "delta", "due"),
    [
        # The issue's own example: Saturday 17:50 + 15 min with the 18:00 close.
        (at(2026, 11, 21, 17, 50), timedelta(minutes=15), at(2026, 11, 23, 9, 5)),
        # Across closing time on a weekday.
        (at(2026, 11, 23, 17, 30), timedelta(hours=1), at(2026, 11, 24, 9, 30)),
        # Across the National Day holiday.
        (at(2026, 9, 30, 17, 30), timedelta(hours=1), at(2026, 10, 8, 9, 30)),
        # Into an adjusted working Sunday.
        (at(2026, 9, 19, 17, 50), timedelta(minutes=15), at(2026, 9, 20, 9, 5)),
        # Started before opening: the clock starts at 09:00.
        (at(2026, 11, 23, 7, 0), timedelta(minutes=15), at(2026, 11, 23, 9, 15)),
        # Started on a Sunday.
        (at(2026, 11, 22, 11, 0), timedelta(minutes=30), at(2026, 11, 23, 9, 30)),
        # Ending exactly at closing time stays that day.
        (at(2026, 11, 23, 17, 45), timedelta(minutes=15), at(2026, 11, 23, 18, 0)),
        # More than a whole working day.
        (at(2026, 11, 23, 10, 0), timedelta(hours=20), at(2026, 11, 25, 12, 0)),
        (at(2026, 11, 23, 10, 0), timedelta(0), at(2026, 11, 23, 10, 0)),
    ],
)
def test_add_working_time(start, delta, due):
    assert add_working_time(start, delta) == due
    if delta:
        assert working_time_between(start, due) == delta


def test_add_working_time_accepts_any_timezone():
    start_utc = datetime(2026, 11, 21, 9, 50, tzinfo=ZoneInfo("UTC"))  # 17:50 in Shanghai
    assert add_working_time(start_utc, timedelta(minutes=15)) == at(2026, 11, 23, 9, 5)


def test_working_time_follows_the_company_clock_whatever_zone_is_active():
    # Saturday 17:50 in Shanghai, read while a request has UTC (09:50) activated.
    with timezone.override(ZoneInfo("UTC")):
        assert add_working_time(at(2026, 11, 21, 17, 50), timedelta(minutes=15)) == at(
            2026, 11, 23, 9, 5
        )


def test_add_working_time_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="aware"):
        add_working_time(datetime(2026, 11, 23, 10, 0), timedelta(minutes=5))


def test_working_time_between_skips_nights_sundays_and_holidays():
    assert working_time_between(at(2026, 11, 21, 17, 0), at(2026, 11, 23, 10, 0)) == timedelta(
        hours=2
    )
    assert working_time_between(at(2026, 9, 30, 17, 0), at(2026, 10, 8, 9, 0)) == timedelta(hours=1)
    assert working_time_between(at(2026, 11, 23, 10, 0), at(2026, 11, 23, 9, 0)) == -timedelta(
        hours=1
    )


@pytest.mark.clock(at(2026, 11, 23, 10, 0))  # the admin signs in on that day, too
def test_calendar_admin_shows_the_warning(admin_client):
    response = admin_client.get("/admin/workcalendar/workcalendarday/")
    assert response.status_code == 200


def test_calendar_sync_command_keeps_manual_edits():
    from django.core.management import call_command

    row = WorkCalendarDay.objects.get(date=date(2026, 10, 1))
    row.is_working_day, row.source = True, DaySource.MANUAL
    row.save()
    call_command("calendar_sync", "2026")
    assert WorkCalendarDay.objects.get(date=date(2026, 10, 1)).is_working_day is True


def test_working_days_skip_the_national_day_holiday():
    # Wednesday 30 September 2026; 1-7 October is the holiday, Saturday 10 October works.
    start = date(2026, 9, 30)
    assert add_working_days(start, 1) == date(2026, 10, 8)
    assert add_working_days(start, 3) == date(2026, 10, 10)
    assert add_working_days(start, 4) == date(2026, 10, 12)
    assert add_working_days(start, 0) == start
    assert working_days_between(start, date(2026, 10, 12)) == 4
    assert working_days_between(date(2026, 10, 12), start) == -4
    assert working_days_between(start, date(2026, 10, 7)) == 0


def test_working_days_count_saturdays_not_sundays():
    # Monday 23 November 2026 + 6 working days is the next Monday (Sunday skipped).
    assert add_working_days(date(2026, 11, 23), 6) == date(2026, 11, 30)
    assert working_days_between(date(2026, 11, 23), date(2026, 11, 30)) == 6
    with pytest.raises(ValueError, match="non-negative"):
        add_working_days(date(2026, 11, 23), -1)
