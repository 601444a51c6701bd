"""Hand-over, transit, delivery and exceptions are transitions: each one leaves a log row
with who did it and why, whether a courier signed, a carrier pushed an event or a manager
recorded it by hand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from ecomops.errors import ApplicationError, ConflictError, PermissionDeniedError
from ecomops.notifications.models import Notification
from orders.models import Order, OrderState
from orders.services import order_cancellation_request
from tests.timeutil import at
from tests.warehouse.factories import pack, pick_all
from warehouse import services
from warehouse.models import (
    Batch,
    BatchState,
    CarrierEventKind,
    DeliveryNote,
    Manifest,
    ManifestState,
    NoteState,
    Parcel,
    ParcelState,
)

# Monday 2026-11-23 after the 12:00 cut: the conftest's batch is released at 12:00.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.clock(at(2026, 11, 23, 13)),
    pytest.mark.usefixtures("english"),
]


def logs(obj: Any) -> list[StateLog]:
    return list(StateLog.objects.for_(obj).order_by("pk"))


def handed_over(released: dict[str, Any], picker: Any, packer: Any, keeper: Any) -> Parcel:
    """The first order's parcel signed for by the courier; the second is still in the wave."""
    pick_all(released["wave"], picker)
    services.wave_sort(wave_id=released["wave"].pk, by=picker)
    parcel = pack(released["first"], packer)
    manifest = services.manifest_open(carrier_id=parcel.carrier_id, by=keeper)
    services.manifest_sign(manifest_id=manifest.pk, courier_name="王师傅", counted=1, by=keeper)
    parcel.refresh_from_db()
    return parcel


def event(parcel: Parcel, event_id: str, kind: str, **data: Any) -> Any:
    return services.carrier_event_record(
        carrier=parcel.carrier,
        event_id=event_id,
        waybill_number=parcel.waybill_number,
        kind=kind,
        occurred_at=timezone.now(),
        place=data.get("place", "杭州转运中心"),
        description=data.get("description", ""),
    )


def test_signing_the_manifest_logs_the_hand_over_by_the_keeper(
    released: dict[str, Any], picker: Any, packer: Any, keeper: Any
) -> None:
    parcel = handed_over(released, picker, packer, keeper)
    manifest = Manifest.objects.get()
    assert manifest.state == ManifestState.SIGNED
    (signed,) = logs(manifest)
    assert (signed.transition, signed.source_state, signed.state, signed.by) == (
        "sign",
        "open",
        "signed",
        keeper,
    )
    assert parcel.state == ParcelState.HANDED_OVER
    (hand_over,) = logs(parcel)
    assert (hand_over.transition, hand_over.source_state, hand_over.by) == (
        "hand_over",
        "packed",
        keeper,
    )
    assert manifest.number in hand_over.description
    assert "王师傅" in hand_over.description
    note = DeliveryNote.objects.get(order=released["first"])
    assert [(log.transition, log.by) for log in logs(note)][-1] == ("ship", keeper)


def test_carrier_events_move_the_parcel_through_logged_transitions(
    released: dict[str, Any], picker: Any, packer: Any, keeper: Any, make_user: Any
) -> None:
    service = make_user("aftersales_service", username="svc")
    parcel = handed_over(released, picker, packer, keeper)
    event(parcel, "E1", CarrierEventKind.IN_TRANSIT)
    event(parcel, "E2", CarrierEventKind.IN_TRANSIT, place="上海分拨中心")  # already on its way
    event(parcel, "E3", CarrierEventKind.EXCEPTION, description="地址不详")
    event(parcel, "E4", CarrierEventKind.DELIVERED, description="本人签收")
    event(parcel, "E4", CarrierEventKind.DELIVERED, description="本人签收")  # pushed twice
    parcel.refresh_from_db()
    assert parcel.state == ParcelState.DELIVERED
    moves = [(log.transition, log.source_state, log.state, log.by) for log in logs(parcel)]
    assert moves == [
        ("hand_over", "packed", "handed_over", keeper),
        ("transit", "handed_over", "in_transit", None),
        ("report_exception", "in_transit", "exception", None),
        ("deliver", "exception", "delivered", None),
    ]
    descriptions = [log.description for log in logs(parcel)[1:]]
    assert all(parcel.carrier.name in text for text in descriptions)
    assert ["E1" in descriptions[0], "E3" in descriptions[1], "E4" in descriptions[2]] == [
        True,
        True,
        True,
    ]
    assert "地址不详" in descriptions[1]
    assert Notification.objects.filter(recipient=service, level="danger").count() == 1
    note = DeliveryNote.objects.get(order=released["first"])
    assert note.state == NoteState.DELIVERED
    assert logs(note)[-1].transition == "deliver"
    assert Order.objects.get(pk=released["first"].pk).state == OrderState.DELIVERED


def test_an_exception_after_delivery_is_told_but_moves_nothing(
    released: dict[str, Any], picker: Any, packer: Any, keeper: Any, make_user: Any
) -> None:
    service = make_user("aftersales_service", username="svc")
    parcel = handed_over(released, picker, packer, keeper)
    event(parcel, "E1", CarrierEventKind.DELIVERED)
    event(parcel, "E2", CarrierEventKind.EXCEPTION, description="客户拒收")
    parcel.refresh_from_db()
    assert parcel.state == ParcelState.DELIVERED
    assert "客户拒收" in parcel.last_event
    assert [log.transition for log in logs(parcel)] == ["hand_over", "deliver"]
    assert Notification.objects.filter(recipient=service, level="danger").exists()


def test_a_manager_records_an_exception_and_the_delivery_by_hand(
    released: dict[str, Any], picker: Any, packer: Any, keeper: Any, manager: Any
) -> None:
    parcel = handed_over(released, picker, packer, keeper)
    services.parcel_report_exception(parcel_id=parcel.pk, reason="快递员电话：破损", by=manager)
    services.parcel_mark_in_transit(parcel_id=parcel.pk, reason="已重新包装发出", by=manager)
    services.parcel_mark_delivered(parcel_id=parcel.pk, reason="客户来电确认收到", by=manager)
    # done already: nothing twice
    services.parcel_mark_delivered(parcel_id=parcel.pk, reason="客户来电确认收到", by=manager)
    moves = [(log.transition, log.by, log.description) for log in logs(parcel)][1:]
    assert moves == [
        ("report_exception", manager, "快递员电话：破损"),
        ("transit", manager, "已重新包装发出"),
        ("deliver", manager, "客户来电确认收到"),
    ]
    parcel.refresh_from_db()
    assert parcel.delivered_at is not None
    assert Order.objects.get(pk=released["first"].pk).state == OrderState.DELIVERED


def test_tracking_by_hand_is_refused_with_a_reason(
    released: dict[str, Any], picker: Any, packer: Any, keeper: Any, manager: Any
) -> None:
    parcel = handed_over(released, picker, packer, keeper)
    with pytest.raises(PermissionDeniedError):
        services.parcel_mark_delivered(parcel_id=parcel.pk, reason="说是收到了", by=picker)
    with pytest.raises(ApplicationError) as empty:
        services.parcel_mark_delivered(parcel_id=parcel.pk, reason=" ", by=manager)
    assert "reason" in empty.value.extra["fields"]
    event(parcel, "E1", CarrierEventKind.DELIVERED)
    with pytest.raises(ConflictError):
        services.parcel_report_exception(parcel_id=parcel.pk, reason="?", by=manager)
    second = DeliveryNote.objects.get(order=released["second"])
    with pytest.raises(ConflictError, match="only a shipped note"):
        services.note_mark_delivered(note_id=second.pk, reason="?", by=manager)
    assert [log.transition for log in logs(parcel)] == ["hand_over", "deliver"]


def test_the_batch_is_handed_over_by_the_last_hand_over(
    released: dict[str, Any], picker: Any, packer: Any, keeper: Any, manager: Any, clock: Any
) -> None:
    batch = released["batch"]
    first = handed_over(released, picker, packer, keeper)
    with pytest.raises(ApplicationError, match=r"in the warehouse \(1\)"):
        services.batch_hand_over(batch_id=batch.pk, by=manager)
    assert Batch.objects.get(pk=batch.pk).state == BatchState.RELEASED
    second = pack(released["second"], packer)
    clock.shift(timedelta(minutes=30))
    manifest = services.manifest_open(carrier_id=second.carrier_id, by=keeper)
    services.manifest_sign(manifest_id=manifest.pk, courier_name="李师傅", counted=1, by=keeper)
    batch.refresh_from_db()
    assert batch.state == BatchState.DONE
    assert [(log.transition, log.by) for log in logs(batch)] == [
        ("release", None),
        ("hand_over", keeper),
    ]
    assert services.batch_hand_over(batch_id=batch.pk, by=manager).state == BatchState.DONE
    assert first.pk != second.pk


def test_a_packed_parcel_of_a_cancelled_order_is_cancelled_with_a_log(
    released: dict[str, Any],
    picker: Any,
    packer: Any,
    make_user: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    rep = make_user("sales_rep", username="rep")
    pick_all(released["wave"], picker)
    services.wave_sort(wave_id=released["wave"].pk, by=picker)
    parcel = pack(released["second"], packer)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancellation_request(order_id=released["second"].pk, by=rep, reason="buyer asked")
    parcel.refresh_from_db()
    assert parcel.state == ParcelState.CANCELLED
    (cancelled,) = logs(parcel)
    assert (cancelled.transition, cancelled.description) == ("cancel", "Cancellation requested")


def test_the_pages_of_a_parcel_its_manifest_and_batch_show_their_transitions(
    released: dict[str, Any], picker: Any, packer: Any, keeper: Any, manager: Any, client: Any
) -> None:
    parcel = handed_over(released, picker, packer, keeper)
    services.parcel_report_exception(parcel_id=parcel.pk, reason="快递员电话：外箱破损", by=manager)
    client.force_login(keeper)
    page = client.get(reverse("warehouse:parcel_detail", args=[parcel.pk])).content.decode()
    assert 'data-testid="timeline"' in page
    assert "快递员电话：外箱破损" in page  # recorded by hand: no carrier event says it
    assert Manifest.objects.get().number in page  # the hand-over's reason
    for url in (
        reverse("warehouse:manifest_detail", args=[Manifest.objects.get().pk]),
        reverse("warehouse:batch_detail", args=[released["batch"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert 'data-testid="timeline"' in response.content.decode()
        assert "Nothing recorded yet." not in response.content.decode()
