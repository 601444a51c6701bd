"""Reads about group-buying deals: the board, a deal's orders and its results."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum

from ecomops.calendar import day_start
from ecomops.money import summed_money
from orders.models import Order, OrderLine, OrderState
from warehouse.selectors import stock_totals

from ..models import (
    DEAL_BOARD,
    PROPOSAL_DOCUMENTS,
    Deal,
    DealDocument,
    DealLine,
    DealState,
    DocumentKind,
)

# Revenue is what buyers paid for the goods: each order line net of its discount share.
NET_LINE_AMOUNT = F("amount") - F("discount_share")


def deal_orders(deal: Deal) -> QuerySet[Order]:
    """The site's orders placed inside the deal's window (listing date to last day)."""
    channel_id = deal.partner.channel_id
    if channel_id is None or deal.listing_date is None or deal.end_date is None:
        return Order.objects.none()
    return Order.objects.filter(
        channel_id=channel_id,
        placed_at__gte=day_start(deal.listing_date),
        placed_at__lt=day_start(deal.end_date + timedelta(days=1)),
    )


def deal_results(deal: Deal) -> dict[str, Any]:
    """Sold against estimated per SKU, orders, units and revenue (cancelled orders aside)."""
    lines = list(deal.lines.select_related("sku").order_by("pk"))
    orders = deal_orders(deal).exclude(state=OrderState.CANCELLED)
    sold = {
        row["sku_id"]: row
        for row in OrderLine.objects.filter(order__in=orders)
        .values("sku_id")
        .annotate(units=Sum("quantity"), revenue=Sum(NET_LINE_AMOUNT))
        .order_by()
    }
    rows = []
    for line in lines:
        figures = sold.get(line.sku_id, {})
        rows.append(
            {
                "sku_code": line.sku.code,
                "sku_name": line.sku.name,
                "group_price": line.group_price,
                "estimated": line.estimated_quantity,
                "min_quantity": line.min_quantity,
                "sold": figures.get("units") or 0,
                "revenue": summed_money(figures.get("revenue")),
            }
        )
    totals = OrderLine.objects.filter(order__in=orders).aggregate(
        units=Sum("quantity"), revenue=Sum(NET_LINE_AMOUNT)
    )
    return {
        "orders": orders.count(),
        "units": totals["units"] or 0,
        "estimated": sum(line.estimated_quantity for line in lines),
        "revenue": summed_money(totals["revenue"]),
        "lines": rows,
    }


def deal_detail(pk: int) -> Deal:
    return (
        Deal.objects.select_related("partner__channel", "owner", "created_by", "stock_prepared_by")
        .prefetch_related(
            Prefetch("lines", queryset=DealLine.objects.select_related("sku").order_by("pk")),
            Prefetch(
                "documents",
                queryset=DealDocument.objects.select_related("uploaded_by").order_by("kind", "pk"),
            ),
        )
        .get(pk=pk)
    )


def deals(*, state: str = "", query: str = "", owner_id: int | None = None) -> QuerySet[Deal]:
    qs = Deal.objects.select_related("partner", "owner").annotate(line_count=Count("lines"))
    if state:
        qs = qs.filter(state=state)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if query.strip():
        q = query.strip()
        qs = qs.filter(
            Q(number__icontains=q) | Q(title__icontains=q) | Q(partner__shop_name__icontains=q)
        )
    return qs.order_by("-created_at", "-pk")


def deal_board(*, owner_id: int | None = None) -> list[dict[str, Any]]:
    """The deals board: one column per state (cancelled aside), each with its deals."""
    columns: dict[str, list[Deal]] = defaultdict(list)
    for deal in deals(owner_id=owner_id).exclude(state=DealState.CANCELLED):
        columns[deal.state].append(deal)
    labels = dict(DealState.choices)
    return [
        {
            "state": state,
            "label": labels[state],
            "deals": columns[state],
            "count": len(columns[state]),
        }
        for state in DEAL_BOARD
    ]


# The states in which a deal's next move is ours: propose, prepare, take live, bill, close.
WAITING_ON_US = (
    DealState.CONTACTED,
    DealState.SCHEDULED,
    DealState.PREPARED,
    DealState.SHIPPED,
    DealState.REMITTED,
)


def deals_needing_action(*, owner_id: int | None = None) -> QuerySet[Deal]:
    return deals(owner_id=owner_id).filter(state__in=WAITING_ON_US)


def deals_needing_action_count() -> int:
    return Deal.objects.filter(state__in=WAITING_ON_US).count()


def stock_requests_open() -> QuerySet[Deal]:
    """Deals whose stock the warehouse was asked to prepare and has not confirmed."""
    return (
        Deal.objects.filter(
            state=DealState.SCHEDULED,
            stock_requested_at__isnull=False,
            stock_prepared_at__isnull=True,
        )
        .select_related("partner")
        .prefetch_related(
            Prefetch("lines", queryset=DealLine.objects.select_related("sku").order_by("pk"))
        )
        .order_by("listing_date", "pk")
    )


def missing_documents(deal: Deal) -> list[str]:
    """The papers still to attach before the proposal goes out (the quote sheet is made)."""
    present = set(deal.documents.values_list("kind", flat=True))
    return [
        str(DocumentKind(kind).label)
        for kind in PROPOSAL_DOCUMENTS
        if kind != DocumentKind.QUOTE_SHEET and kind not in present
    ]


def stock_checks(deals: list[Deal]) -> dict[int, list[dict[str, Any]]]:
    """Per deal, per line: the estimate, what the warehouse has available now and the
    shortfall; one stock query for every deal (lines prefetched or not)."""
    lines = {deal.pk: list(deal.lines.all()) for deal in deals}
    totals = stock_totals(sorted({line.sku_id for rows in lines.values() for line in rows}))
    checks: dict[int, list[dict[str, Any]]] = {}
    for deal_id, rows in lines.items():
        checks[deal_id] = []
        for line in rows:
            available = totals.get(line.sku_id, {}).get("available", 0)
            checks[deal_id].append(
                {
                    "line": line,
                    "available": available,
                    "short": max(0, line.estimated_quantity - available),
                }
            )
    return checks


def stock_check(deal: Deal) -> list[dict[str, Any]]:
    """One deal's lines against the warehouse's available stock."""
    return stock_checks([deal])[deal.pk]
