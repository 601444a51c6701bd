"""Warehouse demo data: carriers, one warehouse with bins, stock, and a batch in progress.

The batch is the last one cut before now: a dozen orders placed in its window go through
the real services (intake, identification, confirmation, allocation, release), then the
first wave is picked and sorted and one parcel packed, so every screen has work on it.
Run twice, it adds nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from ecomops.calendar import is_working_day
from ecomops.cutoffs import CutoffBatch, batch_at, slots
from ecomops.errors import ApplicationError
from listings.selectors import orderable_skus
from orders.models import Channel, Customer, Order, OrderSource, OrderState
from orders.services import order_confirm, order_identify, order_intake

from .models import Batch, Carrier, Location, StockBalance, Warehouse, Wave
from .services import (
    allocation_issue,
    batch_release,
    pack_close,
    pack_find,
    pack_lines,
    pack_scan,
    pick_confirm,
    stock_receive,
    wave_sort,
)

CARRIERS = [
    # code, name, prefix, first number of the range (None: typed by hand), tracking URL
    (
        "SF",
        "顺丰速运",
        "SF",
        1400000000001,
        "https://www.sf-express.com/chn/sc/waybill/list?no={waybill}",
    ),
    ("ZTO", "中通快递", "7", 310000000001, "https://www.zto.com/?num={waybill}"),
    ("YTO", "圆通速递", "YT", 6000000000001, "https://www.yto.net.cn/?num={waybill}"),
    ("JD", "京东物流", "JDV", 100000000001, ""),
    ("EMS", "中国邮政EMS", "", None, "https://www.ems.com.cn/?mailNum={waybill}"),
]


def _last_cut(now: datetime) -> CutoffBatch:
    day = timezone.localtime(now).date()
    while True:
        if is_working_day(day):
            for slot in reversed(slots()):
                key = batch_at(day, slot)
                if key.cut_at <= now:
                    return key
        day -= timedelta(days=1)


def _setup(log: Callable[[str], None]) -> Warehouse:
    for code, name, prefix, first, url in CARRIERS:
        Carrier.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "waybill_prefix": prefix,
                "waybill_next": first,
                "waybill_last": first + 999_999 if first else None,
                "tracking_url": url,
                "secret": f"demo-secret-{code.lower()}",
            },
        )
    warehouse, created = Warehouse.objects.get_or_create(
        code="HZ1",
        defaults={
            "name": "杭州萧山仓",
            "address": "浙江省杭州市萧山区经济技术开发区建设二路666号",
            "phone": "0571-82880000",
            "default_carrier": Carrier.objects.get(code="ZTO"),
        },
    )
    if created:
        walk = 0
        for aisle in "ABCD":
            for bay in range(1, 6):
                for level in (1, 2):
                    walk += 10
                    Location.objects.create(
                        warehouse=warehouse,
                        code=f"{aisle}-{bay:02d}-{level}",
                        zone=aisle,
                        walk_order=walk,
                    )
        log(f"  warehouse: {warehouse.name}, {walk // 10} locations, {len(CARRIERS)} carriers")
    return warehouse


def _stock(rng: random.Random, warehouse: Warehouse, log: Callable[[str], None]) -> None:
    if StockBalance.objects.exists():
        return
    locations = list(warehouse.locations.order_by("walk_order"))
    keeper = get_user_model().objects.filter(username="warehouse_admin").first()
    skus = list(orderable_skus())
    for index, sku in enumerate(skus):
        # The last SKU is nearly sold out, so the allocation queue shows a stock hold.
        quantity = 2 if index == len(skus) - 1 else rng.randrange(80, 300)
        home = locations[index % len(locations)]
        stock_receive(
            sku=sku, location=home, quantity=quantity, by=keeper, reference="DEMO-OPENING"
        )
        if quantity > 100:
            overflow = locations[(index + 7) % len(locations)]
            stock_receive(
                sku=sku, location=overflow, quantity=50, by=keeper, reference="DEMO-OPENING"
            )
    log(f"  warehouse: opening stock for {len(skus)} SKUs")


def _batch_in_progress(rng: random.Random, log: Callable[[str], None]) -> None:
    now = timezone.now()
    key = _last_cut(now)
    if Batch.objects.filter(batch_date=key.batch_date, slot=key.slot).exists():
        return
    User = get_user_model()
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["sales_rep", "bu_parts_admin", "picker", "packer"]
        )
    }
    if len(users) < 4:
        log("  warehouse: demo users missing; no batch")
        return
    channel = Channel.objects.filter(code="tmall").first() or Channel.objects.first()
    customers = list(Customer.objects.filter(merged_into__isnull=True, kind="individual")[:40])
    skus = list(orderable_skus())[:-1]
    if channel is None or not customers or not skus:
        return
    window_end = key.cut_at - timedelta(minutes=20)
    made = []
    for index in range(14):
        customer = customers[index % len(customers)] if index != 13 else customers[0]
        placed = window_end - timedelta(minutes=rng.randrange(5, 90))
        lines = [
            {"sku": sku.code, "quantity": rng.choice([1, 1, 2]), "unit_price": sku.current_price}  # type: ignore[attr-defined]
            for sku in rng.sample(skus, k=min(len(skus), rng.choice([1, 2, 3])))
        ]
        data = {
            "external_id": f"DEMO-BATCH-{key.batch_date:%Y%m%d}-{key.slot}-{index:02d}",
            "placed_at": placed,
            "paid_at": placed + timedelta(seconds=30),
            "customer": {
                "kind": "individual",
                "name": customer.name,
                "phone": customer.phone,
                "province": customer.province,
                "city": customer.city,
                "district": customer.district,
                "street_address": customer.street_address,
                "postcode": customer.postcode,
            },
            "lines": lines,
        }
        try:
            result = order_intake(channel=channel, data=data, source=OrderSource.API)
        except ApplicationError as exc:
            log(f"  warehouse: demo batch order {index} refused: {exc.message}")
            continue
        order = result.order
        if order.state == OrderState.RECEIVED:
            order_identify(order_id=order.pk, customer_id=customer.pk, by=users["sales_rep"])
        order_confirm(order_id=order.pk, by=users["sales_rep"])
        made.append(order.pk)
    allocation_issue(order_ids=made, by=users["bu_parts_admin"])
    batch = batch_release(batch_date=key.batch_date, slot=key.slot, by=None)
    wave = Wave.objects.filter(batch=batch).order_by("number").first()
    if wave is not None:
        for line in wave.pick_lines.all():
            pick_confirm(line_id=line.pk, picked_quantity=line.quantity, by=users["picker"])
        wave_sort(wave_id=wave.pk, by=users["picker"])
        note = wave.notes.order_by("pk").first()
        if note is not None:
            group = pack_find(note.number)
            for line in pack_lines(group):
                for _unit in range(line.to_pack):
                    pack_scan(note_id=note.pk, code=line.sku.barcode, by=users["packer"])
            pack_close(note_id=note.pk, weight_grams=rng.randrange(300, 2500), by=users["packer"])
    log(
        f"  warehouse: batch {batch} released with {batch.note_count} delivery notes, "
        f"{batch.waves.count()} waves, the first picked, sorted and partly packed"
    )


def seed_warehouse(log: Callable[[str], None]) -> None:
    rng = random.Random(20261124)  # noqa: S311  (demo data)
    with transaction.atomic():
        warehouse = _setup(log)
        _stock(rng, warehouse, log)
    if not Order.objects.exists():
        return
    _batch_in_progress(rng, log)
