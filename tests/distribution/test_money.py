"""Partner revenue is what the buyers paid: order lines net of their discount share
(issue 20 §1)."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from distribution.selectors import partners as selectors
from ecomops.calendar import local_datetime
from orders.models import Order, OrderLine
from tests.distribution.factories import agreed_agent
from tests.finance.factories import priced_order

pytestmark = pytest.mark.django_db

NOW = local_datetime(date(2026, 11, 23), time(10))


@pytest.mark.clock(NOW)
def test_partner_revenue_is_net_of_discounts(specialist: Any, sku: Any) -> None:
    agent = agreed_agent(specialist, sku)
    agent.refresh_from_db()
    at = NOW - timedelta(hours=1)
    order = priced_order(
        [(sku, 10, "80.00")],
        channel=agent.channel,
        needs_invoice=False,
        placed_at=at,
        accepted_at=at,
    )
    OrderLine.objects.filter(order=order).update(discount_share=Decimal("40.00"))
    Order.objects.filter(pk=order.pk).update(
        discount_amount=Decimal("40.00"), total_amount=Decimal("760.00")
    )

    figures = selectors.partner_sales(agent, months=1)

    assert figures["totals"]["revenue"] == Decimal("760.00")
    assert [r["revenue"] for r in figures["top_skus"]] == [Decimal("760.00")]
