"""Which SLA clocks run at which step of an order (DESIGN §4).

- customer identification (15 min): from acceptance until the customer is matched/created;
- sales order creation (30 min): from identification until the order is confirmed;
- delivery note (1 h): from confirmation until the warehouse issues the delivery note
  (the warehouse stops it);
- order exception (2 h, 异常订单): from parking until release or cancellation;
- shipment confirmation (发货回传, the channel's deadline in hours after payment): from
  payment until the channel is told the order shipped (the warehouse stops it).

Clocks keep running while an order is on hold: a hold explains lateness, it doesn't
excuse it. A cancelled order's running clocks are stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType

from ecomops.sla.models import SlaClock
from ecomops.sla.services import (
    ClockStart,
    sla_clock_start,
    sla_clock_stop,
    sla_clocks_start_new,
    sla_clocks_stop_many,
)

from ..models import Channel, Order
from ..selectors import (
    DELIVERY_NOTE_CLOCK,
    EXCEPTION_CLOCK,
    IDENTIFICATION_CLOCK,
    SALES_ORDER_CLOCK,
    SHIPMENT_CONFIRMATION_CLOCK,
)

__all__ = [
    "EXCEPTION_CLOCK",
    "SHIPMENT_CONFIRMATION_CLOCK",
    "clocks_on_cancelled",
    "clocks_on_confirmed",
    "clocks_on_confirmed_many",
    "clocks_on_identified",
    "clocks_on_identified_many",
    "clocks_on_received",
    "confirmation_clock_starts",
    "confirmation_due_at",
]


def clocks_on_received(order: Order, *, at: datetime | None = None) -> None:
    """``at``: when a parked order was released, its acceptance into the normal flow."""
    sla_clock_start(code=IDENTIFICATION_CLOCK, obj=order, started_at=at or order.received_at)


def clocks_on_identified(order: Order, *, at: datetime) -> None:
    sla_clock_stop(code=IDENTIFICATION_CLOCK, obj=order, stopped_at=at)
    sla_clock_start(code=SALES_ORDER_CLOCK, obj=order, started_at=at)


def clocks_on_confirmed(order: Order, *, at: datetime) -> None:
    sla_clock_stop(code=SALES_ORDER_CLOCK, obj=order, stopped_at=at)
    sla_clock_start(code=DELIVERY_NOTE_CLOCK, obj=order, started_at=at)


def clocks_on_identified_many(order_ids: Sequence[int], *, at: datetime) -> None:
    """``clocks_on_identified`` for many orders, in a fixed number of statements."""
    _step_many(IDENTIFICATION_CLOCK, SALES_ORDER_CLOCK, order_ids, at)


def clocks_on_confirmed_many(order_ids: Sequence[int], *, at: datetime) -> None:
    """``clocks_on_confirmed`` for many orders, in a fixed number of statements."""
    _step_many(SALES_ORDER_CLOCK, DELIVERY_NOTE_CLOCK, order_ids, at)


def _step_many(stop: str, start: str, order_ids: Sequence[int], at: datetime) -> None:
    if not order_ids:
        return
    sla_clocks_stop_many(code=stop, model=Order, object_ids=order_ids, stopped_at=at)
    # As ``sla_clock_start`` does for one order, an order whose clock already runs keeps it
    # (the partial unique constraint would refuse a second one and undo the whole call).
    running = set(
        SlaClock.objects.filter(
            policy__code=start,
            content_type=ContentType.objects.get_for_model(Order),
            object_id__in=order_ids,
            stopped_at__isnull=True,
        ).values_list("object_id", flat=True)
    )
    sla_clocks_start_new(
        code=start,
        model=Order,
        starts=[(pk, at) for pk in order_ids if pk not in running],
    )


def clocks_on_cancelled(order: Order, *, at: datetime) -> None:
    for code in (
        IDENTIFICATION_CLOCK,
        SALES_ORDER_CLOCK,
        DELIVERY_NOTE_CLOCK,
        EXCEPTION_CLOCK,
        SHIPMENT_CONFIRMATION_CLOCK,
    ):
        sla_clock_stop(code=code, obj=order, stopped_at=at)


def confirmation_due_at(channel: Channel, paid_at: datetime) -> datetime | None:
    """When the channel wants shipment confirmed: its deadline in hours after payment, as
    the platform counts it (clock hours: Taobao's 48 hours run through nights and Sundays).
    None when the channel keeps no deadline."""
    hours = channel.confirmation_deadline_hours
    if not hours:
        return None
    return paid_at + timedelta(hours=hours)


def confirmation_clock_starts(channel: Channel, orders: Sequence[Order]) -> list[ClockStart]:
    """The shipment-confirmation clocks of newly accepted paid orders, for one insert with
    their other clocks (``sla_clocks_start_all``): from payment to the channel's deadline.
    The clock's warning point and time left run in working time (a deadline policy)."""
    starts = []
    for order in orders:
        if order.paid_at is None:
            continue
        due = confirmation_due_at(channel, order.paid_at)
        if due is not None:
            starts.append(
                ClockStart(SHIPMENT_CONFIRMATION_CLOCK, order.pk, order.paid_at, due_at=due)
            )
    return starts
