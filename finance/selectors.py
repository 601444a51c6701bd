"""Reads of finance for the portal, the pack station, reports and e-mails."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.calendar import day_start
from ecomops.money import ZERO, format_money
from ecomops.sla.selectors import annotate_sla
from orders.models import Order, OrderLine, OrderState, PaymentTerms

from .models import (
    INVOICE_CLOCK,
    DeliveryMethod,
    Invoice,
    InvoiceRequest,
    InvoiceRequestState,
    Mismatch,
    MismatchKind,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    ReconciliationRun,
    RedLetterRequest,
    RedLetterRequestState,
    Refund,
    RefundState,
    Remittance,
    Settlement,
)

MONEY: Any = DecimalField(max_digits=14, decimal_places=2)


# --- Invoices ------------------------------------------------------------------------------


def invoices_for_parcel(orders: Sequence[Order]) -> QuerySet[Invoice]:
    """Paper invoices issued to go into the parcel of these orders."""
    return (
        Invoice.objects.filter(
            order__in=orders, delivery_method=DeliveryMethod.PARCEL, original__isnull=True
        )
        .select_related("order")
        .order_by("order__number", "pk")
    )


def request_queue() -> QuerySet[InvoiceRequest]:
    """Requests to issue, least time left first (countdown to the day's deadline)."""
    qs = (
        InvoiceRequest.objects.filter(state=InvoiceRequestState.REQUESTED)
        .select_related("order", "order__channel")
        .annotate(held=_held())
    )
    return annotate_sla(qs, INVOICE_CLOCK).order_by("due_at", "pk")


def _held() -> Exists:
    """Whether a request waits for a SKU's tax classification code (商品和服务税收分类编码)."""
    return Exists(OrderLine.objects.filter(order_id=OuterRef("order_id"), sku__tax_code=""))


def request_queue_late_count() -> int:
    return InvoiceRequest.objects.filter(
        state=InvoiceRequestState.REQUESTED, due_at__lt=timezone.now()
    ).count()


def requests_to_deliver() -> QuerySet[InvoiceRequest]:
    """Issued by post or in the parcel but not delivered yet."""
    return (
        InvoiceRequest.objects.filter(state=InvoiceRequestState.ISSUED)
        .select_related("order", "invoice")
        .order_by("issued_at", "pk")
    )


def invoice_requests(*, state: str = "", query: str = "") -> QuerySet[InvoiceRequest]:
    """Requests, each annotated ``held`` when an open one waits for a SKU's tax
    classification code (商品和服务税收分类编码)."""
    qs = (
        InvoiceRequest.objects.select_related("order", "order__channel", "platform_batch")
        .annotate(
            held=Exists(OrderLine.objects.filter(order_id=OuterRef("order_id"), sku__tax_code=""))
        )
        .order_by("-requested_at", "-pk")
    )
    if state:
        qs = qs.filter(state=state)
    if query:
        qs = qs.filter(
            Q(number__icontains=query)
            | Q(order__number__icontains=query)
            | Q(title__icontains=query)
        )
    return qs


def invoices(*, query: str = "", red_only: bool = False) -> QuerySet[Invoice]:
    qs = Invoice.objects.select_related("order", "original").order_by("-issued_at", "-pk")
    if red_only:
        qs = qs.filter(original__isnull=False)
    if query:
        qs = qs.filter(
            Q(number__icontains=query)
            | Q(order__number__icontains=query)
            | Q(buyer_name__icontains=query)
        )
    return qs


def invoice_detail(pk: int) -> Invoice:
    return (
        Invoice.objects.select_related("order", "order__channel", "original", "request")
        .prefetch_related("lines", "red_letters")
        .get(pk=pk)
    )


# --- Payments and receivables ------------------------------------------------------------


def payments_to_match() -> QuerySet[Payment]:
    """Bank and channel payments with money not matched to an order yet."""
    return (
        Payment.objects.filter(allocated_amount__lt=F("amount"))
        .exclude(method=PaymentMethod.REMITTANCE)
        .select_related("channel", "customer")
        .order_by("paid_at", "pk")
    )


def payments(*, query: str = "") -> QuerySet[Payment]:
    qs = Payment.objects.select_related("channel", "customer").order_by("-paid_at", "-pk")
    if query:
        qs = qs.filter(
            Q(reference__icontains=query)
            | Q(payer_name__icontains=query)
            | Q(order_external_id__icontains=query)
            | Q(allocations__order__number__icontains=query)
        ).distinct()
    return qs


AGEING_BUCKETS = (
    ("0-30", 0, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)


def with_paid(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """Annotate ``paid`` (matched payments) and ``outstanding`` (total - paid)."""
    paid = (
        PaymentAllocation.objects.filter(order=OuterRef("pk"))
        .values("order")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return queryset.annotate(
        paid=Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO), output_field=MONEY)
    ).annotate(outstanding=ExpressionWrapper(F("total_amount") - F("paid"), output_field=MONEY))


def receivables(*, status: str = "", today: date | None = None) -> QuerySet[Order]:
    """Orders by payment status: ``paid``, ``part`` (part-paid), ``unpaid`` or ``overdue``.

    Overdue: an on-account order not fully paid ``FINANCE_PAYMENT_TERMS_DAYS`` after it was
    accepted. Each row carries ``age_days`` from acceptance, for the ageing columns.
    """
    today = today or timezone.localdate()
    qs = with_paid(
        Order.objects.exclude(state=OrderState.CANCELLED).select_related("channel", "customer")
    )
    if status == "paid":
        qs = qs.filter(Q(paid__gte=F("total_amount")))
    elif status == "part":
        qs = qs.filter(Q(paid__gt=0) & Q(paid__lt=F("total_amount")))
    elif status == "unpaid":
        qs = qs.filter(Q(paid=0))
    elif status == "overdue":
        due_before = day_start(today - timedelta(days=settings.FINANCE_PAYMENT_TERMS_DAYS))
        qs = qs.filter(
            Q(channel__payment_terms=PaymentTerms.ON_ACCOUNT)
            & Q(paid__lt=F("total_amount"))
            & Q(accepted_at__lt=due_before)
        )
    return qs.order_by("accepted_at", "pk")


def age_in_days(order: Order, today: date | None = None) -> int:
    today = today or timezone.localdate()
    return (today - timezone.localtime(order.accepted_at).date()).days


def ageing(today: date | None = None) -> list[dict[str, Any]]:
    """Outstanding amounts of unpaid and part-paid orders, by days since acceptance."""
    today = today or timezone.localdate()
    open_orders = with_paid(Order.objects.exclude(state=OrderState.CANCELLED)).filter(
        Q(paid__lt=F("total_amount"))
    )
    whens = []
    for index, (_label, low, high) in enumerate(AGEING_BUCKETS):
        # Accepted ``low`` to ``high`` days ago (whole days, company time).
        condition = Q(accepted_at__lt=day_start(today - timedelta(days=low - 1)))
        if high is not None:
            condition &= Q(accepted_at__gte=day_start(today - timedelta(days=high)))
        whens.append(When(condition, then=Value(index)))
    grouped = (
        open_orders.annotate(bucket=Case(*whens, default=Value(0), output_field=IntegerField()))
        .values("bucket")
        .annotate(amount=Sum("outstanding"), count=Sum(Value(1)))
        .order_by()
    )
    found = {row["bucket"]: row for row in grouped}
    return [
        {
            "label": label,
            "count": found.get(index, {}).get("count", 0),
            "amount": found.get(index, {}).get("amount") or ZERO,
        }
        for index, (label, _low, _high) in enumerate(AGEING_BUCKETS)
    ]


# --- Refunds -----------------------------------------------------------------------------


def refunds_to_approve() -> QuerySet[Refund]:
    return (
        Refund.objects.filter(state=RefundState.REQUESTED)
        .select_related("order")
        .order_by("requested_at", "pk")
    )


def refunds_to_pay() -> QuerySet[Refund]:
    return (
        Refund.objects.filter(state=RefundState.APPROVED)
        .select_related("order")
        .order_by("approved_at", "pk")
    )


def refunds(*, state: str = "") -> QuerySet[Refund]:
    qs = Refund.objects.select_related("order").order_by("-requested_at", "-pk")
    return qs.filter(state=state) if state else qs


# --- Reconciliation --------------------------------------------------------------------------


def runs() -> QuerySet[ReconciliationRun]:
    return ReconciliationRun.objects.order_by("-day")


def run_mismatches(
    run: ReconciliationRun, *, kind: str = "", channel: str = ""
) -> QuerySet[Mismatch]:
    qs = Mismatch.objects.filter(run=run).select_related(
        "channel", "order", "payment", "invoice", "refund", "remittance"
    )
    if kind:
        qs = qs.filter(kind=kind)
    if channel:
        qs = qs.filter(channel__code=channel)
    return qs.order_by("kind", "reference", "order_id", "payment_id", "invoice_id", "refund_id")


def run_kind_counts(run: ReconciliationRun) -> list[dict[str, Any]]:
    return [
        {"kind": kind, "label": label, "count": int(run.mismatch_counts.get(kind, 0))}
        for kind, label in MismatchKind.choices
    ]


def run_summary_text(run: ReconciliationRun) -> str:
    lines = [
        _("Reconciliation of %(day)s") % {"day": run.day.isoformat()},
        "",
    ]
    for row in run.figures:
        lines.append(
            _(
                "%(channel)s: %(orders)d orders %(orders_amount)s, %(shipped)d shipped, "
                "%(invoiced)d invoiced %(invoiced_amount)s, paid %(paid_amount)s, "
                "refunded %(refunded_amount)s"
            )
            % {
                "channel": row["channel_name"] or _("no channel"),
                "orders": row["orders"]["count"],
                "orders_amount": format_money(Decimal(row["orders"]["amount"])),
                "shipped": row["shipped"]["count"],
                "invoiced": row["invoiced"]["count"],
                "invoiced_amount": format_money(Decimal(row["invoiced"]["amount"])),
                "paid_amount": format_money(Decimal(row["paid"]["amount"])),
                "refunded_amount": format_money(Decimal(row["refunded"]["amount"])),
            }
        )
    lines.append("")
    lines.append(_("%(count)d mismatches:") % {"count": run.mismatch_count})
    for row in run_kind_counts(run):
        if row["count"]:
            lines.append(f"  {row['label']}: {row['count']}")
    lines.append("")
    lines.append(settings.PORTAL_BASE_URL.rstrip("/") + run.get_absolute_url())
    return "\n".join(lines)


def open_mismatches_over_time(days: int = 30) -> list[dict[str, Any]]:
    """Mismatches open at the end of each of the last runs, oldest first (chart)."""
    runs = ReconciliationRun.objects.order_by("-day")[:days]
    return [{"day": run.day, "mismatch_count": run.mismatch_count} for run in runs][::-1]


def invoiced_vs_shipped(days: int = 14, today: date | None = None) -> list[dict[str, Any]]:
    """Per day: amount invoiced (after red-letter) and amount shipped (chart)."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    start = day_start(first)
    invoiced = dict(
        Invoice.objects.filter(issued_at__gte=start)
        .annotate(day=TruncDate("issued_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(s=Sum("total_amount"))
        .values_list("day", "s")
    )
    shipped = dict(
        Order.objects.filter(shipped_at__gte=start)
        .annotate(day=TruncDate("shipped_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(s=Sum("total_amount"))
        .values_list("day", "s")
    )
    return [
        {
            "day": first + timedelta(days=i),
            "invoiced": invoiced.get(first + timedelta(days=i)) or ZERO,
            "shipped": shipped.get(first + timedelta(days=i)) or ZERO,
        }
        for i in range(days)
    ]


def remittances_open() -> QuerySet[Remittance]:
    return Remittance.objects.filter(received_at__isnull=True).select_related("channel")


def settlements() -> QuerySet[Settlement]:
    return Settlement.objects.order_by("-period_end", "-pk")


def finance_counts() -> dict[str, int]:
    return {
        "requests": InvoiceRequest.objects.filter(state=InvoiceRequestState.REQUESTED).count(),
        "late": request_queue_late_count(),
        "refunds_to_pay": refunds_to_pay().count(),
        "refunds_to_approve": refunds_to_approve().count(),
        "payments_to_match": payments_to_match().count(),
    }


# --- Red-letter requests --------------------------------------------------------------------


def red_letter_requests(*, state: str = "") -> QuerySet[RedLetterRequest]:
    requests = RedLetterRequest.objects.select_related(
        "invoice", "invoice__order", "red_invoice", "requested_by"
    )
    if state:
        requests = requests.filter(state=state)
    return requests.order_by("-requested_at", "-pk")


def red_letter_requests_to_issue() -> QuerySet[RedLetterRequest]:
    return (
        RedLetterRequest.objects.filter(state=RedLetterRequestState.REQUESTED)
        .select_related("invoice", "invoice__order")
        .order_by("requested_at", "pk")
    )
