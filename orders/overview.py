"""What orders gives the manager's live overview (``ecomops.portal.overview``): orders in
per hour against the same weekday last week, and the exception queue (异常订单)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ecomops.calendar import day_start
from ecomops.portal.overview import Figure, Panel, link, register_figures, register_panel
from ecomops.sla.models import SlaClock

from .models import Order, OrderState
from .selectors import EXCEPTION_CLOCK

# The chart: one group of two bars per hour, drawn server-side as inline SVG.
HOUR_WIDTH = 30
BAR_WIDTH = 12
CHART_HEIGHT = 120


@dataclass(frozen=True)
class HourBars:
    hour: int
    today: int
    last_week: int
    x: int
    today_height: int
    last_week_height: int
    future: bool  # an hour of today still to come

    @property
    def today_y(self) -> int:
        return CHART_HEIGHT - self.today_height

    @property
    def last_week_y(self) -> int:
        return CHART_HEIGHT - self.last_week_height

    @property
    def label_x(self) -> int:
        return self.x + BAR_WIDTH

    @property
    def labelled(self) -> bool:
        return self.hour % 3 == 0


@dataclass(frozen=True)
class OrdersPerHour:
    day: date
    compared_with: date
    hours: list[HourBars]
    today_total: int
    last_week_by_now: int  # the same weekday last week, up to this time of day
    last_week_total: int
    today_url: str
    last_week_url: str
    now_x: int  # where the current moment falls on the chart
    peak: int  # the tallest bar's count: the chart's scale

    @property
    def width(self) -> int:
        return len(self.hours) * HOUR_WIDTH

    @property
    def height(self) -> int:
        return CHART_HEIGHT

    @property
    def change_percent(self) -> int | None:
        """Today so far against last week by the same time, in per cent (None: nothing then)."""
        if not self.last_week_by_now:
            return None
        return round((self.today_total - self.last_week_by_now) * 100 / self.last_week_by_now)


def _bar(value: int, peak: int) -> int:
    if not value:
        return 0
    return max(2, round(value * CHART_HEIGHT / peak))


def orders_per_hour(now: datetime) -> OrdersPerHour:
    """Orders accepted per hour of today and of the same weekday a week ago, in one query."""
    local = timezone.localtime(now)
    today = local.date()
    before = today - timedelta(days=7)
    same_moment_before = now - timedelta(days=7)
    rows = (
        Order.objects.filter(
            Q(accepted_at__gte=day_start(today), accepted_at__lt=day_start(today + timedelta(1)))
            | Q(accepted_at__gte=day_start(before), accepted_at__lt=day_start(today - timedelta(6)))
        )
        .annotate(hour=TruncHour("accepted_at"))
        .values("hour")
        .annotate(n=Count("pk"), by_now=Count("pk", filter=Q(accepted_at__lt=same_moment_before)))
        .order_by("hour")
    )
    today_counts = [0] * 24
    before_counts = [0] * 24
    by_now = 0
    for row in rows:
        hour = timezone.localtime(row["hour"])
        counts = today_counts if hour.date() == today else before_counts
        counts[hour.hour] += row["n"]
        by_now += row["by_now"] if hour.date() == before else 0
    peak = max([*today_counts, *before_counts, 1])
    hours = [
        HourBars(
            hour=h,
            today=today_counts[h],
            last_week=before_counts[h],
            x=h * HOUR_WIDTH + 2,
            today_height=_bar(today_counts[h], peak),
            last_week_height=_bar(before_counts[h], peak),
            future=h > local.hour,
        )
        for h in range(24)
    ]

    def day_url(day: date) -> str:
        return link("orders:order_list", {"date_from": day.isoformat(), "date_to": day.isoformat()})

    return OrdersPerHour(
        day=today,
        compared_with=before,
        hours=hours,
        today_total=sum(today_counts),
        last_week_by_now=by_now,
        last_week_total=sum(before_counts),
        today_url=day_url(today),
        last_week_url=day_url(before),
        now_x=round((local.hour + local.minute / 60) * HOUR_WIDTH),
        peak=peak,
    )


def _orders_panel(now: datetime) -> Mapping[str, Any]:
    return {"chart": orders_per_hour(now)}


def exception_figures(now: datetime) -> list[Figure]:
    """The exception queue: parked orders, and those past their two working hours."""
    overdue = SlaClock.objects.filter(
        policy__code=EXCEPTION_CLOCK,
        content_type=ContentType.objects.get_for_model(Order),
        object_id=OuterRef("pk"),
        stopped_at__isnull=True,
        due_at__lt=now,
    )
    counts = Order.objects.filter(state=OrderState.EXCEPTION).aggregate(
        n=Count("pk"), late=Count("pk", filter=Q(Exists(overdue)))
    )
    return [
        Figure(
            key="orders.exceptions",
            label=pgettext_lazy("overview", "Exception queue"),
            value=counts["n"],
            late=counts["late"],
            url_name="orders:exception_queue",
            note=_("Parked orders that break a rule"),
            permission="orders.resolve_exception",
        )
    ]


register_figures("orders.exceptions", exception_figures, order=10)
register_panel(
    Panel(
        key="orders.per_hour",
        title=_("Orders in per hour"),
        template="orders/overview/_per_hour.html",
        read=_orders_panel,
        order=10,
        wide=True,
    )
)
