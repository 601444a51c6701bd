"""The stock ledger and allocation: reservations, stock holds, splits, cancellation."""

from __future__ import annotations

from typing import Any

import pytest

from ecomops.errors import ApplicationError
from ecomops.notifications.models import Notification
from ecomops.sla.models import SlaClock
from ecomops.sla.services import sla_clock_start
from orders.models import OrderState
from orders.selectors import DELIVERY_NOTE_CLOCK
from orders.services import order_cancel
from tests.warehouse.factories import location, make_order, put_stock
from warehouse import services
from warehouse.models import (
    DeliveryNote,
    MoveKind,
    NoteState,
    StockBalance,
    StockHold,
    StockMove,
)
from warehouse.selectors import allocation_queue, ledger_matches_balances

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def balance(sku: Any, at: str = "A-01") -> StockBalance:
    return StockBalance.objects.get(sku=sku, location=location(at))


def test_receipt_and_adjustment_are_ledger_moves(warehouse: Any, sku: Any, keeper: Any) -> None:
    services.stock_receive(sku=sku, location=location(), quantity=10, by=keeper, reference="PO-1")
    services.stock_adjust(sku=sku, location=location(), change=-2, reason="damaged", by=keeper)
    b = balance(sku)
    assert (b.on_hand, b.reserved, b.available) == (8, 0, 8)
    assert list(StockMove.objects.values_list("kind", flat=True).order_by("pk")) == [
        MoveKind.RECEIPT,
        MoveKind.ADJUSTMENT,
    ]
    assert ledger_matches_balances() == []


def test_adjustment_needs_a_reason_and_never_goes_negative(
    warehouse: Any, sku: Any, keeper: Any
) -> None:
    put_stock(sku, 3)
    with pytest.raises(ApplicationError) as missing:
        services.stock_adjust(sku=sku, location=location(), change=-1, reason=" ", by=keeper)
    assert "reason" in missing.value.extra["fields"]
    with pytest.raises(services.InsufficientStockError):
        services.stock_adjust(sku=sku, location=location(), change=-4, reason="count", by=keeper)
    assert balance(sku).on_hand == 3
    assert StockMove.objects.count() == 1


def test_reserving_more_than_on_hand_is_refused_by_the_database(warehouse: Any, sku: Any) -> None:
    put_stock(sku, 2)
    with pytest.raises(services.InsufficientStockError):
        services.stock_move(kind=MoveKind.RESERVATION, sku=sku, location=location(), reserved=3)
    assert balance(sku).reserved == 0


def test_allocation_reserves_in_walking_order_and_issues_the_note(
    warehouse: Any, sku: Any, parts_admin: Any, make_user: Any
) -> None:
    finance = make_user("finance_clerk", username="fin")
    keeper = make_user("warehouse_admin", username="wa")
    put_stock(sku, 2, at="A-02")
    put_stock(sku, 1, at="A-01")
    order = make_order([(sku, 3)])
    sla_clock_start(code=DELIVERY_NOTE_CLOCK, obj=order)
    result = services.allocation_issue(order_ids=[order.pk], by=parts_admin)
    assert len(result.issued) == 1
    note = result.issued[0]
    assert note.number.startswith("DN")
    lines = sorted((str(line.location), line.quantity) for line in note.lines.all())
    assert lines == [("A-01", 1), ("A-02", 2)]
    assert balance(sku, "A-01").reserved == 1
    assert balance(sku, "A-02").reserved == 2
    order.refresh_from_db()
    assert order.state == OrderState.ALLOCATED
    clock = SlaClock.objects.get(policy__code=DELIVERY_NOTE_CLOCK, object_id=order.pk)
    assert clock.stopped_at is not None
    for user in (finance, keeper):
        assert Notification.objects.filter(recipient=user, body__contains=note.number).exists()
    # issuing again changes nothing
    assert services.allocate_order(order_id=order.pk, by=parts_admin) == note
    assert DeliveryNote.objects.count() == 1


def test_short_of_stock_puts_the_order_on_a_stock_hold(
    warehouse: Any, sku: Any, sku2: Any, parts_admin: Any
) -> None:
    put_stock(sku, 5)
    put_stock(sku2, 1)
    order = make_order([(sku, 2), (sku2, 3)])
    result = services.allocation_issue(order_ids=[order.pk], by=parts_admin)
    assert not result.issued
    [row] = result.held[order.number]
    assert row == {"sku": "SKU-2", "name": sku2.name, "needed": 3, "available": 1, "missing": 2}
    order.refresh_from_db()
    assert order.state == OrderState.CONFIRMED
    assert balance(sku).reserved == 0  # nothing half-reserved
    assert StockHold.objects.get(order=order).resolved_at is None
    assert Notification.objects.filter(recipient=parts_admin, title__contains=order.number).exists()
    queued: Any = list(allocation_queue())
    assert queued[0].on_stock_hold
    assert queued[0].open_holds[0].shortfall == [row]


def test_split_ships_what_is_there_and_the_rest_waits(
    warehouse: Any, sku: Any, sku2: Any, parts_admin: Any
) -> None:
    put_stock(sku, 5)
    put_stock(sku2, 1)
    order = make_order([(sku, 2), (sku2, 3)])
    services.allocation_issue(order_ids=[order.pk], by=parts_admin)
    first, rest = services.allocation_split(order_id=order.pk, by=parts_admin)
    assert (first.part, first.state, rest.part, rest.state) == (1, "allocated", 2, "waiting")
    assert sorted((ln.sku.code, ln.quantity) for ln in first.lines.all()) == [
        ("SKU-1", 2),
        ("SKU-2", 1),
    ]
    assert [(ln.sku.code, ln.quantity, ln.location_id) for ln in rest.lines.all()] == [
        ("SKU-2", 2, None)
    ]
    assert StockHold.objects.get(order=order).resolved_at is not None
    order.refresh_from_db()
    assert order.state == OrderState.ALLOCATED
    with pytest.raises(ApplicationError, match="Still short"):
        services.note_allocate_waiting(note_id=rest.pk, by=parts_admin)
    put_stock(sku2, 2, at="A-03")
    rest = services.note_allocate_waiting(note_id=rest.pk, by=parts_admin)
    assert rest.state == NoteState.ALLOCATED
    assert balance(sku2, "A-03").reserved == 2


def test_cancelling_an_allocated_order_frees_its_reservation(
    warehouse: Any,
    sku: Any,
    parts_admin: Any,
    make_user: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    rep = make_user("sales_rep", username="rep")
    put_stock(sku, 4)
    order = make_order([(sku, 3)])
    note = services.allocate_order(order_id=order.pk, by=parts_admin)
    assert note is not None
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, by=rep, reason="customer changed mind")
    note.refresh_from_db()
    assert note.state == NoteState.CANCELLED
    assert balance(sku).reserved == 0
    assert ledger_matches_balances() == []


def test_only_confirmed_orders_get_a_note(warehouse: Any, sku: Any, parts_admin: Any) -> None:
    put_stock(sku, 4)
    order = make_order([(sku, 1)], state=OrderState.IDENTIFIED)
    result = services.allocation_issue(order_ids=[order.pk], by=parts_admin)
    assert "only confirmed orders" in result.refused[order.number]
