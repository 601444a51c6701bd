"""Races on PostgreSQL: two desks returning the same units, two confirmations, two chases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from ecomops.errors import ApplicationError
from ecomops.notifications.models import Notification
from finance.models import Refund
from returns.models import ReturnLine, ReturnRequest, ReturnState
from returns.services import requests as services
from tests.concurrency import race
from tests.factories import UserFactory
from tests.finance.factories import sku_with_tax
from tests.returns.factories import approved, awaiting_goods, delivered_order, open_return
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
        UserFactory(roles=["aftersales_service"]),
        UserFactory(roles=["aftersales_service"]),
        UserFactory(roles=["shop_manager"]),
    )


def test_two_desks_cannot_return_the_same_units_twice() -> None:
    first, second, _manager = _people()
    order = delivered_order([(sku_with_tax("SKU-R1"), 1, "50.00")])
    results = race([lambda user=user: open_return(order, user) for user in (first, second)])
    assert sum(isinstance(r, ReturnRequest) for r in results) == 1
    assert sum(isinstance(r, ApplicationError) for r in results) == 1
    assert ReturnLine.objects.filter(request__order=order).count() == 1


def test_a_refund_without_return_is_requested_once_when_confirmed_twice() -> None:
    service, _other, shop_manager = _people()
    second_manager = UserFactory(roles=["shop_manager"])
    order = delivered_order([(sku_with_tax("SKU-R2"), 1, "50.00")])
    request = approved(open_return(order, service, kind="refund_only"), service)
    results = race(
        [
            lambda user=user: services.return_confirm(request_id=request.pk, by=user)
            for user in (shop_manager, second_manager)
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Refund.objects.filter(source_reference=request.number).count() == 1


def test_two_chases_remind_and_expire_once() -> None:
    service, _other, shop_manager = _people()
    order = delivered_order([(sku_with_tax("SKU-R3"), 1, "50.00")])
    request = open_return(order, service)
    awaiting_goods(request, service, shop_manager)
    with time_machine.travel(timezone.now() + timedelta(days=20), tick=False):
        results = race([services.returns_chase, services.returns_chase])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r[1] for r in results) == 1
    request.refresh_from_db()
    assert request.state == ReturnState.EXPIRED
    assert Notification.objects.filter(key=f"return-expired-{request.pk}").count() == 1
    assert not Notification.objects.filter(key=f"return-goods-reminder-{request.pk}").exists()
