"""Reads of campaigns: lists, the go-live guard and the results from real orders."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from ecomops.money import ZERO, summed_money
from ecomops.worktasks.models import TaskState
from orders.extensions import returned_units
from orders.models import Order, OrderLine, OrderState

from .models import RUNNING_STATES, Campaign, CampaignPlan, CampaignState, CampaignTask, PlanLine

# Revenue is what buyers paid for the goods: each order line net of its discount share.
NET_LINE_AMOUNT = F("amount") - F("discount_share")


def _percent(part: Decimal | int, whole: Decimal | int) -> str | None:
    """``part`` of ``whole`` in percent with one decimal, or None without a target."""
    if not whole:
        return None
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1")))


# --- Lists ----------------------------------------------------------------------------------


def campaigns(*, state: str = "", query: str = "") -> QuerySet[Campaign]:
    qs = Campaign.objects.select_related("owner", "chosen_plan")
    if state:
        qs = qs.filter(state=state)
    if query.strip():
        q = query.strip()
        qs = qs.filter(Q(number__icontains=q) | Q(name__icontains=q))
    return qs.order_by("-live_from", "-pk")


def campaign_board() -> dict[str, list[Campaign]]:
    """Running and recent campaigns by state, for the marketing desk."""
    board: dict[str, list[Campaign]] = {state: [] for state in CampaignState.values}
    recent = campaigns().exclude(
        state__in=[CampaignState.CLOSED, CampaignState.CANCELLED],
    )
    for campaign in recent:
        board[campaign.state].append(campaign)
    board[CampaignState.CLOSED] = list(campaigns(state=CampaignState.CLOSED)[:5])
    return board


def campaign_detail(pk: int) -> Campaign:
    return (
        Campaign.objects.select_related("owner", "chosen_plan", "chosen_by", "went_live_by")
        .prefetch_related(
            Prefetch(
                "plans",
                queryset=CampaignPlan.objects.prefetch_related(
                    Prefetch("lines", queryset=PlanLine.objects.select_related("sku"))
                ).order_by("pk"),
            ),
            Prefetch(
                "tasks",
                queryset=CampaignTask.objects.select_related("work_task", "waived_by").order_by(
                    "pk"
                ),
            ),
        )
        .get(pk=pk)
    )


def chosen_lines(campaign: Campaign) -> list[PlanLine]:
    if campaign.chosen_plan_id is None:
        return []
    return list(
        PlanLine.objects.filter(plan_id=campaign.chosen_plan_id)
        .select_related("sku")
        .order_by("pk")
    )


def campaigns_needing_action_count() -> int:
    """Campaigns the promotion team has to move: plans to choose, tasks to chase, results
    to review."""
    return Campaign.objects.filter(
        state__in=[
            CampaignState.PLANNED,
            CampaignState.PRE_HEAT,
            CampaignState.COORDINATION,
            CampaignState.ANALYSIS,
        ]
    ).count()


def running_campaigns() -> QuerySet[Campaign]:
    return campaigns().filter(state__in=RUNNING_STATES)


# --- The go-live guard ----------------------------------------------------------------------


def task_is_done(task: CampaignTask) -> bool:
    return task.is_waived or task.work_task.state == TaskState.COMPLETED


def blocking_tasks(campaign: Campaign) -> list[CampaignTask]:
    """The department tasks that keep ``campaign`` from going live: neither completed by
    their department nor waived by a manager."""
    tasks = campaign.tasks.select_related("work_task").order_by("pk")
    return [task for task in tasks if not task_is_done(task)]


def waivers_pending_count() -> int:
    """Campaign tasks declined by their department, which a manager may waive."""
    return CampaignTask.objects.filter(
        campaign__state=CampaignState.COORDINATION,
        waived_at__isnull=True,
        work_task__state__in=[TaskState.DECLINED, TaskState.CANCELLED],
    ).count()


# --- Results --------------------------------------------------------------------------------


def window_end(campaign: Campaign) -> datetime:
    """The end of the window the campaign actually ran: earlier when it was ended early."""
    if campaign.ended_early_at and campaign.ended_early_at < campaign.live_until:
        return campaign.ended_early_at
    return campaign.live_until


def campaign_orders(campaign: Campaign) -> QuerySet[Order]:
    """Orders placed in the window with at least one of the campaign's SKUs, cancelled
    orders aside."""
    sku_ids = [line.sku_id for line in chosen_lines(campaign)]
    return (
        Order.objects.filter(
            placed_at__gte=campaign.live_from,
            placed_at__lt=window_end(campaign),
            lines__sku_id__in=sku_ids,
        )
        .exclude(state=OrderState.CANCELLED)
        .distinct()
    )


def campaign_results(campaign: Campaign) -> dict[str, Any]:
    """The campaign's figures from the real orders of its window (JSON-ready).

    Per SKU: orders, units and revenue against the plan's target units, and the units
    returned so far; per SKU and channel; per channel; and the totals against the plan's
    target sales and budget. Only the campaign's SKUs count; an order's other lines do not.
    """
    plan = campaign.chosen_plan
    lines = chosen_lines(campaign)
    sku_ids = [line.sku_id for line in lines]
    orders = campaign_orders(campaign)
    sold_lines = OrderLine.objects.filter(order__in=orders, sku_id__in=sku_ids)
    by_sku_channel = list(
        sold_lines.values("sku_id", "order__channel__code", "order__channel__name")
        .annotate(
            orders=Count("order", distinct=True),
            units=Sum("quantity"),
            revenue=Sum(NET_LINE_AMOUNT),
        )
        .order_by("sku_id", "order__channel__code")
    )
    by_sku: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"orders": 0, "units": 0, "revenue": ZERO}
    )
    for row in (
        sold_lines.values("sku_id")
        .annotate(
            orders=Count("order", distinct=True),
            units=Sum("quantity"),
            revenue=Sum(NET_LINE_AMOUNT),
        )
        .order_by()
    ):
        by_sku[row["sku_id"]] = {
            "orders": row["orders"],
            "units": row["units"] or 0,
            "revenue": summed_money(row["revenue"]),
        }
    returned = returned_units(orders)
    codes = {line.sku_id: line.sku.code for line in lines}

    sku_rows = []
    for line in lines:
        sold = by_sku[line.sku_id]
        back = min(returned.get(line.sku_id, 0), sold["units"]) if sold["units"] else 0
        sku_rows.append(
            {
                "sku": line.sku.code,
                "name": line.sku.name,
                "campaign_price": str(line.campaign_price),
                "orders": sold["orders"],
                "units": sold["units"],
                "revenue": str(sold["revenue"]),
                "target_units": line.target_units,
                "units_vs_target": _percent(sold["units"], line.target_units),
                "returned_units": back,
                "return_rate": _percent(back, sold["units"]),
            }
        )

    channels: dict[str, dict[str, Any]] = {}
    channel_rows = []
    for row in by_sku_channel:
        code = row["order__channel__code"]
        revenue = summed_money(row["revenue"])
        channel_rows.append(
            {
                "sku": codes[row["sku_id"]],
                "channel": code,
                "channel_name": row["order__channel__name"],
                "orders": row["orders"],
                "units": row["units"] or 0,
                "revenue": str(revenue),
            }
        )
        total = channels.setdefault(
            code, {"channel": code, "channel_name": row["order__channel__name"], "units": 0}
        )
        total["units"] += row["units"] or 0
        total["revenue"] = str(summed_money(total.get("revenue")) + revenue)
    channel_orders = {
        row["channel__code"]: row["n"]
        for row in orders.order_by().values("channel__code").annotate(n=Count("pk", distinct=True))
    }
    for code, total in channels.items():
        total["orders"] = channel_orders.get(code, 0)

    revenue = sum((summed_money(r["revenue"]) for r in sku_rows), ZERO)
    units = sum(r["units"] for r in sku_rows)
    returned_total = sum(r["returned_units"] for r in sku_rows)
    target_sales = plan.target_sales if plan else ZERO
    target_units = sum(line.target_units for line in lines)
    return {
        "window": {
            "from": campaign.live_from.isoformat(),
            "until": window_end(campaign).isoformat(),
        },
        "computed_at": timezone.now().isoformat(),
        "plan": plan.name if plan else "",
        "orders": orders.count(),
        "units": units,
        "revenue": str(revenue),
        "target_sales": str(target_sales),
        "revenue_vs_target": _percent(revenue, target_sales),
        "target_units": target_units,
        "units_vs_target": _percent(units, target_units),
        "budget": str(plan.budget if plan else ZERO),
        "returned_units": returned_total,
        "return_rate": _percent(returned_total, units),
        "skus": sku_rows,
        "sku_channels": channel_rows,
        "channels": sorted(channels.values(), key=lambda c: c["channel"]),
    }


def campaign_figures(campaign: Campaign) -> dict[str, Any] | None:
    """What the campaign page shows: live figures while it runs or is analysed, the frozen
    snapshot once closed, nothing before it went live."""
    if campaign.state == CampaignState.CLOSED:
        return campaign.results or None
    if campaign.state in (CampaignState.LIVE, CampaignState.ANALYSIS):
        return campaign_results(campaign)
    return None


def campaigns_to_end(now: datetime) -> QuerySet[Campaign]:
    return Campaign.objects.filter(state=CampaignState.LIVE, live_until__lte=now)


def campaigns_to_take_live(now: datetime) -> QuerySet[Campaign]:
    return Campaign.objects.filter(
        state=CampaignState.COORDINATION, live_from__lte=now, live_until__gt=now
    )


# --- for the portal ---


def campaign_tasks_by_campaign(campaign_ids: list[int]) -> dict[int, list[CampaignTask]]:
    """The department tasks of these campaigns with their work tasks, by campaign, in one
    query (the marketing desk shows them on each coordinated campaign's card)."""
    by_campaign: dict[int, list[CampaignTask]] = {pk: [] for pk in campaign_ids}
    tasks = (
        CampaignTask.objects.filter(campaign_id__in=campaign_ids)
        .select_related("work_task")
        .order_by("campaign_id", "pk")
    )
    for task in tasks:
        by_campaign[task.campaign_id].append(task)
    return by_campaign
