"""Reads of orders, customers and channels for pages, the API and other apps."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from difflib import SequenceMatcher
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.sla.models import SlaClock
from ecomops.sla.selectors import annotate_sla

from .models import (
    Channel,
    ChannelSkuMapping,
    Customer,
    CustomerChange,
    Order,
    OrderImport,
    OrderState,
)

IDENTIFICATION_CLOCK = "customer_identification"
SALES_ORDER_CLOCK = "sales_order"
DELIVERY_NOTE_CLOCK = "delivery_note"
ORDER_CLOCKS = (IDENTIFICATION_CLOCK, SALES_ORDER_CLOCK, DELIVERY_NOTE_CLOCK)

# Candidates scoring below this are not worth the rep's time.
CANDIDATE_MIN_SCORE = 0.35
CANDIDATE_LIMIT = 5


# --- Identification ----------------------------------------------------------------------


def _active_customers() -> QuerySet[Customer]:
    return Customer.objects.filter(merged_into__isnull=True)


def exact_customer_match(data: dict[str, Any]) -> Customer | None:
    """The customer an order's details identify beyond doubt, or None.

    A credit code (companies) or ID number (individuals) names one customer. A phone
    number does when exactly one customer has it and that customer's own code or ID does
    not contradict the order's.
    """
    credit_code = data.get("credit_code") or ""
    id_number = data.get("id_number") or ""
    phone = data.get("phone") or ""
    query = Q()
    if credit_code:
        query |= Q(credit_code=credit_code)
    if id_number:
        query |= Q(id_number=id_number)
    if phone:
        query |= Q(phone=phone)
    if not query:
        return None
    found = list(_active_customers().filter(query).order_by("pk")[:20])
    if credit_code:
        by_code = [c for c in found if c.credit_code == credit_code]
        if len(by_code) == 1:
            return by_code[0]
    if id_number:
        by_id = [c for c in found if c.id_number == id_number]
        if len(by_id) == 1:
            return by_id[0]
    by_phone = [c for c in found if phone and c.phone == phone]
    if len(by_phone) != 1:
        return None
    candidate = by_phone[0]
    if credit_code and candidate.credit_code and candidate.credit_code != credit_code:
        return None
    if id_number and candidate.id_number and candidate.id_number != id_number:
        return None
    if data.get("kind") and candidate.kind != data.get("kind"):
        return None
    return candidate


@dataclass
class Candidate:
    customer: Customer
    score: float
    reasons: list[str] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def _similarity(a: str, b: str) -> float:
    a, b = (a or "").strip().lower(), (b or "").strip().lower()
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b).ratio()


def identification_candidates(order: Order, limit: int = CANDIDATE_LIMIT) -> list[Candidate]:
    """Customers who may be the order's, best first: name, phone and address similarity.

    Scores: name 50%, phone 30% (full number, or the last four digits for half), address
    20%. Looked for among customers sharing the phone, the name, its first two characters
    in the same city, or the street address.
    """
    data = order.customer_data or {}
    name = data.get("name") or order.receiver_name
    phone = data.get("phone") or order.receiver_phone
    street = data.get("street_address") or order.ship_street
    city = data.get("city") or order.ship_city
    address = (
        "".join(data.get(k) or "" for k in ("province", "city", "district", "street_address"))
        or order.ship_address
    )
    query = Q(name=name)
    if phone:
        query |= Q(phone=phone) | Q(phone__endswith=phone[-4:])
    if street:
        query |= Q(street_address=street)
    if len(name) >= 2 and city:
        query |= Q(name__startswith=name[:2], city=city)
    pool = _active_customers().filter(query).order_by("pk")[:200]
    ranked: list[Candidate] = []
    for customer in pool:
        reasons: list[str] = []
        name_score = _similarity(name, customer.name)
        if name_score >= 0.5:
            reasons.append(_("name %(percent)d%% alike") % {"percent": round(name_score * 100)})
        phone_score = 0.0
        if phone and customer.phone == phone:
            phone_score = 1.0
            reasons.append(_("same phone"))
        elif phone and customer.phone and customer.phone[-4:] == phone[-4:]:
            phone_score = 0.5
            reasons.append(_("phone ends the same"))
        address_score = _similarity(address, customer.address)
        if address_score >= 0.6:
            reasons.append(
                _("address %(percent)d%% alike") % {"percent": round(address_score * 100)}
            )
        score = 0.5 * name_score + 0.3 * phone_score + 0.2 * address_score
        if score >= CANDIDATE_MIN_SCORE:
            ranked.append(Candidate(customer, round(score, 3), reasons))
    ranked.sort(key=lambda c: (-c.score, c.customer.pk))
    return ranked[:limit]


# --- Orders ------------------------------------------------------------------------------


def _orders() -> QuerySet[Order]:
    return Order.objects.select_related("channel", "customer")


def identification_queue() -> QuerySet[Order]:
    """Orders waiting for their customer, least time left first."""
    return annotate_sla(_orders().filter(state=OrderState.RECEIVED), IDENTIFICATION_CLOCK).order_by(
        "sla_due_at", "pk"
    )


def confirmation_queue() -> QuerySet[Order]:
    """Identified orders the rep checks and confirms, least time left first."""
    return annotate_sla(_orders().filter(state=OrderState.IDENTIFIED), SALES_ORDER_CLOCK).order_by(
        "sla_due_at", "pk"
    )


def on_hold_orders() -> QuerySet[Order]:
    return _orders().filter(state=OrderState.ON_HOLD).order_by("accepted_at", "pk")


def queue_late_count(code: str = IDENTIFICATION_CLOCK) -> int:
    """Running ``code`` clocks already overdue (red on the rep's home page)."""
    return SlaClock.objects.filter(
        policy__code=code,
        stopped_at__isnull=True,
        due_at__lt=timezone.now(),
    ).count()


def order_search(
    *,
    q: str = "",
    channel_id: int | None = None,
    state: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    customer_id: int | None = None,
) -> QuerySet[Order]:
    """Orders by number, channel order number, phone or name; channel, state, accepted date."""
    qs = _orders()
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(number__iexact=q)
            | Q(external_id=q)
            | Q(receiver_phone=q)
            | Q(customer__phone=q)
            | Q(receiver_name__icontains=q)
            | Q(customer__name__icontains=q)
        )
    if channel_id:
        qs = qs.filter(channel_id=channel_id)
    if state:
        qs = qs.filter(state=state)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(accepted_at__gte=datetime.combine(date_from, datetime.min.time(), tz))
    if date_to:
        end = datetime.combine(date_to + timedelta(days=1), datetime.min.time(), tz)
        qs = qs.filter(accepted_at__lt=end)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    return qs.order_by("-accepted_at", "-pk")


def order_detail(pk: int) -> Order:
    return _orders().prefetch_related("lines__sku", "pushes").get(pk=pk)


# --- Customers ---------------------------------------------------------------------------


def customer_search(q: str = "", kind: str = "") -> QuerySet[Customer]:
    qs = _active_customers().annotate(
        order_count=Count("orders"), last_order_at=Max("orders__accepted_at")
    )
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(phone=q) | Q(id_number=q.upper()) | Q(credit_code=q.upper())
        )
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("name", "pk")


def customer_detail(pk: int) -> Customer:
    return Customer.objects.select_related("merged_into").get(pk=pk)


def customer_orders(customer: Customer) -> QuerySet[Order]:
    return _orders().filter(customer=customer).order_by("-accepted_at", "-pk")


def customer_history(customer: Customer) -> QuerySet[CustomerChange]:
    return customer.changes.select_related("changed_by").order_by("-changed_at", "-pk")


def customer_figures(customer: Customer) -> dict[str, Any]:
    """Orders, repeat purchases and spend of a customer (cancelled orders left out)."""
    figures = (
        Order.objects.filter(customer=customer)
        .exclude(state=OrderState.CANCELLED)
        .aggregate(orders=Count("pk"), spent=Sum("total_amount"), last=Max("accepted_at"))
    )
    orders = figures["orders"] or 0
    return {
        "orders": orders,
        "repeat_purchases": max(orders - 1, 0),
        "spent": figures["spent"] or 0,
        "last_order_at": figures["last"],
    }


def repeat_customers(min_orders: int = 2) -> QuerySet[Customer]:
    """Customers with ``min_orders`` orders or more (cancelled ones not counted)."""
    return (
        _active_customers()
        .annotate(
            order_count=Count("orders", filter=~Q(orders__state=OrderState.CANCELLED)),
            spent=Sum("orders__total_amount", filter=~Q(orders__state=OrderState.CANCELLED)),
            last_order_at=Max("orders__accepted_at"),
        )
        .filter(order_count__gte=min_orders)
        .order_by("-order_count", "name")
    )


def merge_targets(customer: Customer) -> QuerySet[Customer]:
    """Customers a duplicate could be merged into: same kind, not itself."""
    return _active_customers().filter(kind=customer.kind).exclude(pk=customer.pk)


# --- Channels and imports ----------------------------------------------------------------


def channels() -> QuerySet[Channel]:
    return Channel.objects.annotate(mapping_count=Count("sku_mappings", distinct=True)).order_by(
        "code"
    )


def channel_mappings(channel: Channel) -> QuerySet[ChannelSkuMapping]:
    return channel.sku_mappings.select_related("sku").order_by("outer_id")


def imports_recent() -> QuerySet[OrderImport]:
    return OrderImport.objects.select_related("channel", "uploaded_by").order_by("-uploaded_at")[
        :20
    ]


def previous_import(order_import: OrderImport) -> OrderImport | None:
    """The earlier import of the very same file into the same channel, if any."""
    return (
        OrderImport.objects.filter(
            channel=order_import.channel,
            file_sha256=order_import.file_sha256,
            state=OrderImport.State.IMPORTED,
        )
        .exclude(pk=order_import.pk)
        .order_by("imported_at")
        .first()
    )


# --- Figures -----------------------------------------------------------------------------


def orders_per_channel_per_day(days: int = 14) -> dict[str, Any]:
    """{"days": [date...], "series": [{"channel", "counts": [...]}], "max": n} for a chart."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, datetime.min.time(), tz)
    rows = (
        Order.objects.filter(accepted_at__gte=start)
        .annotate(day=TruncDate("accepted_at", tzinfo=tz))
        .values("channel__name", "day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    day_list = [first + timedelta(days=i) for i in range(days)]
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for row in rows:
        counts[row["channel__name"]][row["day"]] = row["n"]
    per_channel = {
        name: [by_day.get(d, 0) for d in day_list] for name, by_day in sorted(counts.items())
    }
    series = [{"channel": name, "counts": values} for name, values in per_channel.items()]
    totals = [sum(values[i] for values in per_channel.values()) for i in range(days)]
    return {"days": day_list, "series": series, "totals": totals, "max": max(totals or [0])}


def sla_met_rates(days: int = 14) -> list[dict[str, Any]]:
    """Per order clock: stopped clocks of the last ``days`` days, how many met, the share."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        SlaClock.objects.filter(
            policy__code__in=ORDER_CLOCKS, stopped_at__isnull=False, started_at__gte=since
        )
        .values("policy__code", "policy__name")
        .annotate(
            clock_count=Count("pk"),
            late_count=Count("pk", filter=Q(breached_at__isnull=False)),
        )
        .order_by()
    )
    by_code = {row["policy__code"]: row for row in rows}
    result = []
    for code in ORDER_CLOCKS:
        row = by_code.get(code)
        if row is None:
            continue
        met = row["clock_count"] - row["late_count"]
        result.append(
            {
                "code": code,
                "name": row["policy__name"],
                "total": row["clock_count"],
                "met": met,
                "percent": round(100 * met / row["clock_count"]) if row["clock_count"] else 0,
            }
        )
    return result
