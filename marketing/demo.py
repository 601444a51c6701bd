"""Marketing demo data: a past campaign closed with its results and report, a running one
live now (its prices in listings), and one waiting on the departments before it can go
live (a task declined for a manager to waive). The past window cannot be replayed through
the services (they refuse a window in the past), so its history is written directly, like
the orders demo writes past orders. Run twice, it adds nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone, translation

from ecomops.accounts.roles import Department, RoleCode
from ecomops.numbering.services import next_number
from ecomops.worktasks.models import TaskState, WorkTask
from ecomops.worktasks.services import task_accept, task_complete, task_decline, task_report
from listings.models import PriceKind, Sku, SkuPrice, SkuState
from listings.selectors import with_current_price
from listings.services.pricing import base_subsidy_price_of
from orders.demo import HistoryOrder, completed_orders
from orders.models import Channel, Customer

from . import pdf, services
from .models import Campaign, CampaignPlan, CampaignState, CampaignTask, PlanLine, TaskKind
from .selectors import campaign_results, chosen_lines

Log = Callable[[str], None]

PAST = "双十一大促"
RUNNING = "冬季保湿节"
COORDINATING = "元旦焕新季"

TASK_DEPARTMENTS = {
    TaskKind.STOCK: (Department.WAREHOUSE, RoleCode.WAREHOUSE_ADMIN),
    TaskKind.SERVICE: (Department.SERVICE, ""),
    TaskKind.DESIGN: (Department.ECOMMERCE, RoleCode.DESIGNER),
    TaskKind.PLATFORM: (Department.ECOMMERCE, RoleCode.SHOP_MANAGER),
}


def _user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def _skus(count: int) -> list[Any]:
    return list(
        with_current_price(Sku.objects.filter(state=SkuState.LISTED))
        .filter(regular_price__isnull=False)  # type: ignore[misc]
        .order_by("code")[:count]
    )


def _campaign_price(regular: Decimal, percent_off: int) -> Decimal:
    return (regular * (100 - percent_off) / 100).quantize(Decimal("1")) - Decimal("0.10")


# A deep cut goes below the base subsidy price only with the business unit's agreement.
BELOW_SUBSIDY_REASON = "大促让利，事业部已同意，差额按底价补贴结算"


def _below_subsidy_reason(sku: Any, price: Decimal) -> str:
    floor = base_subsidy_price_of(sku)
    return BELOW_SUBSIDY_REASON if floor is not None and price < floor else ""


def seed_marketing(log: Log) -> None:
    if Campaign.objects.filter(name__in=[PAST, RUNNING, COORDINATING]).exists():
        log("  marketing demo already there")
        return
    skus = _skus(5)
    if len(skus) < 3:
        log("  marketing demo skipped: it needs listed, priced SKUs")
        return
    with translation.override("zh-hans"):
        _past_campaign(skus[:4], log)
        _running_campaign(skus[1:4], log)
        _coordinating_campaign(skus[2:5], log)


def _plans(campaign: Campaign, skus: list[Any], by: Any) -> CampaignPlan:
    """Two plans side by side; the first is chosen."""
    plans = []
    for name, mechanics, off, target, budget in (
        ("方案A：直降", "活动商品直降，叠加店铺满299减30优惠券。", 20, "180000.00", "15000.00"),
        ("方案B：买赠", "买正装赠旅行装，满399包邮。", 10, "150000.00", "22000.00"),
    ):
        plan = CampaignPlan.objects.create(
            campaign=campaign,
            name=name,
            mechanics=mechanics,
            target_sales=Decimal(target),
            budget=Decimal(budget),
            created_by=by,
        )
        for index, sku in enumerate(skus):
            price = _campaign_price(sku.regular_price, off)
            PlanLine.objects.create(
                plan=plan,
                sku=sku,
                campaign_price=price,
                target_units=300 - 50 * index,
                below_subsidy_reason=_below_subsidy_reason(sku, price),
            )
        plans.append(plan)
    return plans[0]


def _past_campaign(skus: list[Any], log: Log) -> None:
    """Last month's big promotion, closed: tasks done, orders in its window, a report."""
    promoter, manager = _user(RoleCode.PROMOTION), _user(RoleCode.MANAGER)
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    start = datetime.combine(today - timedelta(days=24), time(0, 0), tz)
    end = datetime.combine(today - timedelta(days=12), time(0, 0), tz)
    campaign = Campaign.objects.create(
        number=next_number("HD", day=(start - timedelta(days=30)).date()),
        name=PAST,
        goal="拉新与冲量：保湿系列销售额达到18万元，带动新客下单。",
        owner=promoter,
        live_from=start,
        live_until=end,
        created_by=promoter,
        state=CampaignState.CLOSED,
        preheat_from=(start - timedelta(days=7)).date(),
        preheat_until=(start - timedelta(days=1)).date(),
        preheat_channels="微博、小红书、抖音",
        preheat_notes="品牌推广组发布种草笔记与短视频，预约领券。",
        preheat_started_at=start - timedelta(days=7),
        coordination_started_at=start - timedelta(days=6),
        live_at=start,
        went_live_by=promoter,
        analysis_at=end,
        closed_at=end + timedelta(days=3),
        closed_by=promoter,
        lessons="直降比买赠转化更好，应继续采用。\n"
        "首日流量峰值时客服响应偏慢，下次活动需增加临时客服。\n"
        "两款商品活动第三天断货，备货应按目标的120%准备。",
    )
    plan = _plans(campaign, skus, promoter)
    campaign.chosen_plan = plan
    campaign.choice_reason = "方案A测算毛利更高，直降对新客更直观。"
    campaign.chosen_at = start - timedelta(days=9)
    campaign.chosen_by = promoter
    campaign.save(update_fields=["chosen_plan", "choice_reason", "chosen_at", "chosen_by"])
    for kind, (department, role) in TASK_DEPARTMENTS.items():
        done = start - timedelta(days=2)
        CampaignTask.objects.create(
            campaign=campaign,
            kind=kind,
            work_task=WorkTask.objects.create(
                number=next_number("RW", day=(start - timedelta(days=6)).date()),
                title=f"{PAST}：{TaskKind(kind).label}",
                details=f"活动 {campaign.number} {PAST}",
                from_department=Department.MARKETING,
                to_department=department,
                to_role=role,
                due_at=start - timedelta(days=1),
                state=TaskState.COMPLETED,
                dispatched_by=promoter,
                dispatched_at=start - timedelta(days=6),
                accepted_at=start - timedelta(days=5),
                completed_at=done,
                completion_note="已完成。",
                source_label=f"活动 {campaign.number}",
                source_url=campaign.get_absolute_url(),
            ),
        )
    lines = chosen_lines(campaign)
    for line in lines:
        SkuPrice.objects.create(
            sku=line.sku,
            kind=PriceKind.PROMOTION,
            price=line.campaign_price,
            valid_from=start,
            valid_until=end,
            source=campaign.price_source,
            reason=f"活动 {campaign.number} {PAST}",
            below_subsidy_reason=line.below_subsidy_reason,
            changed_by=manager,
        )
    _window_orders(campaign, lines)
    campaign.results = campaign_results(campaign)
    campaign.results_at = campaign.closed_at
    campaign.save(update_fields=["results", "results_at"])
    content = pdf.campaign_report(campaign, lines=lines)
    campaign.report.save(f"{campaign.number}-report.pdf", ContentFile(content), save=True)
    log(f"  campaign {campaign.number} {PAST}: closed with its report")


def _window_orders(campaign: Campaign, lines: list[PlanLine]) -> None:
    rng = random.Random(11)  # noqa: S311  (demo data, repeatable)
    customers = list(Customer.objects.order_by("pk")[:40])
    kinds = ["tmall", "taobao", "webshop"]
    channels = list(Channel.objects.filter(kind__in=kinds).order_by("code"))
    if not customers or not channels:
        return
    span = campaign.live_until - campaign.live_from
    by_channel: dict[int, list[HistoryOrder]] = {}
    for n in range(160):
        placed = campaign.live_from + span * (n / 160) + timedelta(minutes=rng.randrange(50))
        line = rng.choice(lines)
        channel = rng.choice(channels)
        by_channel.setdefault(channel.pk, []).append(
            (placed, rng.choice(customers), [(line.sku, rng.randint(1, 3), line.campaign_price)])
        )
    for channel in channels:
        completed_orders(channel, by_channel.get(channel.pk, []))


def _dispatched(campaign: Campaign) -> dict[str, CampaignTask]:
    return {task.kind: task for task in campaign.tasks.select_related("work_task")}


def _running_campaign(skus: list[Any], log: Log) -> None:
    """Live now: its prices are listings' promotional prices for the window."""
    promoter, manager = _user(RoleCode.PROMOTION), _user(RoleCode.MANAGER)
    now = timezone.now()
    campaign = services.campaign_create(
        name=RUNNING,
        goal="冬季保湿系列冲量，销售额目标18万元。",
        live_from=now + timedelta(minutes=1),
        live_until=now + timedelta(days=6),
        by=promoter,
    )
    plan = _plans(campaign, skus, promoter)
    services.plan_choose(
        campaign_id=campaign.pk,
        plan_id=plan.pk,
        reason="直降对冬季补货的老客最直接，预算更省。",
        by=promoter,
    )
    services.campaign_start_preheat(
        campaign_id=campaign.pk,
        preheat_from=timezone.localdate(),
        preheat_until=timezone.localdate(),
        channels="小红书、微信公众号",
        notes="推文预告与会员短信。",
        by=promoter,
    )
    services.campaign_coordinate(campaign_id=campaign.pk, by=promoter)
    tasks = _dispatched(campaign)
    for kind, username in (
        (TaskKind.STOCK, RoleCode.WAREHOUSE_ADMIN),
        (TaskKind.SERVICE, RoleCode.PRESALES_SERVICE),
        (TaskKind.DESIGN, RoleCode.DESIGNER),
    ):
        worker = _user(username)
        task_accept(task_id=tasks[kind].work_task_id, by=worker)
        task_report(task_id=tasks[kind].work_task_id, text="已开始处理。", by=worker)
        task_complete(task_id=tasks[kind].work_task_id, note="已完成。", by=worker)
    services.campaign_task_waive(
        campaign_task_id=tasks[TaskKind.PLATFORM].pk,
        reason="平台报名已截止，本次只做店内活动。",
        by=manager,
    )
    services.campaign_go_live(campaign_id=campaign.pk, by=promoter)
    log(f"  campaign {campaign.number} {RUNNING}: live")


def _coordinating_campaign(skus: list[Any], log: Log) -> None:
    """Waiting on the departments: stock accepted, design declined (for a manager)."""
    promoter = _user(RoleCode.PROMOTION)
    now = timezone.now()
    start = datetime.combine(
        timezone.localdate() + timedelta(days=12), time(0, 0), timezone.get_current_timezone()
    )
    campaign = services.campaign_create(
        name=COORDINATING,
        goal="新年焕新，推新品组合装。",
        live_from=start,
        live_until=start + timedelta(days=5),
        by=promoter,
    )
    plan = _plans(campaign, skus, promoter)
    services.plan_choose(
        campaign_id=campaign.pk, plan_id=plan.pk, reason="新品需要价格刺激。", by=promoter
    )
    services.campaign_start_preheat(
        campaign_id=campaign.pk,
        preheat_from=timezone.localdate(now),
        preheat_until=(start - timedelta(days=1)).date(),
        channels="抖音、微博",
        notes="达人短视频种草。",
        by=promoter,
    )
    services.campaign_coordinate(campaign_id=campaign.pk, by=promoter)
    tasks = _dispatched(campaign)
    keeper, designer = _user(RoleCode.WAREHOUSE_ADMIN), _user(RoleCode.DESIGNER)
    task_accept(task_id=tasks[TaskKind.STOCK].work_task_id, by=keeper)
    task_report(
        task_id=tasks[TaskKind.STOCK].work_task_id,
        text="两款商品库存不足，已向供应商补货，预计下周到仓。",
        by=keeper,
    )
    task_decline(
        task_id=tasks[TaskKind.DESIGN].work_task_id,
        reason="设计组本周排满年货节页面，无法承接。",
        by=designer,
    )
    log(f"  campaign {campaign.number} {COORDINATING}: waiting on the departments")
