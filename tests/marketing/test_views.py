"""The marketing desk through the portal: the board, the list, creating a campaign, and a
campaign's page with its plans, pre-heat, department tasks, go-live, results and report."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecomops.worktasks.models import TaskState
from ecomops.worktasks.services import task_accept, task_decline
from marketing import services
from marketing.models import Campaign, CampaignPlan, CampaignState, CampaignTask, PlanLine
from tests.finance.factories import priced_order
from tests.marketing.factories import complete_tasks, coordinated, live, planned, window

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def url(name: str, *args: Any) -> str:
    return reverse(f"marketing:{name}", args=args)


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return response.content.decode()


def local_input(moment: Any) -> str:
    """What a datetime-local input sends: company time, to the minute."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def field_html(page: str, name: str) -> str:
    """The first form field ``name`` on the page: its input and its errors."""
    start = page.index(f'data-field="{name}"')
    ends = [page.find(mark, start + 1) for mark in ("data-field=", "</form>")]
    return page[start : min(end for end in ends if end > 0)]


def closed(promoter: Any, workers: dict[str, Any], sku: Any) -> Campaign:
    campaign = live(promoter, workers, [(sku, "99.00", 10)], name="Spring")
    priced_order([(sku, 4, "99.00")], placed_at=campaign.live_from + timedelta(minutes=5))
    services.campaign_end(campaign_id=campaign.pk, by=promoter)
    return services.campaign_close(campaign_id=campaign.pk, lessons="Stock more.", by=promoter)


# --- Every page, and who may see it --------------------------------------------------------


def test_every_page_renders_for_promotion_staff_and_a_manager(
    promoter: Any, manager: Any, workers: dict[str, Any], sku: Any, sku2: Any, client: Client
) -> None:
    drafted, drafted_plan = planned(promoter, [(sku, "99.00", 10)], name="Drafted")
    waiting = coordinated(promoter, [(sku2, "169.00", 5)], name="Waiting")
    running = live(promoter, workers, [(sku, "99.00", 10)], name="Running")
    done = closed(promoter, workers, sku2)
    pages = [
        url("home"),
        url("campaign_list"),
        url("campaign_list") + "?state=coordination&q=Wait",
        url("campaign_list") + "?page=2",
        url("campaign_new"),
        url("campaign_edit", drafted.pk),
        *(url("campaign_detail", c.pk) for c in (drafted, waiting, running, done)),
        url("campaign_detail", drafted.pk) + f"?line={PlanLine.objects.get(plan=drafted_plan).pk}",
    ]
    for user in (promoter, manager):
        login(client, user)
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, (user.username, page)

    board = html(client.get(url("home")))
    for campaign in (drafted, waiting, running):
        assert campaign.name in board
    assert "4 tasks block go-live" in board  # the coordinated campaign's open tasks
    assert url("campaign_report", done.pk) in board  # recently closed, with its report
    listed = html(client.get(url("campaign_list") + "?state=coordination"))
    assert waiting.number in listed
    assert drafted.number not in listed


@pytest.mark.parametrize(
    ("role", "name", "status"),
    [
        ("finance_clerk", "home", 403),
        ("finance_clerk", "campaign_list", 403),
        ("finance_clerk", "campaign_detail", 403),
        ("finance_clerk", "campaign_report", 403),
        ("warehouse_admin", "campaign_list", 200),
        ("warehouse_admin", "campaign_detail", 200),
        ("warehouse_admin", "campaign_new", 403),
        ("designer", "campaign_edit", 403),
    ],
)
def test_pages_need_the_view_permission_and_planning_the_run_permission(
    make_user: Any, promoter: Any, sku: Any, client: Client, role: str, name: str, status: int
) -> None:
    campaign, _plan = planned(promoter, [(sku, "99.00", 10)])
    args = () if name in ("home", "campaign_list", "campaign_new") else (campaign.pk,)
    login(client, make_user(role))
    assert client.get(url(name, *args)).status_code == status


def test_departments_see_the_campaign_without_its_action_forms(
    promoter: Any, keeper: Any, sku: Any, client: Client
) -> None:
    campaign = coordinated(promoter, [(sku, "99.00", 10)])
    page = html(login(client, keeper).get(url("campaign_detail", campaign.pk)))
    assert campaign.name in page
    assert 'id="tasks"' in page
    for form in ("step-go-live", "step-cancel", "waive-stock", "plan-new"):
        assert form not in page
    response = client.post(url("go_live", campaign.pk))
    assert response.status_code == 403


# --- Creating and planning ---------------------------------------------------------------


def test_creating_a_campaign_in_company_time(promoter: Any, client: Client) -> None:
    start, end = window()
    response = login(client, promoter).post(
        url("campaign_new"),
        {
            "name": "Double 11",
            "goal": "Clear the winter stock",
            "live_from": local_input(start),
            "live_until": local_input(end),
            "owner": promoter.pk,
        },
    )
    campaign = Campaign.objects.get(name="Double 11")
    assert response.status_code == 302
    assert response["Location"] == url("campaign_detail", campaign.pk)
    assert campaign.goal == "Clear the winter stock"
    assert campaign.owner == promoter
    assert campaign.created_by == promoter
    assert local_input(campaign.live_from) == local_input(start)
    assert campaign.live_from == start.replace(second=0, microsecond=0)
    page = html(client.get(response["Location"]))
    assert f"Campaign {campaign.number} created." in page


def test_a_refused_campaign_form_keeps_what_was_typed_with_the_error_by_the_field(
    promoter: Any, client: Client
) -> None:
    past = timezone.now() - timedelta(days=1)
    response = login(client, promoter).post(
        url("campaign_new"),
        {
            "name": "Too late",
            "goal": "Something",
            "live_from": local_input(past),
            "live_until": local_input(past + timedelta(days=3)),
            "owner": promoter.pk,
        },
    )
    assert response.status_code == 400
    page = html(response)
    starts = field_html(page, "live_from")
    assert "The window must start in the future." in starts
    assert f'value="{local_input(past)}"' in starts
    assert 'value="Too late"' in page
    assert not Campaign.objects.exists()


def test_plans_lines_and_the_choice_through_the_page(
    promoter: Any, sku: Any, sku2: Any, client: Client
) -> None:
    start, end = window()
    campaign = services.campaign_create(name="Summer", live_from=start, live_until=end, by=promoter)
    login(client, promoter)
    detail = url("campaign_detail", campaign.pk)

    response = client.post(
        url("plan_save", campaign.pk),
        {
            "plan-name": "A: discount",
            "plan-mechanics": "20% off",
            "plan-target_sales": "30000",
            "plan-budget": "2000",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == detail
    plan = CampaignPlan.objects.get(campaign=campaign)
    assert (plan.name, plan.target_sales) == ("A: discount", Decimal("30000.00"))

    # Changing the plan: the same form with its id.
    response = client.post(
        url("plan_save", campaign.pk),
        {
            "plan-plan_id": plan.pk,
            "plan-name": "A: direct discount",
            "plan-mechanics": "20% off everything",
            "plan-target_sales": "32000",
            "plan-budget": "2500",
        },
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.name, plan.budget) == ("A: direct discount", Decimal("2500.00"))

    for code, price, units in ((sku.code, "119.00", 200), (sku2.code, "169.00", 50)):
        response = client.post(
            url("plan_line_save", campaign.pk),
            {
                "line-plan": plan.pk,
                "line-sku": code,
                "line-campaign_price": price,
                "line-target_units": units,
            },
        )
        assert response.status_code == 302
    assert plan.lines.count() == 2

    # A price above the online price is refused beside the price, the SKU typed stays.
    response = client.post(
        url("plan_line_save", campaign.pk),
        {
            "line-plan": plan.pk,
            "line-sku": sku.code,
            "line-campaign_price": "150.00",
            "line-target_units": "10",
        },
    )
    assert response.status_code == 400
    page = html(response)
    assert "Above the online price." in field_html(page, "campaign_price")
    assert f'value="{sku.code}"' in field_html(page, "sku")
    assert plan.lines.get(sku=sku).campaign_price == Decimal("119.00")

    second = plan.lines.get(sku=sku2)
    response = client.post(url("plan_line_remove", campaign.pk, second.pk))
    assert response.status_code == 302
    assert not PlanLine.objects.filter(pk=second.pk).exists()

    # Choosing needs a reason; the plan ticked stays ticked.
    response = client.post(
        url("plan_choose", campaign.pk), {"choose-plan": plan.pk, "choose-reason": ""}
    )
    assert response.status_code == 400
    assert "This field is required." in field_html(html(response), "reason")
    response = client.post(
        url("plan_choose", campaign.pk),
        {"choose-plan": plan.pk, "choose-reason": "Best margin"},
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.chosen_plan == plan
    assert campaign.choice_reason == "Best margin"

    page = html(client.get(detail))
    assert f'id="plan-{plan.pk}"' in page
    assert "plan-card chosen" in page
    assert "¥139.00" in page  # the online price beside the campaign price
    assert "¥119.00" in page
    assert 'id="step-preheat"' in page


def test_preheat_and_dispatching_the_department_tasks(
    promoter: Any, sku: Any, client: Client
) -> None:
    campaign, _plan = planned(promoter, [(sku, "99.00", 10)])
    login(client, promoter)
    today = timezone.localdate()
    opens = timezone.localtime(campaign.live_from).date()
    # A pre-heat ending after the window opens is refused beside its end date.
    response = client.post(
        url("preheat", campaign.pk),
        {
            "preheat-preheat_from": today.isoformat(),
            "preheat-preheat_until": (opens + timedelta(days=2)).isoformat(),
            "preheat-channels": "Weibo, Douyin",
        },
    )
    assert response.status_code == 400
    page = html(response)
    assert "After the window opens." in field_html(page, "preheat_until")
    assert 'value="Weibo, Douyin"' in page

    response = client.post(
        url("preheat", campaign.pk),
        {
            "preheat-preheat_from": today.isoformat(),
            "preheat-preheat_until": opens.isoformat(),
            "preheat-channels": "Weibo, Douyin",
            "preheat-notes": "Teasers from Monday",
        },
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.PRE_HEAT
    assert campaign.preheat_channels == "Weibo, Douyin"
    assert 'id="step-coordinate"' in html(client.get(url("campaign_detail", campaign.pk)))

    response = client.post(url("coordinate", campaign.pk))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.COORDINATION
    assert campaign.tasks.count() == 4
    page = html(client.get(url("campaign_detail", campaign.pk)))
    for task in campaign.tasks.select_related("work_task"):
        assert task.work_task.number in page
        assert task.work_task.get_absolute_url() in page


# --- Coordination: the go-live guard and waivers -----------------------------------------


def test_go_live_is_blocked_while_a_task_is_open(
    promoter: Any, workers: dict[str, Any], sku: Any, client: Client
) -> None:
    campaign = coordinated(promoter, [(sku, "99.00", 10)])
    complete_tasks(campaign, workers, kinds=["stock", "service", "design"])
    login(client, promoter)
    page = html(client.get(url("campaign_detail", campaign.pk)))
    form = page[page.index('id="step-go-live"') : page.index("</form>", page.index("step-go-live"))]
    assert "cannot go live while these tasks are open" in form
    platform = campaign.tasks.select_related("work_task").get(kind="platform")
    assert platform.work_task.number in form
    assert "disabled" in form
    assert "blocks go-live" in page

    response = client.post(url("go_live", campaign.pk))
    assert response.status_code == 409
    assert platform.work_task.number in html(response)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.COORDINATION

    complete_tasks(campaign, workers, kinds=["platform"])
    page = html(client.get(url("campaign_detail", campaign.pk)))
    form = page[page.index('id="step-go-live"') : page.index("</form>", page.index("step-go-live"))]
    assert "disabled" not in form
    response = client.post(url("go_live", campaign.pk))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.LIVE


def test_only_managers_may_waive_a_task(
    promoter: Any, manager: Any, workers: dict[str, Any], sku: Any, client: Client
) -> None:
    campaign = coordinated(promoter, [(sku, "99.00", 10)])
    complete_tasks(campaign, workers, kinds=["stock", "service", "platform"])
    design = CampaignTask.objects.get(campaign=campaign, kind="design")

    login(client, promoter)
    assert "waive-design" not in html(client.get(url("campaign_detail", campaign.pk)))
    response = client.post(url("task_waive", campaign.pk, design.pk), {"waive-reason": "Old pages"})
    assert response.status_code == 403
    design.refresh_from_db()
    assert not design.is_waived

    login(client, manager)
    page = html(client.get(url("campaign_detail", campaign.pk)))
    assert 'id="waive-design"' in page
    assert 'id="waive-stock"' not in page  # completed: nothing to waive
    response = client.post(url("task_waive", campaign.pk, design.pk), {"waive-reason": ""})
    assert response.status_code == 400
    assert "This field is required." in html(response)
    response = client.post(
        url("task_waive", campaign.pk, design.pk), {"waive-reason": "Last year's pages do"}
    )
    assert response.status_code == 302
    design.refresh_from_db()
    assert design.is_waived
    assert design.waived_by == manager
    page = html(client.get(url("campaign_detail", campaign.pk)))
    assert "Last year&#x27;s pages do" in page
    assert 'id="go-live-blocked"' not in page


def test_a_declined_task_is_sent_again(
    promoter: Any, designer: Any, sku: Any, client: Client
) -> None:
    campaign = coordinated(promoter, [(sku, "99.00", 10)])
    design = CampaignTask.objects.select_related("work_task").get(campaign=campaign, kind="design")
    task_accept(task_id=design.work_task_id, by=designer)
    task_decline(task_id=design.work_task_id, reason="No designer free", by=designer)
    login(client, promoter)
    page = html(client.get(url("campaign_detail", campaign.pk)))
    assert 'id="redispatch-design"' in page
    assert "No designer free" in page
    response = client.post(url("task_redispatch", campaign.pk, design.pk))
    assert response.status_code == 302
    design.refresh_from_db()
    assert design.work_task.state == TaskState.DISPATCHED
    # Sending an open task again is refused on the page (409).
    response = client.post(url("task_redispatch", campaign.pk, design.pk))
    assert response.status_code == 409
    assert "only a declined or cancelled task is sent again" in html(response)


# --- Live, analysis, closing and the report ------------------------------------------------


def test_analysis_shows_the_figures_and_closing_keeps_the_report(
    promoter: Any, workers: dict[str, Any], sku: Any, client: Client
) -> None:
    campaign = live(promoter, workers, [(sku, "99.00", 10)], target_sales="2000.00")
    priced_order([(sku, 4, "99.00")], placed_at=campaign.live_from + timedelta(minutes=5))
    login(client, promoter)
    page = html(client.get(url("campaign_detail", campaign.pk)))
    assert "Live figures" in page
    assert 'id="step-end"' in page
    assert client.get(url("campaign_report", campaign.pk)).status_code == 404

    response = client.post(url("end", campaign.pk))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.ANALYSIS
    page = html(client.get(url("campaign_detail", campaign.pk)))
    skus = page[page.index('id="results-skus"') :]
    assert sku.code in skus
    assert "40.0%" in skus  # 4 of 10 units
    assert "¥396.00" in page
    assert 'id="units-chart"' in page
    assert "width:40.0%" in page
    assert 'id="results-channels"' in page
    assert client.get(url("campaign_report", campaign.pk)).status_code == 404

    assert client.post(url("refresh", campaign.pk)).status_code == 302
    response = client.post(url("close", campaign.pk), {"close-lessons": ""})
    assert response.status_code == 400
    assert "This field is required." in field_html(html(response), "lessons")
    response = client.post(url("close", campaign.pk), {"close-lessons": "Stock more next time."})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CLOSED

    page = html(client.get(url("campaign_detail", campaign.pk)))
    assert "Results at the close" in page
    assert "Stock more next time." in page
    assert url("campaign_report", campaign.pk) in page
    report = client.get(url("campaign_report", campaign.pk))
    assert report.status_code == 200
    assert report["Content-Type"] == "application/pdf"
    assert b"".join(cast(Any, report).streaming_content).startswith(b"%PDF")


def test_cancelling_needs_a_reason(promoter: Any, sku: Any, client: Client) -> None:
    campaign, _plan = planned(promoter, [(sku, "99.00", 10)])
    login(client, promoter)
    response = client.post(url("cancel", campaign.pk), {"cancel-reason": ""})
    assert response.status_code == 400
    assert '<details class="card" open>' in html(response)
    response = client.post(url("cancel", campaign.pk), {"cancel-reason": "Budget cut"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CANCELLED
    page = html(client.get(url("campaign_detail", campaign.pk)))
    assert "Budget cut" in page
    assert 'id="step-cancel"' not in page
    # The page no longer offers the step: a late post is refused as a message (409).
    response = client.post(url("cancel", campaign.pk), {"cancel-reason": "Again"})
    assert response.status_code == 409
    assert "can no longer be cancelled" in html(response)


def test_editing_the_campaign_only_while_planned(promoter: Any, sku: Any, client: Client) -> None:
    campaign, _plan = planned(promoter, [(sku, "99.00", 10)])
    login(client, promoter)
    start, end = window(hours_from_now=72)
    response = client.post(
        url("campaign_edit", campaign.pk),
        {
            "name": "Renamed",
            "goal": "",
            "live_from": local_input(start),
            "live_until": local_input(end),
        },
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Renamed"
    services.campaign_cancel(campaign_id=campaign.pk, reason="Off", by=promoter)
    response = client.get(url("campaign_edit", campaign.pk))
    assert response.status_code == 302
    response = client.post(
        url("campaign_edit", campaign.pk),
        {"name": "Again", "live_from": local_input(start), "live_until": local_input(end)},
    )
    assert response.status_code == 409
    assert 'value="Again"' in html(response)


def test_the_desk_and_the_list_take_the_same_queries_as_campaigns_grow(
    promoter: Any, sku: Any, sku2: Any, client: Client
) -> None:
    def queries(page: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page).status_code == 200
        return len(captured)

    coordinated(promoter, [(sku, "99.00", 10)], name="First")
    planned(promoter, [(sku2, "169.00", 5)], name="Second")
    login(client, promoter)
    before = {page: queries(page) for page in (url("home"), url("campaign_list"))}
    coordinated(promoter, [(sku2, "169.00", 5)], name="Third")
    planned(promoter, [(sku, "99.00", 10)], name="Fourth")
    assert {page: queries(page) for page in before} == before
