"""Waybill label figures (printed, never asserted): run with `make bench` on PostgreSQL.

- 1,000 labels of one wave in one PDF, as the wave's print button makes them: parcels read
  a chunk at a time, drawn and written page by page to a temporary file. Seconds from the
  first query to the last byte, beside the plain-SQL read of the same fields and the ratio,
  and the drawing alone of parcels already loaded;
- 1,000 and 10,000 labels the same way in a fresh process: peak RSS growth (flat: it does
  not grow with the wave), read from /proc outside the timing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecomops \\
        .venv/bin/pytest tests/bench/test_labels_bench.py -p no:randomly -s --override-ini addopts=

``run_labels_bench`` also runs at 5 labels in the normal suite
(tests/warehouse/test_labels.py), which reads every label back with a barcode scanner.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import pytest
from django.db import connection

from ecomops.calendar import local_datetime
from ecomops.cutoffs import batch_for
from orders.models import Order, OrderLine, OrderState
from tests.bench.measure import rss_mb
from tests.orders.factories import listed_sku, make_channel, make_customer
from tests.warehouse.factories import make_warehouse
from warehouse import pdf, selectors
from warehouse.models import (
    Batch,
    Carrier,
    DeliveryNote,
    DeliveryNoteLine,
    NoteState,
    Parcel,
    ParcelState,
    Warehouse,
    Wave,
)

pytestmark = [
    pytest.mark.bench,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="figures are for PostgreSQL"),
]

LABELS = int(os.environ.get("BENCH_LABELS", "1000"))
LABELS_LARGE = int(os.environ.get("BENCH_LABELS_LARGE", "10000"))
DAY = date(2026, 11, 24)
_CHUNK = 2000


@dataclass
class LabelRun:
    """One printing of a wave's labels, and what a scanner should read on each page."""

    labels: int
    seconds: float  # first query to last byte written
    cpu_seconds: float  # of this process in that time (the database's not included)
    floor_seconds: float  # the same fields read with one plain SQL query
    size: int  # bytes of PDF
    orders: list[str] = field(default_factory=list)  # each page's QR, in page order
    waybills: list[str] = field(default_factory=list)  # each page's Code128


def seed_packed_wave(count: int, *, prefix: str, day: date = DAY) -> tuple[Wave, list[Order]]:
    """A wave of ``count`` packed parcels, one order of 2 lines each, inserted in bulk."""
    warehouse = make_warehouse()
    carrier = warehouse.default_carrier
    skus = [listed_sku(f"L{prefix}{i}") for i in range(3)]
    channel = make_channel(code=f"lbl{prefix}".lower())
    customer = make_customer()
    accepted = local_datetime(day, clock(10))
    key = batch_for(accepted)
    batch = Batch.objects.create(
        batch_date=key.batch_date, slot=key.slot, cut_at=accepted, note_count=count
    )
    wave = Wave.objects.create(
        number=f"W{prefix}{day:%y%m%d}", batch=batch, carrier=carrier, note_count=count
    )
    orders: list[Order] = []
    for start in range(0, count, _CHUNK):
        size = min(_CHUNK, count - start)
        numbers = range(start, start + size)
        chunk = Order.objects.bulk_create(
            [
                Order(
                    number=f"SO{prefix}{i:09d}",
                    channel=channel,
                    external_id=f"{prefix}{i}",
                    source="api",
                    state=OrderState.RELEASED,
                    customer=customer,
                    receiver_name="张伟",
                    receiver_phone="13800138000",
                    ship_province="浙江省",
                    ship_city="杭州市",
                    ship_district="西湖区",
                    ship_street=f"文三路{i % 900 + 1}号华星时代广场A座{i % 30 + 1}01室",
                    placed_at=accepted - timedelta(minutes=1),
                    paid_at=accepted,
                    accepted_at=accepted,
                    batch_date=key.batch_date,
                    batch_slot=key.slot,
                    ship_by=key.ship_by,
                    total_amount=Decimal("198.00"),
                    payload_hash="bench",
                )
                for i in numbers
            ]
        )
        lines = OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    position=p + 1,
                    sku=skus[(n + p) % len(skus)],
                    channel_sku_code="x",
                    quantity=p + 1,
                    unit_price=Decimal("66"),
                    list_price=Decimal("66"),
                    amount=Decimal("66") * (p + 1),
                )
                for n, order in enumerate(chunk)
                for p in range(2)
            ]
        )
        parcels = Parcel.objects.bulk_create(
            [
                Parcel(
                    number=f"PK{prefix}{i:09d}",
                    carrier=carrier,
                    waybill_number=f"7{prefix}{i:010d}",
                    weight_grams=800 + i % 700,
                    state=ParcelState.PACKED,
                )
                for i in numbers
            ]
        )
        notes = DeliveryNote.objects.bulk_create(
            [
                DeliveryNote(
                    number=f"DN{prefix}{i:09d}",
                    order=order,
                    warehouse=warehouse,
                    carrier=carrier,
                    state=NoteState.PACKED,
                    batch=batch,
                    wave=wave,
                    parcel=parcel,
                )
                for i, order, parcel in zip(numbers, chunk, parcels, strict=True)
            ]
        )
        DeliveryNoteLine.objects.bulk_create(
            [
                DeliveryNoteLine(
                    note=notes[n // 2],
                    order_line=line,
                    sku_id=line.sku_id,
                    quantity=line.quantity,
                    packed_quantity=line.quantity,
                )
                for n, line in enumerate(lines)
            ]
        )
        orders.extend(chunk)
    return wave, orders


def run_labels_bench(count: int, *, prefix: str, out: BinaryIO, day: date = DAY) -> LabelRun:
    """Seed a wave of ``count`` parcels, then print its labels into ``out`` as the view does."""
    wave, orders = seed_packed_wave(count, prefix=prefix, day=day)
    floor = _plain_sql_floor(wave)
    start, cpu = time.perf_counter(), time.process_time()
    labels = pdf.write_labels_pdf(out, selectors.waybill_labels(wave=wave))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return LabelRun(
        labels=labels,
        seconds=seconds,
        cpu_seconds=cpu,
        floor_seconds=floor,
        size=out.tell(),
        orders=[order.number for order in orders],
        waybills=[f"7{prefix}{i:010d}" for i in range(count)],
    )


def print_in_a_fresh_process(wave: Wave) -> dict[str, float]:
    """Print ``wave``'s labels in a new Python process: its seconds, CPU seconds, bytes of
    PDF and peak RSS growth (MB).

    A fresh process, because this one has just allocated (and freed) the seeded rows, and
    would print into that freed memory without growing at all. The child loads Django and
    the font and prints two labels first, then resets its RSS high-water mark and prints
    the wave; /proc is read before and after, never inside the timing.
    """
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    child = subprocess.run(  # noqa: S603 (this interpreter, this module)
        [sys.executable, "-c", _CHILD, str(wave.pk)],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(child.stdout.strip().splitlines()[-1])


_CHILD = (
    "import sys, django; django.setup(); "
    "from tests.bench.test_labels_bench import _print_wave; _print_wave(int(sys.argv[1]))"
)


def _print_wave(wave_id: int) -> None:
    """The child of ``print_in_a_fresh_process``: prints one JSON line of figures."""
    wave = Wave.objects.get(pk=wave_id)
    pdf.labels_pdf(itertools.islice(selectors.waybill_labels(wave=wave), 2))
    gc.collect()
    rss_before = _reset_peak_rss()
    with tempfile.TemporaryFile() as out:
        start, cpu = time.perf_counter(), time.process_time()
        labels = pdf.write_labels_pdf(out, selectors.waybill_labels(wave=wave))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = out.tell()
    growth = rss_mb("VmHWM") - rss_before
    figures = {"labels": labels, "seconds": seconds, "cpu": cpu, "size": size, "rss": growth}
    print(json.dumps(figures))


def _plain_sql_floor(wave: Wave) -> float:
    """Seconds to read every label's fields in one plain SQL query (grouped by parcel)."""
    tables = {
        model.__name__: model._meta.db_table
        for model in (Parcel, Carrier, DeliveryNote, DeliveryNoteLine, Order, Warehouse)
    }
    sql = f"""
        SELECT p.id, p.number, p.waybill_number, p.weight_grams, c.name,
               o.number, o.receiver_name, o.receiver_phone,
               o.ship_province, o.ship_city, o.ship_district, o.ship_street,
               w.phone, w.address, SUM(l.quantity - l.short_quantity)
        FROM {tables["Parcel"]} p
        JOIN {tables["DeliveryNote"]} n ON n.parcel_id = p.id
        JOIN {tables["Order"]} o ON o.id = n.order_id
        JOIN {tables["Carrier"]} c ON c.id = p.carrier_id
        JOIN {tables["Warehouse"]} w ON w.id = n.warehouse_id
        JOIN {tables["DeliveryNoteLine"]} l ON l.note_id = n.id
        WHERE n.wave_id = %s
        GROUP BY p.id, p.number, p.waybill_number, p.weight_grams, c.name, o.number,
                 o.receiver_name, o.receiver_phone, o.ship_province, o.ship_city,
                 o.ship_district, o.ship_street, w.phone, w.address
        ORDER BY p.id
    """  # noqa: S608 (table names from the models, the wave as a parameter)
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [wave.pk])
        rows = cursor.fetchall()
    seconds = time.perf_counter() - start
    assert len(rows) == wave.note_count
    return seconds


def _reset_peak_rss() -> float:
    """Reset the process's RSS high-water mark (Linux: clear_refs 5); the RSS now, in MB."""
    Path("/proc/self/clear_refs").write_text("5")
    return rss_mb("VmRSS")


def _report(name: str, run: LabelRun) -> None:
    print(
        f"{name}: {run.labels:,} labels in {run.seconds:.2f} s (CPU {run.cpu_seconds:.2f} s; "
        f"{run.labels / run.seconds:,.0f} labels/s, {run.size / 1024 / 1024:.1f} MB of PDF)\n"
        f"  plain SQL read of the same fields: {run.floor_seconds:.3f} s; "
        f"ratio {run.seconds / run.floor_seconds:.0f}x"
    )


def _warm_up() -> None:
    """The first PDF of a process loads the font: not part of a wave's printing."""
    wave, _orders = seed_packed_wave(2, prefix="0", day=DAY - timedelta(days=1))
    pdf.labels_pdf(selectors.waybill_labels(wave=wave))


def test_labels_of_a_wave_in_one_pdf() -> None:
    print()
    _warm_up()
    with tempfile.TemporaryFile() as out:
        run = run_labels_bench(LABELS, prefix="1", out=out, day=DAY)
    _report(f"wave of {LABELS:,}", run)
    assert run.labels == LABELS
    labels = list(selectors.waybill_labels(wave=Wave.objects.get(number=f"W1{DAY:%y%m%d}")))
    start = time.perf_counter()
    content = pdf.labels_pdf(labels)
    drawn = time.perf_counter() - start
    print(
        f"  drawing alone, {len(labels):,} labels already read, into bytes: {drawn:.2f} s "
        f"({len(content) / 1024 / 1024:.1f} MB)"
    )


def test_labels_of_a_large_wave_in_flat_memory() -> None:
    print()
    for count, prefix, day in (
        (LABELS, "2", DAY + timedelta(days=1)),
        (LABELS_LARGE, "3", DAY + timedelta(days=2)),
    ):
        wave, _orders = seed_packed_wave(count, prefix=prefix, day=day)
        child = print_in_a_fresh_process(wave)
        print(
            f"wave of {count:,} in a fresh process: {child['seconds']:.2f} s "
            f"(CPU {child['cpu']:.2f} s), {child['size'] / 1024 / 1024:.1f} MB of PDF, "
            f"peak RSS growth {child['rss']:.1f} MB"
        )
        assert child["labels"] == count
