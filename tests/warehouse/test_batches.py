"""Cutoff batches: release once, roll-over and lateness, waves and pick lists, beat."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_fsm_log.models import StateLog

from ecomops import fsm
from ecomops.calendar import local_datetime
from ecomops.cutoffs import batch_for
from orders.models import Order, OrderState
from tests.orders.factories import make_channel, make_customer
from tests.warehouse.factories import MONDAY_MORNING, make_order, put_stock
from warehouse import services
from warehouse.models import Batch, BatchState, DeliveryNote, NoteState, PickLine, Wave

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

SUNDAY = local_datetime(date(2026, 11, 22), datetime.min.time().replace(hour=12))


def allocated(sku: Any, parts_admin: Any, quantity: int = 1, **kwargs: Any) -> Order:
    order = make_order([(sku, quantity)], accepted_at=MONDAY_MORNING, **kwargs)
    services.allocate_order(order_id=order.pk, by=parts_admin)
    return order


def release_logs(note: DeliveryNote) -> int:
    return StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(DeliveryNote),
        object_id=note.pk,
        transition="release",
    ).count()


def test_release_puts_notes_into_waves_with_merged_pick_lines(
    warehouse: Any, sku: Any, sku2: Any, parts_admin: Any
) -> None:
    put_stock(sku, 10, at="A-03")
    put_stock(sku2, 10, at="A-01")
    orders = [allocated(sku, parts_admin, 2) for _ in range(3)]
    other = make_order([(sku2, 1), (sku, 1)], accepted_at=MONDAY_MORNING)
    services.allocate_order(order_id=other.pk, by=parts_admin)

    batch = services.batch_release(batch_date=date(2026, 11, 23), slot=12)

    assert batch.state == BatchState.RELEASED
    assert batch.note_count == 4
    assert set(Order.objects.values_list("state", flat=True)) == {OrderState.RELEASED}
    assert all(n.wave_id and n.state == NoteState.RELEASED for n in DeliveryNote.objects.all())
    [wave] = Wave.objects.all()
    lines = [
        (ln.location.code, ln.sku.code, ln.quantity)
        for ln in wave.pick_lines.order_by("walk_order")
    ]
    assert lines == [("A-01", "SKU-2", 1), ("A-03", "SKU-1", 7)]
    assert {o.pk for o in orders} <= set(
        Order.objects.filter(state="released").values_list("pk", flat=True)
    )


def test_waves_follow_carrier_and_size(
    warehouse: Any, sku: Any, parts_admin: Any, settings: Any
) -> None:
    settings.WAREHOUSE_WAVE_SIZE = 2
    put_stock(sku, 10)
    for _ in range(5):
        allocated(sku, parts_admin)
    services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    assert sorted(Wave.objects.values_list("note_count", flat=True)) == [1, 2, 2]


def test_releasing_twice_releases_nothing_twice(warehouse: Any, sku: Any, parts_admin: Any) -> None:
    put_stock(sku, 10)
    allocated(sku, parts_admin)
    first = services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    late_comer = allocated(sku, parts_admin)  # allocated after the cut: next batch
    second = services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    assert first.pk == second.pk
    assert Batch.objects.count() == 1
    assert all(release_logs(n) == 1 for n in DeliveryNote.objects.filter(state="released"))
    assert Wave.objects.count() == 1
    assert PickLine.objects.count() == 1
    assert DeliveryNote.objects.get(order=late_comer).state == NoteState.ALLOCATED


def test_orders_not_ready_roll_into_the_next_batch_as_late(
    warehouse: Any, sku: Any, parts_admin: Any
) -> None:
    put_stock(sku, 10)
    waiting = make_order([(sku, 1)], accepted_at=MONDAY_MORNING)  # confirmed, no note
    unidentified = make_order([(sku, 1)], accepted_at=MONDAY_MORNING, state=OrderState.RECEIVED)
    batch = services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    assert batch.rolled_over_count == 2
    for order in (waiting, unidentified):
        order.refresh_from_db()
        assert (order.batch_date, order.batch_slot, order.batches_missed) == (
            date(2026, 11, 23),
            15,
            1,
        )
    # the 12:00 run again moves nothing further
    services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    waiting.refresh_from_db()
    assert waiting.batches_missed == 1

    services.allocate_order(order_id=waiting.pk, by=parts_admin)
    afternoon = services.batch_release(batch_date=date(2026, 11, 23), slot=15)
    note = DeliveryNote.objects.get(order=waiting)
    assert note.batch == afternoon
    assert note.late
    assert afternoon.late_count == 1
    unidentified.refresh_from_db()
    assert (unidentified.batch_date, unidentified.batch_slot) == (date(2026, 11, 24), 12)
    assert unidentified.batches_missed == 2


def test_a_crash_mid_release_is_resumed_without_releasing_twice(
    warehouse: Any, sku: Any, parts_admin: Any
) -> None:
    put_stock(sku, 10)
    for _ in range(3):
        allocated(sku, parts_admin)
    real = services.batches.order_services.orders_release_many
    calls = {"n": 0}

    def crash_on_second_chunk(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker lost")
        return real(**kwargs)

    with (
        mock.patch.object(
            services.batches.order_services, "orders_release_many", crash_on_second_chunk
        ),
        pytest.raises(RuntimeError),
    ):
        services.batch_release(batch_date=date(2026, 11, 23), slot=12, chunk_size=1)
    batch = Batch.objects.get()
    assert batch.state == BatchState.RELEASING
    assert DeliveryNote.objects.filter(state="released").count() == 1  # the first chunk held

    batch = services.batch_release(batch_date=date(2026, 11, 23), slot=12, chunk_size=1)
    assert batch.state == BatchState.RELEASED
    assert batch.note_count == 3
    assert all(release_logs(n) == 1 for n in DeliveryNote.objects.all())
    assert Order.objects.filter(state="released").count() == 3
    assert sum(Wave.objects.values_list("note_count", flat=True)) == 3


def test_merge_channel_orders_of_one_customer_share_a_parcel(
    warehouse: Any, sku: Any, parts_admin: Any
) -> None:
    put_stock(sku, 10)
    channel = make_channel(code="shop", merge_parcels=True)
    customer = make_customer()
    a = allocated(sku, parts_admin, channel=channel, customer=customer)
    b = allocated(sku, parts_admin, channel=channel, customer=customer)
    alone = allocated(sku, parts_admin, channel=channel)
    services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    notes = {n.order_id: n for n in DeliveryNote.objects.all()}
    assert notes[a.pk].merged
    assert notes[b.pk].merged
    assert not notes[alone.pk].merged
    assert notes[a.pk].wave_id == notes[b.pk].wave_id


def test_beat_does_nothing_on_a_non_working_day(warehouse: Any, sku: Any, parts_admin: Any) -> None:
    put_stock(sku, 10)
    allocated(sku, parts_admin)
    assert services.release_due_batch(now=SUNDAY) is None
    assert services.release_due_batch(now=MONDAY_MORNING) is None  # before the first cut
    assert not Batch.objects.exists()
    batch = services.release_due_batch(now=MONDAY_MORNING + timedelta(hours=2, minutes=1))
    assert batch is not None
    assert (batch.batch_date, batch.slot) == (date(2026, 11, 23), 12)


def test_a_cut_missed_while_the_worker_was_down_is_released_at_the_next_tick(
    warehouse: Any, sku: Any, parts_admin: Any
) -> None:
    put_stock(sku, 10)
    allocated(sku, parts_admin)  # accepted Monday morning: the 12:00 batch
    # No beat ran between 11:59 and 15:01: both of the day's cuts are released now.
    latest = services.release_due_batch(now=MONDAY_MORNING + timedelta(hours=5, minutes=1))
    assert latest is not None
    assert latest.slot == 15
    noon = Batch.objects.get(batch_date=date(2026, 11, 23), slot=12)
    assert noon.state != BatchState.RELEASING
    assert noon.note_count == 1
    # The next tick finds both released and changes nothing.
    again = services.release_due_batch(now=MONDAY_MORNING + timedelta(hours=5, minutes=2))
    assert again is not None
    assert again.pk == latest.pk
    assert Batch.objects.get(pk=noon.pk).note_count == 1


def test_a_holiday_is_not_a_working_day_for_the_beat(db: None) -> None:
    national_day = local_datetime(date(2026, 10, 1), datetime.min.time().replace(hour=12))
    assert services.release_due_batch(now=national_day) is None


def test_beat_schedule_exists() -> None:
    task = PeriodicTask.objects.get(task="warehouse.tasks.release_due_batch")
    # Every minute: the cut times are data (ecomops.cutoffs), the task finds the due cut.
    assert (task.crontab.minute, task.crontab.hour) == ("*", "*")
    assert str(task.crontab.timezone) == "Asia/Shanghai"


def test_manual_release_before_the_cut_is_refused(manager: Any) -> None:
    tomorrow = batch_for(local_datetime(date(2030, 1, 7), datetime.min.time().replace(hour=9)))
    with pytest.raises(services.BatchError, match="not cut yet"):
        services.batch_release(batch_date=tomorrow.batch_date, slot=tomorrow.slot, by=manager)


def test_the_queries_of_a_release_do_not_grow_with_its_notes(
    warehouse: Any, sku: Any, sku2: Any, parts_admin: Any, settings: Any
) -> None:
    """Set-based: 3 notes or 30 (and 2 waves or 15) cost the same queries in one chunk."""
    settings.WAREHOUSE_WAVE_SIZE = 2
    put_stock(sku, 100)
    put_stock(sku2, 100, at="A-02")
    afternoon = timedelta(hours=3)
    tuesday = MONDAY_MORNING + timedelta(days=1)
    accepted = ((MONDAY_MORNING, 1), (MONDAY_MORNING + afternoon, 3), (tuesday, 1))
    for accepted_at, count in (*accepted, (tuesday + afternoon, 30)):
        for _ in range(count):
            order = make_order([(sku, 1), (sku2, 2)], accepted_at=accepted_at)
            services.allocate_order(order_id=order.pk, by=parts_admin)

    counted = {}
    # Each day's first release also opens the day's wave numbers and fills the process's
    # caches (content types, SLA policies): the 12:00 batches warm up, the 15:00 ones count.
    for day, notes in ((date(2026, 11, 23), 3), (date(2026, 11, 24), 30)):
        services.batch_release(batch_date=day, slot=12)
        with CaptureQueriesContext(connection) as queries:
            batch = services.batch_release(batch_date=day, slot=15)
        assert batch.note_count == notes
        assert Wave.objects.filter(batch=batch).count() == (notes + 1) // 2
        counted[notes] = len(queries)

    assert counted[30] == counted[3], counted
    assert not DeliveryNote.objects.exclude(state=NoteState.RELEASED).exists()
    assert not Order.objects.exclude(state=OrderState.RELEASED).exists()
    assert not DeliveryNote.objects.filter(wave__isnull=True).exists()
    for model in (DeliveryNote, Order):
        logs = StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(model), transition="release"
        )
        assert logs.values("object_id").distinct().count() == logs.count() == 35
    assert PickLine.objects.aggregate(total=Sum("quantity"))["total"] == 3 * 35


def test_set_based_transition_writes_and_logs_what_a_transition_does(
    warehouse: Any, sku: Any, parts_admin: Any, manager: Any
) -> None:
    """``bulk_transition_rows`` (the release's) against ``transition`` (one object): the
    same row and the same django-fsm-log entry, who and why included."""
    put_stock(sku, 10)
    by_hand, set_based = (DeliveryNote.objects.get(order=allocated(sku, parts_admin)) for _ in "ab")
    now = timezone.now()
    changes: dict[str, Any] = {"at": now, "batch_id": None, "late": True}
    fields = ["released_at", "batch_id", "late"]
    fsm.transition(
        by_hand, "release", by=manager, reason="by hand", update_fields=fields, **changes
    )
    moved = fsm.bulk_transition_rows(
        DeliveryNote,
        [set_based.pk],
        "release",
        by=manager,
        reason="by hand",
        update_fields=fields,
        **changes,
    )

    assert moved == [set_based.pk]
    rows = DeliveryNote.objects.filter(pk__in=[by_hand.pk, set_based.pk]).order_by("pk")
    assert [(n.state, n.released_at, n.batch_id, n.late) for n in rows] == 2 * [
        (NoteState.RELEASED, now, None, True)
    ]
    logs = [
        StateLog.objects.get(
            content_type=ContentType.objects.get_for_model(DeliveryNote), object_id=note.pk
        )
        for note in (by_hand, set_based)
    ]
    assert {
        (log.by, log.source_state, log.state, log.transition, log.description) for log in logs
    } == {(manager, NoteState.ALLOCATED, NoteState.RELEASED, "release", "by hand")}
    assert abs(logs[1].timestamp - logs[0].timestamp) < timedelta(seconds=5)


def test_set_based_transition_moves_only_rows_in_its_source_state(
    warehouse: Any, sku: Any, parts_admin: Any
) -> None:
    put_stock(sku, 10)
    released = allocated(sku, parts_admin)
    services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    note = DeliveryNote.objects.get(order=released)

    again = fsm.bulk_transition_rows(
        DeliveryNote,
        [note.pk],
        "release",
        by=None,
        update_fields=["released_at", "batch_id", "late"],
        at=timezone.now(),
        batch_id=None,
        late=True,
    )

    assert again == []
    note.refresh_from_db()
    assert note.batch_id is not None
    assert not note.late
    assert release_logs(note) == 1


def test_set_based_transition_refuses_a_transition_that_depends_on_the_row() -> None:
    with pytest.raises(TypeError, match="use bulk_transition"):
        fsm.bulk_transition_rows(Order, [1], "release_hold", by=None)
