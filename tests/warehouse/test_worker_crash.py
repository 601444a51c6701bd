"""Fault injection (issue 23 §2): the whole Celery worker SIGKILLed mid-release, on
PostgreSQL and a Redis of the test's own. Before, the batch stayed "releasing" with released
notes and no waves until the visibility timeout, and the redelivered task released the next
batch instead. Now the release task carries its batch, and the resume sweep (beat, every two
minutes) finishes it without a human: every order released once, every wave and pick line
there; the late redelivery changes nothing and leaves the next batch alone."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Sum
from django_fsm_log.models import StateLog

from orders.models import Order, OrderState
from tests.factories import UserFactory
from tests.faults import REDIS, WorkerProcess, redis_server, sender
from tests.orders.factories import listed_sku
from tests.warehouse.factories import MONDAY_MORNING, make_order, make_warehouse, put_stock
from warehouse import services
from warehouse.models import (
    Batch,
    BatchState,
    DeliveryNote,
    DeliveryNoteLine,
    NoteState,
    PickLine,
    Wave,
)

pytestmark = [
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a worker process shares the database: needs PostgreSQL (DATABASE_URL)",
    ),
    pytest.mark.skipif(REDIS is None, reason="needs redis-server to start a broker of its own"),
]

ORDERS = 120
CHUNK = 20  # notes released per committed step in the worker
NEXT_BATCH_ORDERS = 10
MONDAY = date(2026, 11, 23)


def _wait(condition: Any, what: str, timeout: float = 40) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"timed out waiting for {what}"
        time.sleep(0.05)
    return time.monotonic() - started


def _released() -> int:
    return DeliveryNote.objects.filter(state=NoteState.RELEASED, batch__slot=12).count()


def _lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


class _OrderLock:
    """The test's own transaction holding one order row: the worker's release blocks when
    its third step reaches that order, with two steps committed, so the kill lands mid-release
    every time."""

    def __init__(self, order_id: int) -> None:
        import psycopg2

        self.conn = psycopg2.connect(**connection.get_connection_params())
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT id FROM orders_order WHERE id = %s FOR UPDATE", [order_id])

    def release(self) -> None:
        self.conn.commit()
        self.conn.close()


def test_worker_killed_mid_release_is_recovered_by_the_sweep() -> None:
    make_warehouse()
    sku = listed_sku("SKU-1")
    put_stock(sku, 3 * (ORDERS + NEXT_BATCH_ORDERS))
    admin = UserFactory(roles=["bu_parts_admin"])
    noon = [make_order([(sku, 2), (sku, 1)], accepted_at=MONDAY_MORNING) for _ in range(ORDERS)]
    afternoon = [
        make_order([(sku, 1)], accepted_at=MONDAY_MORNING + timedelta(hours=3))
        for _ in range(NEXT_BATCH_ORDERS)
    ]
    services.allocation_issue(order_ids=[o.pk for o in noon + afternoon], by=admin)
    assert DeliveryNote.objects.filter(state=NoteState.ALLOCATED).count() == len(noon + afternoon)
    # The note the third step claims first: its order is the one the gate holds.
    gate_note = DeliveryNote.objects.filter(order__in=noon).order_by("pk")[2 * CHUNK]

    with redis_server() as broker:
        publish = sender(broker.url)
        gate = _OrderLock(gate_note.order_id)
        worker = WorkerProcess(broker.url, WAREHOUSE_RELEASE_CHUNK=str(CHUNK))
        try:
            publish.send_task(
                "warehouse.tasks.release_batch",
                kwargs={"batch_date": MONDAY.isoformat(), "slot": 12},
            )
            _wait(lambda: _released() == 2 * CHUNK and _lock_waiters() >= 1, "the third step")
            worker.kill()  # SIGKILL, the whole worker, mid-release
            killed_at = time.monotonic()
        finally:
            gate.release()
            worker.kill()

        # Stranded as the issue found it: releasing, released notes, no waves.
        _wait(lambda: _lock_waiters() == 0, "the killed worker's transaction to end")
        batch = Batch.objects.get(batch_date=MONDAY, slot=12)
        assert batch.state == BatchState.RELEASING
        assert _released() == 2 * CHUNK
        assert not Wave.objects.exists()

        # No human: a worker comes back (its supervisor restarts it) and beat's resume
        # sweep arrives (every two minutes; sent here at once).
        restarted = WorkerProcess(broker.url, WAREHOUSE_RELEASE_CHUNK=str(CHUNK))
        try:
            publish.send_task("warehouse.tasks.resume_batches")
            _wait(
                lambda: Batch.objects.get(pk=batch.pk).state == BatchState.RELEASED,
                "the sweep to finish the batch",
            )
            recovered_in = time.monotonic() - killed_at
            # The killed worker's message, redelivered late (after the visibility timeout,
            # or after the next cut): it carries its batch, so it changes nothing.
            publish.send_task(
                "warehouse.tasks.release_batch",
                kwargs={"batch_date": MONDAY.isoformat(), "slot": 12},
            )
            publish.send_task("warehouse.tasks.resume_batches")
            _wait(lambda: broker.queue_length() == 0, "the redelivered messages")
            time.sleep(1)  # the last one taken off the queue has finished
        finally:
            restarted.stop()
        print(f"recovered {recovered_in:.1f} s after the kill")

    batch.refresh_from_db()
    assert batch.note_count == ORDERS
    assert batch.state == BatchState.RELEASED
    notes = DeliveryNote.objects.filter(order__in=noon)
    assert notes.filter(state=NoteState.RELEASED, batch=batch, wave__isnull=False).count() == ORDERS
    assert Order.objects.filter(pk__in=[o.pk for o in noon], state=OrderState.RELEASED).count() == (
        ORDERS
    )
    # Each note and each order released exactly once.
    for model in (DeliveryNote, Order):
        logs = StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            transition="release",
        )
        assert logs.count() == ORDERS
        assert logs.values("object_id").distinct().count() == ORDERS
    # Every wave and pick line: the waves hold every note, the pick lines every unit.
    assert sum(Wave.objects.filter(batch=batch).values_list("note_count", flat=True)) == ORDERS
    picked = PickLine.objects.filter(wave__batch=batch).aggregate(units=Sum("quantity"))["units"]
    ordered = DeliveryNoteLine.objects.filter(note__batch=batch).aggregate(units=Sum("quantity"))[
        "units"
    ]
    assert picked == ordered == 3 * ORDERS
    # The next batch's notes were not released by the late message.
    assert (
        DeliveryNote.objects.filter(order__in=afternoon, state=NoteState.ALLOCATED).count()
        == NEXT_BATCH_ORDERS
    )
    assert not Batch.objects.filter(batch_date=MONDAY, slot=15).exists()
    # Within the sweep interval: beat sends the sweep every two minutes.
    assert recovered_in < 30
