"""Two packers close the last two parcels of a wave at once (issue 24 §7), on PostgreSQL.

The close locks the wave's row and then looks for its open notes in a later statement, so
the packer who waits on the lock sees what the other committed: the wave is finished
exactly once, by the second, and each parcel gets its own waybill and parcel number.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django_fsm_log.models import StateLog

from tests.concurrency import race
from tests.factories import UserFactory
from tests.orders.factories import listed_sku
from tests.warehouse.factories import (
    MONDAY_MORNING,
    make_order,
    make_warehouse,
    pick_all,
    put_stock,
)
from warehouse import services
from warehouse.models import DeliveryNote, NoteState, Parcel, Wave, WaveState
from warehouse.services.packing import pack_scans

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks need PostgreSQL (.ci/run uses it)",
    ),
]


def test_the_last_two_parcels_of_a_wave_closed_at_once_finish_it_once() -> None:
    make_warehouse()
    sku = listed_sku("SKU-1")
    put_stock(sku, 20)
    admin = UserFactory(roles=["bu_parts_admin"])
    picker = UserFactory(roles=["picker"])
    packers = [UserFactory(roles=["packer"]) for _ in range(2)]
    orders = [make_order([(sku, 1)], accepted_at=MONDAY_MORNING) for _ in range(2)]
    for order in orders:
        services.allocate_order(order_id=order.pk, by=admin)
    services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    wave = Wave.objects.get()
    pick_all(wave, picker)
    services.wave_sort(wave_id=wave.pk, by=picker)
    notes = [DeliveryNote.objects.get(order=order) for order in orders]
    for note, packer in zip(notes, packers, strict=True):
        assert pack_scans(note_id=note.pk, codes=[sku.barcode], by=packer)[0].accepted

    results = race(
        [
            lambda note=note, packer=packer: services.pack_close(
                note_id=note.pk, weight_grams=500, by=packer
            )
            for note, packer in zip(notes, packers, strict=True)
        ]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert Wave.objects.get().state == WaveState.DONE
    finished = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Wave), object_id=wave.pk, transition="finish"
    )
    assert finished.count() == 1
    parcels = Parcel.objects.all()
    assert len({p.waybill_number for p in parcels}) == len({p.number for p in parcels}) == 2
    assert DeliveryNote.objects.filter(state=NoteState.PACKED).count() == 2
