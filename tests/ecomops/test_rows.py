"""``ecomops.rows``: objects read by hand-written SQL equal what the ORM reads (issue 24).

The pack station reads its notes, orders, lines and SKUs this way; every column must come
back as the ORM gives it (JSON decoded, money as ``Decimal``, aware datetimes, booleans).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from ecomops import rows
from orders.models import Order
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
