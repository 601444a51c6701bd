"""Campaigns in a given state, built through the services as staff would."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from ecomops.worktasks.services import task_accept, task_complete
from marketing import services
from marketing.models import Campaign, CampaignPlan


def window(hours_from_now: float = 48, days: float = 5) -> tuple[datetime, datetime]:
    start = timezone.now() + timedelta(hours=hours_from_now)
    return start, start + timedelta(days=days)


def planned(
    promoter: Any,
    lines: list[tuple[Any, str, int]],
    *,
    name: str = "冬季保湿节",
    live_from: datetime | None = None,
    live_until: datetime | None = None,
    target_sales: str = "50000.00",
    budget: str = "5000.00",
) -> tuple[Campaign, CampaignPlan]:
    """A campaign with one plan of ``lines`` (sku, campaign price, target units), chosen."""
    start, end = window()
    campaign = services.campaign_create(
        name=name, live_from=live_from or start, live_until=live_until or end, by=promoter
    )
    plan = services.plan_save(
        campaign_id=campaign.pk,
        name="Plan A",
        mechanics="20% off",
        target_sales=target_sales,
        budget=budget,
        by=promoter,
    )
    for sku, price, units in lines:
        services.plan_line_save(
            plan_id=plan.pk,
            sku_code=sku.code,
            campaign_price=price,
            target_units=units,
            by=promoter,
        )
    services.plan_choose(
        campaign_id=campaign.pk, plan_id=plan.pk, reason="Best margin", by=promoter
    )
    campaign.refresh_from_db()
    return campaign, plan


def coordinated(promoter: Any, lines: list[tuple[Any, str, int]], **kwargs: Any) -> Campaign:
    campaign, _plan = planned(promoter, lines, **kwargs)
    day = timezone.localdate()
    services.campaign_start_preheat(
        campaign_id=campaign.pk,
        preheat_from=day,
        preheat_until=day,
        channels="Weibo",
        notes="",
        by=promoter,
    )
    return services.campaign_coordinate(campaign_id=campaign.pk, by=promoter)


def complete_tasks(
    campaign: Campaign, workers: dict[str, Any], kinds: list[str] | None = None
) -> None:
    for task in campaign.tasks.all():
        if kinds is not None and task.kind not in kinds:
            continue
        task_accept(task_id=task.work_task_id, by=workers[task.kind])
        task_complete(task_id=task.work_task_id, note="done", by=workers[task.kind])


def live(
    promoter: Any, workers: dict[str, Any], lines: list[tuple[Any, str, int]], **kwargs: Any
) -> Campaign:
    """A campaign live now: its window is moved to have opened an hour ago."""
    campaign = coordinated(promoter, lines, **kwargs)
    complete_tasks(campaign, workers)
    open_now(campaign)
    return services.campaign_go_live(campaign_id=campaign.pk, by=promoter)


def open_now(campaign: Campaign, *, hours_ago: float = 1) -> None:
    """Let time pass: the window opened ``hours_ago`` (services refuse past windows)."""
    length = campaign.live_until - campaign.live_from
    start = timezone.now() - timedelta(hours=hours_ago)
    Campaign.objects.filter(pk=campaign.pk).update(live_from=start, live_until=start + length)
    campaign.refresh_from_db()
