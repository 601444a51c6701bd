"""Races on PostgreSQL: the last unit goes to one order; two releases release once."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django_fsm_log.models import StateLog

from tests.concurrency import race
from tests.factories import UserFactory
from tests.orders.factories import listed_sku
from tests.warehouse.factories import MONDAY_MORNING, make_order, make_warehouse, put_stock
from warehouse import services
from warehouse.models import Batch, DeliveryNote, StockBalance, StockHold, Wave

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and SKIP LOCKED need PostgreSQL (.ci/run uses it)",
    ),
]


def test_the_last_unit_goes_to_exactly_one_order() -> None:
    make_warehouse()
    sku = listed_sku("SKU-1")
    put_stock(sku, 1)
    admin = UserFactory(roles=["bu_parts_admin"])
    orders = [make_order([(sku, 1)]) for _ in range(4)]
    results = race([lambda o=o: services.allocate_order(order_id=o.pk, by=admin) for o in orders])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(1 for r in results if r is not None) == 1
    assert DeliveryNote.objects.count() == 1
    assert StockHold.objects.count() == 3
    balance = StockBalance.objects.get(sku=sku)
    assert (balance.on_hand, balance.reserved) == (1, 1)


def test_two_releases_at_once_release_each_note_once() -> None:
    make_warehouse()
    sku = listed_sku("SKU-1")
    put_stock(sku, 100)
    admin = UserFactory(roles=["bu_parts_admin"])
    for _ in range(30):
        order = make_order([(sku, 1)], accepted_at=MONDAY_MORNING)
        services.allocate_order(order_id=order.pk, by=admin)
    results = race(
        [
            lambda: services.batch_release(batch_date=date(2026, 11, 23), slot=12, chunk_size=4)
            for _ in range(3)
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Batch.objects.count() == 1
    assert DeliveryNote.objects.filter(state="released", wave__isnull=False).count() == 30
    logs = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(DeliveryNote), transition="release"
    )
    assert logs.count() == 30
    assert logs.values("object_id").distinct().count() == 30
    assert sum(Wave.objects.values_list("note_count", flat=True)) == 30
    assert Batch.objects.get().note_count == 30
