"""Races on PostgreSQL: two confirmations of one agent's first payment, two letters issued
at once, two reminder sweeps and two go-live sweeps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_fsm_log.models import StateLog

from distribution.models import Authorization, DealState, PartnerState
from distribution.services import agents, deals, partners
from ecomops.errors import ApplicationError, ConflictError
from ecomops.notifications.models import Notification
from tests.concurrency import race
from tests.distribution.factories import (
    agent_with_first_order,
    make_partner,
    paid_agent,
    pay_by_bank,
    prepared_deal,
)
from tests.factories import UserFactory
from tests.finance.factories import sku_with_tax
from tests.warehouse.factories import make_warehouse

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks need PostgreSQL (.ci/run uses it)",
    ),
]


def _people() -> tuple[Any, Any, Any]:
    make_warehouse()
    return (
        UserFactory(roles=["distribution_specialist"]),
        UserFactory(roles=["distribution_specialist"]),
        UserFactory(roles=["finance_clerk"]),
    )


def test_two_confirmations_of_the_first_payment_make_one_transition() -> None:
    first, second, clerk = _people()
    sku = sku_with_tax("SKU-C1")
    partner = agent_with_first_order(first, sku)
    assert partner.first_order is not None
    pay_by_bank(partner.first_order, "4000.00", clerk)
    results = race(
        [
            lambda user=user: agents.agent_first_order_paid(partner_id=partner.pk, by=user)
            for user in (first, second)
        ]
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert sum(isinstance(r, ConflictError) for r in results) == 1, results
    partner.refresh_from_db()
    assert partner.state == PartnerState.FIRST_ORDER_PAID
    assert StateLog.objects.for_(partner).filter(transition="first_order_paid").count() == 1


def test_two_letters_issued_at_once_authorize_once() -> None:
    first, second, clerk = _people()
    sku = sku_with_tax("SKU-C2")
    partner = paid_agent(first, sku, clerk)
    results = race(
        [
            lambda user=user: agents.authorization_issue(
                partner_id=partner.pk,
                brand_ids=[sku.product.brand_id],
                channels=["taobao"],
                by=user,
            )
            for user in (first, second)
        ]
    )
    assert sum(isinstance(r, Authorization) for r in results) == 1, results
    assert sum(isinstance(r, ApplicationError) for r in results) == 1, results
    assert Authorization.objects.filter(partner=partner).count() == 1


def test_two_reminder_sweeps_notify_once() -> None:
    owner, _other, _clerk = _people()
    partner = make_partner(owner)
    entries = [
        partners.contact_log_add(
            partner_id=partner.pk,
            at=timezone.now() - timedelta(hours=1),
            method="call",
            summary="电话",
            next_step=f"第{index}步",
            next_step_due=timezone.now() - timedelta(minutes=index + 1),
            by=owner,
        )
        for index in range(5)
    ]
    results = race([partners.contact_steps_remind_due, partners.contact_steps_remind_due])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 5
    for entry in entries:
        assert Notification.objects.filter(key=f"distribution.step.{entry.pk}").count() == 1


def test_two_go_live_sweeps_take_a_deal_live_once() -> None:
    owner, _other, _clerk = _people()
    keeper = UserFactory(roles=["warehouse_admin"])
    deal = prepared_deal(owner, sku_with_tax("SKU-C3"), keeper)
    results = race([deals.deals_go_live_due, deals.deals_go_live_due])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 1
    deal.refresh_from_db()
    assert deal.state == DealState.LIVE
