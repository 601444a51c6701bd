"""The release task carries its batch, and the resume sweep finishes what a release left
half done (issue 23 §2). The real-worker kill is tests/warehouse/test_worker_crash.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django_celery_beat.models import PeriodicTask
from django_fsm_log.models import StateLog

from tests.warehouse.factories import MONDAY_MORNING, make_order, put_stock
from warehouse import services, tasks
from warehouse.models import Batch, BatchState, DeliveryNote, NoteState, PickLine, Wave

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

MONDAY = date(2026, 11, 23)
NOON_CUT = MONDAY_MORNING + timedelta(hours=2)


def _allocated(sku: Any, parts_admin: Any, count: int, **fields: Any) -> list[Any]:
    orders = [make_order([(sku, 1)], **fields) for _ in range(count)]
    services.allocation_issue(order_ids=[o.pk for o in orders], by=parts_admin)
    return orders


def test_a_release_that_died_before_its_waves_is_finished_by_the_sweep(
    warehouse: Any, sku: Any, parts_admin: Any
) -> None:
    put_stock(sku, 10)
    _allocated(sku, parts_admin, 5, accepted_at=MONDAY_MORNING)
    with (
        mock.patch.object(services.batches, "build_waves", side_effect=RuntimeError("killed")),
        pytest.raises(RuntimeError),
    ):
        tasks.release_batch(batch_date=MONDAY.isoformat(), slot=12)
    batch = Batch.objects.get()
    assert batch.state == BatchState.RELEASING
    assert DeliveryNote.objects.filter(state=NoteState.RELEASED, wave=None).count() == 5

    # Within a minute of the cut the release's own task may still be running: left alone.
    assert services.batches_resume(now=batch.cut_at + timedelta(seconds=30)) == []
    resumed = services.batches_resume(now=batch.cut_at + timedelta(minutes=2))
    assert [b.pk for b in resumed] == [batch.pk]
    batch.refresh_from_db()
    assert (batch.state, batch.note_count) == (BatchState.RELEASED, 5)
    assert not DeliveryNote.objects.filter(wave=None).exists()
    assert sum(PickLine.objects.values_list("quantity", flat=True)) == 5
    logs = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(DeliveryNote), transition="release"
    )
    assert logs.count() == 5
    # Again, and the task again (a redelivery): nothing changes.
    assert tasks.resume_batches() == []
    tasks.release_batch(batch_date=MONDAY.isoformat(), slot=12)
    assert logs.count() == 5
    assert Wave.objects.count() == 1


def test_released_notes_without_a_wave_in_a_released_batch_get_one(
    warehouse: Any, sku: Any, parts_admin: Any
) -> None:
    put_stock(sku, 10)
    _allocated(sku, parts_admin, 3, accepted_at=MONDAY_MORNING)
    batch = services.batch_release(batch_date=MONDAY, slot=12)
    DeliveryNote.objects.update(wave=None)  # released without their wave, however it came
    assert DeliveryNote.objects.filter(wave=None).count() == 3
    assert [b.pk for b in services.batches_resume()] == [batch.pk]
    assert not DeliveryNote.objects.filter(wave=None).exists()
    assert services.batches_resume() == []


def test_a_late_release_message_releases_its_own_batch_not_the_due_one(
    warehouse: Any, sku: Any, parts_admin: Any
) -> None:
    put_stock(sku, 10)
    noon = _allocated(sku, parts_admin, 2, accepted_at=MONDAY_MORNING)
    afternoon = _allocated(sku, parts_admin, 2, accepted_at=MONDAY_MORNING + timedelta(hours=3))
    # The 12:00 message arrives after the 15:00 cut (a worker back late).
    tasks.release_batch(batch_date=MONDAY.isoformat(), slot=12)
    assert list(Batch.objects.values_list("slot", flat=True)) == [12]
    assert {n.order_id for n in DeliveryNote.objects.filter(state=NoteState.RELEASED)} == {
        o.pk for o in noon
    }
    assert DeliveryNote.objects.filter(order__in=afternoon, state=NoteState.ALLOCATED).count() == 2


def test_the_minute_task_cuts_and_sends_one_release_per_new_batch(
    warehouse: Any, sku: Any, parts_admin: Any
) -> None:
    put_stock(sku, 10)
    _allocated(sku, parts_admin, 2, accepted_at=MONDAY_MORNING)
    sent: list[dict[str, Any]] = []
    with (
        mock.patch("warehouse.tasks.send_now", side_effect=lambda name, **kw: sent.append(kw)),
        mock.patch("django.utils.timezone.now", return_value=NOON_CUT + timedelta(minutes=1)),
    ):
        assert tasks.release_due_batch() == "2026-11-23 12:00"
        assert tasks.release_due_batch() == "2026-11-23 12:00"
    # Cut (the row exists, releasing) and sent once; the message lost, the sweep finds it.
    assert sent == [{"batch_date": "2026-11-23", "slot": 12}]
    batch = Batch.objects.get()
    assert batch.state == BatchState.RELEASING
    services.batches_resume(now=NOON_CUT + timedelta(minutes=2))
    batch.refresh_from_db()
    assert (batch.state, batch.note_count) == (BatchState.RELEASED, 2)


def test_the_resume_sweep_is_scheduled_every_two_minutes(db: None) -> None:
    task = PeriodicTask.objects.get(task="warehouse.tasks.resume_batches")
    assert (task.crontab.minute, task.crontab.hour) == ("*/2", "*")
