"""Reads of finance for the portal, the pack station, reports and e-mails."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
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
from django.utils.translation import gettext_lazy as _lazy

from ecomops.calendar import day_start
from ecomops.compiled import compiled_read
from ecomops.money import ZERO, format_money, summed_money
from ecomops.sla.selectors import annotate_sla
from orders.models import Customer, Order, OrderLine, OrderState, PaymentTerms

from .models import (
    INVOICE_CLOCK,
    CreditTerms,
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
    RemittanceDifference,
    RemittanceDifferenceState,
    RemittanceOrder,
    RemittanceReceipt,
    Settlement,
)

MONEY: Any = DecimalField(max_digits=14, decimal_places=2)


# --- Invoices ------------------------------------------------------------------------------


def parcel_invoices(orders: Sequence[Order]) -> list[tuple[Order, Invoice]]:
    """Paper invoices issued to go into the parcel of these orders, each with its order (one
    of ``orders``, not read again), by order number. The pack station asks on every parcel
    closed, and most have none: read without a join or the invoices' other columns."""
    by_id = {order.pk: order for order in orders}
    if not by_id:
        return []
    rows = _parcel_invoice_rows.rows(order_ids=sorted(by_id))
    found = [
        (by_id[order_id], Invoice(pk=pk, order_id=order_id, number=number, kind=kind))
        for pk, order_id, number, kind in rows
    ]
    return sorted(found, key=lambda pair: (pair[0].number, pair[1].pk))


@compiled_read(order_ids=int)
def _parcel_invoice_rows(*, order_ids: list[int]) -> QuerySet[Invoice, Any]:
    return Invoice.objects.filter(
        order_id__in=order_ids, delivery_method=DeliveryMethod.PARCEL, original__isnull=True
    ).values_list("pk", "order_id", "number", "kind")


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


# Ageing runs from each order's due date: not due yet, then days overdue.
AGEING_BUCKETS = (
    ("not_due", None, 0),
    ("1-30", 1, 30),
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


class PlusDays(Func):
    """A date plus a whole number of days, as a date (SQLite keeps dates as text)."""

    output_field = DateField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        # PostgreSQL: date + integer is a date.
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" + ", **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="date(%(expressions)s || ' days')",
            arg_joiner=", '+' || ",
            **extra,
        )


def with_due_date(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """Annotate ``terms_days`` and ``due_date``: an order in a group-buying remittance is due
    when the remittance is; any other order its payment terms after the day it was accepted
    (the customer's ``CreditTerms``, else its channel's, else ``FINANCE_PAYMENT_TERMS_DAYS``
    on account and the same day when prepaid)."""
    customer_days = CreditTerms.objects.filter(customer_id=OuterRef("customer_id")).values("days")
    channel_days = CreditTerms.objects.filter(channel_id=OuterRef("channel_id")).values("days")
    remittance_due = (
        RemittanceOrder.objects.filter(order_id=OuterRef("pk"))
        .order_by("remittance__due_date")
        .values("remittance__due_date")
    )
    default_days = Case(
        When(
            channel__payment_terms=PaymentTerms.ON_ACCOUNT,
            then=Value(settings.FINANCE_PAYMENT_TERMS_DAYS),
        ),
        default=Value(0),
        output_field=IntegerField(),
    )
    return queryset.annotate(
        terms_days=Coalesce(
            Subquery(customer_days[:1], output_field=IntegerField()),
            Subquery(channel_days[:1], output_field=IntegerField()),
            default_days,
            output_field=IntegerField(),
        )
    ).annotate(
        due_date=Coalesce(
            Subquery(remittance_due[:1], output_field=DateField()),
            PlusDays(
                TruncDate("accepted_at", tzinfo=timezone.get_current_timezone()), F("terms_days")
            ),
            output_field=DateField(),
        )
    )


def receivables(*, status: str = "", today: date | None = None) -> QuerySet[Order]:
    """Orders by payment status: ``paid``, ``part`` (part-paid), ``unpaid`` or ``overdue``
    (not fully paid after the due date, see ``with_due_date``). Each row carries
    ``due_date``, for the days overdue."""
    today = today or timezone.localdate()
    qs = with_due_date(
        with_paid(
            Order.objects.exclude(state=OrderState.CANCELLED).select_related("channel", "customer")
        )
    )
    if status == "paid":
        qs = qs.filter(Q(paid__gte=F("total_amount")))
    elif status == "part":
        qs = qs.filter(Q(paid__gt=0) & Q(paid__lt=F("total_amount")))
    elif status == "unpaid":
        qs = qs.filter(Q(paid=0))
    elif status == "overdue":
        qs = qs.filter(Q(paid__lt=F("total_amount")) & Q(due_date__lt=today))
    return qs.order_by("accepted_at", "pk")


def days_overdue(order: Order, today: date | None = None) -> int:
    """Days since the order's due date (``with_due_date``); negative while not due."""
    today = today or timezone.localdate()
    return (today - order.due_date).days  # type: ignore[attr-defined]


def age_in_days(order: Order, today: date | None = None) -> int:
    today = today or timezone.localdate()
    return (today - timezone.localtime(order.accepted_at).date()).days


AGEING_LABELS = {
    "not_due": _lazy("Not due yet"),
    "1-30": _lazy("1–30 days overdue"),
    "31-60": _lazy("31–60 days overdue"),
    "61-90": _lazy("61–90 days overdue"),
    "90+": _lazy("More than 90 days overdue"),
}


def ageing(today: date | None = None) -> list[dict[str, Any]]:
    """Outstanding amounts of unpaid and part-paid orders by days past their due date."""
    today = today or timezone.localdate()
    open_orders = with_due_date(
        with_paid(Order.objects.exclude(state=OrderState.CANCELLED)).filter(
            Q(paid__lt=F("total_amount"))
        )
    )
    whens = []
    for index, (_key, low, high) in enumerate(AGEING_BUCKETS):
        if low is None:
            condition = Q(due_date__gte=today)
        else:
            condition = Q(due_date__lte=today - timedelta(days=low))
            if high is not None:
                condition &= Q(due_date__gte=today - timedelta(days=high))
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
            "key": key,
            "label": AGEING_LABELS[key],
            "count": found.get(index, {}).get("count", 0),
            "amount": summed_money(found.get(index, {}).get("amount")),
        }
        for index, (key, _low, _high) in enumerate(AGEING_BUCKETS)
    ]


def remittances_received_unallocated() -> dict[str, Any]:
    """Group-buying money in (part receipts) that waits for its remittance to be settled
    before it is allocated to the orders: a credit against the receivables above."""
    open_parts = Remittance.objects.filter(received_at__isnull=True, amount_received__gt=0)
    totals = open_parts.aggregate(amount=Sum("amount_received"), count=Count("pk"))
    return {"amount": summed_money(totals["amount"]), "count": totals["count"] or 0}


def customers_with_orders(*, query: str = "") -> QuerySet[Customer]:
    """Customers with orders (merged duplicates aside), with what they still owe, for
    picking one whose statement to draw up."""
    owed = (
        with_paid(
            Order.objects.filter(customer_id=OuterRef("pk")).exclude(state=OrderState.CANCELLED)
        )
        .values("customer_id")
        .annotate(s=Sum("outstanding"))
        .values("s")
    )
    qs = Customer.objects.filter(merged_into__isnull=True, orders__isnull=False).distinct()
    if query:
        qs = qs.filter(
            Q(name__icontains=query)
            | Q(phone__icontains=query)
            | Q(credit_code__icontains=query)
            | Q(orders__number__icontains=query)
        )
    return qs.annotate(
        owed=Coalesce(Subquery(owed, output_field=MONEY), Value(ZERO), output_field=MONEY)
    ).order_by("name", "pk")


# --- Group-buying remittances ----------------------------------------------------------------


def remittances(*, state: str = "", query: str = "") -> QuerySet[Remittance]:
    """Remittances, open ones first by due date; ``state`` is ``open``, ``held`` (a
    difference waits for finance) or ``settled``."""
    qs = Remittance.objects.select_related("channel").annotate(
        order_count=Count("order_links", distinct=True),
        held_count=Count(
            "differences",
            filter=Q(differences__state=RemittanceDifferenceState.HELD),
            distinct=True,
        ),
    )
    if state == "open":
        qs = qs.filter(received_at__isnull=True)
    elif state == "held":
        qs = qs.filter(differences__state=RemittanceDifferenceState.HELD).distinct()
    elif state == "settled":
        qs = qs.filter(received_at__isnull=False)
    if query.strip():
        q = query.strip()
        qs = qs.filter(
            Q(reference__icontains=q) | Q(description__icontains=q) | Q(channel__name__icontains=q)
        )
    return qs.order_by(F("received_at").desc(nulls_first=True), "due_date", "pk")


def remittance_detail(pk: int) -> Remittance:
    return Remittance.objects.select_related("channel").get(pk=pk)


def remittance_receipts(remittance: Remittance) -> QuerySet[RemittanceReceipt]:
    return remittance.receipts.select_related("payment", "recorded_by").order_by(
        "payment__paid_at", "pk"
    )


def remittance_differences(remittance: Remittance) -> QuerySet[RemittanceDifference]:
    return remittance.differences.select_related("booked_by", "decided_by", "payment").order_by(
        "booked_at", "pk"
    )


def remittance_allocation(remittance: Remittance) -> list[dict[str, Any]]:
    """Per order of the remittance: its total, what the remittance's payments allocated to
    it (received money and the share of what the site kept), and what it still owes."""
    payment_ids = list(
        Payment.objects.filter(
            Q(remittance_receipt__remittance=remittance)
            | Q(remittance_difference__remittance=remittance)
        ).values_list("pk", "reference_scope")
    )
    deduction_ids = {pk for pk, scope in payment_ids if scope != "bank"}
    rows = {
        row["order_id"]: {"received": ZERO, "kept": ZERO}
        for row in remittance.order_links.values("order_id")
    }
    for allocation in PaymentAllocation.objects.filter(
        payment_id__in=[pk for pk, _scope in payment_ids]
    ).values("order_id", "payment_id", "amount"):
        row = rows.setdefault(allocation["order_id"], {"received": ZERO, "kept": ZERO})
        key = "kept" if allocation["payment_id"] in deduction_ids else "received"
        row[key] += allocation["amount"]
    orders = with_paid(Order.objects.filter(pk__in=rows)).select_related("customer")
    result = []
    for order in orders.order_by("pk"):
        row = rows[order.pk]
        result.append(
            {
                "order": order,
                "received": row["received"],
                "kept": row["kept"],
                "allocated": row["received"] + row["kept"],
                # In Python: SQLite subtracts decimals as floats.
                "outstanding": order.total_amount - summed_money(order.paid),  # type: ignore[attr-defined]
            }
        )
    return result


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


def remittance_differences_held() -> QuerySet[RemittanceDifference]:
    """Differences beyond a site's tolerance that wait for finance's decision."""
    return (
        RemittanceDifference.objects.filter(state=RemittanceDifferenceState.HELD)
        .select_related("remittance", "remittance__channel")
        .order_by("booked_at", "pk")
    )


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
