"""Who may do what in distribution, per the grants in ``distribution/apps.py``: every role
against every guarded service action, each on an object in a state where the action can
be taken, so a refusal is the role's and not the state's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from distribution.models import Authorization, Deal, Partner, ProgrammeVersion, Screening
from distribution.services import agents, deals, distributors, partners
from ecomops.errors import PermissionDeniedError
from tests.distribution.factories import (
    SHOP,
    agent_with_first_order,
    applicant,
    contacted,
    deal_with_lines,
    make_partner,
    paid_agent,
    proposed_deal,
    scheduled_deal,
)

pytestmark = pytest.mark.django_db

ROLES = [
    "distribution_specialist",
    "network_sales",
    "warehouse_admin",
    "finance_clerk",
    "picker",
    "sales_rep",
    "manager",
]
TEAM = {"distribution_specialist", "network_sales", "manager"}
SPECIALIST = {"distribution_specialist", "manager"}

# action: roles allowed (from the grants: handle_partner and handle_deal for the team,
# authorize/screen/end/edit_programme for specialists, prepare_deal_stock for the warehouse;
# the manager holds every permission of the app).
ALLOWED: dict[str, set[str]] = {
    "partner_create": TEAM,
    "partner_contact_first": TEAM,
    "agent_agree": TEAM,
    "authorization_issue": SPECIALIST,
    "distributor_screen": SPECIALIST,
    "partner_terminate": SPECIALIST,
    "programme_save": SPECIALIST,
    "deal_create": TEAM,
    "deal_stock_confirm": {"warehouse_admin", "manager"},
}


class World:
    """The specialist and clerk who set the scene, and the SKU everything is about."""

    def __init__(self, make_user: Any, sku: Any) -> None:
        self.owner = make_user("distribution_specialist", username="scene-setter")
        self.clerk = make_user("finance_clerk", username="scene-clerk")
        self.keeper = make_user("warehouse_admin", username="scene-keeper")
        self.sku = sku


def partner_create(world: World, user: Any) -> Callable[[], Any]:
    return lambda: partners.partner_create(
        kind="agent", data={**SHOP, "credit_code": ""}, owner=user, by=user
    )


def partner_contact_first(world: World, user: Any) -> Callable[[], Any]:
    partner = make_partner(world.owner)
    return lambda: partners.partner_contact_first(
        partner_id=partner.pk, note="推荐", sku_ids=[world.sku.pk], by=user
    )


def agent_agree(world: World, user: Any) -> Callable[[], Any]:
    partner = contacted(world.owner, world.sku)
    return lambda: agents.agent_agree(partner_id=partner.pk, by=user)


def authorization_issue(world: World, user: Any) -> Callable[[], Any]:
    partner = paid_agent(world.owner, world.sku, world.clerk)
    return lambda: agents.authorization_issue(
        partner_id=partner.pk,
        brand_ids=[world.sku.product.brand_id],
        channels=["taobao"],
        by=user,
    )


def distributor_screen(world: World, user: Any) -> Callable[[], Any]:
    partner = applicant(world.owner)
    return lambda: distributors.distributor_screen(
        partner_id=partner.pk, decision="accepted", by=user
    )


def partner_terminate(world: World, user: Any) -> Callable[[], Any]:
    partner = make_partner(world.owner)
    return lambda: partners.partner_terminate(partner_id=partner.pk, why="不再合作", by=user)


def programme_save(world: World, user: Any) -> Callable[[], Any]:
    data = {
        "title": "分销商招募",
        "introduction": "介绍",
        "benefits": "正品",
        "rules": "不得低价",
        "discount_percent": Decimal("20"),
        "contact": "电话",
    }
    return lambda: distributors.programme_save(data=data, by=user)


def deal_create(world: World, user: Any) -> Callable[[], Any]:
    site = make_partner(world.owner, kind="group_buying", shop_name="团购网", platform="meituan")
    return lambda: deals.deal_create(partner_id=site.pk, title="团购", owner=user, by=user)


def deal_stock_confirm(world: World, user: Any) -> Callable[[], Any]:
    deal = scheduled_deal(world.owner, world.sku)
    return lambda: deals.deal_stock_confirm(deal_id=deal.pk, by=user)


SCENES: dict[str, Callable[[World, Any], Callable[[], Any]]] = {
    "partner_create": partner_create,
    "partner_contact_first": partner_contact_first,
    "agent_agree": agent_agree,
    "authorization_issue": authorization_issue,
    "distributor_screen": distributor_screen,
    "partner_terminate": partner_terminate,
    "programme_save": programme_save,
    "deal_create": deal_create,
    "deal_stock_confirm": deal_stock_confirm,
}

# What each action leaves behind when it is allowed (nothing when refused).
TRACES: dict[str, Callable[[], int]] = {
    "partner_create": lambda: Partner.objects.filter(
        created_by__username__startswith="as-"
    ).count(),
    "partner_contact_first": lambda: Partner.objects.filter(state="contacted").count(),
    "agent_agree": lambda: Partner.objects.filter(state="agreed").count(),
    "authorization_issue": lambda: Authorization.objects.count(),
    "distributor_screen": lambda: Screening.objects.count(),
    "partner_terminate": lambda: Partner.objects.filter(state="terminated").count(),
    "programme_save": lambda: ProgrammeVersion.objects.count(),
    "deal_create": lambda: Deal.objects.count(),
    "deal_stock_confirm": lambda: Deal.objects.filter(stock_prepared_at__isnull=False).count(),
}


def test_every_action_has_a_scene_and_a_trace():
    assert set(SCENES) == set(ALLOWED) == set(TRACES)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ALLOWED))
def test_role_may_or_may_not(action: str, role: str, make_user: Any, sku: Any) -> None:
    world = World(make_user, sku)
    user = make_user(role, username=f"as-{role}")
    act = SCENES[action](world, user)
    before = TRACES[action]()
    if role in ALLOWED[action]:
        act()
        assert TRACES[action]() == before + 1
    else:
        with pytest.raises(PermissionDeniedError) as refused:
            act()
        assert refused.value.status_code == 403
        assert TRACES[action]() == before


# --- A role without the permission hears so first, whatever else is wrong -------------------


def test_refused_before_the_input_is_checked(make_user: Any, sku: Any) -> None:
    world = World(make_user, sku)
    keeper = make_user("warehouse_admin", username="as-keeper")
    clerk = make_user("finance_clerk", username="as-clerk")
    picker = make_user("picker", username="as-picker")

    prospect = make_partner(world.owner)
    with pytest.raises(PermissionDeniedError):  # no products chosen, and not allowed anyway
        partners.partner_contact_first(partner_id=prospect.pk, note="", sku_ids=[], by=picker)

    agreed = agents.agent_agree(partner_id=contacted(world.owner, sku).pk, by=world.owner)
    with pytest.raises(PermissionDeniedError):  # no such order, and not allowed anyway
        agents.agent_first_order(partner_id=agreed.pk, order_number="NOPE", by=clerk)

    placed = agent_with_first_order(world.owner, sku, shop_name="未付款")
    with pytest.raises(PermissionDeniedError):  # nothing paid, and not allowed anyway
        agents.agent_first_order_paid(partner_id=placed.pk, by=clerk)

    shop = make_partner(world.owner, kind="distributor", platform="tmall_distribution")
    with pytest.raises(PermissionDeniedError):  # a rating of 9, and not allowed anyway
        distributors.distributor_apply(
            partner_id=shop.pk,
            shop_rating=Decimal("9"),
            monthly_sales=1,
            years_open=Decimal("1"),
            by=picker,
        )

    deal = deal_with_lines(world.owner, sku)
    with pytest.raises(PermissionDeniedError):  # papers missing, and not allowed anyway
        deals.deal_propose(deal_id=deal.pk, by=keeper)
    assert not deal.documents.exists()

    proposed = proposed_deal(world.owner, sku, site=deal.partner)
    with pytest.raises(PermissionDeniedError):  # a date in the past, and not allowed anyway
        deals.deal_schedule(
            deal_id=proposed.pk,
            listing_date=date(2020, 1, 1),
            end_date=date(2020, 1, 2),
            by=keeper,
        )
