"""Campaigns through their services: plans, the go-live guard, prices in the window,
analysis from real orders, the report, the sweep and who may do what."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from ecomops.errors import ApplicationError, ConflictError, PermissionDeniedError
from ecomops.notifications.models import Notification
from ecomops.worktasks.models import TaskState, WorkTask
from ecomops.worktasks.services import task_accept, task_decline
from listings.models import PriceKind, SkuPrice
from listings.selectors import sku_online_price
from marketing import services
from marketing.models import Campaign, CampaignState, CampaignTask
from marketing.selectors import blocking_tasks, campaign_results
from orders.models import OrderState
from orders.services import order_intake
from tests.finance.factories import priced_order
from tests.marketing.factories import (
    complete_tasks,
    coordinated,
    live,
    open_now,
    planned,
    window,
)
from tests.orders.factories import make_channel
from tests.orders.factories import order_data as make_order_data
from tests.returns.factories import delivered_order, open_return

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def pdf_text(campaign: Campaign) -> str:
    with campaign.report.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


# --- Planning ---------------------------------------------------------------------------------


def test_plans_are_drafted_side_by_side_and_one_is_chosen_with_a_reason(
    promoter: Any, sku: Any, sku2: Any
) -> None:
    start, end = window()
    campaign = services.campaign_create(name="Winter", live_from=start, live_until=end, by=promoter)
    assert campaign.state == CampaignState.PLANNED
    assert campaign.number.startswith("HD")
    a = services.plan_save(
        campaign_id=campaign.pk,
        name="A: discount",
        mechanics="20% off",
        target_sales="30000",
        budget="2000",
        by=promoter,
    )
    b = services.plan_save(
        campaign_id=campaign.pk,
        name="B: gifts",
        mechanics="Gift with purchase",
        target_sales="25000",
        budget="4000",
        by=promoter,
    )
    services.plan_line_save(
        plan_id=a.pk, sku_code=sku.code, campaign_price="109.00", target_units=200, by=promoter
    )
    services.plan_line_save(
        plan_id=b.pk, sku_code=sku2.code, campaign_price="179.00", target_units=80, by=promoter
    )
    # Saving the same SKU again changes the line, it does not add one.
    services.plan_line_save(
        plan_id=a.pk, sku_code=sku.code, campaign_price="99.00", target_units=250, by=promoter
    )
    assert [(line.campaign_price, line.target_units) for line in a.lines.all()] == [
        (Decimal("99.00"), 250)
    ]

    with pytest.raises(ApplicationError) as no_reason:
        services.plan_choose(campaign_id=campaign.pk, plan_id=a.pk, reason=" ", by=promoter)
    assert "reason" in no_reason.value.extra["fields"]

    services.plan_choose(campaign_id=campaign.pk, plan_id=a.pk, reason="Better margin", by=promoter)
    campaign.refresh_from_db()
    assert campaign.chosen_plan == a
    assert campaign.choice_reason == "Better margin"
    assert campaign.plans.count() == 2  # the other plan stays for the record


def test_plan_lines_refuse_unknown_unlisted_and_overpriced_skus(promoter: Any, sku: Any) -> None:
    from tests.orders.factories import listed_sku

    delisted = listed_sku("OLD-1", state="delisted")
    start, end = window()
    campaign = services.campaign_create(name="Winter", live_from=start, live_until=end, by=promoter)
    plan = services.plan_save(
        campaign_id=campaign.pk, name="A", mechanics="x", target_sales="0", budget="0", by=promoter
    )

    def add(code: str, price: str, units: Any = 10) -> ApplicationError:
        with pytest.raises(ApplicationError) as refused:
            services.plan_line_save(
                plan_id=plan.pk,
                sku_code=code,
                campaign_price=price,
                target_units=units,
                by=promoter,
            )
        return refused.value

    assert "sku" in add("NOPE", "10.00").extra["fields"]
    assert "not listed" in add(delisted.code, "10.00").message
    assert "above the online price" in add(sku.code, "150.00").message
    assert "campaign_price" in add(sku.code, "0").extra["fields"]
    assert "target_units" in add(sku.code, "99.00", "many").extra["fields"]
    # A plan without SKUs cannot be chosen.
    with pytest.raises(ConflictError, match="no SKUs"):
        services.plan_choose(campaign_id=campaign.pk, plan_id=plan.pk, reason="x", by=promoter)


def test_a_window_in_the_past_or_backwards_is_refused_with_the_field_named(
    promoter: Any,
) -> None:
    now = timezone.now()
    with pytest.raises(ApplicationError) as past:
        services.campaign_create(
            name="Late",
            live_from=now - timedelta(hours=1),
            live_until=now + timedelta(days=1),
            by=promoter,
        )
    assert "live_from" in past.value.extra["fields"]
    with pytest.raises(ApplicationError) as backwards:
        services.campaign_create(
            name="Odd",
            live_from=now + timedelta(days=2),
            live_until=now + timedelta(days=1),
            by=promoter,
        )
    assert "live_until" in backwards.value.extra["fields"]


def test_the_preheat_needs_a_chosen_plan_and_ends_by_the_window(promoter: Any, sku: Any) -> None:
    start, end = window(hours_from_now=24 * 5)
    bare = services.campaign_create(name="Bare", live_from=start, live_until=end, by=promoter)
    today = timezone.localdate()
    with pytest.raises(ConflictError, match="Choose the plan"):
        services.campaign_start_preheat(
            campaign_id=bare.pk,
            preheat_from=today,
            preheat_until=today,
            channels="Weibo",
            notes="",
            by=promoter,
        )
    campaign, _plan = planned(promoter, [(sku, "99.00", 10)], live_from=start, live_until=end)
    with pytest.raises(ApplicationError) as late:
        services.campaign_start_preheat(
            campaign_id=campaign.pk,
            preheat_from=today,
            preheat_until=today + timedelta(days=10),
            channels="Weibo",
            notes="",
            by=promoter,
        )
    assert "preheat_until" in late.value.extra["fields"]
    services.campaign_start_preheat(
        campaign_id=campaign.pk,
        preheat_from=today,
        preheat_until=today + timedelta(days=2),
        channels="Weibo, Xiaohongshu",
        notes="Seeding posts",
        by=promoter,
    )
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.PRE_HEAT
    assert campaign.preheat_channels == "Weibo, Xiaohongshu"


# --- Coordination and the go-live guard -------------------------------------------------------


def test_coordination_dispatches_one_task_per_department_job(promoter: Any, sku: Any) -> None:
    campaign = coordinated(promoter, [(sku, "99.00", 100)])
    assert campaign.state == CampaignState.COORDINATION
    tasks = {t.kind: t.work_task for t in campaign.tasks.select_related("work_task")}
    assert {k: (t.to_department, t.to_role) for k, t in tasks.items()} == {
        "stock": ("warehouse", "warehouse_admin"),
        "service": ("service", ""),
        "design": ("ecommerce", "designer"),
        "platform": ("ecommerce", "shop_manager"),
    }
    for task in tasks.values():
        assert task.from_department == "marketing"
        assert task.state == TaskState.DISPATCHED
        assert task.due_at <= campaign.live_from
        assert sku.code in task.details
        assert task.source_url == campaign.get_absolute_url()


def test_open_tasks_block_go_live_until_completed_or_waived_by_a_manager(
    promoter: Any, manager: Any, workers: dict[str, Any], sku: Any
) -> None:
    campaign = coordinated(promoter, [(sku, "99.00", 100)])
    with pytest.raises(ConflictError) as blocked:
        services.campaign_go_live(campaign_id=campaign.pk, by=promoter)
    assert sorted(blocked.value.extra["blocking"]) == ["design", "platform", "service", "stock"]

    complete_tasks(campaign, workers, kinds=["stock", "service", "design"])
    with pytest.raises(ConflictError, match="Shop manager") as still:
        services.campaign_go_live(campaign_id=campaign.pk, by=promoter)
    assert still.value.extra["blocking"] == ["platform"]

    platform = campaign.tasks.get(kind="platform")
    # Only a manager waives, and only with a reason.
    with pytest.raises(PermissionDeniedError):
        services.campaign_task_waive(campaign_task_id=platform.pk, reason="late", by=promoter)
    with pytest.raises(ApplicationError) as no_reason:
        services.campaign_task_waive(campaign_task_id=platform.pk, reason="", by=manager)
    assert "reason" in no_reason.value.extra["fields"]
    services.campaign_task_waive(
        campaign_task_id=platform.pk, reason="Registration closed; shop-only event", by=manager
    )
    platform.refresh_from_db()
    assert platform.waived_by == manager
    assert blocking_tasks(campaign) == []

    services.campaign_go_live(campaign_id=campaign.pk, by=promoter)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.LIVE
    assert campaign.went_live_by == promoter


def test_a_declined_task_blocks_until_sent_again_and_completed(
    promoter: Any, workers: dict[str, Any], sku: Any
) -> None:
    campaign = coordinated(promoter, [(sku, "99.00", 100)])
    complete_tasks(campaign, workers, kinds=["stock", "service", "platform"])
    design = campaign.tasks.get(kind="design")
    task_decline(task_id=design.work_task_id, reason="Fully booked", by=workers["design"])
    with pytest.raises(ConflictError):
        services.campaign_go_live(campaign_id=campaign.pk, by=promoter)
    old = design.work_task_id
    services.campaign_task_redispatch(campaign_task_id=design.pk, by=promoter)
    design.refresh_from_db()
    assert design.work_task_id != old
    assert design.work_task.state == TaskState.DISPATCHED
    # An open task is not sent twice.
    with pytest.raises(ConflictError):
        services.campaign_task_redispatch(campaign_task_id=design.pk, by=promoter)
    complete_tasks(campaign, workers, kinds=["design"])
    services.campaign_go_live(campaign_id=campaign.pk, by=promoter)


# --- Prices in the window ---------------------------------------------------------------------


def test_campaign_prices_apply_only_inside_the_window_and_only_to_its_skus(
    promoter: Any, workers: dict[str, Any], sku: Any, sku2: Any, other_sku: Any
) -> None:
    campaign = coordinated(promoter, [(sku, "99.00", 100), (sku2, "169.00", 50)])
    complete_tasks(campaign, workers)
    before_live = campaign.live_from - timedelta(minutes=1)
    inside = campaign.live_from + timedelta(hours=1)
    after = campaign.live_until + timedelta(minutes=1)
    services.campaign_go_live(campaign_id=campaign.pk, by=promoter)

    assert sku_online_price(sku=sku, at=before_live) == Decimal("139.00")
    assert sku_online_price(sku=sku, at=campaign.live_from) == Decimal("99.00")
    assert sku_online_price(sku=sku, at=inside) == Decimal("99.00")
    assert sku_online_price(sku=sku2, at=inside) == Decimal("169.00")
    assert sku_online_price(sku=sku, at=campaign.live_until) == Decimal("139.00")
    assert sku_online_price(sku=sku, at=after) == Decimal("139.00")
    assert sku_online_price(sku=other_sku, at=inside) == Decimal("89.00")
    rows = SkuPrice.objects.filter(kind=PriceKind.PROMOTION, source=campaign.price_source)
    assert rows.count() == 2


def test_orders_placed_in_the_window_pay_the_campaign_price(
    promoter: Any, workers: dict[str, Any], sku: Any, other_sku: Any
) -> None:
    live(promoter, workers, [(sku, "99.00", 100)])
    channel = make_channel(code="tmall", price_tolerance_percent=Decimal("0"))
    now = timezone.now().isoformat()

    def order_data(**fields: Any) -> dict[str, Any]:
        return make_order_data(placed_at=now, paid_at=now, **fields)

    order = order_intake(
        channel=channel,
        data=order_data(lines=[{"sku": sku.code, "quantity": 1, "unit_price": "99.00"}]),
    ).order
    assert order.lines.get().list_price == Decimal("99.00")
    # The regular price of a campaign SKU is refused inside the window…
    with pytest.raises(ApplicationError) as refused:
        order_intake(
            channel=channel,
            data=order_data(
                external_id="TB2",
                lines=[{"sku": sku.code, "quantity": 1, "unit_price": "139.00"}],
            ),
        )
    assert "lines[0].unit_price" in refused.value.extra["fields"]
    # …while other SKUs keep theirs.
    other = order_intake(
        channel=channel,
        data=order_data(
            external_id="TB3",
            lines=[{"sku": other_sku.code, "quantity": 1, "unit_price": "89.00"}],
        ),
    ).order
    assert other.lines.get().list_price == Decimal("89.00")


def test_going_live_after_the_window_ended_is_refused(
    promoter: Any, workers: dict[str, Any], sku: Any
) -> None:
    campaign = coordinated(promoter, [(sku, "99.00", 100)])
    complete_tasks(campaign, workers)
    open_now(campaign, hours_ago=24 * 10)
    with pytest.raises(ConflictError, match="window ended"):
        services.campaign_go_live(campaign_id=campaign.pk, by=promoter)
    assert not SkuPrice.objects.filter(source=campaign.price_source).exists()


def test_ending_early_stops_the_prices_and_cancelling_withdraws_them(
    promoter: Any, workers: dict[str, Any], sku: Any, sku2: Any
) -> None:
    running = live(promoter, workers, [(sku, "99.00", 100)])
    services.campaign_end(campaign_id=running.pk, by=promoter)
    running.refresh_from_db()
    assert running.state == CampaignState.ANALYSIS
    assert running.ended_early_at is not None
    assert sku_online_price(sku=sku) == Decimal("139.00")
    # Orders placed while it was live paid the campaign price.
    assert sku_online_price(sku=sku, at=running.live_at) == Decimal("99.00")

    upcoming = coordinated(promoter, [(sku2, "169.00", 10)], name="Next")
    complete_tasks(upcoming, workers, kinds=["stock"])
    services.campaign_cancel(campaign_id=upcoming.pk, reason="Budget cut", by=promoter)
    upcoming.refresh_from_db()
    assert upcoming.state == CampaignState.CANCELLED
    states = set(
        WorkTask.objects.filter(pk__in=upcoming.tasks.values("work_task")).values_list(
            "state", flat=True
        )
    )
    assert states == {TaskState.COMPLETED, TaskState.CANCELLED}
    with pytest.raises(ConflictError):
        services.campaign_cancel(campaign_id=upcoming.pk, reason="again", by=promoter)


# --- Analysis -------------------------------------------------------------------------------


def test_results_count_the_windows_orders_of_the_campaign_skus_only(
    promoter: Any,
    workers: dict[str, Any],
    make_user: Any,
    sku: Any,
    sku2: Any,
    other_sku: Any,
) -> None:
    campaign = live(
        promoter,
        workers,
        [(sku, "99.00", 10), (sku2, "169.00", 4)],
        target_sales="2000.00",
        budget="300.00",
    )
    inside = campaign.live_from + timedelta(minutes=20)
    tmall, web = make_channel(code="tmall"), make_channel(code="webshop", name="Web shop")

    def order(lines: list[tuple[Any, int, str]], channel: Any, **fields: Any) -> Any:
        return priced_order(
            lines, channel=channel, placed_at=fields.pop("placed_at", inside), **fields
        )

    order([(sku, 2, "99.00")], tmall)
    order([(sku, 1, "99.00"), (other_sku, 3, "89.00")], tmall)  # the other line does not count
    order([(sku2, 1, "169.00")], web)
    order([(sku, 5, "99.00")], web, state=OrderState.CANCELLED)  # cancelled: out
    order([(sku, 7, "139.00")], tmall, placed_at=campaign.live_from - timedelta(minutes=1))
    order([(other_sku, 4, "89.00")], web)  # no campaign SKU: out
    returned = delivered_order(
        [(sku2, 2, "169.00")], channel=web, placed_at=inside, accepted_at=inside
    )
    open_return(returned, make_user("aftersales_service"), quantities={1: 1})

    results = campaign_results(campaign)
    assert results["orders"] == 4
    assert results["units"] == 6
    assert results["revenue"] == "804.00"  # 3 × 99 + 3 × 169
    assert results["target_sales"] == "2000.00"
    assert results["revenue_vs_target"] == "40.2"
    assert results["target_units"] == 14
    assert results["units_vs_target"] == "42.9"
    assert results["returned_units"] == 1
    by_sku = {row["sku"]: row for row in results["skus"]}
    assert (by_sku[sku.code]["orders"], by_sku[sku.code]["units"]) == (2, 3)
    assert by_sku[sku.code]["revenue"] == "297.00"
    assert by_sku[sku.code]["units_vs_target"] == "30.0"
    assert (by_sku[sku2.code]["units"], by_sku[sku2.code]["returned_units"]) == (3, 1)
    assert by_sku[sku2.code]["return_rate"] == "33.3"
    pairs = {(r["sku"], r["channel"]): (r["units"], r["revenue"]) for r in results["sku_channels"]}
    assert pairs == {
        (sku.code, "tmall"): (3, "297.00"),
        (sku2.code, "webshop"): (3, "507.00"),
    }
    channels = {c["channel"]: (c["orders"], c["units"], c["revenue"]) for c in results["channels"]}
    assert channels == {"tmall": (2, 3, "297.00"), "webshop": (2, 3, "507.00")}
    assert other_sku.code not in {row["sku"] for row in results["skus"]}


def test_sweep_ends_the_window_and_takes_ready_campaigns_live(
    promoter: Any, manager: Any, workers: dict[str, Any], sku: Any, sku2: Any
) -> None:
    running = live(promoter, workers, [(sku, "99.00", 10)])
    Campaign.objects.filter(pk=running.pk).update(live_until=timezone.now())
    ready = coordinated(promoter, [(sku2, "169.00", 5)], name="Ready")
    complete_tasks(ready, workers)
    open_now(ready)
    stuck = coordinated(promoter, [(sku2, "169.00", 5)], name="Stuck")
    open_now(stuck)

    first = services.campaigns_sweep()
    second = services.campaigns_sweep()
    assert first == {"ended": 1, "live": 1, "blocked": 1}
    assert second == {"ended": 0, "live": 0, "blocked": 1}
    running.refresh_from_db()
    ready.refresh_from_db()
    assert running.state == CampaignState.ANALYSIS
    assert running.results["units"] == 0
    assert ready.state == CampaignState.LIVE
    assert sku_online_price(sku=sku2) == Decimal("169.00")
    # Owner and managers are told once that tasks still block the stuck campaign.
    told = Notification.objects.filter(key=f"campaign:{stuck.pk}:blocked")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["boss", "promoter"]


# --- Closing with the report ----------------------------------------------------------------


def test_closing_needs_lessons_and_keeps_a_chinese_report_with_a_chart(
    promoter: Any, workers: dict[str, Any], sku: Any
) -> None:
    campaign = live(promoter, workers, [(sku, "99.00", 10)], name="冬季保湿节")
    priced_order([(sku, 4, "99.00")], placed_at=campaign.live_from + timedelta(minutes=5))
    services.campaign_end(campaign_id=campaign.pk, by=promoter)
    with pytest.raises(ApplicationError) as no_lessons:
        services.campaign_close(campaign_id=campaign.pk, lessons="  ", by=promoter)
    assert "lessons" in no_lessons.value.extra["fields"]
    services.campaign_close(
        campaign_id=campaign.pk, lessons="直降转化好。\n备货要多两成。", by=promoter
    )
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CLOSED
    assert campaign.results["units"] == 4
    text = pdf_text(campaign)
    for expected in (
        "促销活动总结报告",
        campaign.number,
        "冬季保湿节",
        "各商品销量与目标",  # the chart's title
        "实际销量",  # its legend
        sku.code,
        "396.00",
        "40.0%",
        "直降转化好。",
        "备货要多两成。",
    ):
        assert expected in text, expected
    # Closed results are frozen: later orders in the window do not change them.
    priced_order([(sku, 9, "99.00")], placed_at=campaign.live_from + timedelta(minutes=6))
    campaign.refresh_from_db()
    assert campaign.results["units"] == 4


# --- Who may do what ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["designer", "warehouse_admin", "shop_manager", "sales_rep"])
def test_only_promotion_staff_and_managers_run_campaigns(
    make_user: Any, promoter: Any, manager: Any, sku: Any, role: str
) -> None:
    outsider = make_user(role)
    start, end = window()
    with pytest.raises(PermissionDeniedError):
        services.campaign_create(name="X", live_from=start, live_until=end, by=outsider)
    campaign, _plan = planned(promoter, [(sku, "99.00", 10)])
    with pytest.raises(PermissionDeniedError):
        services.campaign_cancel(campaign_id=campaign.pk, reason="no", by=outsider)
    assert outsider.has_perm("marketing.view_campaign")
    assert not outsider.has_perm("marketing.waive_campaign_task")
    # A manager may run one too.
    services.campaign_create(name="Boss's", live_from=start, live_until=end, by=manager)


def test_a_task_accepted_but_not_completed_still_blocks(
    promoter: Any, workers: dict[str, Any], sku: Any
) -> None:
    campaign = coordinated(promoter, [(sku, "99.00", 10)])
    complete_tasks(campaign, workers, kinds=["service", "design", "platform"])
    stock = CampaignTask.objects.get(campaign=campaign, kind="stock")
    task_accept(task_id=stock.work_task_id, by=workers["stock"])
    with pytest.raises(ConflictError, match="Accepted"):
        services.campaign_go_live(campaign_id=campaign.pk, by=promoter)
