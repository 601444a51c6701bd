"""Every boundary of the cutoff rule (DESIGN §3)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from ecomops.cutoffs import batch_after, batch_at, batch_for
from tests.timeutil import at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("accepted_at", "batch_date", "slot", "why"),
    [
        (
            at(2026, 11, 23, 11, 59, 59),
            date(2026, 11, 23),
            12,
            "Monday 11:59:59: today's 12:00 batch",
        ),
        (
            at(2026, 11, 23, 12, 0, 0),
            date(2026, 11, 23),
            15,
            "Monday 12:00:00: today's 15:00 batch",
        ),
        (
            at(2026, 11, 23, 14, 59, 59),
            date(2026, 11, 23),
            15,
            "Monday 14:59:59: today's 15:00 batch",
        ),
        (
            at(2026, 11, 23, 15, 0, 0),
            date(2026, 11, 24),
            12,
            "Monday 15:00:00: tomorrow's 12:00 batch",
        ),
        (at(2026, 11, 23, 0, 0, 1), date(2026, 11, 23), 12, "just after midnight"),
        (at(2026, 11, 23, 23, 59, 59), date(2026, 11, 24), 12, "late evening"),
        (at(2026, 11, 21, 14, 59, 59), date(2026, 11, 21), 15, "Saturday is a working day"),
        (at(2026, 11, 21, 15, 0, 1), date(2026, 11, 23), 12, "Saturday after 15:00: Monday"),
        (at(2026, 11, 22, 10, 0), date(2026, 11, 23), 12, "Sunday: Monday's 12:00 batch"),
        (at(2026, 11, 22, 13, 0), date(2026, 11, 23), 12, "Sunday afternoon too"),
        (at(2026, 10, 1, 10, 0), date(2026, 10, 8), 12, "National Day: the first day after it"),
        (at(2026, 9, 30, 15, 30), date(2026, 10, 8), 12, "after 15:00 before a holiday"),
        (at(2026, 9, 20, 10, 0), date(2026, 9, 20), 12, "adjusted working Sunday morning"),
        (at(2026, 9, 20, 13, 0), date(2026, 9, 20), 15, "adjusted working Sunday afternoon"),
        (
            at(2026, 9, 19, 16, 0),
            date(2026, 9, 20),
            12,
            "Saturday after 15:00 before a working Sunday",
        ),
    ],
)
def test_batch_for(accepted_at, batch_date, slot, why):
    batch = batch_for(accepted_at)
    assert (batch.batch_date, batch.slot) == (batch_date, slot), why
    assert batch.ship_by == batch_date, "every batch ships the day it is cut"
    assert batch.cut_at == at(batch_date.year, batch_date.month, batch_date.day, slot)


def test_the_batch_follows_the_company_clock_whatever_zone_is_active():
    # Monday 14:00 in Shanghai is 06:00 in UTC: still the 15:00 batch of Shanghai's Monday.
    with timezone.override(ZoneInfo("UTC")):
        batch = batch_for(at(2026, 11, 23, 14, 0))
    assert (batch.batch_date, batch.slot) == (date(2026, 11, 23), 15)


def test_batch_for_reads_company_time_from_any_timezone():
    utc = ZoneInfo("UTC")
    assert batch_for(datetime(2026, 11, 23, 3, 59, 59, tzinfo=utc)).slot == 12  # 11:59:59 local
    assert batch_for(datetime(2026, 11, 23, 4, 0, 0, tzinfo=utc)).slot == 15  # 12:00:00 local


def test_batch_for_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        batch_for(datetime(2026, 11, 23, 10, 0))


def test_batch_after_rolls_to_the_next_batch():
    assert batch_after(batch_at(date(2026, 11, 23), 12)) == batch_at(date(2026, 11, 23), 15)
    assert batch_after(batch_at(date(2026, 11, 21), 15)) == batch_at(date(2026, 11, 23), 12)
    assert batch_after(batch_at(date(2026, 9, 30), 15)) == batch_at(date(2026, 10, 8), 12)


def test_batch_identity_and_serialisation():
    batch = batch_for(at(2026, 11, 23, 9, 0))
    assert batch.key == (date(2026, 11, 23), 12)
    assert batch.as_dict() == {"date": "2026-11-23", "slot": 12, "ship_by": "2026-11-23"}
    assert str(batch) == "2026-11-23 12:00"
    with pytest.raises(ValueError, match="slot"):
        batch_at(date(2026, 11, 23), 13)
