"""Return requests through the services: every path, the rules, and what reaches finance
and the warehouse."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ecomops.errors import ApplicationError, ConflictError, PermissionDeniedError
from ecomops.notifications.models import Notification
from ecomops.sla.models import SlaClock
from finance.models import RedLetterRequest, Refund, RefundState
from finance.services import red_letter_request_issue, refund_approve, refund_pay
from orders.models import Order, OrderState
from returns.models import ReturnLine, ReturnRequest, ReturnState
from returns.services import requests as services
from tests.finance.factories import invoice_for
from tests.returns.factories import (
    approved,
    awaiting_goods,
    delivered_order,
    open_return,
    received,
    restock_all,
)
from tests.warehouse.factories import location
from warehouse.models import (
    DeliveryNote,
    DeliveryNoteLine,
    MoveKind,
    NoteState,
    StockBalance,
    StockMove,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _refund(request: ReturnRequest) -> Refund:
    return Refund.objects.get(source_reference=request.number)


# --- Every path ---------------------------------------------------------------------------


def test_return_for_refund_from_request_to_closed(
    service: Any,
    shop_manager: Any,
    keeper: Any,
    clerk: Any,
    manager: Any,
    sku: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    order = delivered_order([(sku, 2, "113.00")])
    request = open_return(order, service)
    assert request.state == ReturnState.NEW
    assert request.number.startswith("RT")
    approved(request, service)
    services.return_confirm(request_id=request.pk, by=shop_manager)
    services.return_record_waybill(
        request_id=request.pk, waybill="sf1234567890", carrier="SF", by=service
    )
    services.return_receive(request_id=request.pk, by=keeper)
    restock_all(request, keeper, location("A-02").pk)
    request.refresh_from_db()
    assert request.state == ReturnState.REFUNDING
    assert request.return_waybill == "SF1234567890"
    refund = _refund(request)
    assert refund.amount == Decimal("226.00")
    assert refund.source == "return"
    assert [(line.sku_id, line.quantity, line.amount) for line in refund.lines.all()] == [
        (sku.pk, 2, Decimal("226.00"))
    ]
    assert request.refund_reference == refund.number
    refund_approve(refund_id=refund.pk, by=manager)
    with django_capture_on_commit_callbacks(execute=True):
        refund_pay(refund_id=refund.pk, reference="ALIRF1", by=clerk)
    request.refresh_from_db()
    assert request.state == ReturnState.CLOSED
    assert refund.number in request.close_note


def test_refund_without_return_skips_the_goods_and_needs_the_shop_manager(
    service: Any, shop_manager: Any, sku: Any
) -> None:
    order = delivered_order([(sku, 3, "50.00")])
    request = open_return(
        order, service, kind="refund_only", reason="missing_parts", quantities={1: 1}
    )
    approved(request, service)
    assert not Refund.objects.filter(source_reference=request.number).exists()
    services.return_confirm(request_id=request.pk, by=shop_manager)
    request.refresh_from_db()
    assert request.state == ReturnState.REFUNDING
    assert _refund(request).amount == Decimal("50.00")
    assert not StockMove.objects.filter(reference=request.number).exists()


def test_exchange_creates_a_replacement_order_that_enters_a_batch(
    service: Any,
    shop_manager: Any,
    keeper: Any,
    make_user: Any,
    sku: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from orders.services import order_confirm
    from tests.warehouse.factories import put_stock
    from warehouse.services import allocation_issue, batch_release

    order = delivered_order([(sku, 1, "99.00")])
    request = open_return(order, service, kind="exchange", reason="defective")
    received(request, service, shop_manager, keeper)
    restock_all(request, keeper, location("A-01").pk)
    request.refresh_from_db()
    assert request.state == ReturnState.REPLACING
    replacement = request.replacement_order
    assert replacement is not None
    assert replacement.channel.code == "aftersales"
    assert replacement.external_id == request.number
    assert replacement.total_amount == Decimal("0.00")
    assert [(line.sku_id, line.quantity) for line in replacement.lines.all()] == [(sku.pk, 1)]
    assert replacement.customer_id == order.customer_id  # identified automatically
    assert not Refund.objects.filter(order=order).exists()
    # The normal flow: the sales rep confirms, the warehouse issues the note, the batch takes it.
    put_stock(sku, 5)
    rep = make_user("sales_rep", username="rep")
    order_confirm(order_id=replacement.pk, by=rep)
    parts_admin = make_user("bu_parts_admin", username="parts")
    assert allocation_issue(order_ids=[replacement.pk], by=parts_admin).refused == {}
    note = DeliveryNote.objects.get(order=replacement)
    assert note.state == NoteState.ALLOCATED
    replacement.refresh_from_db()
    batch = batch_release(batch_date=replacement.batch_date, slot=replacement.batch_slot)
    note.refresh_from_db()
    assert note.batch_id == batch.pk
    assert note.state == NoteState.RELEASED


def test_exchange_closes_when_the_replacement_ships(
    service: Any, shop_manager: Any, keeper: Any, sku: Any
) -> None:
    from warehouse.models import Parcel
    from warehouse.signals import parcels_shipped

    order = delivered_order([(sku, 1, "99.00")])
    request = open_return(order, service, kind="exchange")
    received(request, service, shop_manager, keeper)
    restock_all(request, keeper, location("A-01").pk)
    request.refresh_from_db()
    parcels_shipped.send(sender=Parcel, parcels=[], orders=[request.replacement_order])
    request.refresh_from_db()
    assert request.state == ReturnState.CLOSED


def test_rejected_needs_a_reason_and_stops_the_review_clock(service: Any, sku: Any) -> None:
    order = delivered_order([(sku, 1, "99.00")])
    request = open_return(order, service)
    clock = SlaClock.objects.get(policy__code="return_review", object_id=request.pk)
    assert clock.stopped_at is None
    with pytest.raises(ApplicationError) as refused:
        services.return_reject(request_id=request.pk, why=" ", by=service)
    assert "reason" in refused.value.extra["fields"]
    services.return_reject(request_id=request.pk, why="Used and worn", by=service)
    request.refresh_from_db()
    clock.refresh_from_db()
    assert request.state == ReturnState.REJECTED
    assert request.rejection_reason == "Used and worn"
    assert clock.stopped_at is not None
    with pytest.raises(ConflictError):
        services.return_approve(request_id=request.pk, by=service)


def test_expired_after_m_days_without_goods_and_reminded_once_before(
    service: Any, shop_manager: Any, sku: Any, settings: Any
) -> None:
    settings.RETURNS_GOODS_REMINDER_DAYS = 3
    settings.RETURNS_GOODS_EXPIRE_DAYS = 10
    order = delivered_order([(sku, 1, "99.00")])
    request = open_return(order, service)
    start = timezone.now()
    awaiting_goods(request, service, shop_manager)
    reminders = Notification.objects.filter(
        recipient=service, title__contains="remind the customer"
    )
    with time_machine.travel(start + timedelta(days=2), tick=False):
        assert services.returns_chase() == (0, 0)
    with time_machine.travel(start + timedelta(days=3, hours=1), tick=False):
        assert services.returns_chase() == (1, 0)
        assert services.returns_chase() == (0, 0)
    assert reminders.count() == 1
    with time_machine.travel(start + timedelta(days=9), tick=False):
        assert services.returns_chase() == (0, 0)
    with time_machine.travel(start + timedelta(days=10, hours=1), tick=False):
        assert services.returns_chase() == (0, 1)
        assert services.returns_chase() == (0, 0)
    request.refresh_from_db()
    assert request.state == ReturnState.EXPIRED
    assert reminders.count() == 1


def test_a_parcel_on_its_way_is_neither_chased_nor_expired(
    service: Any, shop_manager: Any, sku: Any
) -> None:
    order = delivered_order([(sku, 1, "99.00")])
    request = open_return(order, service)
    awaiting_goods(request, service, shop_manager)
    services.return_record_waybill(request_id=request.pk, waybill="YT1", by=service)
    with time_machine.travel(timezone.now() + timedelta(days=30), tick=False):
        assert services.returns_chase() == (0, 0)
    request.refresh_from_db()
    assert request.state == ReturnState.AWAITING_GOODS


def test_withdrawn_before_the_goods_come_back(service: Any, shop_manager: Any, sku: Any) -> None:
    order = delivered_order([(sku, 1, "99.00")])
    request = open_return(order, service)
    awaiting_goods(request, service, shop_manager)
    services.return_withdraw(request_id=request.pk, note="Customer keeps it", by=service)
    request.refresh_from_db()
    assert request.state == ReturnState.CANCELLED
    # Its units may be asked for again.
    assert open_return(order, service).state == ReturnState.NEW


# --- Quantity and window rules -----------------------------------------------------------------


def test_never_more_than_shipped_minus_returned(service: Any, sku: Any, sku2: Any) -> None:
    order = delivered_order([(sku, 3, "10.00"), (sku2, 1, "20.00")])
    open_return(order, service, quantities={1: 2})
    with pytest.raises(ApplicationError) as refused:
        open_return(order, service, quantities={1: 2})
    line = order.lines.get(position=1)
    assert f"line_{line.pk}" in refused.value.extra["fields"]
    assert "at most 1 can come back" in refused.value.message
    assert open_return(order, service, quantities={1: 1, 2: 1}).lines.count() == 2
    assert ReturnLine.objects.filter(request__order=order).count() == 3


def test_only_shipped_units_count(service: Any, sku: Any) -> None:
    from tests.warehouse.factories import make_warehouse

    order = delivered_order([(sku, 4, "10.00")])
    warehouse = make_warehouse()
    line = order.lines.get()
    note = DeliveryNote.objects.create(
        number="DN-T1",
        order=order,
        warehouse=warehouse,
        carrier=warehouse.default_carrier,
        state=NoteState.SHIPPED,
    )
    DeliveryNoteLine.objects.create(
        note=note,
        order_line=line,
        sku=sku,
        location=location("A-01"),
        quantity=4,
        short_quantity=1,
        packed_quantity=3,
    )
    with pytest.raises(ApplicationError):
        open_return(order, service, quantities={1: 4})
    assert open_return(order, service, quantities={1: 3}).lines.get().quantity == 3


def test_refused_units_can_be_asked_for_again_but_accepted_ones_not(
    service: Any, shop_manager: Any, keeper: Any, sku: Any
) -> None:
    order = delivered_order([(sku, 2, "10.00")])
    request = open_return(order, service)
    received(request, service, shop_manager, keeper)
    line = request.lines.get()
    services.return_inspect(
        request_id=request.pk,
        results=[
            services.LineInspection(
                line_id=line.pk,
                restock_quantity=1,
                location_id=location("A-01").pk,
                note="one never came",
            )
        ],
        by=keeper,
    )
    with pytest.raises(ApplicationError):
        open_return(order, service, quantities={1: 2})


def test_return_window_closes_after_seven_days_unless_a_manager_overrides(
    service: Any, manager: Any, sku: Any
) -> None:
    order = delivered_order([(sku, 1, "99.00")], days_ago=8)
    with pytest.raises(ApplicationError) as refused:
        open_return(order, service)
    assert "window_override_reason" in refused.value.extra["fields"]
    with pytest.raises(PermissionDeniedError):
        open_return(order, service, window_override_reason="Loyal customer")
    request = open_return(order, manager, window_override_reason="Loyal customer")
    assert request.window_override_reason == "Loyal customer"


def test_window_is_a_setting_and_counts_whole_days(service: Any, sku: Any, settings: Any) -> None:
    settings.RETURNS_WINDOW_DAYS = 10
    order = delivered_order([(sku, 1, "99.00")], days_ago=9)
    assert open_return(order, service).state == ReturnState.NEW


# --- Four eyes, permissions ----------------------------------------------------------------


def test_the_approver_never_confirms(
    service: Any, manager: Any, shop_manager: Any, sku: Any
) -> None:
    order = delivered_order([(sku, 1, "99.00")])
    request = open_return(order, service)
    services.return_approve(request_id=request.pk, by=manager)
    with pytest.raises(PermissionDeniedError, match="another person confirms"):
        services.return_confirm(request_id=request.pk, by=manager)
    services.return_confirm(request_id=request.pk, by=shop_manager)
    request.refresh_from_db()
    assert (request.approved_by, request.confirmed_by) == (manager, shop_manager)


@pytest.mark.parametrize(
    ("role", "step", "allowed"),
    [
        ("aftersales_service", "open", True),
        ("shop_manager", "open", False),
        ("warehouse_admin", "open", False),
        ("aftersales_service", "approve", True),
        ("shop_manager", "approve", False),
        ("picker", "approve", False),
        ("shop_manager", "confirm", True),
        ("aftersales_service", "confirm", False),
        ("warehouse_admin", "confirm", False),
        ("warehouse_admin", "receive", True),
        ("aftersales_service", "receive", False),
        ("shop_manager", "receive", False),
    ],
)
def test_permissions_per_role(
    role: str, step: str, allowed: bool, make_user: Any, service: Any, shop_manager: Any, sku: Any
) -> None:
    user = make_user(role, username=f"u-{role}")
    order = delivered_order([(sku, 1, "99.00")])
    request = None if step == "open" else open_return(order, service)
    if step in ("confirm", "receive"):
        approved(request, service)  # type: ignore[arg-type]
    if step == "receive":
        services.return_confirm(request_id=request.pk, by=shop_manager)  # type: ignore[union-attr]
    actions = {
        "open": lambda: open_return(order, user),
        "approve": lambda: services.return_approve(request_id=request.pk, by=user),  # type: ignore[union-attr]
        "confirm": lambda: services.return_confirm(request_id=request.pk, by=user),  # type: ignore[union-attr]
        "receive": lambda: services.return_receive(request_id=request.pk, by=user),  # type: ignore[union-attr]
    }
    if allowed:
        actions[step]()
    else:
        with pytest.raises(PermissionDeniedError):
            actions[step]()


# --- The warehouse's inspection and the ledger ---------------------------------------------------


def test_restock_and_write_off_are_moves_in_the_ledger(
    service: Any, shop_manager: Any, keeper: Any, sku: Any
) -> None:
    order = delivered_order([(sku, 3, "10.00")])
    request = open_return(order, service)
    received(request, service, shop_manager, keeper)
    line = request.lines.get()
    services.return_inspect(
        request_id=request.pk,
        results=[
            services.LineInspection(
                line_id=line.pk,
                restock_quantity=2,
                location_id=location("A-03").pk,
                write_off_quantity=1,
                write_off_reason="Cracked case",
            )
        ],
        by=keeper,
    )
    moves = StockMove.objects.filter(reference=request.number).order_by("pk")
    assert [(m.kind, m.on_hand_change, m.location.code) for m in moves] == [
        (MoveKind.RETURN, 2, "A-03"),
        (MoveKind.RETURN, 1, "A-03"),
        (MoveKind.WRITE_OFF, -1, "A-03"),
    ]
    assert moves.last().reason == "Cracked case"  # type: ignore[union-attr]
    assert StockBalance.objects.get(sku=sku, location=location("A-03")).on_hand == 2
    line.refresh_from_db()
    assert (line.restocked_quantity, line.written_off_quantity) == (2, 1)
    assert _refund(request).amount == Decimal("30.00")


def test_inspection_refuses_bad_input_and_keeps_nothing(
    service: Any, shop_manager: Any, keeper: Any, sku: Any
) -> None:
    order = delivered_order([(sku, 2, "10.00")])
    request = open_return(order, service)
    received(request, service, shop_manager, keeper)
    line = request.lines.get()
    with pytest.raises(ApplicationError) as refused:
        services.return_inspect(
            request_id=request.pk,
            results=[
                services.LineInspection(line_id=line.pk, restock_quantity=1, write_off_quantity=1)
            ],
            by=keeper,
        )
    fields = refused.value.extra["fields"]
    assert f"line_{line.pk}_location" in fields
    assert f"line_{line.pk}_write_off_reason" in fields
    with pytest.raises(ApplicationError):
        services.return_inspect(
            request_id=request.pk,
            results=[
                services.LineInspection(
                    line_id=line.pk, restock_quantity=3, location_id=location("A-01").pk
                )
            ],
            by=keeper,
        )
    assert not StockMove.objects.filter(reference=request.number).exists()
    request.refresh_from_db()
    assert request.state == ReturnState.RECEIVED


def test_nothing_accepted_closes_without_refund(
    service: Any, shop_manager: Any, keeper: Any, sku: Any
) -> None:
    order = delivered_order([(sku, 1, "10.00")])
    request = open_return(order, service)
    received(request, service, shop_manager, keeper)
    line = request.lines.get()
    services.return_inspect(
        request_id=request.pk,
        results=[services.LineInspection(line_id=line.pk, note="Not our product")],
        by=keeper,
    )
    request.refresh_from_db()
    assert request.state == ReturnState.CLOSED
    assert request.close_note == "Not our product"
    assert not Refund.objects.filter(order=order).exists()


# --- Finance: refund and red-letter amounts ------------------------------------------------------


def test_red_letter_request_for_the_accepted_units_of_an_invoiced_order(
    service: Any, shop_manager: Any, keeper: Any, clerk: Any, sku: Any, sku2: Any
) -> None:
    order = delivered_order([(sku, 3, "113.00"), (sku2, 1, "50.00")])
    original = invoice_for(order, clerk, delivery="email")
    request = open_return(order, service, quantities={1: 2})
    received(request, service, shop_manager, keeper)
    restock_all(request, keeper, location("A-01").pk)
    red_request = RedLetterRequest.objects.get(source_reference=request.number)
    assert red_request.invoice == original
    assert red_request.quantities == {"1": 2}
    assert red_request.amount == Decimal("-226.00")
    assert _refund(request).amount == Decimal("226.00")
    red_letter_request_issue(request_id=red_request.pk, by=clerk)
    red_request.refresh_from_db()
    red = red_request.red_invoice
    assert red is not None
    assert red.original == original
    assert red.total_amount == Decimal("-226.00")
    assert [(line.position, line.quantity) for line in red.lines.all()] == [(1, -2)]


def test_no_invoice_no_red_letter_request(
    service: Any, shop_manager: Any, keeper: Any, sku: Any
) -> None:
    order = delivered_order([(sku, 1, "10.00")])
    request = open_return(order, service)
    received(request, service, shop_manager, keeper)
    restock_all(request, keeper, location("A-01").pk)
    assert not RedLetterRequest.objects.exists()


def test_unpaid_on_account_order_refunds_what_was_paid(
    service: Any, shop_manager: Any, keeper: Any, sku: Any
) -> None:
    order = delivered_order([(sku, 1, "10.00")], paid=False)
    request = open_return(order, service)
    received(request, service, shop_manager, keeper)
    restock_all(request, keeper, location("A-01").pk)
    request.refresh_from_db()
    assert request.state == ReturnState.CLOSED
    assert not Refund.objects.filter(order=order).exists()
    assert "0.00" in request.close_note


def test_refund_rejected_by_finance_tells_service(
    service: Any, shop_manager: Any, manager: Any, sku: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from finance.services import refund_reject

    order = delivered_order([(sku, 1, "10.00")])
    request = open_return(order, service, kind="refund_only")
    approved(request, service)
    services.return_confirm(request_id=request.pk, by=shop_manager)
    with django_capture_on_commit_callbacks(execute=True):
        refund_reject(
            refund_id=_refund(request).pk, why="Already compensated by coupon", by=manager
        )
    assert Notification.objects.filter(
        recipient=service, body="Already compensated by coupon"
    ).exists()
    request.refresh_from_db()
    assert request.state == ReturnState.REFUNDING
    services.return_close(request_id=request.pk, note="Coupon instead", by=service)
    request.refresh_from_db()
    assert request.state == ReturnState.CLOSED
    assert Refund.objects.get(source_reference=request.number).state == RefundState.REJECTED


def test_order_is_untouched_by_a_return(service: Any, sku: Any) -> None:
    order = delivered_order([(sku, 1, "10.00")])
    open_return(order, service)
    assert Order.objects.get(pk=order.pk).state == OrderState.DELIVERED
