"""Reads for the statement screens: lines to look at, and ranked order suggestions for a line
that names no order (issue 22 §1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet

from orders.models import Order, OrderState

from .models import (
    STATEMENT_INCOME_KINDS,
    PaymentAccount,
    StatementImport,
    StatementLine,
    StatementLineKind,
)

LINE_STATUSES = ("unmatched", "matched", "all")


def payment_accounts() -> QuerySet[PaymentAccount]:
    return PaymentAccount.objects.filter(active=True).prefetch_related("channels")


def statement_lines(
    *, account: str = "", status: str = "unmatched", kind: str = "", query: str = ""
) -> QuerySet[StatementLine]:
    lines = StatementLine.objects.select_related("account", "order", "channel")
    if account:
        lines = lines.filter(account__code=account)
    if status == "unmatched":
        lines = lines.filter(order__isnull=True)
    elif status == "matched":
        lines = lines.filter(order__isnull=False)
    if kind:
        lines = lines.filter(kind=kind)
    if query:
        lines = lines.filter(
            Q(reference__icontains=query)
            | Q(order_number__icontains=query)
            | Q(counterparty__icontains=query)
            | Q(memo__icontains=query)
        )
    return lines.order_by("-occurred_at", "-pk")


def recent_imports(limit: int = 10) -> QuerySet[StatementImport]:
    return StatementImport.objects.select_related("account", "imported_by")[:limit]


@dataclass
class Suggestion:
    order: Order
    score: int
    reasons: list[str] = field(default_factory=list)


# How far from the line's date an order may have been paid to be suggested.
SUGGEST_DAYS = 15


def suggestions(line: StatementLine, limit: int = 5) -> list[Suggestion]:
    """Orders a line without an order may be for, best first: the amount (paid amount or
    total, to the fen), how close the order was paid to the line's date, the payer's name
    against the receiver's or customer's, and the channels the account collects for.

    Only orders no income line is matched to yet are proposed for income; a refund or fee
    line may name an order that already has its payment.
    """
    amount = abs(line.amount)
    around = line.occurred_at
    channel_ids = set(line.account.channels.values_list("pk", flat=True))
    candidates = Order.objects.exclude(state=OrderState.CANCELLED).select_related(
        "channel", "customer"
    )
    if line.kind in STATEMENT_INCOME_KINDS:
        taken = StatementLine.objects.filter(order=OuterRef("pk"), kind__in=STATEMENT_INCOME_KINDS)
        candidates = candidates.exclude(Exists(taken))
    near = Q(
        accepted_at__gte=around - timedelta(days=SUGGEST_DAYS),
        accepted_at__lte=around + timedelta(days=1),
    )
    by_amount = Q(paid_amount=amount) | Q(total_amount=amount)
    name = (line.counterparty or "").split("(")[0].split("（")[0].strip()
    wanted = by_amount
    if name and len(name) >= 2 and "*" not in name:
        wanted |= Q(receiver_name=name) | Q(customer__name=name)
    found = list(candidates.filter(near & wanted).order_by("-accepted_at")[:100])
    ranked = []
    for order in found:
        score, reasons = 0, []
        if amount in (order.paid_amount, order.total_amount):
            score += 50
            reasons.append("amount")
        elif order.total_amount and abs(order.total_amount - amount) <= Decimal("0.01"):
            score += 20
            reasons.append("amount")
        days = (
            abs((order.accepted_at - around).total_seconds()) / 86400 if order.accepted_at else 99
        )
        score += max(0, 30 - int(days * 3))
        if days <= 2:
            reasons.append("date")
        customer_name = order.customer.name if order.customer else ""
        if name and name in (order.receiver_name, customer_name):
            score += 30
            reasons.append("payer")
        if order.channel_id in channel_ids:
            score += 10
            reasons.append("channel")
        ranked.append(Suggestion(order, score, reasons))
    ranked.sort(key=lambda s: (-s.score, -s.order.pk))
    return ranked[:limit]


def fee_lines(*, account: str = "") -> QuerySet[StatementLine]:
    lines = StatementLine.objects.filter(kind=StatementLineKind.FEE)
    return lines.filter(account__code=account) if account else lines
