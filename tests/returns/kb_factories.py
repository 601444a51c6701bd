"""After-sales test data: customers with orders, cases, callbacks and reply scripts.

Rows for list pages come from the factories; where the state matters the tests call the
real services (``case_open``, ``case_resolve``, ``script_update`` ...).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import factory
from django.utils import timezone

from listings.models import Sku
from orders.models import Customer, Order, OrderState
from returns.models import (
    AfterSalesCase,
    Callback,
    CaseCategory,
    ReplyScript,
    ReturnKind,
    ReturnReason,
    ReturnRequest,
    ScriptAudience,
    ScriptCategory,
)
from tests.factories import UserFactory
from tests.orders.factories import CustomerFactory, listed_sku
from tests.warehouse.factories import make_order


def kb_sku() -> Sku:
    """The one SKU the after-sales tests' orders are made of."""
    return Sku.objects.filter(code="KB-SKU").first() or listed_sku("KB-SKU")


def customer(**fields: Any) -> Customer:
    return cast(Customer, CustomerFactory(**fields))


def order_for(
    buyer: Customer,
    *,
    total: str = "99.00",
    state: str = OrderState.DELIVERED,
    placed_at: datetime | None = None,
) -> Order:
    """An order of ``buyer`` for ``total`` placed at ``placed_at`` (ten minutes ago)."""
    order = make_order([(kb_sku(), 1)], customer=buyer, state=state)
    changes: dict[str, Any] = {"total_amount": Decimal(total)}
    if placed_at is not None:
        changes["placed_at"] = placed_at
    Order.objects.filter(pk=order.pk).update(**changes)
    order.refresh_from_db()
    return order


def return_request_for(order: Order) -> ReturnRequest:
    """A bare return request row of the order's customer (only counted, never moved)."""
    return ReturnRequest.objects.create(
        number=f"RR{order.number}",
        order=order,
        customer=order.customer,
        kind=ReturnKind.RETURN,
        reason=ReturnReason.DAMAGED,
        opened_at=timezone.now(),
    )


class CaseFactory(factory.django.DjangoModelFactory[AfterSalesCase]):
    class Meta:
        model = AfterSalesCase

    number = factory.Sequence(lambda n: f"AS20261123{n:04d}")
    customer = factory.SubFactory(CustomerFactory)
    category = CaseCategory.QUALITY
    problem = factory.Sequence(lambda n: f"收到的电饭煲不加热（{n}）")
    owner = factory.SubFactory(UserFactory, roles=["aftersales_service"])
    opened_at = factory.LazyFunction(timezone.now)


class CallbackFactory(factory.django.DjangoModelFactory[Callback]):
    class Meta:
        model = Callback

    customer = factory.SubFactory(CustomerFactory)
    purpose = factory.Sequence(lambda n: f"回访维修结果（{n}）")
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
    owner = factory.SubFactory(UserFactory, roles=["aftersales_service"])


class ReplyScriptFactory(factory.django.DjangoModelFactory[ReplyScript]):
    class Meta:
        model = ReplyScript

    category = ScriptCategory.SHIPPING
    audience = ScriptAudience.BOTH
    question = factory.Sequence(lambda n: f"什么时候发货？（{n}）")
    answer = "亲，付款后48小时内发货，节假日顺延哦。"
    active = True
    updated_at = factory.LazyFunction(timezone.now)
