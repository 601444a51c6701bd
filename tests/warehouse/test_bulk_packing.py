"""A scanner that buffers a parcel's scans sends them at once (issue 24 §7).

``pack_scans`` answers each code as ``pack_scan`` would, leaves the same lines and scan
records, and costs the same statements for 5 units as for 50; closing costs the same for
one note as for a merged parcel of four.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ecomops.errors import ConflictError
from orders.models import Order
from orders.services import order_cancellation_request
from tests.orders.factories import listed_sku, make_channel, make_customer
from tests.timeutil import at
from tests.warehouse.factories import MONDAY_MORNING, make_order, pick_all, put_stock
from warehouse import services
from warehouse.models import DeliveryNote, NoteState, PackScan, Parcel, Wave
from warehouse.services.packing import PackError, pack_scans

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.clock(at(2026, 11, 23, 13)),
    pytest.mark.usefixtures("english"),
]


def allocated(lines: list[tuple[Any, int]], parts_admin: Any, **kwargs: Any) -> Order:
    order = make_order(lines, accepted_at=MONDAY_MORNING, **kwargs)
    services.allocate_order(order_id=order.pk, by=parts_admin)
    return order


def release_and_sort(picker: Any) -> None:
    services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    for wave in Wave.objects.all():
        pick_all(wave, picker)
        services.wave_sort(wave_id=wave.pk, by=picker)


def note_of(order: Order) -> DeliveryNote:
    return DeliveryNote.objects.get(order=order)


def scan_rows(note: DeliveryNote) -> list[tuple[str, bool, str, int | None]]:
    return [
        (scan.code, scan.accepted, scan.message, scan.sku_id)
        for scan in PackScan.objects.filter(note=note).order_by("pk")
    ]


def packed(note: DeliveryNote) -> list[tuple[int, int]]:
    return [(line.sku_id, line.packed_quantity) for line in note.lines.order_by("pk")]


def test_buffered_scans_answer_and_count_as_scans_one_by_one(
    warehouse: Any, sku: Any, sku2: Any, parts_admin: Any, picker: Any, packer: Any
) -> None:
    stranger = listed_sku("SKU-9")
    put_stock(sku, 10)
    put_stock(sku2, 10, at="A-02")
    put_stock(stranger, 10, at="A-03")
    one_by_one = allocated([(sku, 2), (sku2, 1)], parts_admin)
    at_once = allocated([(sku, 2), (sku2, 1)], parts_admin)
    release_and_sort(picker)
    codes = [
        sku.barcode,
        "0000000000000",  # no SKU has it
        f" {sku.code} ",  # the SKU code does as well as the barcode
        sku.barcode,  # one too many
        stranger.barcode,  # an item of no line
        "",
        sku2.barcode,
    ]
    single = [
        services.pack_scan(note_id=note_of(one_by_one).pk, code=code, by=packer) for code in codes
    ]
    batch = pack_scans(note_id=note_of(at_once).pk, codes=codes, by=packer)

    answers = [(r.accepted, r.message, r.sku_code) for r in batch]
    assert answers == [(r.accepted, r.message, r.sku_code) for r in single]
    assert [accepted for accepted, _message, _code in answers] == [
        True,
        False,
        True,
        False,
        False,
        False,
        True,
    ]
    assert "Extra item" in batch[3].message
    assert "Wrong item" in batch[1].message
    assert "Wrong item" in batch[4].message
    assert batch[6].message == f"{sku2.name}: 1 of 1"
    assert packed(note_of(at_once)) == packed(note_of(one_by_one))
    assert scan_rows(note_of(at_once)) == scan_rows(note_of(one_by_one))
    assert len(scan_rows(note_of(at_once))) == len(codes)
    # the lines the packer sees after the scans: all counted
    assert [line.packed_quantity for line in batch[-1].lines] == [2, 1]
    for order in (one_by_one, at_once):
        services.pack_close(note_id=note_of(order).pk, weight_grams=500, by=packer)
        assert note_of(order).state == NoteState.PACKED


def test_buffered_scans_fill_a_merged_parcel_recorded_on_its_first_note(
    warehouse: Any, sku: Any, sku2: Any, parts_admin: Any, picker: Any, packer: Any
) -> None:
    put_stock(sku, 10)
    put_stock(sku2, 10, at="A-02")
    channel = make_channel(code="shop", merge_parcels=True)
    buyer = make_customer()
    orders = [
        allocated([(sku, 1)], parts_admin, channel=channel, customer=buyer),
        allocated([(sku2, 2)], parts_admin, channel=channel, customer=buyer),
    ]
    release_and_sort(picker)
    first, second = (note_of(order) for order in orders)
    assert first.merged
    assert second.merged
    results = pack_scans(
        note_id=second.pk, codes=[sku2.barcode, sku.barcode, sku2.barcode], by=packer
    )
    assert all(result.accepted for result in results)
    assert (packed(first), packed(second)) == ([(sku.pk, 1)], [(sku2.pk, 2)])
    assert len(scan_rows(first)) == 3  # the group's first note holds its scans
    parcel = services.pack_close(note_id=second.pk, weight_grams=900, by=packer)
    assert set(parcel.notes.values_list("pk", flat=True)) == {first.pk, second.pk}


def test_buffered_scans_are_refused_as_one_scan_when_the_note_cannot_be_packed(
    released: dict[str, Any],
    picker: Any,
    packer: Any,
    sku: Any,
    make_user: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    note = note_of(released["second"])
    with pytest.raises(ConflictError, match="only sorted notes are packed"):
        pack_scans(note_id=note.pk, codes=[sku.barcode], by=packer)
    with pytest.raises(ConflictError, match="only sorted notes are packed"):
        services.pack_scan(note_id=note.pk, code=sku.barcode, by=packer)
    pick_all(released["wave"], picker)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancellation_request(
            order_id=released["second"].pk,
            by=make_user("sales_rep", username="rep"),
            reason="buyer asked",
        )
    note.refresh_from_db()
    assert note.state == NoteState.CANCELLED
    with pytest.raises(PackError, match="No delivery note"):
        pack_scans(note_id=note.pk, codes=[sku.barcode], by=packer)
    assert not PackScan.objects.exists()
    with pytest.raises(DeliveryNote.DoesNotExist):
        pack_scans(note_id=0, codes=[sku.barcode], by=packer)


def test_buffered_scans_cost_the_same_for_five_units_or_fifty(
    warehouse: Any, sku: Any, sku2: Any, parts_admin: Any, picker: Any, packer: Any
) -> None:
    put_stock(sku, 200)
    put_stock(sku2, 200, at="A-02")
    five = allocated([(sku, 3), (sku2, 2)], parts_admin)
    fifty = allocated([(sku, 30), (sku2, 20)], parts_admin)
    one = allocated([(sku, 1)], parts_admin)
    release_and_sort(picker)

    def queries(order: Order, codes: list[str]) -> int:
        note = note_of(order)
        with CaptureQueriesContext(connection) as captured:
            results = pack_scans(note_id=note.pk, codes=codes, by=packer)
        assert all(result.accepted for result in results)
        return len(captured.captured_queries)

    small = queries(five, [sku.barcode] * 3 + [sku2.barcode] * 2)
    large = queries(fifty, [sku.barcode] * 30 + [sku2.barcode] * 20)
    assert large == small
    assert queries(one, [sku.barcode]) == small
    # the note read with its lines, one write, one record (and the savepoint of the test's
    # transaction around them)
    assert small <= 5


@pytest.mark.usefixtures("plain_statements")
def test_closing_costs_the_same_for_one_note_or_a_merged_parcel_of_four(
    warehouse: Any, sku: Any, parts_admin: Any, picker: Any, packer: Any
) -> None:
    put_stock(sku, 50)
    channel = make_channel(code="shop", merge_parcels=True)
    buyer = make_customer()
    first = allocated([(sku, 1)], parts_admin)  # the day's first parcel starts its number series
    single = allocated([(sku, 2)], parts_admin)
    merged = [allocated([(sku, 1)], parts_admin, channel=channel, customer=buyer) for _ in range(4)]
    allocated([(sku, 1)], parts_admin)  # stays in the wave: no close finishes it
    release_and_sort(picker)
    assert DeliveryNote.objects.filter(merged=True).count() == 4

    def close_queries(order: Order, units: int) -> int:
        note = note_of(order)
        assert all(
            r.accepted for r in pack_scans(note_id=note.pk, codes=[sku.barcode] * units, by=packer)
        )
        with CaptureQueriesContext(connection) as captured:
            services.pack_close(note_id=note.pk, weight_grams=700, by=packer)
        return len(captured.captured_queries)

    close_queries(first, 1)
    assert close_queries(merged[0], 4) == close_queries(single, 2)
    assert Parcel.objects.count() == 3
    assert DeliveryNote.objects.filter(state=NoteState.PACKED).count() == 6


@pytest.mark.usefixtures("plain_statements")
def test_closing_a_parcel_costs_a_fixed_list_of_statements(
    warehouse: Any, sku: Any, parts_admin: Any, picker: Any, packer: Any
) -> None:
    """Issue 24 §7: the close was 17 statements on a day's 10,000th parcel (the account's
    stock built through the ORM, a savepoint around the waybill's record, the wave loaded
    as an object to lock it). Pinned here, each named, so none comes back unnoticed; the
    one UPDATE more (the numbers written on the parcel) lets the shared rows be taken last."""
    put_stock(sku, 10)
    first = allocated([(sku, 1)], parts_admin)  # starts the day's parcel number series
    second = allocated([(sku, 2)], parts_admin)
    allocated([(sku, 1)], parts_admin)  # stays open: the wave is checked, not finished
    release_and_sort(picker)
    for order, units in ((first, 1), (second, 2)):
        assert all(
            r.accepted
            for r in pack_scans(note_id=note_of(order).pk, codes=[sku.barcode] * units, by=packer)
        )
    services.pack_close(note_id=note_of(first).pk, weight_grams=500, by=packer)
    packer.has_perm("warehouse.pack_parcel")  # the packer's permissions read once a request

    note = note_of(second)
    with CaptureQueriesContext(connection) as captured:
        parcel = services.pack_close(note_id=note.pk, weight_grams=500, by=packer)

    statements = [query["sql"].split()[0].upper() for query in captured.captured_queries]
    assert statements == [
        "SAVEPOINT",  # the close's transaction (a savepoint inside the test's)
        "SELECT",  # the group's notes locked, with orders, carrier and what is unscanned
        "SELECT",  # finance: the invoices to put in the parcel
        "SELECT",  # the carrier's default e-waybill account with its stock
        "INSERT",  # the parcel, under a stand-in number
        "UPDATE",  # the notes packed
        "INSERT",  # their django-fsm-log rows
        "UPDATE",  # the waybill number taken from the range (its row locked from here)
        "SELECT",  # not typed by hand at packing before the range reached it
        "UPDATE",  # the parcel number (the series' row locked from here)
        "UPDATE",  # both numbers on the parcel
        "INSERT",  # the waybill number recorded as used on it
        "SELECT",  # the wave locked
        "SELECT",  # its notes still open
        "RELEASE",
    ]
    assert note_of(second).parcel_id == parcel.pk
    assert Wave.objects.get().state == "sorted"
