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
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from itertools import groupby
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import acting_user
from ecomops.calendar import day_closing, is_working_day, local_datetime
from ecomops.cutoffs import CutoffBatch, batch_after, batch_at, slots
from ecomops.errors import ApplicationError, PermissionDeniedError, require_permission
from ecomops.fsm import bulk_transition, transition
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
    later = [slot for slot in slots() if slot > key.slot]
    if later:
        return local_datetime(key.batch_date, time(later[0]))
    return day_closing(key.batch_date)


def batch_release(*, batch_date: date, slot: int, by: Any = None, chunk_size: int = 1000) -> Batch:
    """Release the (date, slot) batch: exactly once per note, however often it is called."""
    try:
        key = batch_at(batch_date, slot)
    except ValueError as exc:
        raise BatchError(
            _("%(slot)s:00 is not a cutoff time.") % {"slot": slot},
            {"fields": {"slot": [_("Choose 12:00 or 15:00.")]}},
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
    with transaction.atomic():
        _lock_batch(batch)
        notes = list(
            DeliveryNote.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state=NoteState.ALLOCATED)
            .filter(batch_key_before(key.batch_date, key.slot, "order__"))
            .select_related("order")
            .only(
                "pk",
                "state",
                "order_id",
                "batch_id",
                "late",
                "released_at",
                "order__batch_date",
                "order__batch_slot",
                "order__batches_missed",
            )
            .order_by("pk")[:chunk_size]
        )
        if not notes:
            return 0
        now = timezone.now()
        late = [n for n in notes if _is_late(n.order, key)]
        late_ids = {n.pk for n in late}
        on_time = [n for n in notes if n.pk not in late_ids]
        fields = ["released_at", "batch_id", "late"]
        for group, is_late in ((late, True), (on_time, False)):
            bulk_transition(
                group,
                "release",
                by=None,
                update_fields=fields,
                at=now,
                batch_id=batch.pk,
                late=is_late,
            )
        order_services.orders_release_many(order_ids={n.order_id for n in notes}, by=None)
        if late:
            Batch.objects.filter(pk=batch.pk).update(late_count=F("late_count") + len(late))
    return len(notes)


def _is_late(order: Order, key: CutoffBatch) -> bool:
    return bool(order.batches_missed) or (order.batch_date, order.batch_slot) < key.key


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
        for wave, (_carrier_id, ids) in zip(waves, plans, strict=True):
            DeliveryNote.objects.filter(pk__in=ids).update(wave=wave)
        for start in range(0, len(merged), 5000):
            DeliveryNote.objects.filter(pk__in=merged[start : start + 5000]).update(merged=True)
        totals = (
            DeliveryNoteLine.objects.filter(note__batch=batch, note__wave__in=waves)
            .values("note__wave_id", "sku_id", "location_id", "location__walk_order")
            .annotate(total=Sum("quantity"))
            .order_by()
        )
        PickLine.objects.bulk_create(
            (
                PickLine(
                    wave_id=row["note__wave_id"],
                    sku_id=row["sku_id"],
                    location_id=row["location_id"],
                    walk_order=row["location__walk_order"],
                    quantity=row["total"],
                )
                for row in totals.iterator(chunk_size=5000)
            ),
            batch_size=2000,
        )
    return waves


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
    """The batch whose cut has just passed today, or None on a non-working day or before 12."""
    local = timezone.localtime(now or timezone.now())
    if not is_working_day(local.date()):
        return None
    passed = [slot for slot in slots() if local.time() >= time(slot)]
    if not passed:
        return None
    return batch_at(local.date(), passed[-1])


def release_due_batch(*, now: datetime | None = None) -> Batch | None:
    """What beat runs at 12:00 and 15:00: release the batch just cut, if it is a working day."""
    key = due_batch(now)
    if key is None:
        return None
    return batch_release(batch_date=key.batch_date, slot=key.slot, by=None)
