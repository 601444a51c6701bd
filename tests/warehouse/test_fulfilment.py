"""Picking, short picks, packing by scan, hand-over, carrier events and cancellation."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import F
from django.test import Client
from django.utils import timezone

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from ecomops.errors import ApplicationError
from ecomops.notifications.models import Notification
from orders.models import Order, OrderState
from orders.services import order_cancellation_request
from tests.warehouse.factories import CARRIER_SECRET, location, pack, pick_all
from warehouse import services
from warehouse.extensions import ParcelInsert, register_parcel_insert, unregister_parcel_insert
from warehouse.models import (
    Batch,
    DeliveryNote,
    MoveKind,
    NoteState,
    Parcel,
    StockBalance,
    StockMove,
    Wave,
    WaveState,
    WaybillRange,
)
from warehouse.selectors import ledger_matches_balances
from warehouse.signals import parcel_packed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_picking_moves_stock_out_of_the_bins(
    released: dict[str, Any], picker: Any, sku: Any
) -> None:
    wave = released["wave"]
    pick_all(wave, picker)
    wave.refresh_from_db()
    assert wave.state == WaveState.PICKED
    b = StockBalance.objects.get(sku=sku, location=location("A-01"))
    assert (b.on_hand, b.reserved) == (7, 0)
    services.wave_sort(wave_id=wave.pk, by=picker)
    assert set(DeliveryNote.objects.values_list("state", flat=True)) == {NoteState.PICKED}
    assert ledger_matches_balances() == []


def test_short_pick_is_recorded_and_sent_to_the_parts_admin(
    released: dict[str, Any], picker: Any, parts_admin: Any, sku: Any
) -> None:
    wave = released["wave"]
    line = wave.pick_lines.get(sku=sku)
    with pytest.raises(ApplicationError) as no_reason:
        services.pick_confirm(line_id=line.pk, picked_quantity=2, by=picker)
    assert "reason" in no_reason.value.extra["fields"]
    services.pick_confirm(line_id=line.pk, picked_quantity=2, reason="bin empty", by=picker)
    line.refresh_from_db()
    assert (line.picked_quantity, line.short_quantity, line.short_reason) == (2, 1, "bin empty")
    short = DeliveryNote.objects.get(short=True)
    assert short.order == released["second"]  # the latest note loses the unit
    assert Notification.objects.filter(recipient=parts_admin, title__contains="Short pick").exists()
    b = StockBalance.objects.get(sku=sku, location=location("A-01"))
    assert (b.on_hand, b.reserved) == (7, 0)  # 2 picked, 1 written off
    assert StockMove.objects.filter(kind=MoveKind.ADJUSTMENT, reason__contains="bin empty").exists()
    pick_all_rest = list(wave.pick_lines.filter(picked_quantity__isnull=True))
    for rest in pick_all_rest:
        services.pick_confirm(line_id=rest.pk, picked_quantity=rest.quantity, by=picker)
    services.wave_sort(wave_id=wave.pk, by=picker)
    with pytest.raises(ApplicationError, match="picked short"):
        services.pack_find(short.number)
    later = services.short_note_split(note_id=short.pk, by=parts_admin)
    assert later.state == NoteState.WAITING
    assert later.part == 2
    short.refresh_from_db()
    assert short.state == NoteState.CANCELLED  # nothing of it was picked
    assert ledger_matches_balances() == []


def test_pack_station_refuses_wrong_and_extra_items(
    released: dict[str, Any], picker: Any, packer: Any, sku: Any, sku2: Any
) -> None:
    pick_all(released["wave"], picker)
    services.wave_sort(wave_id=released["wave"].pk, by=picker)
    note = DeliveryNote.objects.get(order=released["second"])  # one line: SKU-1 x1
    wrong = services.pack_scan(note_id=note.pk, code=sku2.barcode, by=packer)
    assert not wrong.accepted
    assert "Wrong item" in wrong.message
    unknown = services.pack_scan(note_id=note.pk, code="0000000000000", by=packer)
    assert not unknown.accepted
    with pytest.raises(ApplicationError, match="cannot be closed") as incomplete:
        services.pack_close(note_id=note.pk, weight_grams=500, by=packer)
    assert "items" in incomplete.value.extra["fields"]
    assert services.pack_scan(note_id=note.pk, code=sku.barcode, by=packer).accepted
    extra = services.pack_scan(note_id=note.pk, code=sku.code, by=packer)
    assert not extra.accepted
    assert "Extra item" in extra.message
    assert note.scans.filter(accepted=False).count() == 3


def test_closing_a_parcel_takes_a_waybill_and_tells_finance(
    released: dict[str, Any], picker: Any, packer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    pick_all(released["wave"], picker)
    services.wave_sort(wave_id=released["wave"].pk, by=picker)
    received: list[Any] = []

    def on_packed(sender: Any, parcel: Parcel, orders: list[Order], **kwargs: Any) -> None:
        received.append((parcel.number, [o.number for o in orders]))

    def invoice(orders: Any) -> list[ParcelInsert]:
        return [ParcelInsert(o.number, "发票", "INV-1") for o in orders]

    parcel_packed.connect(on_packed)
    register_parcel_insert(invoice)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            parcel = pack(released["first"], packer)
    finally:
        parcel_packed.disconnect(on_packed)
        unregister_parcel_insert(invoice)
    assert parcel.waybill_number == "7310000000001"
    assert parcel.inserts == [
        {"order": released["first"].number, "label": "发票", "number": "INV-1", "url": ""}
    ]
    assert received == [(parcel.number, [released["first"].number])]
    assert DeliveryNote.objects.get(order=released["first"]).state == NoteState.PACKED
    note = DeliveryNote.objects.get(order=released["second"])
    services.pack_scan(note_id=note.pk, code=note.lines.get().sku.barcode, by=packer)
    with pytest.raises(ApplicationError, match="already on another parcel"):
        services.pack_close(
            note_id=note.pk, weight_grams=300, by=packer, waybill_number="7310000000001"
        )


def test_manifest_count_must_match_and_signing_ships(
    released: dict[str, Any], picker: Any, packer: Any, keeper: Any
) -> None:
    pick_all(released["wave"], picker)
    services.wave_sort(wave_id=released["wave"].pk, by=picker)
    pack(released["first"], packer)
    pack(released["second"], packer)
    wave = Wave.objects.get()
    assert wave.state == WaveState.DONE
    manifest = services.manifest_open(carrier_id=wave.carrier_id, by=keeper)
    assert manifest.parcels.count() == 2
    with pytest.raises(ApplicationError) as mismatch:
        services.manifest_sign(manifest_id=manifest.pk, courier_name="王师傅", counted=1, by=keeper)
    assert "count again" in mismatch.value.extra["fields"]["counted"][0]
    assert Order.objects.filter(state=OrderState.SHIPPED).count() == 0
    services.manifest_sign(manifest_id=manifest.pk, courier_name="王师傅", counted=2, by=keeper)
    assert Order.objects.filter(state=OrderState.SHIPPED).count() == 2
    assert Batch.objects.get().state == "done"


def _shipped(released: dict[str, Any], picker: Any, packer: Any, keeper: Any) -> Parcel:
    pick_all(released["wave"], picker)
    services.wave_sort(wave_id=released["wave"].pk, by=picker)
    parcel = pack(released["first"], packer)
    manifest = services.manifest_open(carrier_id=parcel.carrier_id, by=keeper)
    services.manifest_sign(manifest_id=manifest.pk, courier_name="李", counted=1, by=keeper)
    return parcel


def post_event(client: Client, data: dict[str, Any], secret: str = CARRIER_SECRET) -> Any:
    body = json.dumps(data).encode()
    ts = str(int(time.time()))
    return client.post(
        "/api/v1/carriers/ZTO/events",
        data=body,
        content_type="application/json",
        headers={
            TIMESTAMP_HEADER: ts,
            SIGNATURE_HEADER: sign(secret, ts, body),
            "Accept-Language": "en",
        },
    )


def test_carrier_events_are_idempotent_and_deliver_the_order(
    released: dict[str, Any], picker: Any, packer: Any, keeper: Any, client: Client, make_user: Any
) -> None:
    service = make_user("aftersales_service", username="svc")
    parcel = _shipped(released, picker, packer, keeper)
    event = {
        "event_id": "E1",
        "waybill": parcel.waybill_number,
        "kind": "in_transit",
        "occurred_at": timezone.now().isoformat(),
        "place": "杭州转运中心",
    }
    assert post_event(client, event, secret="wrong").status_code == 401
    first = post_event(client, event)
    assert first.status_code == 201
    assert first.json()["parcel_state"] == "in_transit"
    again = post_event(client, event)
    assert again.status_code == 200
    assert again.json()["created"] is False
    bad = post_event(client, {**event, "event_id": "E2", "waybill": "nope"})
    assert bad.status_code == 400
    assert "waybill" in bad.json()["fields"]
    problem = post_event(
        client, {**event, "event_id": "E3", "kind": "exception", "description": "地址不详"}
    )
    assert problem.status_code == 201
    assert Notification.objects.filter(
        recipient=service, title__contains=parcel.waybill_number
    ).exists()
    done = post_event(client, {**event, "event_id": "E4", "kind": "delivered"})
    assert done.status_code == 201
    order = Order.objects.get(pk=released["first"].pk)
    assert order.state == OrderState.DELIVERED
    assert post_event(client, {**event, "event_id": "E4", "kind": "delivered"}).status_code == 200


def test_cancellation_request_is_accepted_until_the_parcel_leaves(
    released: dict[str, Any],
    picker: Any,
    packer: Any,
    keeper: Any,
    make_user: Any,
    django_capture_on_commit_callbacks: Any,
    sku: Any,
) -> None:
    rep = make_user("sales_rep", username="rep")
    pick_all(released["wave"], picker)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancellation_request(order_id=released["second"].pk, by=rep, reason="buyer asked")
    second = Order.objects.get(pk=released["second"].pk)
    assert second.state == OrderState.CANCELLED
    assert StockMove.objects.filter(kind=MoveKind.RETURN).exists()  # picked goods back in the bin
    assert ledger_matches_balances() == []

    services.wave_sort(wave_id=released["wave"].pk, by=picker)
    parcel = pack(released["first"], packer)
    manifest = services.manifest_open(carrier_id=parcel.carrier_id, by=keeper)
    services.manifest_sign(manifest_id=manifest.pk, courier_name="李", counted=1, by=keeper)
    with pytest.raises(ApplicationError, match="already shipped"):
        order_cancellation_request(order_id=released["first"].pk, by=rep, reason="too late")


def test_carrier_range_used_up_is_refused(warehouse: Any) -> None:
    carrier = warehouse.default_carrier
    WaybillRange.objects.filter(account__carrier=carrier).update(next=F("last") + 1)
    with pytest.raises(ApplicationError, match="no waybill numbers left"):
        services.carrier_next_waybill(carrier)


def test_declined_when_released_order_already_left(
    released: dict[str, Any], picker: Any, packer: Any, keeper: Any
) -> None:
    _shipped(released, picker, packer, keeper)
    first = Order.objects.get(pk=released["first"].pk)
    # the warehouse's decision for an order whose parcel is with the carrier
    Order.objects.filter(pk=first.pk).update(
        cancellation_requested_at=timezone.now() - timedelta(minutes=1)
    )
    assert services.order_cancellation_decide(order_id=first.pk) is False
    first.refresh_from_db()
    assert first.cancellation_requested_at is None
    assert first.cancellation_declined_reason
