"""The pack station's cost per scan does not grow with the parcel or the day (issue 24 §7).

Packing took half of a simulated day: every scan looked its note up again by number with
``number = code OR order.number = code``, which no index serves.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ecomops.errors import ConflictError
from orders.models import Order
from tests.orders.factories import listed_sku, make_channel, make_customer
from tests.warehouse.factories import MONDAY_MORNING, make_order, pick_all, put_stock
from warehouse import services
from warehouse.models import DeliveryNote, NoteState, Wave

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def allocated(lines: list[tuple[Any, int]], parts_admin: Any, **kwargs: Any) -> Order:
    order = make_order(lines, accepted_at=MONDAY_MORNING, **kwargs)
    services.allocate_order(order_id=order.pk, by=parts_admin)
    return order


def release_and_pick(picker: Any) -> None:
    services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    for wave in Wave.objects.all():
        pick_all(wave, picker)
        services.wave_sort(wave_id=wave.pk, by=picker)


def scan_queries(order: Order, sku: Any, packer: Any) -> int:
    """Queries of one accepted scan of ``sku`` into ``order``'s parcel."""
    note = DeliveryNote.objects.get(order=order)
    with CaptureQueriesContext(connection) as captured:
        assert services.pack_scan(note_id=note.pk, code=sku.barcode, by=packer).accepted
    return len(captured.captured_queries)


def test_a_scan_costs_the_same_for_one_line_or_many(
    warehouse: Any, parts_admin: Any, picker: Any, packer: Any
) -> None:
    skus = [listed_sku(f"SKU-{index}") for index in range(6)]
    for index, sku in enumerate(skus):
        put_stock(sku, 20, at=f"A-0{index % 4 + 1}")
    small = allocated([(skus[0], 1)], parts_admin)
    large = allocated([(sku, 2) for sku in skus], parts_admin)
    release_and_pick(picker)
    one_line = scan_queries(small, skus[0], packer)
    six_lines = scan_queries(large, skus[5], packer)
    assert six_lines == one_line
    # The unit after: the same again (nothing cached on the first scan, nothing grows).
    assert scan_queries(large, skus[5], packer) == one_line


def test_a_scan_costs_the_same_for_a_merged_parcel_of_two_or_of_four_notes(
    warehouse: Any, sku: Any, parts_admin: Any, picker: Any, packer: Any
) -> None:
    put_stock(sku, 20)
    channel = make_channel(code="shop", merge_parcels=True)
    pair, quad = make_customer(), make_customer()
    two = [allocated([(sku, 1)], parts_admin, channel=channel, customer=pair) for _ in range(2)]
    four = [allocated([(sku, 1)], parts_admin, channel=channel, customer=quad) for _ in range(4)]
    release_and_pick(picker)
    assert DeliveryNote.objects.filter(merged=True, state=NoteState.PICKED).count() == 6
    assert scan_queries(four[0], sku, packer) == scan_queries(two[0], sku, packer)


def test_a_parcel_is_found_by_its_note_or_its_order_number(
    released: dict[str, Any], picker: Any, packer: Any
) -> None:
    pick_all(released["wave"], picker)
    services.wave_sort(wave_id=released["wave"].pk, by=picker)
    note = DeliveryNote.objects.get(order=released["first"])
    assert services.pack_find(note.number) == [note]
    assert services.pack_find(f" {released['first'].number} ") == [note]
    with pytest.raises(services.PackError, match="No delivery note or order"):
        services.pack_find("DN-NOT-HERE")
    for line in services.pack_lines([note]):
        for _unit in range(line.to_pack):
            assert services.pack_scan(note_id=note.pk, code=line.sku.barcode, by=packer).accepted
    parcel = services.pack_close(note_id=note.pk, weight_grams=500, by=packer)
    note.refresh_from_db()
    assert (note.state, note.parcel_id) == (NoteState.PACKED, parcel.pk)
    with pytest.raises(ConflictError, match="only sorted notes are packed"):
        services.pack_find(released["first"].number)
