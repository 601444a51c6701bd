"""A reconciliation day runs from local midnight to local midnight, on SQLite as on
PostgreSQL: an event at 23:30 is the day's own, one at 07:59 next morning is the next day's
(SQLite keeps datetimes as UTC text; comparing them with the text of a +08:00 midnight
counted everything up to 08:00 next morning into the previous day)."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest

from ecomops.calendar import local_datetime
from finance import services
from finance.models import MismatchKind
from tests.finance.factories import priced_order

DAY = date(2026, 11, 18)  # a Wednesday
NEXT = DAY + timedelta(days=1)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english"),
    pytest.mark.clock(local_datetime(DAY + timedelta(days=2), time(9))),
]


def shipped_at(sku: Any, when: Any) -> Any:
    """An order accepted and shipped at ``when`` that needs an invoice nobody issued."""
    return priced_order([(sku, 1, "100.00")], accepted_at=when, shipped_at=when)


def not_invoiced(run: Any) -> list[str]:
    return sorted(
        run.mismatches.filter(kind=MismatchKind.SHIPPED_NOT_INVOICED).values_list(
            "reference", flat=True
        )
    )


def figure(run: Any, key: str) -> int:
    return sum(row[key]["count"] for row in run.figures)


def test_an_event_before_eight_next_morning_belongs_to_the_next_day(sku):
    late_evening = shipped_at(sku, local_datetime(DAY, time(23, 30)))
    early_morning = shipped_at(sku, local_datetime(NEXT, time(7, 59)))

    day = services.reconcile(day=DAY)
    assert not_invoiced(day) == [late_evening.number]
    assert figure(day, "orders") == figure(day, "shipped") == 1

    next_day = services.reconcile(day=NEXT)
    assert not_invoiced(next_day) == sorted([late_evening.number, early_morning.number])
    assert figure(next_day, "orders") == figure(next_day, "shipped") == 1


def test_the_day_before_sees_neither(sku):
    shipped_at(sku, local_datetime(DAY, time(23, 30)))
    shipped_at(sku, local_datetime(NEXT, time(7, 59)))
    before = services.reconcile(day=DAY - timedelta(days=1))
    assert not_invoiced(before) == []
    assert before.mismatch_count == 0
