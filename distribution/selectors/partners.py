"""Reads about partners: the pipeline, a partner's page, reminders due, sales per month."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ecomops.calendar import day_start
from ecomops.money import ZERO, summed_money, to_money
from finance.services.payments import order_paid_amount
from finance.services.refunds import order_refunded_amount
from orders.models import Order, OrderLine, OrderState

from ..models import (
    PIPELINE,
    Authorization,
    ContactLogEntry,
    Deal,
    DealState,
    Partner,
    PartnerKind,
    PartnerState,
    ProgrammeVersion,
    Screening,
)

# Revenue is what buyers paid for the goods: each order line net of its discount share.
NET_LINE_AMOUNT = F("amount") - F("discount_share")

# --- Agents' first order -----------------------------------------------------------------


def first_order_minimum() -> Decimal:
    return to_money(settings.DISTRIBUTION_AGENT_FIRST_ORDER_MIN)


def first_order_paid_amount(partner: Partner) -> Decimal:
    """What the agent has paid for its first order, less what is being or was refunded.
    An unpaid order counts nothing, whatever its total."""
    if partner.first_order_id is None:
        return ZERO
    paid = order_paid_amount(partner.first_order_id) - order_refunded_amount(partner.first_order_id)
    return to_money(max(paid, ZERO))


def first_order_status(partner: Partner) -> dict[str, Decimal] | None:
    """Paid, minimum and missing for an agent whose first order is placed."""
    if partner.first_order_id is None:
        return None
    paid = first_order_paid_amount(partner)
    minimum = first_order_minimum()
    return {"paid": paid, "minimum": minimum, "missing": max(ZERO, minimum - paid)}


# --- Distributor screening ---------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    minimum: Decimal | int
    value: Decimal | int | None

    @property
    def met(self) -> bool:
        return self.value is not None and self.value >= self.minimum

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "minimum": str(self.minimum),
            "value": None if self.value is None else str(self.value),
            "met": self.met,
        }


CRITERIA_LABELS = {
    "shop_rating": gettext_lazy("Shop rating"),
    "monthly_sales": gettext_lazy("Monthly sales (CNY)"),
    "years_open": gettext_lazy("Years open"),
}


def criteria_minimums() -> dict[str, Decimal | int]:
    """The minimums of ``DISTRIBUTION_SCREENING`` by criterion."""
    rules = settings.DISTRIBUTION_SCREENING
    return {
        "shop_rating": Decimal(rules["min_shop_rating"]),
        "monthly_sales": int(rules["min_monthly_sales"]),
        "years_open": Decimal(rules["min_years_open"]),
    }


def brochure_criteria() -> list[dict[str, Any]]:
    """The criteria as the brochure prints them (label, minimum)."""
    return [
        {"label": CRITERIA_LABELS[key], "minimum": str(minimum)}
        for key, minimum in criteria_minimums().items()
    ]


def screening_criteria(partner: Partner) -> list[Criterion]:
    """Each criterion of ``DISTRIBUTION_SCREENING`` with the shop's value."""
    values = {
        "shop_rating": partner.shop_rating,
        "monthly_sales": partner.monthly_sales,
        "years_open": partner.years_open,
    }
    return [
        Criterion(key, str(CRITERIA_LABELS[key]), minimum, values[key])
        for key, minimum in criteria_minimums().items()
    ]


# --- Lists and the pipeline -----------------------------------------------------------------


def partners(
    *, kind: str = "", state: str = "", query: str = "", owner_id: int | None = None
) -> QuerySet[Partner]:
    qs = Partner.objects.select_related("owner", "channel")
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(state=state)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if query.strip():
        q = query.strip()
        qs = qs.filter(
            Q(shop_name__icontains=q)
            | Q(company_name__icontains=q)
            | Q(number__icontains=q)
            | Q(contacts__name__icontains=q)
            | Q(contacts__phone__icontains=q)
        ).distinct()
    return qs.order_by("shop_name", "pk")


def pipeline(*, kind: str, owner_id: int | None = None) -> list[dict[str, Any]]:
    """The kanban of one kind: a column per state with its partners and count."""
    columns: dict[str, list[Partner]] = defaultdict(list)
    qs = partners(kind=kind, owner_id=owner_id).annotate(
        open_steps=Count(
            "log",
            filter=Q(log__next_step_due__isnull=False, log__next_step_done_at__isnull=True),
        )
    )
    for partner in qs:
        columns[partner.state].append(partner)
    labels = dict(PartnerState.choices)
    return [
        {
            "state": state,
            "label": labels[state],
            "partners": columns[state],
            "count": len(columns[state]),
        }
        for state in PIPELINE[PartnerKind(kind)]
    ]


def pipeline_counts() -> dict[str, dict[str, int]]:
    """Partners per kind and state, in one query."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in Partner.objects.values("kind", "state").annotate(n=Count("pk")).order_by():
        counts[row["kind"]][row["state"]] = row["n"]
    return counts


def partner_detail(pk: int) -> Partner:
    return (
        Partner.objects.select_related("owner", "channel", "first_order", "created_by")
        .prefetch_related(
            "contacts",
            "recommended_skus",
            Prefetch("log", queryset=ContactLogEntry.objects.select_related("recorded_by")),
            Prefetch(
                "authorizations",
                queryset=Authorization.objects.select_related("issued_by").prefetch_related(
                    "brands"
                ),
            ),
            Prefetch("screenings", queryset=Screening.objects.select_related("decided_by")),
            Prefetch("deals", queryset=Deal.objects.order_by("-created_at")),
        )
        .get(pk=pk)
    )


def current_programme() -> ProgrammeVersion | None:
    return ProgrammeVersion.objects.select_related("changed_by").order_by("-version").first()


def applications_to_screen() -> QuerySet[Partner]:
    return partners(kind=PartnerKind.DISTRIBUTOR, state=PartnerState.APPLIED).order_by(
        "applied_at", "pk"
    )


# --- Reminders --------------------------------------------------------------------------------


def steps_due(
    *, owner: Any | None = None, until: datetime | None = None
) -> QuerySet[ContactLogEntry]:
    """Open next steps due by ``until`` (default: the end of today)."""
    until = until or day_start(timezone.localdate() + timedelta(days=1))
    qs = ContactLogEntry.objects.select_related("partner__owner").filter(
        next_step_due__lt=until, next_step_done_at__isnull=True
    )
    if owner is not None:
        qs = qs.filter(partner__owner=owner)
    return qs.order_by("next_step_due", "pk")


def renewed() -> Exists:
    """The letter's partner already holds a later letter (a renewal), so its end is no
    news: ``Authorization.objects.filter(~renewed())`` are those still to renew."""
    return Exists(
        Authorization.objects.filter(
            partner_id=OuterRef("partner_id"),
            revoked_at__isnull=True,
            valid_until__gt=OuterRef("valid_until"),
        )
    )


def authorizations_expiring(
    *, owner: Any | None = None, today: date | None = None
) -> QuerySet[Authorization]:
    """Letters running out within the reminder days, not revoked and not yet renewed."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.DISTRIBUTION_AUTHORIZATION_REMINDER_DAYS)
    qs = (
        Authorization.objects.select_related("partner__owner")
        .filter(valid_until__gte=today, valid_until__lte=horizon, revoked_at__isnull=True)
        .filter(~renewed())
        .exclude(partner__state=PartnerState.TERMINATED)
    )
    if owner is not None:
        qs = qs.filter(partner__owner=owner)
    return qs.order_by("valid_until", "pk")


def deals_coming(*, owner: Any | None = None) -> QuerySet[Deal]:
    """Scheduled deals not yet prepared, nearest (or already passed) listing date first."""
    qs = Deal.objects.select_related("partner").filter(state=DealState.SCHEDULED)
    if owner is not None:
        qs = qs.filter(owner=owner)
    return qs.order_by("listing_date", "pk")


def reminders_count(user: Any) -> int:
    return steps_due(owner=user).count() + authorizations_expiring(owner=user).count()


# --- Sales --------------------------------------------------------------------------------------


def _months(count: int, today: date) -> list[date]:
    first = today.replace(day=1)
    months = []
    for _index in range(count):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def partner_sales_by_month(*, months: int = 12, today: date | None = None) -> dict[str, Any]:
    """Revenue of partners' orders per month and partner kind (cancelled orders aside), for
    the chart: ``{"months": [date...], "series": [{"kind", "label", "values"}], "max"}``."""
    today = today or timezone.localdate()
    axis = _months(months, today)
    start = day_start(axis[0])
    rows = (
        OrderLine.objects.filter(order__channel__partner__isnull=False, order__placed_at__gte=start)
        .exclude(order__state=OrderState.CANCELLED)
        .annotate(month=TruncMonth("order__placed_at"))
        .values("month", "order__channel__partner__kind")
        .annotate(revenue=Sum(NET_LINE_AMOUNT))
        .order_by()
    )
    values: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for row in rows:
        month = row["month"]
        month_day = month.date() if isinstance(month, datetime) else month
        kind = row["order__channel__partner__kind"]
        values[kind][month_day] = values[kind].get(month_day, ZERO) + summed_money(row["revenue"])
    series: list[dict[str, Any]] = [
        {
            "kind": kind,
            "label": label,
            "values": [values[kind].get(month, ZERO) for month in axis],
        }
        for kind, label in PartnerKind.choices
    ]
    totals = [sum((s["values"][i] for s in series), ZERO) for i in range(len(axis))]
    peak = max(totals, default=ZERO)
    return {"months": axis, "series": series, "max": peak}


def partner_sales(partner: Partner, *, months: int = 12) -> dict[str, Any]:
    """One partner's orders per month, its best-selling SKUs and latest orders."""
    if partner.channel_id is None:
        return {"months": [], "top_skus": [], "recent": [], "totals": {}}
    today = timezone.localdate()
    axis = _months(months, today)
    orders = Order.objects.filter(channel_id=partner.channel_id).exclude(state=OrderState.CANCELLED)
    lines = OrderLine.objects.filter(order__in=orders)
    per_month = {
        (r["month"].date() if isinstance(r["month"], datetime) else r["month"]): r
        for r in lines.filter(order__placed_at__gte=day_start(axis[0]))
        .annotate(month=TruncMonth("order__placed_at"))
        .values("month")
        .annotate(
            orders=Count("order", distinct=True),
            units=Sum("quantity"),
            revenue=Sum(NET_LINE_AMOUNT),
        )
        .order_by()
    }
    month_rows = [
        {
            "month": month,
            "orders": per_month.get(month, {}).get("orders", 0),
            "units": per_month.get(month, {}).get("units") or 0,
            "revenue": summed_money(per_month.get(month, {}).get("revenue")),
        }
        for month in axis
    ]
    top = [
        {**row, "revenue": summed_money(row["revenue"])}
        for row in lines.values("sku__code", "sku__name")
        .annotate(units=Sum("quantity"), revenue=Sum(NET_LINE_AMOUNT))
        .order_by("-units", "sku__code")[:10]
    ]
    totals = lines.aggregate(units=Sum("quantity"), revenue=Sum(NET_LINE_AMOUNT))
    return {
        "months": month_rows,
        "top_skus": top,
        "recent": list(
            Order.objects.filter(channel_id=partner.channel_id)
            .select_related("customer")
            .order_by("-placed_at")[:20]
        ),
        "totals": {
            "orders": orders.count(),
            "units": totals["units"] or 0,
            "revenue": summed_money(totals["revenue"]),
        },
        "max": max((row["revenue"] for row in month_rows), default=ZERO),
    }
