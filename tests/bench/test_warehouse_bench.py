"""Warehouse figures (printed, never asserted): run with `make bench` on PostgreSQL.

- release a BENCH_BATCH_ORDERS-order batch (default 100,000; 3 lines each) into waves with
  pick lists: seconds, peak RSS growth, and the ratio to a raw SQL UPDATE of the same orders;
- the pick-list PDF of a wave of 250, 500 and 1,000 orders: seconds and peak Python memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecomops make bench
"""

from __future__ import annotations

import os
import resource
import time
import tracemalloc
from datetime import date, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from ecomops.calendar import local_datetime
from ecomops.cutoffs import batch_for
from orders.models import Order, OrderLine, OrderState
from tests.orders.factories import listed_sku, make_channel, make_customer
from tests.warehouse.factories import make_warehouse
from warehouse import pdf, selectors, services
from warehouse.models import (
    Batch,
    DeliveryNote,
    DeliveryNoteLine,
    Location,
    NoteState,
    PickLine,
    Wave,
)

pytestmark = [
    pytest.mark.bench,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="figures are for PostgreSQL"),
]

BATCH_ORDERS = int(os.environ.get("BENCH_BATCH_ORDERS", "100000"))
SKUS = 300
DAY = date(2026, 11, 23)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _seed(count: int, *, prefix: str, day: date = DAY) -> list[int]:
    """``count`` allocated orders of 3 lines with their delivery notes, inserted in bulk."""
    warehouse = make_warehouse(locations=SKUS)
    locations = list(Location.objects.order_by("walk_order"))
    skus = [listed_sku(f"B{prefix}{i:04d}") for i in range(SKUS)]
    home = {sku.pk: locations[i % len(locations)] for i, sku in enumerate(skus)}
    channel = make_channel(code=f"bench{prefix}")
    customer = make_customer()
    accepted = local_datetime(day, clock(10))
    key = batch_for(accepted)
    order_ids: list[int] = []
    for start in range(0, count, 5000):
        size = min(5000, count - start)
        orders = Order.objects.bulk_create(
            [
                Order(
                    number=f"SO{prefix}{start + i:09d}",
                    channel=channel,
                    external_id=f"{prefix}{start + i}",
                    source="api",
                    state=OrderState.ALLOCATED,
                    customer=customer,
                    receiver_name="张伟",
                    receiver_phone="13800138000",
                    ship_province="浙江省",
                    ship_city="杭州市",
                    ship_street="建设二路666号",
                    placed_at=accepted - timedelta(minutes=1),
                    paid_at=accepted,
                    accepted_at=accepted,
                    batch_date=key.batch_date,
                    batch_slot=key.slot,
                    ship_by=key.ship_by,
                    total_amount=Decimal("297.00"),
                    payload_hash="bench",
                )
                for i in range(size)
            ]
        )
        lines = OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    position=p + 1,
                    sku=skus[(n * 3 + p) % SKUS],
                    channel_sku_code="x",
                    quantity=1,
                    unit_price=Decimal("99"),
                    list_price=Decimal("99"),
                    amount=Decimal("99"),
                )
                for n, order in enumerate(orders, start=start)
                for p in range(3)
            ]
        )
        notes = DeliveryNote.objects.bulk_create(
            [
                DeliveryNote(
                    number=f"DN{prefix}{start + i:09d}",
                    order=order,
                    warehouse=warehouse,
                    carrier=warehouse.default_carrier,
                    state=NoteState.ALLOCATED,
                )
                for i, order in enumerate(orders)
            ]
        )
        DeliveryNoteLine.objects.bulk_create(
            [
                DeliveryNoteLine(
                    note=notes[i // 3],
                    order_line=line,
                    sku_id=line.sku_id,
                    location=home[line.sku_id],
                    quantity=1,
                )
                for i, line in enumerate(lines)
            ],
            batch_size=5000,
        )
        order_ids.extend(o.pk for o in orders)
    return order_ids


def test_release_a_large_batch(settings: Any) -> None:
    settings.WAREHOUSE_WAVE_SIZE = 200
    t0 = time.perf_counter()
    order_ids = _seed(BATCH_ORDERS, prefix="R")
    seeded = time.perf_counter() - t0
    rss_before = _rss_mb()
    t0 = time.perf_counter()
    batch = services.batch_release(batch_date=DAY, slot=12, chunk_size=2000)
    released = time.perf_counter() - t0
    rss_growth = _rss_mb() - rss_before
    assert batch.note_count == BATCH_ORDERS
    waves = Wave.objects.filter(batch=batch).count()
    pick_lines = PickLine.objects.filter(wave__batch=batch).count()

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE orders_order SET state = 'released', released_at = now() WHERE id = ANY(%s)",
            [order_ids],
        )
    raw = time.perf_counter() - t0
    print(
        f"\nbatch release: {BATCH_ORDERS} orders x 3 lines (seeded in {seeded:.1f} s)\n"
        f"  release into {waves} waves, {pick_lines} pick lines: {released:.1f} s "
        f"({BATCH_ORDERS / released:.0f} orders/s), peak RSS growth {rss_growth:.0f} MB\n"
        f"  raw SQL UPDATE of the same orders: {raw:.2f} s; ratio {released / raw:.0f}x"
    )
    assert Batch.objects.get().state == "released"


def test_pick_list_pdf_of_growing_waves(settings: Any) -> None:
    settings.WAREHOUSE_WAVE_SIZE = 1000
    print()
    for offset, size in enumerate((250, 500, 1000), start=1):
        day = DAY + timedelta(days=offset)  # Tuesday to Thursday: one batch, one wave each
        _seed(size, prefix=f"P{size}", day=day)
        batch = services.batch_release(batch_date=day, slot=12, chunk_size=2000)
        wave = Wave.objects.get(batch=batch)
        lines = list(selectors.wave_pick_lines(wave))
        slots = selectors.wave_sort_slots(wave)
        tracemalloc.start()
        t0 = time.perf_counter()
        content = pdf.pick_list_pdf(wave, lines, slots)
        elapsed = time.perf_counter() - t0
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"pick list PDF, wave of {size} orders ({len(lines)} pick lines, {len(slots)} sort "
            f"rows): {elapsed:.2f} s, {len(content) / 1024:.0f} KB, peak Python memory "
            f"{peak / 1024 / 1024:.1f} MB"
        )
