"""The cutoff rule: which batch an accepted order ships in (DESIGN §3, §8).

The one place the rule lives; orders and warehouse both call ``batch_for``.

- accepted before 12:00 on a working day: that day's 12:00 batch;
- from 12:00 to before 15:00: that day's 15:00 batch;
- at or after 15:00, or on a non-working day: the next working day's 12:00 batch.

Every batch ships the day it is cut, so an order accepted before 15:00 ships today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format

from .calendar import is_working_day, local_datetime, next_working_day


def slots() -> tuple[int, ...]:
    """The cut hours of a working day, earliest first (settings.CUTOFF_SLOTS: 12, 15)."""
    return tuple(sorted(settings.CUTOFF_SLOTS))


@dataclass(frozen=True, order=True)
class CutoffBatch:
    """A cutoff batch, identified by (batch_date, slot)."""

    batch_date: date
    slot: int
    ship_by: date

    @property
    def cut_at(self) -> datetime:
        """When the batch is cut (aware, company time)."""
        return local_datetime(self.batch_date, time(self.slot))

    @property
    def key(self) -> tuple[date, int]:
        return (self.batch_date, self.slot)

    def __str__(self) -> str:
        return f"{date_format(self.batch_date, 'Y-m-d')} {self.slot:02d}:00"

    def as_dict(self) -> dict[str, object]:
        return {
            "date": self.batch_date.isoformat(),
            "slot": self.slot,
            "ship_by": self.ship_by.isoformat(),
        }


def batch_at(batch_date: date, slot: int) -> CutoffBatch:
    if slot not in slots():
        raise ValueError(f"{slot} is not a cutoff slot; slots are {slots()}")
    return CutoffBatch(batch_date=batch_date, slot=slot, ship_by=batch_date)


def batch_for(accepted_at: datetime) -> CutoffBatch:
    """The batch of an order accepted at ``accepted_at`` (an aware datetime)."""
    if timezone.is_naive(accepted_at):
        raise ValueError("batch_for needs an aware datetime")
    local = timezone.localtime(accepted_at)
    day = local.date()
    if is_working_day(day):
        for slot in slots():
            if local.time() < time(slot):
                return batch_at(day, slot)
    return batch_at(next_working_day(day), slots()[0])


def batch_after(batch: CutoffBatch) -> CutoffBatch:
    """The next batch: where an order not ready by ``batch``'s cut rolls to."""
    later = [slot for slot in slots() if slot > batch.slot]
    if later:
        return batch_at(batch.batch_date, later[0])
    return batch_at(next_working_day(batch.batch_date), slots()[0])
