from __future__ import annotations

from datetime import date

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import WorkCalendarDay

# From this many days before a new year, its missing calendar is worth a warning.
NEXT_YEAR_WARNING_DAYS = 45


def calendar_covered_years() -> set[int]:
    """Years with a row for every day: their working days come from the table."""
    rows = WorkCalendarDay.objects.values_list("date__year").annotate(days=Count("id")).order_by()
    return {year for year, days in rows if days >= 365}


def calendar_missing_years(*, today: date | None = None) -> list[int]:
    """This year when uncovered, and next year when uncovered and less than 45 days away."""
    today = today or timezone.localdate()
    covered = calendar_covered_years()
    missing = []
    if today.year not in covered:
        missing.append(today.year)
    days_left = (date(today.year + 1, 1, 1) - today).days
    if days_left <= NEXT_YEAR_WARNING_DAYS and today.year + 1 not in covered:
        missing.append(today.year + 1)
    return missing


def calendar_warnings(*, today: date | None = None) -> list[str]:
    """What managers must know about the calendar: years we ship in without official data."""
    today = today or timezone.localdate()
    missing = calendar_missing_years(today=today)
    warnings = []
    if today.year in missing:
        warnings.append(
            _(
                "The business calendar has no data for %(year)s: every Monday to Saturday "
                "counts as a working day and public holidays are ignored. Load the official "
                "calendar (upgrade chinesecalendar, then run manage.py calendar_sync) or enter "
                "the holidays in the admin."
            )
            % {"year": today.year}
        )
    if today.year + 1 in missing:
        warnings.append(
            _(
                "The business calendar for %(year)s is not loaded yet. When the State Council "
                "publishes the holiday arrangements, upgrade chinesecalendar and run "
                "manage.py calendar_sync, or enter the holidays in the admin."
            )
            % {"year": today.year + 1}
        )
    return warnings
