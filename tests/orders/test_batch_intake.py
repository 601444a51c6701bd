"""A batch of orders (``orders_intake``) is answered, and stored, exactly as the same orders
pushed one by one; its reads and writes are per batch, not per order."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_fsm_log.models import StateLog

from ecomops.sla.models import SlaClock
from orders import services
from orders.models import IntakePolicy, Order, OrderPush
from orders.selectors import channel_for_intake
from tests.orders.factories import (
    SHOP_MORNING,
    listed_sku,
    make_channel,
    make_customer,
    order_data,
)

pytestmark = [pytest.mark.django_db, pytest.mark.clock(SHOP_MORNING)]


def _batch() -> list[dict[str, Any]]:
    """One of each answer: created, identified on arrival, parked, duplicate of an earlier
    order of the batch, refused, the same order twice, a repeat and a conflict with orders
    accepted before."""
    known = order_data(external_id="B-KNOWN")
    known["customer"]["phone"] = "13900139000"
    known["customer"]["id_number"] = ""
    fresh = order_data(external_id="B-NEW")
    fresh["customer"]["phone"] = "13700137000"
    fresh["customer"]["id_number"] = ""
    unknown = order_data(external_id="B-UNKNOWN", sku="NOPE")
    unknown["customer"]["phone"] = "13600136000"
    refused = order_data(external_id="B-REFUSED")
    refused["lines"][0]["quantity"] = 0
    twin = order_data(external_id="B-TWIN")
    twin["customer"]["phone"] = "13700137000"
    twin["customer"]["id_number"] = ""  # same buyer, address and goods as B-NEW
    changed = order_data(external_id="B-EARLIER", buyer_note="改了备注")
    return [
        known,
        fresh,
        unknown,
        refused,
        twin,
        dict(fresh),
        order_data(external_id="B-EARLIER"),
        changed,
    ]


def _world(code: str) -> Any:
    channel = make_channel(code=code, kind="tmall", intake_policy=IntakePolicy.PARK)
    services.order_intake(channel=channel, data=order_data(external_id="B-EARLIER"))
    return channel


def _one_by_one(channel: Any, payloads: list[dict[str, Any]]) -> list[tuple[str, str]]:
    answers = []
    for data in payloads:
        try:
            result = services.order_intake(channel=channel, data=data)
        except services.IntakeConflict:
            answers.append(("conflict", ""))
        except services.IntakeError:
            answers.append(("refused", ""))
        else:
            parked = result.order.state == "exception"
            status = "parked" if parked else "created" if result.created else "repeated"
            answers.append((status, result.order.state))
    return answers


def _stored(channel: Any) -> dict[str, Any]:
    orders = Order.objects.filter(channel=channel).order_by("pk")
    ids = [o.pk for o in orders]
    return {
        "orders": [
            (
                o.external_id,
                o.state,
                o.customer_id is not None,
                o.total_amount,
                sorted(e.code for e in o.exceptions.all()),
                [(line.sku.code, line.quantity, line.list_price) for line in o.lines.all()],
            )
            for o in orders
        ],
        "pushes": sorted(
            (p.order.external_id, p.outcome)
            for p in OrderPush.objects.filter(order__channel=channel)
        ),
        "clocks": sorted(
            (c.policy.code, c.stopped_at is None)
            for c in SlaClock.objects.filter(object_id__in=ids, content_type__model="order")
        ),
        "log": sorted(
            (log.transition, log.source_state, log.state)
            for log in StateLog.objects.filter(object_id__in=ids, content_type__model="order")
        ),
    }


def test_a_batch_answers_and_stores_as_the_pushes_one_by_one() -> None:
    listed_sku("SKU-1", "99.00")
    make_customer(phone="13900139000", id_number="")
    payloads = _batch()

    singly = _world("tmall-a")
    expected = _one_by_one(singly, payloads)
    batched = _world("tmall-b")
    outcomes = services.orders_intake(channel=batched, payloads=payloads)

    assert [o.status for o in outcomes] == [status for status, _state in expected]
    assert [o.status for o in outcomes] == [
        "created",
        "created",
        "parked",
        "refused",
        "parked",
        "repeated",
        "repeated",
        "conflict",
    ]
    assert [o.order.state if o.order and o.status != "conflict" else "" for o in outcomes] == [
        state for _status, state in expected
    ]
    assert _stored(batched) == _stored(singly)
    twin = outcomes[4]
    assert [r.code for r in twin.reasons] == ["duplicate"]
    assert outcomes[1].order is not None
    assert outcomes[1].order.number in twin.reasons[0].message
    assert outcomes[3].error is not None
    assert "lines[0].quantity" in outcomes[3].error.extra["fields"]
    assert outcomes[7].error is not None
    assert "buyer_note" in outcomes[7].error.extra["fields"]


def _new_orders(count: int, prefix: str, first_phone: int) -> list[dict[str, Any]]:
    """``count`` orders of as many buyers (no two the same: none is a duplicate)."""
    payloads = []
    for n in range(count):
        data = order_data(external_id=f"{prefix}-{n}")
        data["customer"]["phone"] = f"135{first_phone + n:08d}"
        data["customer"]["id_number"] = ""
        payloads.append(data)
    return payloads


def test_the_queries_of_a_batch_do_not_grow_with_its_size() -> None:
    channel = make_channel(code="tmall", kind="tmall", intake_policy=IntakePolicy.PARK)
    listed_sku("SKU-1", "99.00")
    # One buyer of each batch is known: identified on arrival.
    make_customer(phone="13500000101", id_number="")
    make_customer(phone="13500001001", id_number="")
    services.orders_intake(channel=channel, payloads=_new_orders(1, "WARM", 0))
    counts = []
    # SQLite takes at most 999 values per statement: Django splits a bulk insert of orders
    # (51 columns) every 19 rows there, so the sizes compared stay under that.
    sizes = (5, 200) if connection.vendor == "postgresql" else (5, 15)
    for size, first_phone in zip(sizes, (100, 1000), strict=True):
        with CaptureQueriesContext(connection) as queries:
            outcomes = services.orders_intake(
                channel=channel, payloads=_new_orders(size, f"S{size}", first_phone)
            )
        assert {o.status for o in outcomes} == {"created"}
        assert sum(o.order.state == "identified" for o in outcomes if o.order) == 1
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("policy", [IntakePolicy.REFUSE, IntakePolicy.PARK])
@pytest.mark.parametrize("known_buyer", [False, True])
def test_a_new_order_costs_at_most_six_queries_on_postgresql(
    known_buyer: bool, policy: str
) -> None:
    # A marketplace (PARK) also checks the blacklist, kept per process, and the buyer's
    # earlier orders, read with the order already in.
    make_channel(code="taobao", intake_policy=policy)
    listed_sku("SKU-1", "99.00")
    if known_buyer:
        make_customer(phone="13800138000", id_number="")
    channel = channel_for_intake("taobao")  # as the API reads it: with its shop's state
    assert channel is not None
    warm = order_data(external_id="WARM", buyer_account="lina88")
    warm["lines"][0]["quantity"] = 1  # other goods: not a duplicate of the one counted
    services.order_intake(channel=channel, data=warm)
    with CaptureQueriesContext(connection) as queries:
        result = services.order_intake(
            channel=channel, data=order_data(external_id="ONE", buyer_account="lina88")
        )
    assert result.created
    assert result.order.state == ("identified" if known_buyer else "received")
    statements = [
        q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]
    ]  # the test's own transaction turns the intake's BEGIN/COMMIT into a savepoint pair
    # Already in (and the buyer's earlier orders)? The SKUs with the channel's codes and
    # prices, the customer match, the number, then the order; then its push, its line and
    # its clocks (and the state log row of a buyer matched on arrival), in one statement on
    # PostgreSQL (rows.insert_all), one a table on SQLite.
    if connection.vendor == "postgresql":
        assert len(statements) <= 6, "\n".join(statements)
    else:
        assert len(statements) <= (9 if known_buyer else 8), "\n".join(statements)
    assert not [sql for sql in statements if "sla_slapolicy" in sql]
