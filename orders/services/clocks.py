"""Which SLA clocks run at which step of an order (DESIGN §4).

- customer identification (15 min): from acceptance until the customer is matched/created;
- sales order creation (30 min): from identification until the order is confirmed;
- delivery note (1 h): from confirmation until the warehouse issues the delivery note
  (the warehouse stops it);
- order exception (2 h, 异常订单): from parking until release or cancellation.

Clocks keep running while an order is on hold: a hold explains lateness, it doesn't
excuse it. A cancelled order's running clocks are stopped.
"""

from __future__ import annotations

from datetime import datetime

from ecomops.sla.services import sla_clock_start, sla_clock_stop

from ..models import Order
from ..selectors import (
    DELIVERY_NOTE_CLOCK,
    EXCEPTION_CLOCK,
    IDENTIFICATION_CLOCK,
    SALES_ORDER_CLOCK,
)

__all__ = [
    "EXCEPTION_CLOCK",
    "clocks_on_cancelled",
    "clocks_on_confirmed",
    "clocks_on_identified",
    "clocks_on_received",
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


def clocks_on_cancelled(order: Order, *, at: datetime) -> None:
    for code in (IDENTIFICATION_CLOCK, SALES_ORDER_CLOCK, DELIVERY_NOTE_CLOCK, EXCEPTION_CLOCK):
        sla_clock_stop(code=code, obj=order, stopped_at=at)
