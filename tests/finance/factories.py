"""Finance test data: orders with lines at known prices and tax rates, payments, invoices."""

from __future__ import annotations

import json
import time
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from django.test import Client
from django.utils import timezone

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from finance import services
from finance.models import Invoice, Payment
from listings.models import Sku
from orders.models import Channel, Order, OrderLine, OrderState
from tests.orders.factories import listed_sku, make_channel, make_customer
from tests.warehouse.factories import make_order

COMPANY: dict[str, Any] = {
    "title": "杭州示例科技有限公司",
    "tax_id": "91350100M000100Y43",
    "address_phone": "杭州市西湖区文三路100号 0571-88001234",
    "bank_account": "中国工商银行杭州文三支行 1202021234567890123",
}


def priced_order(
    prices: list[tuple[Sku, int, str]],
    *,
    channel: Channel | None = None,
    state: str = OrderState.SHIPPED,
    needs_invoice: bool = True,
    **fields: Any,
) -> Order:
    """An order whose lines are (sku, quantity, unit price); total = sum of the lines."""
    order = make_order(
        [(sku, qty) for sku, qty, _p in prices],
        channel=channel,
        state=state,
        needs_invoice=needs_invoice,
        **fields,
    )
    total = Decimal("0.00")
    for line, (_sku, qty, price) in zip(order.lines.order_by("position"), prices, strict=True):
        amount = Decimal(price) * qty
        OrderLine.objects.filter(pk=line.pk).update(
            unit_price=Decimal(price), list_price=Decimal(price), amount=amount
        )
        total += amount
    Order.objects.filter(pk=order.pk).update(
        total_amount=total,
        goods_amount=total,
        paid_amount=total if order.paid_at else Decimal("0.00"),
    )
    order.refresh_from_db()
    return order


def sku_with_tax(code: str, rate: str = "0.13") -> Sku:
    sku = listed_sku(code)
    Sku.objects.filter(pk=sku.pk).update(tax_rate=Decimal(rate))
    sku.refresh_from_db()
    return sku


def pay(order: Order, amount: Decimal | str | None = None, reference: str = "") -> Payment:
    """A channel payment for the order, as the webhook records it."""
    return services.payment_notify(
        channel=order.channel,
        reference=reference or f"PAY-{order.number}",
        order_external_id=order.external_id,
        amount=Decimal(amount) if amount is not None else order.total_amount,
        paid_at=order.accepted_at or timezone.now(),
    ).payment


def invoice_for(order: Order, clerk: Any, *, delivery: str = "post", **details: Any) -> Invoice:
    values: dict[str, Any] = {
        "kind": "ordinary",
        "title": "张三",
        "tax_id": "",
        "address_phone": "",
        "bank_account": "",
    }
    values.update(details)
    request = services.invoice_request_create(
        order=order,
        source="service",
        by=None,
        delivery_method=delivery,
        email="buyer@example.com" if delivery == "email" else None,
        **values,
    )
    return services.invoice_issue(request_id=request.pk, by=clerk)


def push_payment(
    client: Client,
    channel: Channel,
    data: dict[str, Any],
    *,
    secret: str | None = None,
    timestamp: int | None = None,
) -> Any:
    body = json.dumps(data, ensure_ascii=False).encode()
    ts = str(timestamp if timestamp is not None else int(time.time()))
    return client.post(
        f"/api/v1/channels/{channel.code}/payments",
        data=body,
        content_type="application/json",
        headers={
            TIMESTAMP_HEADER: ts,
            SIGNATURE_HEADER: sign(secret or channel.secret, ts, body),
            "Accept-Language": "en",
        },
    )


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


__all__ = ["COMPANY", "make_channel", "make_customer", "make_order"]


def red_letter_for(original: Invoice, clerk: Any, *, reason: str = "goods_returned") -> Invoice:
    """Reverse an invoice in full the way its kind is reversed: a 数电票 through its
    confirmation form (self-confirmed, issued by the sandbox platform), a paper invoice after
    its original is recovered."""
    if original.digital:
        form = services.red_letter_confirmation_draft(
            invoice_id=original.pk, reason=reason, by=clerk
        )
        form = services.red_letter_confirmation_submit(confirmation_id=form.pk, by=clerk)
        return cast(Invoice, form.red_invoice)
    services.invoice_recover_paper(invoice_id=original.pk, by=clerk)
    return services.invoice_red_letter(invoice_id=original.pk, reason=reason, by=clerk)
