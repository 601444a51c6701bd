"""Hand-over and carrier events set-based (issue 24 §7): a manifest of 50 parcels is signed,
and 50 carrier events recorded, by the same statements as 5, with the state changes, log
rows, signals and refusals the services gave one parcel and one event at a time."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_fsm_log.models import StateLog

from ecomops.errors import ConflictError
from ecomops.notifications.models import Notification
from ecomops.sla.models import SlaClock
from orders.models import Order, OrderState
from tests.orders.factories import make_channel, make_customer
from tests.timeutil import at
from tests.warehouse.factories import MONDAY_MORNING, make_order, pick_all, put_stock
from warehouse import services
from warehouse.models import (
    Batch,
    BatchState,
    CarrierEvent,
    CarrierEventKind,
    DeliveryNote,
    Manifest,
    NoteState,
    Parcel,
    ParcelState,
    Wave,
)
from warehouse.services.packing import pack_scans
from warehouse.services.shipping import (
    CarrierEventIn,
    ShippingError,
    carrier_events_record_many,
)
from warehouse.signals import parcel_shipped, parcels_shipped

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.clock(at(2026, 11, 23, 13)),
    pytest.mark.usefixtures("english"),
]


def orders_in_batch(count: int, sku: Any, parts_admin: Any, **kwargs: Any) -> list[Order]:
    orders = [make_order([(sku, 1)], accepted_at=MONDAY_MORNING, **kwargs) for _ in range(count)]
    services.allocation_issue(order_ids=[order.pk for order in orders], by=parts_admin)
    return orders


def release_and_sort(picker: Any) -> None:
    services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    for wave in Wave.objects.all():
        pick_all(wave, picker)
        services.wave_sort(wave_id=wave.pk, by=picker)


def pack(orders: list[Order], packer: Any) -> list[Parcel]:
    """Each order's parcel (a merged parcel once, at its first note)."""
    parcels: dict[int, Parcel] = {}
    for order in orders:
        note = DeliveryNote.objects.get(order=order)
        if note.state != NoteState.PICKED:
            continue
        codes = [line.sku.barcode for line in services.pack_lines(services.pack_find(note.number))]
        assert all(
            result.accepted for result in pack_scans(note_id=note.pk, codes=codes, by=packer)
        )
        parcel = services.pack_close(note_id=note.pk, weight_grams=400, by=packer)
        parcels[parcel.pk] = parcel
    return list(parcels.values())


def hand_over(parcels: list[Parcel], keeper: Any) -> int:
    """Open the carrier's manifest and sign it; the queries of the signing."""
    manifest = services.manifest_open(carrier_id=parcels[0].carrier_id, by=keeper)
    assert manifest.parcels.count() == len(parcels)
    with CaptureQueriesContext(connection) as captured:
        services.manifest_sign(
            manifest_id=manifest.pk, courier_name="王师傅", counted=len(parcels), by=keeper
        )
    return len(captured.captured_queries)


def moves(obj: Any) -> list[tuple[str, str, str, Any, str | None]]:
    return [
        (log.transition, log.source_state, log.state, log.by, log.description)
        for log in StateLog.objects.for_(obj).order_by("pk")
    ]


@pytest.fixture
def stock(warehouse: Any, sku: Any) -> Any:
    put_stock(sku, 200)
    return sku


def test_signing_ships_parcels_notes_orders_and_closes_the_batch(
    stock: Any,
    parts_admin: Any,
    picker: Any,
    packer: Any,
    keeper: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    channel = make_channel(code="shop", merge_parcels=True)
    buyer = make_customer()
    merged = orders_in_batch(2, stock, parts_admin, channel=channel, customer=buyer)
    alone = orders_in_batch(3, stock, parts_admin)
    release_and_sort(picker)
    parcels = pack(merged + alone, packer)
    assert len(parcels) == 4
    announced: list[tuple[str, list[str]]] = []

    def on_shipped(sender: Any, parcel: Parcel, orders: list[Order], **kwargs: Any) -> None:
        announced.append((parcel.number, sorted(order.number for order in orders)))

    together: list[tuple[list[str], list[str]]] = []

    def on_many(sender: Any, parcels: list[Parcel], orders: list[Order], **kwargs: Any) -> None:
        together.append(
            (sorted(p.number for p in parcels), sorted(order.number for order in orders))
        )

    parcel_shipped.connect(on_shipped)
    parcels_shipped.connect(on_many)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            hand_over(parcels, keeper)
    finally:
        parcel_shipped.disconnect(on_shipped)
        parcels_shipped.disconnect(on_many)

    manifest = Manifest.objects.get()
    reason = f"Hand-over {manifest.number} signed by the courier 王师傅."
    for parcel in parcels:
        parcel.refresh_from_db()
        assert parcel.state == ParcelState.HANDED_OVER
        assert moves(parcel) == [("hand_over", "packed", "handed_over", keeper, reason)]
    for note in DeliveryNote.objects.all():
        assert note.state == NoteState.SHIPPED
        assert note.shipped_at == timezone.now()
        assert moves(note)[-1] == ("ship", "packed", "shipped", keeper, None)
    for order in Order.objects.all():
        assert order.state == OrderState.SHIPPED
        assert order.shipped_at == timezone.now()
        assert moves(order)[-1] == ("ship", "released", "shipped", keeper, None)
    batch = Batch.objects.get()
    assert batch.state == BatchState.DONE
    assert SlaClock.objects.get(object_id=batch.pk, policy__code="batch_processed").stopped_at
    by_parcel = {parcel.number: parcel for parcel in parcels}
    assert sorted(announced) == sorted(
        (number, sorted(order.number for order in Order.objects.filter(delivery_notes__parcel=p)))
        for number, p in by_parcel.items()
    )
    assert sorted(len(orders) for _number, orders in announced) == [1, 1, 1, 2]
    # once for the parcels signed for together, with every order on them
    assert together == [(sorted(by_parcel), sorted(order.number for order in Order.objects.all()))]
    # signing again changes nothing
    services.manifest_sign(manifest_id=manifest.pk, courier_name="王师傅", counted=4, by=keeper)
    assert [len(moves(parcel)) for parcel in parcels] == [1, 1, 1, 1]


def test_signing_fifty_parcels_costs_what_five_cost(
    stock: Any, parts_admin: Any, picker: Any, packer: Any, keeper: Any
) -> None:
    orders = orders_in_batch(57, stock, parts_admin)
    release_and_sort(picker)
    # the first hand-over warms the keeper's permissions; the last order stays unpacked,
    # so neither signing closes the batch
    assert hand_over(pack(orders[:1], packer), keeper) > 0
    five = hand_over(pack(orders[1:6], packer), keeper)
    fifty = hand_over(pack(orders[6:56], packer), keeper)
    assert fifty == five
    assert Order.objects.filter(state=OrderState.SHIPPED).count() == 56
    assert Batch.objects.get().state == BatchState.RELEASED


def events_for(parcels: list[Parcel], prefix: str, kind: str) -> list[CarrierEventIn]:
    return [
        CarrierEventIn(
            event_id=f"{prefix}-{parcel.waybill_number}",
            waybill_number=parcel.waybill_number,
            kind=kind,
            occurred_at=timezone.now(),
            place="杭州转运中心",
        )
        for parcel in parcels
    ]


def test_fifty_carrier_events_cost_what_five_cost(
    stock: Any, parts_admin: Any, picker: Any, packer: Any, keeper: Any
) -> None:
    orders = orders_in_batch(56, stock, parts_admin)
    release_and_sort(picker)
    parcels = pack(orders, packer)
    hand_over(parcels, keeper)
    for parcel in parcels:
        parcel.refresh_from_db()
    carrier = parcels[0].carrier
    one, five, fifty = parcels[:1], parcels[1:6], parcels[6:]

    def queries(group: list[Parcel], prefix: str, kind: str) -> int:
        events = events_for(group, prefix, kind)
        with CaptureQueriesContext(connection) as captured:
            outcomes = carrier_events_record_many(carrier=carrier, events=events)
        assert all(outcome.result and outcome.result.created for outcome in outcomes)
        return len(captured.captured_queries)

    for kind in (CarrierEventKind.IN_TRANSIT, CarrierEventKind.DELIVERED):
        queries(one, f"warm-{kind}", kind)
        assert queries(fifty, kind, kind) == queries(five, kind, kind)
    assert Parcel.objects.filter(state=ParcelState.DELIVERED).count() == 56
    assert DeliveryNote.objects.filter(state=NoteState.DELIVERED).count() == 56
    assert Order.objects.filter(state=OrderState.DELIVERED).count() == 56


# Each parcel's events in the order the carrier sends them.
SCRIPT = [
    [("E1", CarrierEventKind.IN_TRANSIT, ""), ("E2", CarrierEventKind.DELIVERED, "本人签收")],
    [("E3", CarrierEventKind.EXCEPTION, "地址不详"), ("E4", CarrierEventKind.IN_TRANSIT, "")],
    [("E5", CarrierEventKind.DELIVERED, ""), ("E6", CarrierEventKind.EXCEPTION, "客户拒收")],
    [("E7", CarrierEventKind.IN_TRANSIT, ""), ("E7", CarrierEventKind.IN_TRANSIT, "")],
]


def scripted(parcels: list[Parcel], prefix: str, waiting: Parcel) -> list[CarrierEventIn]:
    """The script's events for ``parcels`` (one pass per step, as a carrier's feed mixes
    parcels), then an unknown waybill and a parcel not handed over yet."""
    events = [
        CarrierEventIn(
            event_id=f"{prefix}{event_id}",
            waybill_number=parcel.waybill_number,
            kind=kind,
            occurred_at=timezone.now(),
            place="上海分拨中心",
            description=description,
        )
        for step in range(2)
        for parcel, steps in zip(parcels, SCRIPT, strict=True)
        for event_id, kind, description in [steps[step]]
    ]
    return [
        *events,
        CarrierEventIn(
            f"{prefix}E8", "NO-SUCH-WAYBILL", CarrierEventKind.IN_TRANSIT, timezone.now()
        ),
        CarrierEventIn(
            f"{prefix}E9", waiting.waybill_number, CarrierEventKind.IN_TRANSIT, timezone.now()
        ),
    ]


def end_state(parcels: list[Parcel], prefix: str) -> list[Any]:
    state = []
    for parcel in parcels:
        parcel.refresh_from_db()
        note = DeliveryNote.objects.get(parcel=parcel)
        order = note.order
        state.append(
            (
                parcel.state,
                parcel.last_event,
                parcel.delivered_at,
                [
                    (*move[:4], (move[4] or "").replace(f" {prefix}E", " E"))
                    for move in moves(parcel)
                ],
                note.state,
                note.delivered_at,
                [(*move[:4], (move[4] or "").replace(f" {prefix}E", " E")) for move in moves(note)],
                order.state,
                [move[:4] for move in moves(order)],
                parcel.events.count(),
            )
        )
    return state


def test_events_at_once_end_as_events_one_by_one_and_are_refused_one_by_one(
    stock: Any, parts_admin: Any, picker: Any, packer: Any, keeper: Any, make_user: Any
) -> None:
    make_user("aftersales_service", username="svc")
    orders = orders_in_batch(9, stock, parts_admin)
    release_and_sort(picker)
    parcels = pack(orders[:8], packer)
    hand_over(parcels, keeper)
    (waiting,) = pack(orders[8:], packer)
    for parcel in parcels:
        parcel.refresh_from_db()
    carrier = parcels[0].carrier
    single, batch = parcels[:4], parcels[4:]

    refused_singly = []
    for event in scripted(single, "A", waiting):
        try:
            services.carrier_event_record(
                carrier=carrier,
                event_id=event.event_id,
                waybill_number=event.waybill_number,
                kind=event.kind,
                occurred_at=event.occurred_at,
                place=event.place,
                description=event.description,
            )
        except (ShippingError, ConflictError) as exc:
            refused_singly.append((type(exc), exc.message, exc.extra))
    events = scripted(batch, "B", waiting)
    outcomes = carrier_events_record_many(carrier=carrier, events=events)

    assert end_state(batch, "B") == end_state(single, "A")
    for pair in zip(single, batch, strict=True):
        told = [
            Notification.objects.filter(title__contains=parcel.waybill_number).count()
            for parcel in pair
        ]
        assert told[0] == told[1]
    assert Notification.objects.filter(title__startswith="Delivery exception").count() == 4
    assert [outcome.event_id for outcome in outcomes] == [event.event_id for event in events]
    refused = [(type(o.error), o.error.message, o.error.extra) for o in outcomes if o.error]
    assert [(kind, extra) for kind, _message, extra in refused] == [
        (kind, extra) for kind, _message, extra in refused_singly
    ]
    assert [kind for kind, _message, _extra in refused] == [ShippingError, ConflictError]
    assert "has not been handed over" in refused[1][1]
    assert refused[0][2] == {"fields": {"waybill": ["Unknown waybill number."]}}
    # the same id twice in the batch: recorded once, the second answered as a repeat
    repeated = [o.result for o in outcomes if o.event_id == "BE7"]
    assert [r.created for r in repeated if r] == [True, False]
    assert repeated[0]
    assert repeated[1]
    assert repeated[0].event.pk == repeated[1].event.pk
    assert {p.state for p in batch} == {
        ParcelState.DELIVERED,
        ParcelState.IN_TRANSIT,
    }

    # pushed again: every event answers as recorded before and nothing moves
    logs = StateLog.objects.count()
    again = carrier_events_record_many(carrier=carrier, events=events)
    assert [o.result.created for o in again if o.result] == [False] * 8
    assert StateLog.objects.count() == logs
    assert CarrierEvent.objects.filter(event_id__startswith="B").count() == 7
