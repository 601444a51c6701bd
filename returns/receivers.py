"""Receivers of finance's and the warehouse's signals (connected in ``ReturnsConfig.ready``)."""

from __future__ import annotations

from typing import Any

from finance.models import Refund, RefundSource
from orders.models import Order

from .services import requests as services


def on_refund_paid(sender: Any, refund: Refund, **kwargs: Any) -> None:
    if refund.source == RefundSource.RETURN and refund.source_reference:
        services.return_refund_paid(
            refund_reference=refund.number, return_number=refund.source_reference
        )


def on_refund_rejected(sender: Any, refund: Refund, **kwargs: Any) -> None:
    if refund.source == RefundSource.RETURN and refund.source_reference:
        services.return_refund_rejected(
            refund_reference=refund.number,
            return_number=refund.source_reference,
            why=refund.rejection_reason,
        )


def on_parcels_shipped(sender: Any, orders: list[Order], **kwargs: Any) -> None:
    """Parcels went out (up to a thousand at once): one query for the exchanges among
    their orders."""
    services.returns_replacement_shipped(order_ids=[order.pk for order in orders])
