"""``ecomops.rows``: objects read by hand-written SQL equal what the ORM reads (issue 24).

The pack station reads its notes, orders, lines and SKUs this way; every column must come
back as the ORM gives it (JSON decoded, money as ``Decimal``, aware datetimes, booleans).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ecomops import rows
from orders.models import Order, OrderException, OrderPush
from tests.orders.factories import listed_sku
from tests.warehouse.factories import make_order

pytestmark = pytest.mark.django_db


def values(obj: Any) -> dict[str, Any]:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_an_order_read_by_sql_equals_the_orm_s() -> None:
    order = make_order(
        [(listed_sku("SKU-1"), 2)],
        needs_invoice=True,
        invoice_details={"title": "李四", "kind": "ordinary"},
    )
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {rows.columns(Order, 'o')} FROM {quote(Order._meta.db_table)} o "  # noqa: S608
            f"WHERE o.{quote(Order._meta.pk.column)} = %s",
            [order.pk],
        )
        row = cursor.fetchone()
    assert len(row) == rows.width(Order)

    read = rows.instance(Order, row, 0)

    assert values(read) == values(Order.objects.get(pk=order.pk))
    assert read.invoice_details == {"title": "李四", "kind": "ordinary"}
    assert not read._state.adding


def test_insert_writes_new_objects_as_bulk_create_would() -> None:
    sku = listed_sku("SKU-1")
    orders = [make_order([(sku, 1)]) for _n in range(2)]
    # built before their order is known to them by id: the key comes from the object
    pushes = [
        OrderPush(order=order, source="api", outcome="created", payload_hash=f"h{n}")
        for n, order in enumerate([*orders, *orders, orders[0]])
    ]
    with CaptureQueriesContext(connection) as queries:
        rows.insert(pushes, batch_size=2)
    assert len(queries) == 3  # five objects, two a statement
    assert all(push.pk is not None and not push._state.adding for push in pushes)
    assert len({push.pk for push in pushes}) == 5
    for push in pushes:
        stored = OrderPush.objects.get(pk=push.pk)
        assert values(stored) == values(push)  # received_at stamped as auto_now_add does
        assert stored.received_at is not None
        assert stored.differing_fields == []


def test_insert_refuses_saved_objects_and_mixed_models() -> None:
    order = make_order([(listed_sku("SKU-1"), 1)])
    with pytest.raises(ValueError, match="new objects of one model"):
        rows.insert([order])
    push = OrderPush(order=order, source="api", outcome="created", payload_hash="h")
    with pytest.raises(ValueError, match="new objects of one model"):
        rows.insert([push, order])
    assert not OrderPush.objects.exists()
    rows.insert([])


def _copy_of(order: Order, n: int, **changes: Any) -> Order:
    data = {
        field.attname: getattr(order, field.attname)
        for field in Order._meta.concrete_fields
        if not field.primary_key
    }
    data.update(number=f"{order.number}-{n}", external_id=f"{order.external_id}-{n}", **changes)
    return Order(**data)


def test_insert_writes_datetimes_and_amounts_as_the_orm_would() -> None:
    """Aware datetimes and finite amounts go to the driver as they are (where the backend's
    adapter keeps them); anything else still goes through the field: a naive datetime is
    warned about and read in the project's time zone, a NaN refused."""
    order = make_order([(listed_sku("SKU-1"), 2)])  # paid when accepted: aware datetimes
    copied = _copy_of(order, 1, total_amount=Decimal("123.40"))
    rows.insert([copied])
    stored = Order.objects.get(pk=copied.pk)
    assert stored.paid_at == order.paid_at
    assert stored.placed_at == order.placed_at
    assert stored.total_amount == Decimal("123.40")
    assert stored.goods_amount == order.goods_amount

    naive = datetime(2026, 3, 2, 10, 30)
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        rows.insert([late := _copy_of(order, 2, paid_at=naive)])
    expected = timezone.make_aware(naive, timezone.get_default_timezone())
    assert Order.objects.get(pk=late.pk).paid_at == expected

    with pytest.raises(ValidationError):
        rows.insert([_copy_of(order, 3, total_amount=Decimal("NaN"))])


def test_insert_all_writes_several_models_in_one_statement_on_postgresql() -> None:
    sku = listed_sku("SKU-1")
    order = make_order([(sku, 1)])
    pushes = [
        OrderPush(order=order, source="api", outcome="created", payload_hash=f"h{n}")
        for n in range(3)
    ]
    exceptions = [
        OrderException(order=order, code="blacklist", message=f"m{n}", found_at=order.accepted_at)
        for n in range(2)
    ]
    with CaptureQueriesContext(connection) as queries:
        rows.insert_all([pushes, [], exceptions])
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)
    # Each object has its own row's key, in the order of its list.
    for push in pushes:
        assert values(OrderPush.objects.get(pk=push.pk)) == values(push)
        assert not push._state.adding
    for exception in exceptions:
        assert OrderException.objects.get(pk=exception.pk).message == exception.message
    assert [p.pk for p in pushes] == sorted(p.pk for p in pushes)
    assert OrderPush.objects.count() == 3
    assert OrderException.objects.count() == 2


def test_insert_all_leaves_nothing_written_when_a_list_is_refused() -> None:
    """On PostgreSQL nothing is sent; list by list (SQLite), the lists before the refused
    one are written in the caller's transaction, which the refusal then rolls back."""
    order = make_order([(listed_sku("SKU-1"), 1)])
    push = OrderPush(order=order, source="api", outcome="created", payload_hash="h")
    with pytest.raises(ValueError, match="new objects of one model"), transaction.atomic():
        rows.insert_all([[push], [order]])
    assert not OrderPush.objects.exists()


def test_insert_all_beyond_one_statement_inserts_list_by_list(monkeypatch: Any) -> None:
    order = make_order([(listed_sku("SKU-1"), 1)])
    monkeypatch.setattr(rows, "TOGETHER", 2)
    pushes = [
        OrderPush(order=order, source="api", outcome="created", payload_hash=f"h{n}")
        for n in range(2)
    ]
    exceptions = [
        OrderException(order=order, code="blacklist", message="m", found_at=order.accepted_at)
    ]
    with CaptureQueriesContext(connection) as queries:
        rows.insert_all([pushes, exceptions])
    assert len(queries) == 2
    assert OrderPush.objects.count() == 2
    assert OrderException.objects.count() == 1
