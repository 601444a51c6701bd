"""The company calendar and working-time arithmetic (DESIGN §3, §8).

Working days come from ``WorkCalendarDay`` (seeded from the official Chinese calendar);
a year without rows falls back to Monday–Saturday. Working hours are the settings
``WORKING_HOURS_START``/``WORKING_HOURS_END`` (default 09:00–18:00), in company time.

Lookups are cached per process by year for a short while, and cleared whenever a calendar
row is saved or deleted here; another process sees a manager's edit within the TTL.
"""

from __future__ import annotations

import logging
import threading
import time as monotonic_time
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

CACHE_SECONDS = 300
_cache: dict[int, tuple[float, dict[date, bool]]] = {}
_cache_lock = threading.Lock()
_warned_years: set[int] = set()


def calendar_cache_clear() -> None:
    with _cache_lock:
        _cache.clear()


def _year_days(year: int) -> dict[date, bool]:
    now = monotonic_time.monotonic()
    with _cache_lock:
        cached = _cache.get(year)
        if cached and now - cached[0] < CACHE_SECONDS:
            return cached[1]
    from ecomops.workcalendar.models import WorkCalendarDay

    days = dict(
        WorkCalendarDay.objects.filter(date__year=year).values_list("date", "is_working_day")
    )
    if not days and year not in _warned_years:
        _warned_years.add(year)
        logger.warning("No business calendar for %s: falling back to Monday–Saturday", year)
    with _cache_lock:
        _cache[year] = (now, days)
    return days


def is_working_day(day: date) -> bool:
    """Does the company work on ``day``? The calendar table, else Monday–Saturday."""
    if isinstance(day, datetime):
        day = company_time(day).date() if timezone.is_aware(day) else day.date()
    known = _year_days(day.year).get(day)
    if known is not None:
        return known
    return day.weekday() < 6


def next_working_day(day: date) -> date:
    """The first working day after ``day``."""
    candidate = day + timedelta(days=1)
    for _ in range(366):
        if is_working_day(candidate):
            return candidate
        candidate += timedelta(days=1)
    raise ValueError(f"no working day within a year after {day}")


def working_day_on_or_after(day: date) -> date:
    return day if is_working_day(day) else next_working_day(day)


def add_working_days(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself does not count).

    For a platform that promises an answer in "20 working days": submitted on Friday,
    the answer is due on the 20th working day after it, holidays skipped.
    """
    if count < 0:
        raise ValueError("add_working_days needs a non-negative count")
    for _ in range(count):
        day = next_working_day(day)
    return day


def working_days_between(start: date, end: date) -> int:
    """How many working days lie after ``start`` up to and including ``end``; negative
    when ``end`` is before ``start`` (``add_working_days(d, n)`` gives back ``n``)."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def working_hours() -> tuple[time, time]:
    return settings.WORKING_HOURS_START, settings.WORKING_HOURS_END


def _at(day: date, moment: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment), timezone.get_default_timezone())


def _next_working_moment(moment: datetime) -> datetime:
    """``moment`` if inside working hours on a working day, else the next opening."""
    opens, closes = working_hours()
    local = company_time(moment)
    day = local.date()
    if is_working_day(day):
        if local.time() < opens:
            return _at(day, opens)
        if local.time() < closes:
            return local
    return _at(next_working_day(day), opens)


def add_working_time(start: datetime, delta: timedelta) -> datetime:
    """``start`` plus ``delta`` of working time: only working hours of working days count.

    A 15-minute clock started on Saturday 17:50 with an 18:00 close is due on Monday at
    09:05 (when Monday is a working day). Time that ends exactly at closing stays that day.
    """
    if timezone.is_naive(start):
        raise ValueError("add_working_time needs an aware datetime")
    if delta < timedelta(0):
        raise ValueError("add_working_time needs a non-negative duration")
    _, closes = working_hours()
    current = _next_working_moment(start)
    remaining = delta
    while True:
        day_close = _at(company_time(current).date(), closes)
        available = day_close - current
        if remaining <= available:
            return current + remaining
        remaining -= available
        current = _next_working_moment(day_close)


def working_time_between(start: datetime, end: datetime) -> timedelta:
    """Working time from ``start`` to ``end``; negative when ``end`` is before ``start``."""
    if end < start:
        return -working_time_between(end, start)
    _, closes = working_hours()
    total = timedelta(0)
    current = _next_working_moment(start)
    while current < end:
        day_close = _at(company_time(current).date(), closes)
        total += min(day_close, end) - current
        current = _next_working_moment(day_close)
    return total


def day_closing(day: date) -> datetime:
    """Closing time on ``day`` (aware), e.g. the end of a same-day deadline."""
    return _at(day, working_hours()[1])


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` (aware): ``[day_start(d), day_start(d + 1 day))`` is
    the whole day in company time, for day-based figures and "as of the end of the day"."""
    return _at(day, time(0))


def local_datetime(day: date, moment: time) -> datetime:
    """An aware datetime for a company-time wall clock reading."""
    return _at(day, moment)


def company_time(moment: datetime) -> datetime:
    """``moment`` (aware) on the company's wall clock (``TIME_ZONE``), which the cuts, the
    working hours and the day's numbers follow whatever zone a request has activated; it
    also skips the lookup of the current zone, which the intake made a few times a push."""
    return timezone.localtime(moment, timezone.get_default_timezone())


def company_today() -> date:
    """Today on the company's wall clock (``company_time``)."""
    return company_time(timezone.now()).date()
