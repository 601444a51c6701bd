"""The cutoff rule: which batch an accepted order ships in (DESIGN §3, §8).

The one place the rule lives; orders and warehouse both call ``batch_for``.

- accepted before the first cut (12:00) on a working day: that day's first batch;
- from the first cut to before the last (15:00): that day's last batch;
- at or after the last cut, or on a non-working day: the next working day's first batch.

Every batch ships the day it is cut, so an order accepted before the last cut ships today.

The cut times are data (``workcalendar.CutSchedule``, 截单时间表): managers set the day's
cut hours and the invoice cut in the admin, in force from a date on, and every change is a
new row (who, when, why), so history is kept. A batch is identified by (date, slot) and its
slot is the hour of its cut: moving the 12:00 cut to 11:00 makes 11:00 batches, and the
release beat (every minute) releases whatever cut is due by the data. Without a row the
settings ``CUTOFF_SLOTS`` and ``FINANCE_INVOICE_CUTOFF`` apply (the data migration seeds
exactly those).

An order keeps the batch it was given when accepted: the batches a day releases
(``slots(day)``) are the cuts of every schedule an order could have been given a batch of
that day by, old ones included, so a change never strands an order in a batch nobody cuts.

The schedules are kept per process for a minute and forgotten whenever one is saved here
(``cut_schedule_forget``); another process sees a manager's change within the minute.
"""

from __future__ import annotations

import threading
import time as monotonic_time
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format

from .calendar import (
    company_time,
    company_today,
    day_start,
    is_working_day,
    local_datetime,
    next_working_day,
)

CACHE_SECONDS = 60
# The earliest moment a schedule can be in force: the settings' schedule starts there.
_BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CutTimes:
    """One cut schedule: the day's cut hours and the invoice cut, in force from a moment."""

    in_force_from: datetime
    set_at: datetime
    order: int  # the row's id: the later of two rows set at the same moment wins
    slots: tuple[int, ...]
    invoice_cut: time

    @property
    def sort_key(self) -> tuple[datetime, datetime, int]:
        return (self.in_force_from, self.set_at, self.order)


@dataclass
class _Cache:
    loaded: float
    schedules: list[CutTimes]  # by (set_at, order): the order managers set them in
    day_slots: dict[date, tuple[int, ...]]


_cache: _Cache | None = None
_cache_lock = threading.Lock()


def cut_schedule_forget() -> None:
    """Forget this process's cut schedules (done on every save; tests call it too)."""
    global _cache
    with _cache_lock:
        _cache = None


def _default_schedule() -> CutTimes:
    return CutTimes(
        in_force_from=_BEGINNING,
        set_at=_BEGINNING,
        order=0,
        slots=tuple(sorted(settings.CUTOFF_SLOTS)),
        invoice_cut=settings.FINANCE_INVOICE_CUTOFF,
    )


def _load() -> _Cache:
    global _cache
    now = monotonic_time.monotonic()
    with _cache_lock:
        if _cache is not None and now - _cache.loaded < CACHE_SECONDS:
            return _cache
    from ecomops.workcalendar.models import CutSchedule

    schedules = [
        CutTimes(
            in_force_from=row.in_force_from,
            set_at=row.set_at,
            order=row.pk,
            slots=row.slots,
            invoice_cut=row.invoice_cut,
        )
        for row in CutSchedule.objects.order_by("set_at", "pk")
    ] or [_default_schedule()]
    fresh = _Cache(loaded=now, schedules=schedules, day_slots={})
    with _cache_lock:
        _cache = fresh
    return fresh


def _in_force(moment: datetime, *, known_by: datetime | None = None) -> CutTimes:
    """The schedule in force at ``moment``: the latest to come into force by then (of those
    set by ``known_by``, when given). Before the first one: the settings' schedule."""
    best: CutTimes | None = None
    for schedule in _load().schedules:
        if known_by is not None and schedule.set_at > known_by:
            break
        if schedule.in_force_from <= moment and (best is None or schedule.sort_key > best.sort_key):
            best = schedule
    return best or _default_schedule()


def cut_times_at(moment: datetime) -> CutTimes:
    """The cut schedule in force at ``moment`` (an aware datetime)."""
    return _in_force(moment)


def _in_force_during(day: date) -> list[CutTimes]:
    """The schedules in force at some moment of ``day``: at its start and any set for later."""
    start, end = day_start(day), day_start(day + timedelta(days=1))
    during = [s for s in _load().schedules if start < s.in_force_from < end]
    return [_in_force(start), *during]


def _previous_working_day(day: date) -> date | None:
    candidate = day - timedelta(days=1)
    for _ in range(366):
        if is_working_day(candidate):
            return candidate
        candidate -= timedelta(days=1)
    return None


def _day_slots(day: date) -> tuple[int, ...]:
    """Every cut ``day`` releases a batch at.

    The cuts of the schedules in force during the day, and the first cut of every schedule
    an order accepted since the previous working day's last cut was given ``day``'s first
    batch by, as it stood then: an order keeps its batch when the cut moves after it came.
    """
    in_force = _in_force_during(day)
    hours = {slot for schedule in in_force for slot in schedule.slots}
    start = day_start(day)
    previous = _previous_working_day(day)
    if previous is None:
        window_opens = start - timedelta(days=1)
    else:
        last_cut = min(schedule.slots[-1] for schedule in _in_force_during(previous))
        window_opens = local_datetime(previous, time(last_cut))
    hours.add(_in_force(start, known_by=window_opens).slots[0])
    for schedule in _load().schedules:
        if window_opens < schedule.set_at < start:
            hours.add(_in_force(start, known_by=schedule.set_at).slots[0])
    return tuple(sorted(hours))


def slots(day: date | None = None) -> tuple[int, ...]:
    """The cut hours of ``day`` (today when None), earliest first: 12 and 15 unless a
    manager moved them."""
    if day is None:
        day = company_today()
    cache = _load()
    known = cache.day_slots.get(day)
    if known is None:
        known = cache.day_slots[day] = _day_slots(day)
    return known


def known_slots() -> tuple[int, ...]:
    """Every cut hour any schedule has had (the choices of a by-hand release)."""
    return tuple(sorted({slot for s in _load().schedules for slot in s.slots}))


def invoice_cut(moment: datetime) -> time:
    """The invoice cut in force at ``moment``: a request in before it on a working day is
    issued the same day (15:00 unless a manager moved it)."""
    return cut_times_at(moment).invoice_cut


@dataclass(frozen=True, order=True)
class CutoffBatch:
    """A cutoff batch, identified by (batch_date, slot); the slot is its cut's hour."""

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
    day_slots = slots(batch_date)
    if slot not in day_slots:
        raise ValueError(f"{slot} is not a cutoff slot of {batch_date}; slots are {day_slots}")
    return CutoffBatch(batch_date=batch_date, slot=slot, ship_by=batch_date)


def batch_for(accepted_at: datetime) -> CutoffBatch:
    """The batch of an order accepted at ``accepted_at`` (an aware datetime), by the cut
    schedule in force then; the next working day's first batch by the schedule it will have."""
    if timezone.is_naive(accepted_at):
        raise ValueError("batch_for needs an aware datetime")
    local = company_time(accepted_at)
    day = local.date()
    if is_working_day(day):
        for slot in cut_times_at(accepted_at).slots:
            if local.time() < time(slot):
                return CutoffBatch(batch_date=day, slot=slot, ship_by=day)
    following = next_working_day(day)
    first = _in_force(day_start(following)).slots[0]
    return CutoffBatch(batch_date=following, slot=first, ship_by=following)


def batch_after(batch: CutoffBatch) -> CutoffBatch:
    """The next batch: where an order not ready by ``batch``'s cut rolls to."""
    later = [slot for slot in slots(batch.batch_date) if slot > batch.slot]
    if later:
        return batch_at(batch.batch_date, later[0])
    following = next_working_day(batch.batch_date)
    return batch_at(following, slots(following)[0])


def due_batch(now: datetime | None = None) -> CutoffBatch | None:
    """The batch whose cut has passed last today, or None on a non-working day or before
    the day's first cut: what the release beat (every minute) releases."""
    local = company_time(now or timezone.now())
    day = local.date()
    if not is_working_day(day):
        return None
    passed = [slot for slot in slots(day) if local.time() >= time(slot)]
    if not passed:
        return None
    return batch_at(day, passed[-1])
