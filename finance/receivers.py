"""Finance's answers to what the warehouse tells it (DESIGN §1)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orders.models import Order
from warehouse.extensions import ParcelInsert

from . import selectors, services


def on_parcel_packed(sender: Any, parcel: Any, orders: Sequence[Order], **kwargs: Any) -> None:
    """The invoices the pack station listed went in the parcel (one issued while the parcel
    was being closed did not, and stays undelivered for finance to send); orders that need
    one get their request. No invoice listed: nothing of finance's to read or lock."""
    services.invoices_put_in_parcel(
        orders=orders,
        parcel_number=parcel.number,
        numbers=[insert["number"] for insert in parcel.inserts if insert.get("number")],
    )
    services.invoice_requests_for_packed(orders=orders)


def parcel_inserts(orders: Sequence[Order]) -> list[ParcelInsert]:
    """The pack station's question: which invoices go into this parcel?"""
    return [
        ParcelInsert(
            order_number=order.number,
            label=str(invoice.get_kind_display()),
            number=invoice.number,
            url=invoice.get_pdf_url(),
        )
        for order, invoice in selectors.parcel_invoices(orders)
    ]
