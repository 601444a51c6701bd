"""Cutoff batches: release at 12:00 and 15:00, roll-over of late orders, waves and pick lists.

Release is idempotent and safe when two workers (or two beats) run it at once:

1. the batch row is ``get_or_create``'d on its unique (date, slot);
2. allocated delivery notes due by this batch are claimed in chunks with
   ``select_for_update(skip_locked=True)``, each chunk released and committed on its own,
   under the batch row's lock (taken first in every transaction, so workers take turns
   and never deadlock): a crash loses at most one chunk, which the next run picks up;
3. orders not ready by the cut (customer or stock pending) roll into the next batch and
   count one batch missed (only orders still dated earlier move, so twice is once);
4. released notes without a wave are put into waves under the batch row's lock, with their
   pick lists computed in one grouped query;
5. the batch is marked released, the batch-processed clock started, the warehouse told.

A batch of 100,000 orders is released with a fixed number of queries per chunk of 10,000
notes and per 5,000 notes put into waves (a test pins it): nothing is loaded or written one
row at a time (docs/benchmarks.md, Warehouse).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from itertools import groupby
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops import cutoffs
from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import acting_user
from ecomops.bulk import insert_select
from ecomops.calendar import day_closing, is_working_day, local_datetime
from ecomops.cutoffs import CutoffBatch, batch_after, batch_at, slots
from ecomops.errors import ApplicationError, PermissionDeniedError, require_permission
from ecomops.fsm import bulk_transition_rows, transition
from ecomops.notifications.services import notify_role
from ecomops.numbering.services import next_numbers
from ecomops.sla.services import sla_clock_start, sla_clock_stop
from orders import services as order_services
from orders.models import Order, OrderState

from ..models import (
    Batch,
    BatchState,
    DeliveryNote,
    DeliveryNoteLine,
    NoteState,
    PickLine,
    Wave,
    batch_key_before,
)

log = logging.getLogger(__name__)

BATCH_CLOCK = "batch_processed"
NOT_READY_STATES = (
    OrderState.RECEIVED,
    OrderState.IDENTIFIED,
    OrderState.CONFIRMED,
    OrderState.ON_HOLD,
)
FINISHED_NOTE_STATES = (NoteState.SHIPPED, NoteState.DELIVERED, NoteState.CANCELLED)


class BatchError(ApplicationError):
    """A batch that cannot be released as asked."""


def batch_due_at(key: CutoffBatch) -> datetime:
    """The 12:00 batch must be handed over by the 15:00 cut; the last one by closing time."""
    later = [slot for slot in slots(key.batch_date) if slot > key.slot]
    if later:
        return local_datetime(key.batch_date, time(later[0]))
    return day_closing(key.batch_date)


def batch_release(
    *, batch_date: date, slot: int, by: Any = None, chunk_size: int = 10_000
) -> Batch:
    """Release the (date, slot) batch: exactly once per note, however often it is called."""
    try:
        key = batch_at(batch_date, slot)
    except ValueError as exc:
        raise BatchError(
            _("%(slot)s:00 is not a cutoff time.") % {"slot": slot},
            {
                "fields": {
                    "slot": [
                        _("Choose one of the day's cut times: %(times)s.")
                        % {"times": ", ".join(f"{hour}:00" for hour in slots(batch_date))}
                    ]
                }
            },
        ) from exc
    if by is not None and not by.has_perm("warehouse.release_batch"):
        raise PermissionDeniedError(_("Only a manager releases a batch by hand."))
    if by is not None and timezone.now() < key.cut_at:
        raise BatchError(
            _("The %(batch)s batch is not cut yet: orders may still come in until then.")
            % {"batch": str(key)}
        )
    batch, _created = Batch.objects.get_or_create(
        batch_date=batch_date, slot=slot, defaults={"cut_at": key.cut_at}
    )
    if batch.state != BatchState.RELEASING:
        return batch
    while _release_chunk(batch, key, by, chunk_size):
        pass
    _roll_over(batch, key)
    build_waves(batch)
    return _finish_release(batch, key, by)


def _lock_batch(batch: Batch) -> None:
    """Take the batch row before any note or order row, in every transaction that writes both.

    Writing a note's ``batch_id`` takes a key-share lock on the batch row (the foreign key
    check); a second worker's ``FOR UPDATE`` queued behind it, then the first worker's own
    counter update, made a deadlock. Locking the batch first gives one lock order for all.
    """
    Batch.objects.select_for_update(no_key=True).filter(pk=batch.pk).values_list("pk").get()


def _release_chunk(batch: Batch, key: CutoffBatch, by: Any, chunk_size: int) -> int:
    """Claim up to ``chunk_size`` allocated notes due by this batch and release them.

    A fixed number of queries whatever the chunk's size: the notes are claimed as rows
    (their order's batch read by the same join, no object per note), moved by
    ``bulk_transition_rows`` and their orders by ``orders_release_many``.
    """
    with transaction.atomic():
        _lock_batch(batch)
        rows = list(
            DeliveryNote.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state=NoteState.ALLOCATED)
            .filter(batch_key_before(key.batch_date, key.slot, "order__"))
            .order_by("pk")
            .values_list(
                "pk", "order_id", "order__batch_date", "order__batch_slot", "order__batches_missed"
            )[:chunk_size]
        )
        if not rows:
            return 0
        now = timezone.now()
        late: list[int] = []
        on_time: list[int] = []
        for pk, _order_id, batch_date, batch_slot, batches_missed in rows:
            is_late = bool(batches_missed) or (batch_date, batch_slot) < key.key
            (late if is_late else on_time).append(pk)
        fields = ["released_at", "batch_id", "late"]
        moved: dict[bool, list[int]] = {}
        for group, is_late in ((late, True), (on_time, False)):
            moved[is_late] = bulk_transition_rows(
                DeliveryNote,
                group,
                "release",
                by=None,
                update_fields=fields,
                at=now,
                batch_id=batch.pk,
                late=is_late,
            )
        released = set(moved[True]) | set(moved[False])
        order_services.orders_release_many(
            order_ids={row[1] for row in rows if row[0] in released}, by=None
        )
        if moved[True]:
            Batch.objects.filter(pk=batch.pk).update(late_count=F("late_count") + len(moved[True]))
    return len(rows)


def _roll_over(batch: Batch, key: CutoffBatch) -> int:
    with transaction.atomic():
        _lock_batch(batch)
        ids = list(
            Order.objects.filter(batch_key_before(key.batch_date, key.slot))
            .filter(state__in=NOT_READY_STATES)
            .values_list("pk", flat=True)
        )
        moved = order_services.orders_roll_over(order_ids=ids, into=batch_after(key))
        if moved:
            Batch.objects.filter(pk=batch.pk).update(
                rolled_over_count=F("rolled_over_count") + moved
            )
    return moved


def wave_size() -> int:
    return int(settings.WAREHOUSE_WAVE_SIZE)


def build_waves(batch: Batch) -> list[Wave]:
    """Put the batch's released notes that have no wave into waves, with their pick lists.

    Waves are per carrier, at most ``WAREHOUSE_WAVE_SIZE`` notes each, and never split a
    merged parcel (notes of one customer to one address on a merge channel).
    """
    with transaction.atomic():
        Batch.objects.select_for_update().get(pk=batch.pk)
        rows = list(
            DeliveryNote.objects.filter(batch=batch, wave__isnull=True, state=NoteState.RELEASED)
            .order_by("carrier_id", "merge_key", "pk")
            .values_list("pk", "carrier_id", "merge_key")
        )
        if not rows:
            return []
        size = wave_size()
        plans: list[tuple[int, list[int]]] = []
        merged: list[int] = []
        for carrier_id, carrier_rows in groupby(rows, key=lambda r: r[1]):
            current: list[int] = []
            for merge_key, group_rows in groupby(carrier_rows, key=lambda r: r[2]):
                ids = [r[0] for r in group_rows]
                units = [[i] for i in ids] if not merge_key else [ids]
                if merge_key and len(ids) > 1:
                    merged.extend(ids)
                for unit in units:
                    if current and len(current) + len(unit) > size:
                        plans.append((carrier_id, current))
                        current = []
                    current.extend(unit)
            if current:
                plans.append((carrier_id, current))
        numbers = next_numbers("WV", len(plans), day=batch.batch_date, width=3)
        waves = Wave.objects.bulk_create(
            [
                Wave(number=number, batch=batch, carrier_id=carrier_id, note_count=len(ids))
                for number, (carrier_id, ids) in zip(numbers, plans, strict=True)
            ]
        )
        _assign_waves(
            [(wave.pk, ids) for wave, (_carrier_id, ids) in zip(waves, plans, strict=True)]
        )
        for start in range(0, len(merged), 5000):
            DeliveryNote.objects.filter(pk__in=merged[start : start + 5000]).update(merged=True)
        # One INSERT … SELECT: a 100,000-note batch has 150,000 pick lines, which cost
        # 6 s as objects through bulk_create.
        insert_select(
            PickLine,
            ["wave", "sku", "location", "walk_order", "quantity", "short_reason"],
            DeliveryNoteLine.objects.filter(note__batch=batch, note__wave__in=waves)
            .values("note__wave_id", "sku_id", "location_id", "location__walk_order")
            .annotate(total=Sum("quantity"), no_reason=Value(""))
            .order_by()
            .values_list(
                "note__wave_id",
                "sku_id",
                "location_id",
                "location__walk_order",
                "total",
                "no_reason",
            ),
        )
    return waves


def _assign_waves(plans: list[tuple[int, list[int]]], step: int = 5000) -> None:
    """Write each note's wave with one UPDATE per ``step`` notes, not one per wave.

    A 100,000-note batch makes 500 waves of 200. Each UPDATE joins the notes to a
    ``VALUES`` list of (note, wave) pairs (PostgreSQL, and SQLite since 3.33): measured on
    100,000 notes, 2.2-2.9 s against 3.2-3.8 s for an UPDATE per wave and 4.2-4.4 s for a
    ``CASE`` per slice.
    """
    pairs = [(note_id, wave_id) for wave_id, ids in plans for note_id in ids]
    quote = connection.ops.quote_name
    table = quote(DeliveryNote._meta.db_table)
    wave = quote(DeliveryNote._meta.get_field("wave").column)
    pk = quote(DeliveryNote._meta.pk.column)
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), step):
            part = pairs[start : start + step]
            rows = ", ".join(["(%s, %s)"] * len(part))
            cursor.execute(
                f"UPDATE {table} SET {wave} = v.column2 FROM (VALUES {rows}) AS v "  # noqa: S608
                f"WHERE {table}.{pk} = v.column1",
                [value for pair in part for value in pair],
            )


def _finish_release(batch: Batch, key: CutoffBatch, by: Any) -> Batch:
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        if batch.state != BatchState.RELEASING:
            return batch
        now = timezone.now()
        transition(
            batch,
            "release",
            by=by,
            update_fields=["released_at", "released_by", "note_count"],
            at=now,
            released_by=acting_user(by),
            note_count=batch.notes.count(),
        )
        if batch.note_count:
            sla_clock_start(
                code=BATCH_CLOCK, obj=batch, started_at=key.cut_at, due_at=batch_due_at(key)
            )
        else:
            transition(
                batch,
                "hand_over",
                by=by,
                reason=_("The batch has no delivery notes."),
                update_fields=["done_at"],
                at=now,
            )
        notify_role(
            role=RoleCode.WAREHOUSE_ADMIN,
            title=_("Batch %(batch)s released: %(count)d delivery notes, %(waves)d waves")
            % {"batch": str(batch), "count": batch.note_count, "waves": batch.waves.count()},
            body=_("%(late)d late, %(rolled)d orders rolled into the next batch.")
            % {"late": batch.late_count, "rolled": batch.rolled_over_count},
            url=batch.get_absolute_url(),
            key=f"batch-released-{batch.pk}",
        )
    log.info("batch %s released: %s notes", batch, batch.note_count)
    return batch


def batch_check_done(batch_id: int, *, by: Any = None) -> bool:
    """Every note of the batch shipped (or cancelled): the batch is handed over.

    Called after a hand-over signed by ``by``: the batch follows the parcels, so ``by`` needs
    no permission of its own to close it.
    """
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch_id)
        if batch.state != BatchState.RELEASED:
            return batch.state == BatchState.DONE
        if batch.notes.exclude(state__in=FINISHED_NOTE_STATES).exists():
            return False
        _close(batch, by=by, check_permission=False)
    return True


def batch_hand_over(*, batch_id: int, by: Any) -> Batch:
    """A manager closes a released batch whose every note has left (shipped or cancelled).

    Normally the last hand-over closes the batch by itself; this is for a batch left open,
    e.g. after its last note was cancelled. A note still in the warehouse is a refusal.
    """
    require_permission(by, "warehouse.release_batch", _("Only a manager closes a batch."))
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch_id)
        if batch.state == BatchState.DONE:
            return batch
        if batch.state == BatchState.RELEASED:
            waiting = batch.notes.exclude(state__in=FINISHED_NOTE_STATES).count()
            if waiting:
                raise BatchError(
                    _(
                        "Batch %(batch)s still has delivery notes in the warehouse "
                        "(%(count)d): it is handed over once every note is shipped or "
                        "cancelled."
                    )
                    % {"count": waiting, "batch": str(batch)}
                )
        _close(batch, by=by, check_permission=True)
    return batch


def _close(batch: Batch, *, by: Any, check_permission: bool) -> None:
    now = timezone.now()
    transition(
        batch,
        "hand_over",
        by=by,
        check_permission=check_permission,
        reason=_("Every delivery note of the batch has left the warehouse."),
        update_fields=["done_at"],
        at=now,
    )
    sla_clock_stop(code=BATCH_CLOCK, obj=batch, stopped_at=now)


def due_batch(now: datetime | None = None) -> CutoffBatch | None:
    """The batch whose cut has passed last today, or None on a non-working day or before
    the day's first cut (``ecomops.cutoffs.due_batch``)."""
    return cutoffs.due_batch(now)


def _passed_today(now: datetime | None) -> list[CutoffBatch]:
    local = timezone.localtime(now or timezone.now())
    if not is_working_day(local.date()):
        return []
    return [
        batch_at(local.date(), slot) for slot in slots(local.date()) if local.time() >= time(slot)
    ]


def batches_cut(*, now: datetime | None = None) -> list[tuple[Batch, bool]]:
    """Each of today's batches whose cut has passed, earliest first, with whether it was
    cut just now: its row is created (state "releasing") the first time, so from then on
    the database knows it must be released, whatever happens to the message that releases
    it (``batches_resume`` finds it)."""
    cut = []
    for key in _passed_today(now):
        batch, created = Batch.objects.get_or_create(
            batch_date=key.batch_date, slot=key.slot, defaults={"cut_at": key.cut_at}
        )
        cut.append((batch, created))
    return cut


def release_due_batch(*, now: datetime | None = None) -> Batch | None:
    """Release each of today's batches whose cut has passed, earliest first (a batch
    already released costs a look; one missed while the worker was down is released late
    rather than never). Returns the latest, None before the first cut or on a non-working
    day. Beat's minute task cuts with ``batches_cut`` and sends one release task per new
    batch instead; this is the same in one call (the simulated day, a shell)."""
    released = None
    for batch, _created in batches_cut(now=now):
        released = batch_release(batch_date=batch.batch_date, slot=batch.slot, by=None)
    return released


# A batch left "releasing" this long after its cut is resumed by the sweep: its own task had
# that long to start (a live release it joins is harmless, only duplicate work).
RESUME_AFTER = timedelta(minutes=1)


def batches_resume(*, now: datetime | None = None, chunk_size: int | None = None) -> list[Batch]:
    """The sweep behind the release (DESIGN §7): finish every batch a release left half
    done, whatever its date: a worker killed mid-release, a release message lost with the
    broker, a worker back after the next cut.

    - a batch still "releasing" (some notes released, maybe waves missing) is released
      again: notes not yet claimed are, the released ones get their waves and pick lists,
      the batch is marked released and the warehouse told, each exactly once;
    - a released batch with released notes and no wave gets its waves.

    Idempotent and safe beside a live release (the release's own locks). Returns the
    batches worked on.
    """
    now = now or timezone.now()
    chunk = chunk_size or int(settings.WAREHOUSE_RELEASE_CHUNK)
    resumed: list[Batch] = []
    for batch in Batch.objects.filter(
        state=BatchState.RELEASING, cut_at__lte=now - RESUME_AFTER
    ).order_by("batch_date", "slot"):
        log.warning("resuming the release of batch %s", batch)
        resumed.append(
            batch_release(batch_date=batch.batch_date, slot=batch.slot, by=None, chunk_size=chunk)
        )
    unwaved = Batch.objects.filter(
        state__in=(BatchState.RELEASED, BatchState.DONE),
        pk__in=DeliveryNote.objects.filter(
            state=NoteState.RELEASED, wave__isnull=True, batch__isnull=False
        ).values("batch_id"),
    ).order_by("pk")
    for batch in unwaved:
        log.warning("batch %s: released notes without a wave, building them", batch)
        build_waves(batch)
        resumed.append(batch)
    return resumed
