"""Finance on the money the platforms charge (issue 20 §1): invoice lines net of their
discount share with postage as its own line, refunds capped by what the buyer paid, and
the reconciliation comparing payments with the amount paid rather than the lines."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from ecomops.calendar import local_datetime
from ecomops.money import allocate_proportionally
from finance import services
from finance.models import Mismatch, MismatchKind, RefundLine
from finance.services import RefundItem
from finance.services.refunds import RefundError
from orders.models import Order, OrderLine
from tests.finance.factories import invoice_for, pay, priced_order

D = Decimal
DAY = date(2026, 11, 20)  # a Friday
NOON = local_datetime(DAY, time(12))

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english"), pytest.mark.clock(NOON)]


def charged(order: Order, *, discount: str, shipping: str = "0.00", voucher: str = "0") -> Order:
    """The order as a platform charged it: ``discount`` shared over the lines, ``shipping``
    added, and a platform-funded ``voucher`` the buyer did not pay."""
    lines = list(order.lines.order_by("position"))
    shares = allocate_proportionally(D(discount), [line.amount for line in lines])
    for line, share in zip(lines, shares, strict=True):
        OrderLine.objects.filter(pk=line.pk).update(discount_share=share)
    goods = sum((line.amount for line in lines), D("0.00"))
    total = goods - D(discount) + D(shipping)
    Order.objects.filter(pk=order.pk).update(
        goods_amount=goods,
        discount_amount=D(discount),
        shipping_fee=D(shipping),
        total_amount=total,
        paid_amount=total - D(voucher),
    )
    order.refresh_from_db()
    return order


def test_invoice_lines_are_net_of_their_share_and_postage_is_its_own_line(
    clerk: Any, sku: Any, sku6: Any
) -> None:
    order = charged(
        priced_order([(sku, 3, "33.33"), (sku6, 7, "14.29")]), discount="20.00", shipping="8.00"
    )
    invoice = invoice_for(order, clerk)

    lines = list(invoice.lines.order_by("position"))
    # 20.00 over 99.99 and 100.03: 9.998 and 10.002, to the fen 10.00 each.
    assert [line.total_amount for line in lines] == [D("89.99"), D("90.03"), D("8.00")]
    assert [line.sku for line in lines[:2]] == [sku, sku6]
    freight = lines[2]
    assert freight.sku is None
    assert freight.description == "*运输服务*运费"
    assert freight.quantity == 1
    # Taxed with the main goods (the larger net line, at 6%).
    assert (freight.tax_rate, freight.amount_net, freight.tax_amount) == (
        D("0.06"),
        D("7.55"),
        D("0.45"),
    )
    assert invoice.total_amount == order.total_amount == D("188.02")
    assert invoice.amount_net + invoice.tax_amount == invoice.total_amount
    assert invoice.amount_net == sum(line.amount_net for line in lines)


def test_no_postage_no_freight_line(clerk: Any, sku: Any) -> None:
    order = charged(priced_order([(sku, 2, "50.00")]), discount="10.00")
    invoice = invoice_for(order, clerk)

    assert [(line.sku, line.total_amount) for line in invoice.lines.all()] == [(sku, D("90.00"))]


def test_red_letter_in_full_reverses_the_freight_too(clerk: Any, sku: Any) -> None:
    order = charged(priced_order([(sku, 1, "100.00")]), discount="5.00", shipping="10.00")
    original = invoice_for(order, clerk, delivery="post")
    services.invoice_recover_paper(invoice_id=original.pk, by=clerk)
    red = services.invoice_red_letter(invoice_id=original.pk, reason="invoice_error", by=clerk)

    assert red.total_amount == -original.total_amount == D("-105.00")
    assert [line.total_amount for line in red.lines.order_by("position")] == [
        D("-95.00"),
        D("-10.00"),
    ]


def test_refunds_stop_at_what_the_buyer_paid(manager: Any, sku: Any) -> None:
    # Total 190.00, of which the platform funded a 20.00 voucher: the buyer paid 170.00.
    order = charged(priced_order([(sku, 2, "100.00")]), discount="10.00", voucher="20.00")
    pay(order, "170.00")

    assert services.refundable_amount(order.pk) == D("170.00")
    with pytest.raises(RefundError, match="at most"):
        services.refund_request(
            order_id=order.pk, amount=D("170.01"), reason="全额退款", by=manager
        )
    refund = services.refund_request(
        order_id=order.pk, amount=D("170.00"), reason="全额退款", by=manager
    )
    assert refund.amount == D("170.00")


def test_a_skus_refunds_stop_at_its_lines_net_amount(service: Any, sku: Any, sku6: Any) -> None:
    order = charged(
        priced_order([(sku, 2, "100.00"), (sku6, 1, "100.00")]), discount="30.00"
    )  # shares 20.00 and 10.00: the first line's net is 180.00
    pay(order)
    too_much = [RefundItem(sku=sku, quantity=2, amount=D("180.01"))]

    with pytest.raises(RefundError, match=r"at most ¥180\.00"):
        services.refund_request(
            order_id=order.pk,
            amount=D("180.01"),
            reason="退货",
            source="return",
            source_reference="RT-1",
            items=too_much,
            by=service,
        )
    first = [RefundItem(sku=sku, quantity=1, amount=D("90.00"))]
    services.refund_request(
        order_id=order.pk,
        amount=D("90.00"),
        reason="退货",
        source="return",
        source_reference="RT-2",
        items=first,
        by=service,
    )
    with pytest.raises(RefundError, match=r"at most ¥90\.00"):
        services.refund_request(
            order_id=order.pk,
            amount=D("90.01"),
            reason="退货",
            source="return",
            source_reference="RT-3",
            items=[RefundItem(sku=sku, quantity=1, amount=D("90.01"))],
            by=service,
        )
    assert RefundLine.objects.count() == 1


def test_reconciliation_compares_payments_with_the_amount_paid(
    clerk: Any, manager: Any, sku: Any
) -> None:
    fields: dict[str, Any] = {"accepted_at": local_datetime(DAY, time(9)), "needs_invoice": False}
    # Goods 200, 15 off, 8 postage: total 193, the platform's 10 voucher: paid 183.
    exact = charged(
        priced_order([(sku, 2, "100.00")], **fields),
        discount="15.00",
        shipping="8.00",
        voucher="10.00",
    )
    pay(exact, "183.00")
    lines_sum = charged(
        priced_order([(sku, 2, "100.00")], **fields), discount="15.00", shipping="8.00"
    )
    pay(lines_sum, "200.00")  # the old rule's amount: the sum of the lines
    # The platform settles its voucher on its own: the buyer's 183 and the platform's 10.
    settled_apart = charged(
        priced_order([(sku, 2, "100.00")], **fields),
        discount="15.00",
        shipping="8.00",
        voucher="10.00",
    )
    pay(settled_apart, "183.00", reference="BUYER-1")
    pay(settled_apart, "10.00", reference="PLATFORM-1")

    with time_machine.travel(local_datetime(DAY + timedelta(days=1), time(2)), tick=False):
        run = services.reconcile(day=DAY, by=clerk)

    mismatched = Mismatch.objects.filter(run=run, kind=MismatchKind.PAID_AMOUNT)
    assert [(m.order_id, m.expected, m.actual) for m in mismatched] == [
        (lines_sum.pk, D("193.00"), D("200.00"))
    ]
    assert not Mismatch.objects.filter(run=run, kind=MismatchKind.DUPLICATE_PAYMENT).exists()
