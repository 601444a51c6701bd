"""Receivers of the orders layer's signals (connected in ``WarehouseConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from orders.models import Order

from . import services


def on_order_cancelled(sender: Any, order: Order, **kwargs: Any) -> None:
    """Cancelled before release: free what the warehouse holds for it."""
    services.notes_cancel_for_order(
        order_id=order.pk, reason=order.cancel_reason or _("Order cancelled"), by=None
    )


def on_cancellation_requested(sender: Any, order: Order, **kwargs: Any) -> None:
    """Released already: stop it if nothing has left, else decline."""
    services.order_cancellation_decide(order_id=order.pk, by=None)
