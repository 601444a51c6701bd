"""Distribution's reads: partners' sales (per partner and per month and kind), a deal's
results, the pipeline, reminders due and the first order's status."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from distribution.models import DealState, Partner, PartnerKind, PartnerState
from distribution.selectors import deals as deal_selectors
from distribution.selectors import partners as selectors
from distribution.services import deals, distributors, partners
from ecomops.calendar import local_datetime
from orders.models import Order, OrderState
from tests.distribution.factories import (
    agent_with_first_order,
    agreed_agent,
    applicant,
    deal_order,
    live_deal,
    make_partner,
    pay_by_bank,
)
from tests.finance.factories import priced_order
from tests.orders.factories import make_channel

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)
NOW = local_datetime(TODAY, time(10))


def sold(partner: Partner, sku: Any, price: str, quantity: int, at: Any, **fields: Any) -> Order:
    partner.refresh_from_db()
    return priced_order(
        [(sku, quantity, price)],
        channel=partner.channel,
        needs_invoice=False,
        placed_at=at,
        accepted_at=at,
        **fields,
    )


@pytest.fixture
def shops(clock: Any, specialist: Any, sku: Any) -> dict[str, Partner]:
    """An agreed agent and an accepted distributor, at the test's pinned clock."""
    agent = agreed_agent(specialist, sku)
    distributor = applicant(specialist)
    distributors.distributor_screen(partner_id=distributor.pk, decision="accepted", by=specialist)
    distributor.refresh_from_db()
    return {"agent": agent, "distributor": distributor}


@pytest.mark.clock(NOW)
def test_partner_sales_by_month_sums_partner_orders_per_kind(shops, sku, sku2):
    agent, distributor = shops["agent"], shops["distributor"]
    october_last_minute = local_datetime(date(2026, 10, 31), time(23, 30))
    november_first_minute = local_datetime(date(2026, 11, 1), time(0, 30))
    sold(agent, sku, "80.00", 10, october_last_minute)  # 800.00 in October
    sold(agent, sku2, "90.00", 2, november_first_minute)  # 180.00 in November
    sold(agent, sku, "80.00", 5, NOW - timedelta(days=1), state=OrderState.CANCELLED)
    sold(distributor, sku, "99.00", 3, NOW - timedelta(days=2))  # 297.00 in November
    sold(distributor, sku, "99.00", 1, local_datetime(date(2025, 10, 1), time(12)))  # too old
    outsider = make_channel(code="tmall-own")
    priced_order([(sku, 7, "99.00")], channel=outsider, placed_at=NOW, needs_invoice=False)

    chart = selectors.partner_sales_by_month(months=3, today=TODAY)
    assert chart["months"] == [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    series = {s["kind"]: s["values"] for s in chart["series"]}
    assert series[PartnerKind.AGENT] == [Decimal("0.00"), Decimal("800.00"), Decimal("180.00")]
    assert series[PartnerKind.DISTRIBUTOR] == [Decimal("0"), Decimal("0"), Decimal("297.00")]
    assert series[PartnerKind.GROUP_BUYING] == [Decimal("0")] * 3
    assert chart["max"] == Decimal("800.00")


@pytest.mark.clock(NOW)
def test_partner_sales_of_one_partner(shops, sku, sku2):
    agent = shops["agent"]
    sold(agent, sku, "80.00", 10, local_datetime(date(2026, 10, 5), time(9)))
    sold(agent, sku2, "90.00", 2, NOW - timedelta(hours=1))
    sold(agent, sku, "80.00", 1, NOW - timedelta(hours=2))
    sold(agent, sku, "80.00", 50, NOW - timedelta(hours=3), state=OrderState.CANCELLED)
    sold(shops["distributor"], sku, "99.00", 4, NOW - timedelta(hours=1))
    figures = selectors.partner_sales(agent, months=2)
    assert [row["month"] for row in figures["months"]] == [date(2026, 10, 1), date(2026, 11, 1)]
    assert [(r["orders"], r["units"], r["revenue"]) for r in figures["months"]] == [
        (1, 10, Decimal("800.00")),
        (2, 3, Decimal("260.00")),
    ]
    assert figures["totals"] == {"orders": 3, "units": 13, "revenue": Decimal("1060.00")}
    assert [(r["sku__code"], r["units"], r["revenue"]) for r in figures["top_skus"]] == [
        (sku.code, 11, Decimal("880.00")),
        (sku2.code, 2, Decimal("180.00")),
    ]
    assert len(figures["recent"]) == 4  # cancelled ones are listed, not summed
    assert figures["max"] == Decimal("800.00")


def test_a_partner_without_a_channel_has_no_sales(specialist):
    assert selectors.partner_sales(make_partner(specialist))["totals"] == {}


DEAL_START = local_datetime(date(2026, 12, 1), time(10))


@pytest.mark.clock(DEAL_START)
def test_deal_results_count_the_window_only(network_sales, keeper, sku, sku2, clock):
    deal = live_deal(network_sales, sku, keeper, days=2)
    deals_line(deal, sku2, network_sales)
    before = priced_order(
        [(sku, 9, "69.00")],
        channel=deal.partner.channel,
        placed_at=DEAL_START - timedelta(days=1),
        needs_invoice=False,
    )
    deal_order(deal, sku, 3)
    deal_order(deal, sku, 4, state=OrderState.CANCELLED)
    clock.move_to(DEAL_START + timedelta(days=1))
    deal_order(deal, sku2, 2)
    clock.move_to(DEAL_START + timedelta(days=2))
    deal_order(deal, sku, 5)  # the day after the last day
    results = deal_selectors.deal_results(deal)
    assert results["orders"] == 2
    assert results["units"] == 5
    assert results["estimated"] == 200 + 40
    assert results["revenue"] == Decimal("207.00") + Decimal("158.00")
    lines = {row["sku_code"]: row for row in results["lines"]}
    assert (lines[sku.code]["sold"], lines[sku.code]["revenue"]) == (3, Decimal("207.00"))
    assert (lines[sku2.code]["sold"], lines[sku2.code]["revenue"]) == (2, Decimal("158.00"))
    assert lines[sku2.code]["min_quantity"] == 10
    assert before not in deal_selectors.deal_orders(deal)


def deals_line(deal: Any, sku: Any, by: Any) -> None:
    """A second line added behind the service's back (the deal is already live)."""
    deal.lines.create(sku=sku, group_price=Decimal("79.00"), min_quantity=10, estimated_quantity=40)


def test_the_pipeline_columns_follow_the_kind(specialist, network_sales, sku):
    agreed_agent(specialist, sku)
    make_partner(specialist)
    make_partner(network_sales, shop_name="别人的店")
    applicant(specialist)
    columns = {c["state"]: c["count"] for c in selectors.pipeline(kind=PartnerKind.AGENT)}
    assert columns[PartnerState.PROSPECT] == 2
    assert columns[PartnerState.AGREED] == 1
    assert PartnerState.APPLIED not in columns
    mine = {
        c["state"]: c["count"]
        for c in selectors.pipeline(kind=PartnerKind.AGENT, owner_id=specialist.pk)
    }
    assert mine[PartnerState.PROSPECT] == 1
    counts = selectors.pipeline_counts()
    assert counts[PartnerKind.DISTRIBUTOR] == {PartnerState.APPLIED: 1}
    assert list(selectors.applications_to_screen()) == list(
        Partner.objects.filter(kind=PartnerKind.DISTRIBUTOR)
    )
    assert [p.shop_name for p in selectors.partners(query="别人")] == ["别人的店"]


def test_steps_due_and_the_reminders_count(specialist, network_sales):
    partner = make_partner(specialist)
    now = timezone.now()
    for hours, owner_step in ((-2, "回访"), (1, "寄样"), (24 * 5, "签约")):
        partners.contact_log_add(
            partner_id=partner.pk,
            at=now - timedelta(hours=3),
            method="call",
            summary="电话沟通",
            next_step=owner_step,
            next_step_due=now + timedelta(hours=hours),
            by=network_sales,
        )
    until = now + timedelta(hours=2)
    assert [e.next_step for e in selectors.steps_due(owner=specialist, until=until)] == [
        "回访",
        "寄样",
    ]
    assert not selectors.steps_due(owner=network_sales, until=until).exists()


def test_first_order_status_shows_what_is_missing(specialist, clerk, sku):
    agent = agreed_agent(specialist, sku)
    assert selectors.first_order_status(agent) is None
    agent = agent_with_first_order(specialist, sku, total="4500.00", shop_name="第二家")
    assert agent.first_order is not None
    pay_by_bank(agent.first_order, "1500.00", clerk)
    assert selectors.first_order_status(agent) == {
        "paid": Decimal("1500.00"),
        "minimum": Decimal("4000.00"),
        "missing": Decimal("2500.00"),
    }


@pytest.mark.clock(NOW)
def test_the_deal_board_and_what_waits_on_us(network_sales, keeper, sku):
    live = live_deal(network_sales, sku, keeper)
    cancelled = deals.deal_create(
        partner_id=live.partner_id, title="取消的", owner=network_sales, by=network_sales
    )
    deals.deal_cancel(deal_id=cancelled.pk, why="不做了", by=network_sales)
    contacted = deals.deal_create(
        partner_id=live.partner_id, title="洽谈中", owner=network_sales, by=network_sales
    )
    board = {c["state"]: [d.pk for d in c["deals"]] for c in deal_selectors.deal_board()}
    assert DealState.CANCELLED not in board
    assert board[DealState.LIVE] == [live.pk]
    assert board[DealState.CONTACTED] == [contacted.pk]
    assert deal_selectors.deals_needing_action_count() == 1
    assert [d.pk for d in deal_selectors.deals(query="洽谈")] == [contacted.pk]
