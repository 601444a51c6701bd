"""Warehouse figures (printed, never asserted): run with `make bench` on PostgreSQL.

- release a BENCH_BATCH_ORDERS-order batch (default 100,000; 3 lines each) into waves of 200
  with their pick lines, beside its floor: the plain SQL ``UPDATE`` of the same notes and
  orders (state, release stamp, batch, lateness) in one transaction, in the same run;
- the pick list of a wave of 250, 500 and 1,000 orders (read by the selectors, rendered as
  PDF) beside the plain SQL ``SELECT`` of the rows it prints; peak Python memory is
  measured in a second, untimed pass under tracemalloc (the tracer slows the code it
  watches about tenfold).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecomops make bench

``release_bench`` and ``pick_list_bench`` also run at a tiny size in the normal suite
(tests/warehouse/test_bench_small.py), which checks what they produce, never their time.
"""

from __future__ import annotations

import os
import time
import tracemalloc
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import time as clock
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import override_settings

from ecomops.calendar import local_datetime
from ecomops.cutoffs import batch_for
from listings.models import Sku
from orders.models import Channel, Order, OrderLine, OrderState
from tests.bench.measure import load_average, rss_mb
from tests.orders.factories import listed_sku, make_channel, make_customer
from tests.warehouse.factories import make_warehouse
from warehouse import pdf, selectors, services
from warehouse.models import (
    Batch,
    BatchState,
    DeliveryNote,
    DeliveryNoteLine,
    Location,
    NoteState,
    PickLine,
    Warehouse,
    Wave,
)

pytestmark = [
    pytest.mark.bench,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="figures are for PostgreSQL"),
]

BATCH_ORDERS = int(os.environ.get("BENCH_BATCH_ORDERS", "100000"))
SKUS = 300
DAY = date(2026, 11, 23)  # a Monday


@dataclass
class Catalogue:
    """What the seeded orders are made of: a warehouse, SKUs and the bin of each."""

    warehouse: Warehouse
    skus: list[Sku]
    home: dict[int, Location]


def catalogue(skus: int = SKUS, *, prefix: str = "B") -> Catalogue:
    warehouse = make_warehouse(locations=skus)
    locations = list(Location.objects.order_by("walk_order"))
    made = [listed_sku(f"{prefix}{i:04d}") for i in range(skus)]
    home = {sku.pk: locations[i % len(locations)] for i, sku in enumerate(made)}
    return Catalogue(warehouse, made, home)


def seed(count: int, *, stock: Catalogue, prefix: str, day: date = DAY) -> Channel:
    """``count`` allocated orders of 3 lines with their delivery notes, inserted in bulk,
    all due in ``day``'s 12:00 batch; returns their channel (the bench's only one)."""
    channel = make_channel(code=f"bench{prefix}".lower())
    customer = make_customer()
    accepted = local_datetime(day, clock(10))
    key = batch_for(accepted)
    skus = stock.skus
    warehouse = stock.warehouse
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
                    sku=skus[(n * 3 + p) % len(skus)],
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
                    location=stock.home[line.sku_id],
                    quantity=1,
                )
                for i, line in enumerate(lines)
            ],
            batch_size=5000,
        )
    return channel


def _vacuum(*, full: bool = False) -> None:
    """Start each timed step on tables with fresh statistics, as a live database has.

    ``full`` also rewrites them compactly: the floor's UPDATE and its undoing leave every
    row twice moved to the end of its table, which made the release that followed it up to
    1.7x slower than on the freshly seeded tables the floor had. VACUUM cannot run inside
    a transaction: skipped in the tiny, transactional run.
    """
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            for model in (Order, DeliveryNote, DeliveryNoteLine):
                cursor.execute(f"VACUUM {'FULL ' if full else ''}ANALYZE {model._meta.db_table}")


def _release_by_hand(*, channel: Channel, batch: Batch, forward: bool) -> None:
    """The floor: the notes and orders of ``channel`` released (or put back) by two plain
    SQL UPDATEs in one transaction, writing the columns the release writes."""
    notes = DeliveryNote._meta.db_table
    orders = Order._meta.db_table
    stamp = "CURRENT_TIMESTAMP" if forward else "NULL"
    note_state = NoteState.RELEASED if forward else NoteState.ALLOCATED
    order_state = OrderState.RELEASED if forward else OrderState.ALLOCATED
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {notes} SET state = %s, released_at = {stamp}, batch_id = %s, late = %s "  # noqa: S608
            f"WHERE order_id IN (SELECT id FROM {orders} WHERE channel_id = %s)",
            [note_state, batch.pk if forward else None, False, channel.pk],
        )
        cursor.execute(
            f"UPDATE {orders} SET state = %s, released_at = {stamp} WHERE channel_id = %s",  # noqa: S608
            [order_state, channel.pk],
        )


def _reset_peak_rss() -> None:
    """Start the peak over (Linux 4.0+): the seeding's own peak hid the release's."""
    with suppress(OSError), open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


@dataclass
class ReleaseFigures:
    orders: int
    seeded: float
    released: float
    floor: float
    waves: int
    pick_lines: int
    rss_growth_mb: float
    rss_peak_mb: float
    batch: Batch

    @property
    def ratio(self) -> float:
        return self.released / self.floor

    def report(self) -> str:
        return (
            f"batch release: {self.orders:,} orders x 3 lines (seeded in {self.seeded:.1f} s)\n"
            f"  release into {self.waves} waves, {self.pick_lines:,} pick lines: "
            f"{self.released:.2f} s ({self.orders / self.released:,.0f} orders/s), "
            f"peak RSS {self.rss_peak_mb:.0f} MB ({self.rss_growth_mb:.0f} MB above the RSS "
            "before)\n"
            f"  floor, plain SQL UPDATE of the same notes + orders in one transaction: "
            f"{self.floor:.2f} s\n"
            f"  ratio release / floor: {self.ratio:.1f}x"
        )


def release_bench(
    orders: int, *, wave_size: int = 200, chunk_size: int | None = None, skus: int = SKUS
) -> ReleaseFigures:
    """Seed ``orders`` allocated orders, time the floor on them (then put them back), and
    time ``batch_release`` of their batch; the release is checked, not only timed."""
    t0 = time.perf_counter()
    stock = catalogue(skus)
    channel = seed(orders, stock=stock, prefix="R")
    seeded = time.perf_counter() - t0
    key = batch_for(local_datetime(DAY, clock(10)))
    batch, _created = Batch.objects.get_or_create(
        batch_date=key.batch_date, slot=key.slot, defaults={"cut_at": key.cut_at}
    )
    _vacuum()
    t0 = time.perf_counter()
    _release_by_hand(channel=channel, batch=batch, forward=True)
    floor = time.perf_counter() - t0
    _release_by_hand(channel=channel, batch=batch, forward=False)
    _vacuum(full=True)

    kwargs = {} if chunk_size is None else {"chunk_size": chunk_size}
    _reset_peak_rss()
    rss_before = rss_mb("VmRSS")
    with override_settings(WAREHOUSE_WAVE_SIZE=wave_size):
        t0 = time.perf_counter()
        batch = services.batch_release(batch_date=key.batch_date, slot=key.slot, **kwargs)
        released = time.perf_counter() - t0
    rss_peak = rss_mb("VmHWM")

    assert batch.state == BatchState.RELEASED
    assert batch.note_count == orders
    assert not DeliveryNote.objects.exclude(state=NoteState.RELEASED).exists()
    assert not DeliveryNote.objects.filter(wave__isnull=True).exists()
    assert not Order.objects.exclude(state=OrderState.RELEASED).exists()
    return ReleaseFigures(
        orders=orders,
        seeded=seeded,
        released=released,
        floor=floor,
        waves=Wave.objects.filter(batch=batch).count(),
        pick_lines=PickLine.objects.filter(wave__batch=batch).count(),
        rss_growth_mb=rss_peak - rss_before,
        rss_peak_mb=rss_peak,
        batch=batch,
    )


@dataclass
class PickListFigures:
    orders: int
    pick_lines: int
    sort_rows: int
    read: float
    rendered: float
    floor: float
    size_kb: float
    peak_mb: float
    content: bytes

    @property
    def seconds(self) -> float:
        return self.read + self.rendered

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor

    def report(self) -> str:
        return (
            f"pick list, wave of {self.orders:,} orders ({self.pick_lines} pick lines, "
            f"{self.sort_rows:,} sort rows): read {self.read:.2f} s + PDF {self.rendered:.2f} s "
            f"= {self.seconds:.2f} s, {self.size_kb:.0f} KB; floor, plain SQL SELECT of the "
            f"printed rows {self.floor:.3f} s; ratio {self.ratio:.0f}x; peak Python memory "
            f"of the PDF (untimed pass) {self.peak_mb:.1f} MB"
        )


def _read_by_hand(wave: Wave) -> int:
    """The floor of a pick list: the rows it prints, read by plain SQL."""
    t = {
        m.__name__: m._meta.db_table
        for m in (PickLine, Sku, Location, DeliveryNote, DeliveryNoteLine, Order)
    }
    rows = 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.quantity, s.code, s.name, l.code FROM {t['PickLine']} p "  # noqa: S608
            f"JOIN {t['Sku']} s ON s.id = p.sku_id JOIN {t['Location']} l ON l.id = p.location_id "
            "WHERE p.wave_id = %s ORDER BY p.walk_order, l.code, s.code",
            [wave.pk],
        )
        rows += len(cursor.fetchall())
        cursor.execute(
            f"SELECT n.number, n.merge_key, o.number, o.receiver_name, nl.quantity, s.code "  # noqa: S608
            f"FROM {t['DeliveryNote']} n JOIN {t['Order']} o ON o.id = n.order_id "
            f"JOIN {t['DeliveryNoteLine']} nl ON nl.note_id = n.id "
            f"JOIN {t['Sku']} s ON s.id = nl.sku_id "
            "WHERE n.wave_id = %s AND n.state <> %s ORDER BY n.merge_key, n.id",
            [wave.pk, NoteState.CANCELLED],
        )
        rows += len(cursor.fetchall())
    return rows


def pick_list_bench(
    sizes: Sequence[int], *, skus: int = SKUS
) -> tuple[float, list[PickListFigures]]:
    """One batch of one wave per size (on the working days after DAY), its pick list read
    and rendered, timed untraced; then the same rows rendered again under tracemalloc for
    the PDF's memory. Returns the untimed warm-up's seconds too (the process's first PDF
    loads the fonts)."""
    stock = catalogue(skus, prefix="P")
    figures = []
    waves = []
    for offset, size in enumerate(sizes, start=1):
        day = DAY + timedelta(days=offset)  # Tuesday onwards: one batch, one wave each
        seed(size, stock=stock, prefix=f"P{size}x{offset}", day=day)
        with override_settings(WAREHOUSE_WAVE_SIZE=max(sizes)):
            batch = services.batch_release(batch_date=day, slot=12)
        waves.append((size, Wave.objects.get(batch=batch)))

    t0 = time.perf_counter()
    first = waves[0][1]
    pdf.pick_list_pdf(
        first, list(selectors.wave_pick_lines(first)), selectors.wave_sort_slots(first)
    )
    warm_up = time.perf_counter() - t0

    for size, wave in waves:
        t0 = time.perf_counter()
        lines = list(selectors.wave_pick_lines(wave))
        slots = selectors.wave_sort_slots(wave)
        read = time.perf_counter() - t0
        t0 = time.perf_counter()
        content = pdf.pick_list_pdf(wave, lines, slots)
        rendered = time.perf_counter() - t0
        t0 = time.perf_counter()
        _read_by_hand(wave)
        floor = time.perf_counter() - t0

        tracemalloc.start()
        try:
            pdf.pick_list_pdf(wave, lines, slots)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        figures.append(
            PickListFigures(
                orders=size,
                pick_lines=len(lines),
                sort_rows=len(slots),
                read=read,
                rendered=rendered,
                floor=floor,
                size_kb=len(content) / 1024,
                peak_mb=peak / 1024 / 1024,
                content=content,
            )
        )
    return warm_up, figures


def test_release_a_large_batch() -> None:
    print(f"\n{load_average()} before")
    figures = release_bench(BATCH_ORDERS)
    print(f"{figures.report()}\n{load_average()} after")


def test_pick_list_of_growing_waves() -> None:
    warm_up, figures = pick_list_bench((250, 500, 1000))
    print(f"\n{load_average()}")
    print(f"first pick list PDF of the process (fonts loaded; untimed below): {warm_up:.2f} s")
    for figure in figures:
        print(figure.report())
