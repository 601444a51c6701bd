"""客户对账单: one customer's account for a period, as the customer is sent it.

The balance is what the customer owes us. Opening balance = orders accepted before the
period (cancelled ones aside) less the payments for them paid before it; then, in date
order, each order (owed: its total, with its invoice numbers), each payment (received:
the part of it matched to the customer's orders, and the unmatched rest when the customer
is its payer), each paid refund (shown as both: the sale is reduced and the money went
back, so the balance does not move); closing balance = opening + orders - payments. So
the closing balance of one period is the opening balance of the next, and it equals the
receivables of the customer's orders as of the period's end, less money not yet matched.

Group-buying orders settled by a remittance show its receipts and the site's deduction
(commission, fees) as their payments.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from ecomops.calendar import day_start
from ecomops.money import ZERO
from orders.models import Customer, Order, OrderState

from .models import Invoice, Payment, PaymentAllocation, Refund, RefundState

# The kinds of a statement line, as its 类型 column prints them.
ORDER, PAYMENT, REFUND = "order", "payment", "refund"
KIND_LABELS = {ORDER: "销售订单", PAYMENT: "收款", REFUND: "退款"}


@dataclass
class StatementLine:
    day: date
    kind: str
    reference: str
    description: str
    invoices: str = ""
    owed: Decimal = ZERO
    received: Decimal = ZERO
    balance: Decimal = ZERO

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass
class CustomerStatement:
    customer: Customer
    period_start: date
    period_end: date
    opening: Decimal
    lines: list[StatementLine] = field(default_factory=list)
    orders_total: Decimal = ZERO
    payments_total: Decimal = ZERO
    refunds_total: Decimal = ZERO
    closing: Decimal = ZERO
    printed_at: datetime | None = None

    @property
    def number(self) -> str:
        return f"DZ-{self.customer.pk}-{self.period_start:%Y%m%d}-{self.period_end:%Y%m%d}"


def _payment_credits(
    customer: Customer, before: datetime, after: datetime | None
) -> dict[int, Decimal]:
    """Per payment paid in [after, before): what it credits the customer."""
    credits: dict[int, Decimal] = defaultdict(lambda: ZERO)
    allocations = PaymentAllocation.objects.filter(
        order__customer=customer, payment__paid_at__lt=before
    ).exclude(order__state=OrderState.CANCELLED)
    own = Payment.objects.filter(customer=customer, paid_at__lt=before)
    if after is not None:
        allocations = allocations.filter(payment__paid_at__gte=after)
        own = own.filter(paid_at__gte=after)
    for payment_id, amount in allocations.values_list("payment_id", "amount"):
        credits[payment_id] += amount
    # Money the customer paid that is not matched to an order yet still stands to their credit.
    for payment_id, amount, allocated in own.values_list("pk", "amount", "allocated_amount"):
        if amount > allocated:
            credits[payment_id] += amount - allocated
    return credits


def _orders(customer: Customer) -> Q:
    return Q(customer=customer) & ~Q(state=OrderState.CANCELLED)


def customer_statement(
    *, customer: Customer, period_start: date, period_end: date
) -> CustomerStatement:
    start = day_start(period_start)
    end = day_start(period_end + timedelta(days=1))
    earlier_orders = sum(
        Order.objects.filter(_orders(customer), accepted_at__lt=start).values_list(
            "total_amount", flat=True
        ),
        ZERO,
    )
    earlier_payments = sum(_payment_credits(customer, start, None).values(), ZERO)
    statement = CustomerStatement(
        customer=customer,
        period_start=period_start,
        period_end=period_end,
        opening=earlier_orders - earlier_payments,
        printed_at=timezone.now(),
    )
    lines: list[tuple[datetime, int, StatementLine]] = []
    orders = list(
        Order.objects.filter(_orders(customer), accepted_at__gte=start, accepted_at__lt=end)
        .select_related("channel")
        .order_by("accepted_at", "pk")
    )
    invoices: dict[int, list[str]] = defaultdict(list)
    for order_id, number in (
        Invoice.objects.filter(order__in=orders, original__isnull=True)
        .order_by("issued_at", "pk")
        .values_list("order_id", "number")
    ):
        invoices[order_id].append(number)
    for order in orders:
        lines.append(
            (
                order.accepted_at,
                order.pk,
                StatementLine(
                    day=timezone.localtime(order.accepted_at).date(),
                    kind=ORDER,
                    reference=order.number,
                    description=order.channel.name,
                    invoices=" ".join(invoices[order.pk]),
                    owed=order.total_amount,
                ),
            )
        )
    credits = _payment_credits(customer, end, start)
    payments = Payment.objects.filter(pk__in=credits).order_by("paid_at", "pk")
    for payment in payments:
        lines.append(
            (
                payment.paid_at,
                payment.pk,
                StatementLine(
                    day=timezone.localtime(payment.paid_at).date(),
                    kind=PAYMENT,
                    reference=payment.reference,
                    description=payment.note or payment.get_method_display(),
                    received=credits[payment.pk],
                ),
            )
        )
    refunds = (
        Refund.objects.filter(
            order__customer=customer,
            state=RefundState.PAID,
            paid_at__gte=start,
            paid_at__lt=end,
        )
        .select_related("order")
        .order_by("paid_at", "pk")
    )
    for refund in refunds:
        assert refund.paid_at is not None  # noqa: S101 (a paid refund has its time)
        lines.append(
            (
                refund.paid_at,
                refund.pk,
                StatementLine(
                    day=timezone.localtime(refund.paid_at).date(),
                    kind=REFUND,
                    reference=refund.number,
                    description=f"{refund.order.number} {refund.reason}",
                    owed=-refund.amount,
                    received=-refund.amount,
                ),
            )
        )
    order_of = {ORDER: 0, PAYMENT: 1, REFUND: 2}
    balance = statement.opening
    for _at, _pk, line in sorted(lines, key=lambda t: (t[0], order_of[t[2].kind], t[1])):
        balance += line.owed - line.received
        line.balance = balance
        statement.lines.append(line)
        if line.kind == ORDER:
            statement.orders_total += line.owed
        elif line.kind == PAYMENT:
            statement.payments_total += line.received
        else:
            statement.refunds_total -= line.owed
    statement.closing = balance
    return statement
