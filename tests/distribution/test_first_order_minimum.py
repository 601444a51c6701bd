"""An agent's first order under the 4,000 CNY minimum is refused when it is recorded, with
the amount missing, instead of being accepted and then waiting forever for a payment that
can never reach the minimum. The demo agent waiting for its payment is coherent."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from distribution.models import Partner, PartnerState
from distribution.services import agents
from ecomops.errors import ApplicationError
from tests.distribution.factories import agent_order, agreed_agent
from tests.timeutil import at

pytestmark = pytest.mark.django_db


def test_a_first_order_under_the_minimum_is_refused_with_the_amount_missing(specialist, sku):
    partner = agreed_agent(specialist, sku)
    order = agent_order(partner, sku, "2766.00")
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        agents.agent_first_order(partner_id=partner.pk, order_number=order.number, by=specialist)
    assert "¥1,234.00 short of the ¥4,000.00" in refused.value.message
    assert refused.value.extra["missing"] == "1234.00"
    assert "order_number" in refused.value.extra["fields"]
    partner.refresh_from_db()
    assert (partner.state, partner.first_order_id) == (PartnerState.AGREED, None)


def test_the_refusal_reads_in_chinese(specialist, sku):
    partner = agreed_agent(specialist, sku)
    order = agent_order(partner, sku, "3999.99")
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as refused:
        agents.agent_first_order(partner_id=partner.pk, order_number=order.number, by=specialist)
    assert "¥0.01" in refused.value.message
    assert "¥4,000.00" in refused.value.message


def test_a_first_order_of_exactly_the_minimum_is_recorded(specialist, sku):
    partner = agreed_agent(specialist, sku)
    order = agent_order(partner, sku, "4000.00")
    partner = agents.agent_first_order(
        partner_id=partner.pk, order_number=order.number, by=specialist
    )
    assert partner.state == PartnerState.FIRST_ORDER_PLACED
    assert partner.first_order == order


def test_the_page_shows_the_refusal_beside_the_order_number(specialist, sku, client: Client):
    partner = agreed_agent(specialist, sku)
    order = agent_order(partner, sku, "3000.00")
    client.force_login(specialist)
    response = client.post(
        reverse("distribution:partner_action", args=[partner.pk, "first_order"]),
        {"first_order-order_number": order.number},
    )
    page = response.content.decode()
    assert "¥1,000.00 short of the ¥4,000.00" in page
    assert f'value="{order.number}"' in page
    partner.refresh_from_db()
    assert partner.state == PartnerState.AGREED


@pytest.mark.clock(at(2026, 11, 24, 11))
def test_the_demo_agent_waiting_for_its_payment_can_still_reach_the_minimum(clock: Any) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    waiting = Partner.objects.select_related("first_order").get(shop_name="丽人坊美妆")
    assert waiting.state == PartnerState.FIRST_ORDER_PLACED
    assert waiting.first_order is not None
    assert waiting.first_order.total_amount >= Decimal("4000.00")
