"""The set-based identification and confirmation of the rep's queue (issue 24).

Each bulk service must leave every order exactly as its single-order twin leaves it: state,
state-log rows, SLA clocks (same start, due and stop, breaches recorded), customers and
their history; refuse per order without losing the others; and cost the same statements
for 5 orders as for 50.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django_fsm_log.models import StateLog

from ecomops.errors import ApplicationError
from ecomops.sla.models import SlaClock
from orders import services
from orders.models import CUSTOMER_FIELDS, Customer, CustomerChange, Order, OrderState
from orders.services.customers import orders_identify_many, orders_identify_new_customers
from orders.services.orders import orders_confirm_many
from orders.signals import order_confirmed
from tests.orders.factories import make_customer, order_data
from tests.timeutil import at

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english"),
    pytest.mark.clock(at(2026, 11, 23, 10, 0)),  # a Monday, in working hours
]


@pytest.fixture
def rep(make_user: Any) -> Any:
    return make_user("sales_rep")


def received(
    channel: Any, count: int, prefix: str, *, first: int = 0, **customer: Any
) -> list[Order]:
    """``count`` orders waiting for identification (their buyers, numbered from ``first``,
    are not in the master data): received at the same ``first``, the n-th orders of two
    prefixes have the same buyer."""
    orders = []
    for n in range(first, first + count):
        data = order_data(
            external_id=f"{prefix}{n}",
            customer={
                **order_data()["customer"],
                "phone": f"1380000{n:04d}",
                "id_number": "",
                **customer,
            },
        )
        order = services.order_intake(channel=channel, data=data).order
        assert order.state == OrderState.RECEIVED
        orders.append(order)
    return orders


def identified(channel: Any, rep: Any, count: int, *prefixes: str, first: int = 0) -> Any:
    """For each prefix, ``count`` orders identified as new customers (received first, so
    that no buyer is known at intake); one list per prefix."""
    groups = [received(channel, count, prefix, first=first) for prefix in prefixes]
    orders_identify_new_customers(order_ids=[o.pk for g in groups for o in g], by=rep)
    return groups


def end_state(orders: list[Order]) -> list[dict[str, Any]]:
    """What a service leaves behind for each order, without ids that differ by nature."""
    content_type = ContentType.objects.get_for_model(Order)
    result = []
    for order in Order.objects.filter(pk__in=[o.pk for o in orders]).order_by("pk"):
        customer = order.customer
        result.append(
            {
                "state": order.state,
                "identified_at": order.identified_at,
                "identified_automatically": order.identified_automatically,
                "confirmed_at": order.confirmed_at,
                "customer": None
                if customer is None
                else {key: getattr(customer, key) for key in CUSTOMER_FIELDS},
                "history": None
                if customer is None
                else sorted(
                    CustomerChange.objects.filter(customer=customer).values_list(
                        "field", "old_value", "new_value", "reason", "changed_by"
                    )
                ),
                "log": list(
                    StateLog.objects.filter(content_type=content_type, object_id=order.pk)
                    .order_by("pk")
                    .values_list(
                        "transition", "source_state", "state", "by", "description", "timestamp"
                    )
                ),
                "clocks": sorted(
                    SlaClock.objects.filter(
                        content_type=content_type, object_id=order.pk
                    ).values_list(
                        "policy__code", "started_at", "due_at", "stopped_at", "breached_at"
                    )
                ),
            }
        )
    return result


def refusal(call: Any) -> str:
    with pytest.raises(ApplicationError) as refused:
        call()
    return refused.value.message


# --- Identification of new customers ---------------------------------------------------------


def test_new_customers_in_bulk_end_as_one_at_a_time(
    channel: Any, sku: Any, rep: Any, clock: time_machine.Traveller
) -> None:
    singles = received(channel, 3, "S")
    bulk = received(channel, 3, "B")
    clock.shift(timedelta(minutes=20))  # late: the breach is recorded as a stop records it
    for order in singles:
        services.order_identify_new_customer(order_id=order.pk, by=rep)
    result = orders_identify_new_customers(order_ids=[o.pk for o in bulk], by=rep)
    assert result.done == [o.number for o in bulk]
    assert result.refused == {}
    assert end_state(bulk) == end_state(singles)
    after = end_state(bulk)
    assert [o["state"] for o in after] == [OrderState.IDENTIFIED] * 3
    assert after[0]["clocks"][0][0] == "customer_identification"
    assert after[0]["clocks"][0][4] is not None  # breached
    assert [c[0] for c in after[0]["clocks"]] == ["customer_identification", "sales_order"]


def test_new_customers_refused_per_order_and_the_others_go_on(
    channel: Any, sku: Any, rep: Any
) -> None:
    good, bad, done_before, twin = received(channel, 4, "R")
    Order.objects.filter(pk__in=[bad.pk, twin.pk]).update(
        customer_data={**bad.customer_data, "id_number": "123"}
    )
    services.order_identify_new_customer(order_id=done_before.pk, by=rep)
    customers = Customer.objects.count()

    result = orders_identify_new_customers(
        order_ids=[good.pk, bad.pk, done_before.pk, 999_999], by=rep
    )

    assert result.done == [good.number]
    assert result.refused == {
        bad.number: refusal(lambda: services.order_identify_new_customer(order_id=twin.pk, by=rep)),
        done_before.number: refusal(
            lambda: services.order_identify_new_customer(order_id=done_before.pk, by=rep)
        ),
    }
    assert (
        result.refused[done_before.number] == f"Order {done_before.number} is already identified."
    )
    assert Customer.objects.count() == customers + 1
    bad.refresh_from_db()
    assert bad.state == OrderState.RECEIVED


def test_new_customers_need_the_permission(channel: Any, sku: Any, make_user: Any) -> None:
    orders = received(channel, 2, "P")
    result = orders_identify_new_customers(order_ids=[o.pk for o in orders], by=make_user("packer"))
    assert result.done == []
    assert set(result.refused) == {o.number for o in orders}
    assert not Customer.objects.exists()


# --- Identification as chosen customers ------------------------------------------------------


def test_chosen_customers_in_bulk_end_as_one_at_a_time(channel: Any, sku: Any, rep: Any) -> None:
    singles = received(channel, 3, "S")
    bulk = received(channel, 3, "B")
    single_customers = [make_customer(name=f"老客户{n}", phone="13900000000") for n in range(3)]
    bulk_customers = [make_customer(name=f"老客户{n}", phone="13900000000") for n in range(3)]
    corrections = [{"phone": "18600000001"}, None, {"phone": "13900000000"}]  # last: no change
    for order, customer, fix in zip(singles, single_customers, corrections, strict=True):
        services.order_identify(
            order_id=order.pk, customer_id=customer.pk, by=rep, corrections=fix, reason="换号"
        )
    result = orders_identify_many(
        pairs=[
            (order.pk, customer.pk, fix)
            for order, customer, fix in zip(bulk, bulk_customers, corrections, strict=True)
        ],
        by=rep,
        reason="换号",
    )
    assert result.done == [o.number for o in bulk]
    assert end_state(bulk) == end_state(singles)
    first = end_state(bulk)[0]
    assert first["customer"]["phone"] == "18600000001"
    assert first["history"] == [("phone", "13900000000", "18600000001", "换号", rep.pk)]


def test_chosen_customers_refused_per_order(channel: Any, sku: Any, rep: Any) -> None:
    ok, unknown, merged, bad_fix, again, other = received(channel, 6, "C")
    customer = make_customer(phone="13900000000")
    duplicate = make_customer(phone="13900000001")
    services.customer_merge(duplicate_id=duplicate.pk, into_id=customer.pk, by=rep)
    services.order_identify(order_id=again.pk, customer_id=customer.pk, by=rep)
    services.order_identify(order_id=other.pk, customer_id=customer.pk, by=rep)
    expected = {
        unknown.number: "Choose the customer.",
        merged.number: refusal(
            lambda: services.order_identify(order_id=merged.pk, customer_id=duplicate.pk, by=rep)
        ),
        bad_fix.number: "The customer's details are not valid.",
        other.number: refusal(
            lambda: services.order_identify(
                order_id=other.pk, customer_id=make_customer().pk, by=rep
            )
        ),
    }
    another = make_customer()

    result = orders_identify_many(
        pairs=[
            (ok.pk, customer.pk, {"email": "li@example.com"}),
            (unknown.pk, 999_999, None),
            (merged.pk, duplicate.pk, None),
            (bad_fix.pk, customer.pk, {"id_number": "123"}),
            (again.pk, customer.pk, None),
            (other.pk, another.pk, {"email": "x@example.com"}),
        ],
        by=rep,
    )

    assert result.done == [ok.number, again.number]
    assert result.refused == expected
    customer.refresh_from_db()
    another.refresh_from_db()
    assert customer.email == "li@example.com"
    assert another.email == ""  # a refused order's correction is not kept
    assert list(CustomerChange.objects.filter(field="email").values_list("customer", "reason")) == [
        (customer.pk, f"Corrected from order {ok.number}.")
    ]


# --- Confirmation ----------------------------------------------------------------------------


def test_confirm_many_ends_as_one_at_a_time(
    channel: Any, sku: Any, rep: Any, clock: time_machine.Traveller
) -> None:
    singles, bulk = identified(channel, rep, 3, "S", "B")
    clock.shift(timedelta(hours=1))  # the sales-order clock (30 min) runs out
    seen: list[Order] = []
    order_confirmed.connect(
        lambda sender, order, **kw: seen.append(order), weak=False, dispatch_uid="test-bulk"
    )
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            for order in singles:
                services.order_confirm(order_id=order.pk, by=rep)
        with TestCase.captureOnCommitCallbacks(execute=True):
            result = orders_confirm_many(order_ids=[o.pk for o in bulk], by=rep)
    finally:
        order_confirmed.disconnect(dispatch_uid="test-bulk")
    assert result.done == [o.number for o in bulk]
    assert end_state(bulk) == end_state(singles)
    clocks = end_state(bulk)[0]["clocks"]
    assert [(c[0], c[3] is None, c[4] is not None) for c in clocks] == [
        ("customer_identification", False, False),
        ("delivery_note", True, False),
        ("sales_order", False, True),
    ]
    assert [o.pk for o in seen] == [o.pk for o in singles + bulk]


def test_confirm_many_refuses_per_order(channel: Any, sku: Any, rep: Any) -> None:
    ((ready, confirmed),) = identified(channel, rep, 2, "K")
    waiting, twin = received(channel, 2, "W", first=10)
    services.order_confirm(order_id=confirmed.pk, by=rep)
    result = orders_confirm_many(order_ids=[ready.pk, confirmed.pk, waiting.pk, 999_999], by=rep)
    assert result.done == [ready.number, confirmed.number]
    message = refusal(lambda: services.order_confirm(order_id=twin.pk, by=rep))
    assert result.refused == {waiting.number: message.replace(twin.number, waiting.number)}
    delivery_note_clocks = SlaClock.objects.filter(
        policy__code="delivery_note", object_id__in=[ready.pk, confirmed.pk]
    )
    assert delivery_note_clocks.count() == 2  # none started twice


def test_bulk_confirm_of_the_queue_uses_the_set_based_service(
    channel: Any, sku: Any, rep: Any, make_user: Any
) -> None:
    (orders,) = identified(channel, rep, 3, "Q")
    refused = services.orders_bulk(
        order_ids=[o.pk for o in orders], action=services.order_confirm, by=make_user("packer")
    )
    assert refused.done == []
    assert set(refused.refused.values()) == {"You are not allowed to do this: confirm."}
    with CaptureQueriesContext(connection) as queries:
        result = services.orders_bulk(
            order_ids=[o.pk for o in orders], action=services.order_confirm, by=rep
        )
    assert result.done == [o.number for o in orders]
    order_updates = [
        q for q in queries.captured_queries if q["sql"].startswith('UPDATE "orders_order"')
    ]
    assert len(order_updates) == 1  # the three orders in one statement


# --- Statements do not grow with the orders --------------------------------------------------


def prepared(stage: str, channel: Any, rep: Any, size: int, prefix: str, first: int) -> Any:
    """The call of ``stage`` for ``size`` orders waiting for it, ready to run."""
    if stage == "confirm":
        ids = [o.pk for o in identified(channel, rep, size, prefix, first=first)[0]]
        return lambda: orders_confirm_many(order_ids=ids, by=rep)
    orders = received(channel, size, prefix, first=first)
    if stage == "new_customers":
        return lambda: orders_identify_new_customers(order_ids=[o.pk for o in orders], by=rep)
    pairs = [
        (order.pk, make_customer(phone="13900000000").pk, {"phone": f"1860000{n:04d}"})
        for n, order in enumerate(orders)
    ]
    return lambda: orders_identify_many(pairs=pairs, by=rep, reason="换号")


@pytest.mark.parametrize("stage", ["new_customers", "chosen_customers", "confirm"])
def test_statements_are_the_same_for_5_and_50_orders(
    channel: Any, sku: Any, rep: Any, stage: str
) -> None:
    rep.has_perm("orders.confirm_order")  # the user's permissions are read once, before
    counts = []
    for size, prefix, first in ((5, "A", 0), (50, "B", 100)):
        call = prepared(stage, channel, rep, size, prefix, first)
        with CaptureQueriesContext(connection) as queries:
            result = call()
        assert (len(result.done), result.refused) == (size, {})
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]
