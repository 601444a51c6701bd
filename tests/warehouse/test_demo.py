"""The demo data is coherent: every order the orders demo left in a warehouse state has the
warehouse records of that state, so the batch board shows what a release then does."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count

from ecomops.demo import seeders
from orders.models import Order, OrderState
from tests.timeutil import at
from warehouse.models import (
    Batch,
    DeliveryNote,
    DeliveryNoteLine,
    NoteState,
    Parcel,
    ParcelState,
    PickLine,
    StockMove,
    Wave,
)
from warehouse.selectors import batch_note_counts, ledger_matches_balances, upcoming_batches
from warehouse.services import batch_release

# A Tuesday morning: the Monday 15:00 batch is the one in progress, 12:00 is the next cut.
pytestmark = [pytest.mark.django_db, pytest.mark.clock(at(2026, 11, 24, 11))]

SHIPPED = (OrderState.SHIPPED, OrderState.DELIVERED, OrderState.COMPLETED)
NOTE_STATE = {
    OrderState.ALLOCATED: {NoteState.ALLOCATED},
    OrderState.RELEASED: {NoteState.RELEASED, NoteState.PICKED, NoteState.PACKED},
    OrderState.SHIPPED: {NoteState.SHIPPED},
    OrderState.DELIVERED: {NoteState.DELIVERED},
    OrderState.COMPLETED: {NoteState.DELIVERED},
}


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (DeliveryNote, DeliveryNoteLine, Wave, PickLine, Parcel, Batch, StockMove)
    )


def test_every_order_in_a_warehouse_state_has_its_warehouse_records(clock: Any) -> None:
    call_command("seed_demo", stdout=io.StringIO())

    orders = Order.objects.filter(state__in=list(NOTE_STATE))
    assert orders.filter(state=OrderState.ALLOCATED).exists()
    assert orders.filter(state=OrderState.RELEASED).exists()
    assert orders.filter(state__in=SHIPPED).count() > 100
    live_notes = DeliveryNote.objects.exclude(state=NoteState.CANCELLED)
    without = orders.exclude(pk__in=live_notes.values("order_id"))
    assert not without.exists(), list(without.values_list("number", "state")[:10])
    picked = set(PickLine.objects.values_list("wave_id", "sku_id", "location_id"))
    lines: dict[int, list[tuple[int, int | None, int, int]]] = defaultdict(list)
    for note_id, sku_id, location_id, quantity, packed in DeliveryNoteLine.objects.values_list(
        "note_id", "sku_id", "location_id", "quantity", "packed_quantity"
    ):
        lines[note_id].append((sku_id, location_id, quantity, packed))
    notes = live_notes.filter(order__state__in=list(NOTE_STATE)).select_related("order", "parcel")
    for note in notes.iterator():
        order = note.order
        assert note.state in NOTE_STATE[OrderState(order.state)], (order.number, note.state)
        assert lines[note.pk], note.number
        if order.state == OrderState.ALLOCATED:
            assert (note.batch_id, note.wave_id) == (None, None), note.number
            continue
        # released and beyond: in a batch, in a wave whose pick list has its lines
        assert note.batch_id is not None, note.number
        assert note.wave_id is not None, note.number
        for line_sku, line_location, _quantity, _packed in lines[note.pk]:
            assert (note.wave_id, line_sku, line_location) in picked, note.number
        if order.state in SHIPPED:
            assert note.parcel is not None, note.number
            assert note.parcel.state in (
                ParcelState.HANDED_OVER,
                ParcelState.IN_TRANSIT,
                ParcelState.DELIVERED,
            )
            assert note.parcel.manifest_id is not None
            assert all(quantity == packed for _s, _l, quantity, packed in lines[note.pk])
    assert not DeliveryNote.objects.filter(order__state__in=["confirmed", "identified"]).exists()
    assert ledger_matches_balances() == []

    # The board's counts are the selectors' counts: notes per batch, ready per upcoming batch.
    for batch in Batch.objects.annotate(notes_in=Count("notes")):
        assert batch.note_count == batch.notes_in == sum(batch_note_counts(batch).values())
    by_batch: dict[tuple[Any, int], int] = {}
    for day, slot in DeliveryNote.objects.filter(state=NoteState.ALLOCATED).values_list(
        "order__batch_date", "order__batch_slot"
    ):
        by_batch[(day, slot)] = by_batch.get((day, slot), 0) + 1
    board = {upcoming.key.key: upcoming.ready for upcoming in upcoming_batches()}
    assert by_batch
    assert {key: board.get(key) for key in by_batch} == by_batch

    # What a release does: at the next cut it releases exactly the notes the board counted.
    upcoming = upcoming_batches()[0]
    assert upcoming.batch is None
    assert upcoming.ready
    clock.move_to(upcoming.key.cut_at + timedelta(minutes=1))
    released = batch_release(batch_date=upcoming.key.batch_date, slot=upcoming.key.slot)
    assert released.note_count == upcoming.ready
    assert released.late_count == 0

    # Seeding again adds nothing.
    before = counts()
    for seeder in seeders():
        if seeder.name.startswith("warehouse"):
            seeder.run(lambda message: None)
    assert counts() == before
