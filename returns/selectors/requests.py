"""Reads of return requests: what may still be returned, the queues, the reasons chart."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from ecomops.calendar import day_start
from ecomops.money import CENT, ZERO
from ecomops.sla.selectors import annotate_sla
from orders.models import Order, OrderLine
from warehouse.models import Location
from warehouse.selectors import shipped_quantities

from ..models import (
    OPEN_RETURN_STATES,
    REVIEW_CLOCK,
    REVIEW_STATES,
    ReturnLine,
    ReturnPhoto,
    ReturnReason,
    ReturnRequest,
    ReturnState,
)


def returned_quantities(order: Order, *, exclude_pk: int | None = None) -> dict[int, int]:
    """Units per order line already claimed by returns: what open requests ask for, and
    what closed ones took back (or refunded, for a refund without return)."""
    lines = ReturnLine.objects.filter(request__order=order).select_related("request")
    if exclude_pk is not None:
        lines = lines.exclude(request_id=exclude_pk)
    claimed: dict[int, int] = defaultdict(int)
    for line in lines:
        claimed[line.order_line_id] += _claimed_units(line)
    return dict(claimed)


def _claimed_units(line: ReturnLine) -> int:
    """What a return line holds: all it asks for while open, what was taken back (or
    refunded, without return) once closed, nothing when refused or withdrawn."""
    request = line.request
    if request.state in OPEN_RETURN_STATES:
        return line.quantity
    if request.state == ReturnState.CLOSED:
        return line.quantity if not request.needs_goods else line.accepted_quantity
    return 0


def returned_units_by_sku(orders: QuerySet[Order]) -> dict[int, int]:
    """Units per SKU returned or on their way back from ``orders`` (the extension point
    ``orders.extensions.returned_units`` asks this for campaign analysis)."""
    lines = ReturnLine.objects.filter(request__order__in=orders).select_related("request")
    units: dict[int, int] = defaultdict(int)
    for line in lines:
        units[line.sku_id] += _claimed_units(line)
    return {sku_id: n for sku_id, n in units.items() if n}


@dataclass(frozen=True)
class ReturnableLine:
    line_id: int
    position: int
    sku_code: str
    sku_name: str
    unit_price: object
    ordered: int
    shipped: int
    returned: int

    @property
    def returnable(self) -> int:
        return max(self.shipped - self.returned, 0)


def returnable_lines(order: Order) -> list[ReturnableLine]:
    """Each line of an order with what was shipped, already returned and may still be."""
    shipped = shipped_quantities(order)
    returned = returned_quantities(order)
    return [
        ReturnableLine(
            line_id=line.pk,
            position=line.position,
            sku_code=line.sku.code,
            sku_name=line.sku.name,
            unit_price=line.unit_price,
            ordered=line.quantity,
            shipped=shipped.get(line.pk, 0),
            returned=returned.get(line.pk, 0),
        )
        for line in order.lines.select_related("sku").order_by("position")
    ]


def return_window_ends(order: Order) -> datetime | None:
    """When the return window closes: RETURNS_WINDOW_DAYS after delivery (the end of that
    local day). None while the order is not delivered yet: the window has not started."""
    if order.delivered_at is None:
        return None
    delivered_on = timezone.localdate(order.delivered_at)
    return day_start(delivered_on + timedelta(days=settings.RETURNS_WINDOW_DAYS + 1))


def window_is_closed(order: Order, now: datetime | None = None) -> bool:
    ends = return_window_ends(order)
    return ends is not None and (now or timezone.now()) >= ends


# --- Lists and queues ------------------------------------------------------------------------


def _listed(queryset: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    return queryset.select_related("order", "order__channel", "customer", "opened_by").annotate(
        unit_count=Sum("lines__quantity"), photo_count=Count("photos", distinct=True)
    )


def request_list(*, q: str = "", state: str = "", kind: str = "") -> QuerySet[ReturnRequest]:
    requests = ReturnRequest.objects.all()
    if q:
        requests = requests.filter(
            Q(number__icontains=q)
            | Q(order__number__icontains=q)
            | Q(order__external_id__icontains=q)
            | Q(customer__name__icontains=q)
            | Q(customer__phone__icontains=q)
            | Q(return_waybill__icontains=q)
        )
    if state:
        requests = requests.filter(state=state)
    if kind:
        requests = requests.filter(kind=kind)
    return _listed(requests).order_by("-opened_at", "-pk")


def review_queue(state: str) -> QuerySet[ReturnRequest]:
    """Service's queue for one review state, most urgent first on the return-review clock."""
    return annotate_sla(_listed(ReturnRequest.objects.filter(state=state)), REVIEW_CLOCK).order_by(
        "sla_due_at", "opened_at", "pk"
    )


def review_queue_count() -> int:
    return ReturnRequest.objects.filter(state__in=REVIEW_STATES).count()


def review_queue_late_count() -> int:
    return (
        annotate_sla(ReturnRequest.objects.filter(state__in=REVIEW_STATES), REVIEW_CLOCK)
        .filter(sla_breached_at__isnull=False)
        .count()
    )


def confirm_queue() -> QuerySet[ReturnRequest]:
    """The shop manager's confirmations: approved requests, oldest approval first."""
    return (
        _listed(ReturnRequest.objects.filter(state=ReturnState.APPROVED))
        .select_related("approved_by")
        .order_by("reviewed_at", "pk")
    )


def receiving_queue() -> QuerySet[ReturnRequest]:
    """The warehouse's returns: goods expected (those with a waybill first) and received
    goods waiting for inspection."""
    return _listed(
        ReturnRequest.objects.filter(state__in=[ReturnState.AWAITING_GOODS, ReturnState.RECEIVED])
    ).order_by("-state", "-waybill_recorded_at", "confirmed_at", "pk")


def awaiting_goods_count() -> int:
    return ReturnRequest.objects.filter(state=ReturnState.AWAITING_GOODS).count()


def to_inspect_count() -> int:
    return ReturnRequest.objects.filter(state=ReturnState.RECEIVED).count()


def request_detail(pk: int) -> ReturnRequest:
    return (
        ReturnRequest.objects.select_related(
            "order",
            "order__channel",
            "customer",
            "opened_by",
            "approved_by",
            "confirmed_by",
            "received_by",
            "inspected_by",
            "replacement_order",
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ReturnLine.objects.select_related("sku", "order_line", "restock_location"),
            ),
            Prefetch("photos", queryset=ReturnPhoto.objects.select_related("uploaded_by")),
        )
        .get(pk=pk)
    )


def restock_locations() -> QuerySet[Location]:
    return (
        Location.objects.filter(active=True)
        .select_related("warehouse")
        .order_by("warehouse__name", "walk_order")
    )


# --- The weekly reasons chart ----------------------------------------------------------------


@dataclass(frozen=True)
class WeekReasons:
    week: date
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def reasons_per_week(*, weeks: int = 8, today: date | None = None) -> list[WeekReasons]:
    """Return requests opened per ISO week (Monday first) and reason, the last ``weeks``."""
    today = today or timezone.localdate()
    this_monday = today - timedelta(days=today.weekday())
    first = this_monday - timedelta(weeks=weeks - 1)
    rows = (
        ReturnRequest.objects.filter(opened_at__gte=day_start(first))
        .annotate(week=TruncWeek("opened_at", tzinfo=timezone.get_current_timezone()))
        .values("week", "reason")
        .annotate(n=Count("pk"))
    )
    by_week: dict[date, dict[str, int]] = defaultdict(dict)
    for row in rows:
        week = row["week"]
        week_date = week.date() if isinstance(week, datetime) else week
        by_week[week_date][row["reason"]] = row["n"]
    return [
        WeekReasons(
            week=first + timedelta(weeks=i),
            counts={
                reason: by_week.get(first + timedelta(weeks=i), {}).get(reason, 0)
                for reason in ReturnReason.values
            },
        )
        for i in range(weeks)
    ]


def find_order(text: str) -> Order | None:
    """An order by our number or the channel's order number."""
    text = text.strip()
    if not text:
        return None
    return (
        Order.objects.select_related("customer", "channel")
        .filter(Q(number__iexact=text) | Q(external_id=text))
        .order_by("-pk")
        .first()
    )


def order_returns(order: Order) -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.filter(order=order).order_by("-opened_at")


def net_value_of(order_line: OrderLine, units: int) -> Decimal:
    """What ``units`` of an order line cost the buyer: the line's net amount (less its
    share of the order's discount) per unit. All its units are exactly the net amount; a
    part is rounded down to the fen, so partial returns never add up to more."""
    if units >= order_line.quantity:
        return order_line.net_amount
    return (order_line.net_amount * units / order_line.quantity).quantize(CENT, rounding=ROUND_DOWN)


def refund_amount_for(request: ReturnRequest) -> Decimal:
    """What the accepted units of a request are worth (what the buyer paid for them)."""
    total = ZERO
    for line in request.lines.all():  # prefetched with their order lines by request_detail
        units = line.quantity if not request.needs_goods else line.accepted_quantity
        total += net_value_of(line.order_line, units)
    return total
