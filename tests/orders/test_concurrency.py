"""Two identical pushes at the same moment create exactly one order (PostgreSQL only)."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from orders.models import Order, OrderPush
from tests.orders.factories import listed_sku, make_channel, order_data, push

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and concurrent unique inserts need PostgreSQL (.ci/run uses it)",
    ),
]


def _race(count: int, target: Any) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = target()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_identical_concurrent_pushes_create_one_order() -> None:
    channel = make_channel(code="race", price_tolerance_percent=Decimal("0"))
    listed_sku("SKU-1", "99.00")
    data = order_data(external_id="RACE-1")
    responses = _race(4, lambda: push(Client(), channel, data))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 200, 200, 201], [r.content for r in responses]
    assert Order.objects.filter(external_id="RACE-1").count() == 1
    assert len({r.json()["id"] for r in responses}) == 1
    assert OrderPush.objects.count() == 4


def test_concurrent_pushes_of_different_orders_all_land_with_distinct_numbers() -> None:
    channel = make_channel(code="race2")
    listed_sku("SKU-1", "99.00")
    ids = iter(range(4))
    lock = threading.Lock()

    def one() -> Any:
        with lock:
            n = next(ids)
        return push(Client(), channel, order_data(external_id=f"MANY-{n}"))

    results = _race(4, one)
    assert sorted(r.status_code for r in results) == [201] * 4, [r.content for r in results]
    numbers = list(Order.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 4
