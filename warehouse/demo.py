"""Warehouse demo data: carriers, one warehouse with bins, stock, and a batch in progress.

The batch is the last one cut before now: a dozen orders placed in its window go through
the real services (intake, identification, confirmation, allocation, release), then the
first wave is picked and sorted and one parcel packed, so every screen has work on it.

The orders demo writes the past two weeks' orders in the state they reached; here each
one gets the warehouse records of that state, so the warehouse agrees with the orders:
an allocated order has its delivery note with the stock reserved (the batch in progress
releases those whose batch has been cut, late, as a real release would), a released one
its note in a wave with a pick list, a shipped one its parcel, handed over on a manifest,
in transit or delivered. Orders other apps add later as history (partners' and campaigns'
past sales) get theirs from ``seed_warehouse_history``, which runs after them.
Run twice, it adds nothing.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ecomops.calendar import is_working_day
from ecomops.cutoffs import CutoffBatch, batch_at, slots
from ecomops.errors import ApplicationError
from ecomops.numbering.services import next_number, next_numbers
from listings.selectors import orderable_skus
from orders.models import Channel, Customer, Order, OrderLine, OrderSource, OrderState
from orders.services import order_confirm, order_identify, order_intake

from .models import (
    Batch,
    BatchState,
    Carrier,
    CarrierEvent,
    CarrierEventKind,
    CarrierRule,
    DeliveryNote,
    DeliveryNoteLine,
    LabelSize,
    Location,
    Manifest,
    ManifestState,
    MoveKind,
    NoteState,
    Parcel,
    ParcelState,
    PickLine,
    SortingCode,
    StockBalance,
    Warehouse,
    Wave,
    WaveState,
    WaybillNumber,
)
from .services import (
    allocation_issue,
    batch_release,
    pack_close,
    pack_find,
    pack_lines,
    pack_scan,
    pick_confirm,
    stock_move,
    stock_receive,
    wave_sort,
)
from .services import waybills as waybill_stock

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


# 三段码 / 大头笔 / 集包地 per carrier for the demo customers' destinations (made-up codes in
# the carriers' shape: 3 digits, a letter and 2 digits, 3 digits; docs/warehouse.md)
SORTING_CODES = [
    ("浙江省", "杭州市", "", "310-A01-000", "杭州", "杭州转运中心"),
    ("浙江省", "杭州市", "西湖区", "310-A01-021", "杭州西湖", "杭州转运中心"),
    ("浙江省", "杭州市", "萧山区", "310-A07-009", "杭州萧山", "杭州转运中心"),
    ("浙江省", "宁波市", "", "315-B02-000", "宁波", "宁波转运中心"),
    ("上海市", "", "", "200-C00-000", "上海", "上海转运中心"),
    ("上海市", "上海市", "浦东新区", "201-C12-035", "上海浦东", "上海转运中心"),
    ("江苏省", "南京市", "", "210-D03-000", "南京", "南京转运中心"),
    ("江苏省", "苏州市", "", "215-D11-000", "苏州", "苏州转运中心"),
    ("广东省", "广州市", "", "510-E01-000", "广州", "广州转运中心"),
    ("广东省", "深圳市", "", "518-E05-000", "深圳", "深圳转运中心"),
    ("北京市", "", "", "100-F00-000", "北京", "北京转运中心"),
    ("四川省", "成都市", "", "610-G01-000", "成都", "成都转运中心"),
]


def _waybill_extras() -> None:
    """A second ZTO account loaded with a list of numbers, a few carrier rules, and the
    carriers' sorting codes: once."""
    zto = Carrier.objects.get(code="ZTO")
    zto_monthly = waybill_stock.waybill_account_setup(
        carrier=zto,
        code="monthly",
        name="中通 月结账号",
        customer_code="ZTO-MJ-057188",
        label_size=LabelSize.ONE_PART,
        low_stock_threshold=20,
    )
    if not zto_monthly.numbers.exists():
        WaybillNumber.objects.bulk_create(
            WaybillNumber(account=zto_monthly, carrier=zto, number=f"75{n:010d}")
            for n in range(100001, 100051)
        )
    if not CarrierRule.objects.exists():
        by_code = {c.code: c for c in Carrier.objects.all()}
        CarrierRule.objects.bulk_create(
            [
                CarrierRule(
                    priority=10,
                    name="买家指定顺丰",
                    carrier=by_code["SF"],
                    requested_carrier="SF",
                ),
                CarrierRule(
                    priority=20,
                    name="货到付款走邮政",
                    carrier=by_code["EMS"],
                    cash_on_delivery=True,
                ),
                CarrierRule(
                    priority=30,
                    name="偏远地区走邮政",
                    carrier=by_code["EMS"],
                    provinces=["新疆", "西藏", "青海"],
                ),
                CarrierRule(
                    priority=40,
                    name="江浙沪轻件走中通",
                    carrier=by_code["ZTO"],
                    provinces=["浙江", "江苏", "上海"],
                    weight_max_grams=3000,
                ),
                CarrierRule(
                    priority=50,
                    name="重件走京东",
                    carrier=by_code["JD"],
                    weight_min_grams=10000,
                    excluded_regions=["新疆", "西藏"],
                ),
            ]
        )
    if not SortingCode.objects.exists():
        SortingCode.objects.bulk_create(
            SortingCode(
                carrier=carrier,
                province=province,
                city=city,
                district=district,
                sort_code=code,
                big_pen=big_pen,
                hub=hub,
            )
            for carrier in Carrier.objects.all()
            for province, city, district, code, big_pen, hub in SORTING_CODES
        )


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
        carrier, _created = Carrier.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "tracking_url": url,
                "secret": f"demo-secret-{code.lower()}",
                # SF does not take a cancelled parcel's number back (docs/warehouse.md)
                "cancelled_waybills": "void" if code == "SF" else "return",
            },
        )
        waybill_stock.waybill_account_setup(
            carrier=carrier,
            code="default",
            name=f"{name} 杭州萧山网点",
            site_name="杭州萧山经济开发区网点",
            customer_code=f"HZ{code}0571",
            prefix=prefix,
            first=first,
            last=first + 999_999 if first else None,
            is_default=True,
            low_stock_threshold=2000,
            label_size=LabelSize.ONE_PART if code == "JD" else LabelSize.TWO_PART,
        )
    _waybill_extras()
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


# --- The warehouse side of the orders' history ------------------------------------------------

SHIPPED_ORDER_STATES = (OrderState.SHIPPED, OrderState.DELIVERED, OrderState.COMPLETED)
# the order's state -> the state its delivery note is in
NOTE_STATE_OF = {
    OrderState.ALLOCATED: NoteState.ALLOCATED,
    OrderState.RELEASED: NoteState.RELEASED,
    OrderState.SHIPPED: NoteState.SHIPPED,
    OrderState.DELIVERED: NoteState.DELIVERED,
    OrderState.COMPLETED: NoteState.DELIVERED,
}
COURIERS = ["王师傅", "李师傅", "张师傅", "刘师傅"]


class _History:
    """Writes warehouse records straight in the state the orders reached (they happened
    before the demo started); reservations go through the ledger, so balances stay true."""

    def __init__(
        self,
        rng: random.Random,
        warehouse: Warehouse,
        carrier: Carrier,
        locations: list[Location],
    ) -> None:
        self.rng = rng
        self.warehouse = warehouse
        self.carrier = carrier
        self.locations = locations
        users = get_user_model().objects.in_bulk(
            ["bu_parts_admin", "warehouse_admin", "picker", "packer"], field_name="username"
        )
        self.parts_admin = users.get("bu_parts_admin")
        self.keeper = users.get("warehouse_admin")
        self.picker = users.get("picker")
        self.packer = users.get("packer")
        self.now = timezone.now()
        self._homes: dict[int, int] = {}
        self.taken: waybill_stock.Taken | None = None  # the numbers ``_waybills`` took last

    def orders(self, states: Iterable[str]) -> list[Order]:
        return list(
            Order.objects.filter(state__in=list(states), delivery_notes__isnull=True)
            .prefetch_related("lines")
            .order_by("pk")
        )

    # stock

    def home(self, sku_id: int) -> int:
        """The bin the SKU is picked from: its fullest one."""
        if sku_id not in self._homes:
            fullest = (
                StockBalance.objects.filter(sku_id=sku_id, location__warehouse=self.warehouse)
                .order_by("-on_hand", "location__walk_order")
                .values_list("location_id", flat=True)
                .first()
            )
            self._homes[sku_id] = fullest or self.locations[sku_id % len(self.locations)].pk
        return self._homes[sku_id]

    def reserve(self, note: DeliveryNote, line: OrderLine) -> int:
        """Reserve the line's units for the note in a bin that has them (receiving the
        difference first where none has: the demo's opening stock did not plan for it)."""
        location_id = (
            StockBalance.objects.filter(sku_id=line.sku_id, location__warehouse=self.warehouse)
            .annotate(free=F("on_hand") - F("reserved"))
            .filter(free__gte=line.quantity)
            .order_by("location__walk_order")
            .values_list("location_id", flat=True)
            .first()
        )
        if location_id is None:
            location_id = self.home(line.sku_id)
            balance = StockBalance.objects.filter(
                sku_id=line.sku_id, location_id=location_id
            ).first()
            free = balance.available if balance else 0
            stock_move(
                kind=MoveKind.RECEIPT,
                sku=line.sku_id,
                location=location_id,
                on_hand=line.quantity - free,
                reference="DEMO-OPENING",
                by=self.keeper,
            )
        stock_move(
            kind=MoveKind.RESERVATION,
            sku=line.sku_id,
            location=location_id,
            reserved=line.quantity,
            reference=note.number,
            note=note,
            by=self.parts_admin,
        )
        return location_id

    # records

    def notes(
        self,
        orders: list[Order],
        *,
        batch: Batch | None = None,
        waves: dict[int, Wave] | None = None,
        parcels: dict[int, Parcel] | None = None,
    ) -> list[DeliveryNote]:
        """One delivery note per order, in the state the order reached, numbered on the day
        it was issued; lines reserved while the goods are in the bins, packed once shipped."""
        by_day: dict[date, list[Order]] = defaultdict(list)
        for order in orders:
            by_day[timezone.localdate(self._issued(order))].append(order)
        numbers: dict[int, str] = {}
        for day, group in sorted(by_day.items()):
            for order, number in zip(
                group, next_numbers("DN", len(group), day=day, width=5), strict=True
            ):
                numbers[order.pk] = number
        notes = []
        for order in orders:
            state = NOTE_STATE_OF[OrderState(order.state)]
            gone = state in (NoteState.SHIPPED, NoteState.DELIVERED)
            shipped = order.shipped_at or self.now
            notes.append(
                DeliveryNote(
                    number=numbers[order.pk],
                    order=order,
                    part=1,
                    warehouse=self.warehouse,
                    carrier=self.carrier,
                    state=state,
                    batch=batch,
                    wave=(waves or {}).get(order.pk),
                    parcel=(parcels or {}).get(order.pk),
                    issued_by=self.parts_admin,
                    allocated_at=self._issued(order),
                    released_at=order.released_at if batch is not None else None,
                    picked_at=shipped - timedelta(hours=2) if gone else None,
                    packed_at=shipped - timedelta(hours=1) if gone else None,
                    shipped_at=order.shipped_at if gone else None,
                    delivered_at=order.delivered_at if state == NoteState.DELIVERED else None,
                )
            )
        notes = DeliveryNote.objects.bulk_create(notes, batch_size=500)
        for note in notes:
            note.issued_at = note.allocated_at or self.now
        DeliveryNote.objects.bulk_update(notes, ["issued_at"], batch_size=500)
        lines = []
        for note in notes:
            for line in note.order.lines.all():
                if note.state in (NoteState.ALLOCATED, NoteState.RELEASED):
                    location_id = self.reserve(note, line)
                    packed = 0
                else:
                    location_id = self.home(line.sku_id)
                    packed = line.quantity
                lines.append(
                    DeliveryNoteLine(
                        note=note,
                        order_line=line,
                        sku_id=line.sku_id,
                        location_id=location_id,
                        quantity=line.quantity,
                        packed_quantity=packed,
                    )
                )
        DeliveryNoteLine.objects.bulk_create(lines, batch_size=1000)
        return notes

    def _issued(self, order: Order) -> datetime:
        return order.allocated_at or order.confirmed_at or order.accepted_at or self.now

    def batch(self, key: CutoffBatch, orders: list[Order]) -> tuple[Batch, bool]:
        """The batch the orders went out with; made as it ended up if it is not there yet."""
        batch = Batch.objects.filter(batch_date=key.batch_date, slot=key.slot).first()
        if batch is not None:
            Batch.objects.filter(pk=batch.pk).update(note_count=F("note_count") + len(orders))
            return batch, False
        released = min((o.released_at for o in orders if o.released_at), default=key.cut_at)
        done = all(o.state in SHIPPED_ORDER_STATES for o in orders)
        batch = Batch(
            batch_date=key.batch_date,
            slot=key.slot,
            cut_at=key.cut_at,
            state=BatchState.DONE if done else BatchState.RELEASED,
            released_at=released,
            note_count=len(orders),
            done_at=max(o.shipped_at or self.now for o in orders) if done else None,
        )
        batch.save()
        Batch.objects.filter(pk=batch.pk).update(started_at=key.cut_at)
        return batch, True

    def waves(self, batch: Batch, orders: list[Order], *, done: bool) -> dict[int, Wave]:
        """Waves of the batch for these orders (picking, or picked and packed long ago)."""
        size = int(settings.WAREHOUSE_WAVE_SIZE)
        chunks = [orders[i : i + size] for i in range(0, len(orders), size)]
        numbers = next_numbers("WV", len(chunks), day=batch.batch_date, width=3)
        released = batch.released_at or batch.cut_at
        made = []
        for number, chunk in zip(numbers, chunks, strict=True):
            first_out = min(o.shipped_at or self.now for o in chunk)
            made.append(
                Wave(
                    number=number,
                    batch=batch,
                    carrier=self.carrier,
                    state=WaveState.DONE if done else WaveState.PICKING,
                    note_count=len(chunk),
                    picked_at=first_out - timedelta(hours=2) if done else None,
                    sorted_at=first_out - timedelta(hours=2) if done else None,
                    done_at=first_out - timedelta(hours=1) if done else None,
                )
            )
        made = Wave.objects.bulk_create(made)
        for wave in made:
            wave.created_at = released
        Wave.objects.bulk_update(made, ["created_at"])
        return {order.pk: wave for wave, chunk in zip(made, chunks, strict=True) for order in chunk}

    def pick_lines(self, waves: Iterable[Wave]) -> None:
        """Each wave's pick list: its notes' lines summed per SKU and bin."""
        by_pk = {wave.pk: wave for wave in waves}  # a wave comes once per note
        totals: dict[tuple[int, int, int], int] = defaultdict(int)
        for wave_id, sku_id, location_id, quantity in DeliveryNoteLine.objects.filter(
            note__wave_id__in=list(by_pk)
        ).values_list("note__wave_id", "sku_id", "location_id", "quantity"):
            totals[(wave_id, sku_id, location_id)] += quantity
        walk = dict(Location.objects.values_list("pk", "walk_order"))
        PickLine.objects.bulk_create(
            [
                PickLine(
                    wave_id=wave_id,
                    sku_id=sku_id,
                    location_id=location_id,
                    walk_order=walk[location_id],
                    quantity=quantity,
                    picked_quantity=quantity if by_pk[wave_id].state == WaveState.DONE else None,
                    picked_by=self.picker if by_pk[wave_id].state == WaveState.DONE else None,
                    picked_at=by_pk[wave_id].picked_at,
                )
                for (wave_id, sku_id, location_id), quantity in sorted(totals.items())
            ],
            batch_size=1000,
        )

    def parcels(self, orders: list[Order]) -> dict[int, Parcel]:
        """A parcel per shipped order, signed for on one manifest, with its tracking."""
        signed_at = max(o.shipped_at or self.now for o in orders)
        manifest = Manifest(
            number=next_number("HO", day=timezone.localdate(signed_at), width=3),
            carrier=self.carrier,
            state=ManifestState.SIGNED,
            created_by=self.keeper,
            courier_name=self.rng.choice(COURIERS),
            counted_parcels=len(orders),
            signed_at=signed_at,
        )
        manifest.save()
        Manifest.objects.filter(pk=manifest.pk).update(created_at=signed_at - timedelta(hours=3))
        waybills = self._waybills(len(orders))
        by_day: dict[date, list[Order]] = defaultdict(list)
        for order in orders:
            by_day[timezone.localdate(order.shipped_at or self.now)].append(order)
        numbers: dict[int, str] = {}
        for day, group in sorted(by_day.items()):
            for order, number in zip(
                group, next_numbers("PK", len(group), day=day, width=5), strict=True
            ):
                numbers[order.pk] = number
        made = []
        for order, waybill in zip(orders, waybills, strict=True):
            made.append(
                Parcel(
                    number=numbers[order.pk],
                    carrier=self.carrier,
                    waybill_number=waybill,
                    waybill_account=self.taken.account if self.taken else None,
                    weight_grams=self.rng.randrange(300, 2500),
                    state=self._parcel_state(order),
                    manifest=manifest,
                    packed_by=self.packer,
                    delivered_at=order.delivered_at if order.state != OrderState.SHIPPED else None,
                    last_event=self._last_event(order),
                )
            )
        made = Parcel.objects.bulk_create(made, batch_size=500)
        if self.taken is not None:
            waybill_stock.waybill_record(taken=self.taken, parcels=made)
        for parcel, order in zip(made, orders, strict=True):
            parcel.packed_at = (order.shipped_at or self.now) - timedelta(hours=1)
        Parcel.objects.bulk_update(made, ["packed_at"], batch_size=500)
        self._events(made, orders)
        return {order.pk: parcel for parcel, order in zip(made, orders, strict=True)}

    def _parcel_state(self, order: Order) -> str:
        if order.state != OrderState.SHIPPED:
            return ParcelState.DELIVERED
        shipped = order.shipped_at or self.now
        return (
            ParcelState.IN_TRANSIT
            if shipped < self.now - timedelta(hours=4)
            else (ParcelState.HANDED_OVER)
        )

    def _last_event(self, order: Order) -> str:
        state = self._parcel_state(order)
        if state == ParcelState.DELIVERED:
            return f"{CarrierEventKind.DELIVERED.label} {order.ship_city} 本人签收"
        if state == ParcelState.IN_TRANSIT:
            return f"{CarrierEventKind.IN_TRANSIT.label} {order.ship_city}"
        return ""

    def _events(self, parcels: list[Parcel], orders: list[Order]) -> None:
        events = []
        for parcel, order in zip(parcels, orders, strict=True):
            shipped = order.shipped_at or self.now
            if parcel.state in (ParcelState.IN_TRANSIT, ParcelState.DELIVERED):
                events.append(
                    CarrierEvent(
                        carrier=self.carrier,
                        event_id=f"DEMO-{parcel.number}-T",
                        parcel=parcel,
                        kind=CarrierEventKind.IN_TRANSIT,
                        occurred_at=min(shipped + timedelta(hours=3), self.now),
                        place="杭州转运中心",
                        description="已发往" + order.ship_city,
                    )
                )
            if parcel.state == ParcelState.DELIVERED:
                events.append(
                    CarrierEvent(
                        carrier=self.carrier,
                        event_id=f"DEMO-{parcel.number}-D",
                        parcel=parcel,
                        kind=CarrierEventKind.DELIVERED,
                        occurred_at=parcel.delivered_at or self.now,
                        place=order.ship_city,
                        description="本人签收",
                    )
                )
        CarrierEvent.objects.bulk_create(events, batch_size=1000)

    def _waybills(self, count: int) -> list[str]:
        """``count`` numbers from the carrier's default e-waybill account in one step
        (typed ones if it has none); ``parcels`` records them on their parcels."""
        account = waybill_stock.default_account(self.carrier.pk)
        if account is None:
            start = Parcel.objects.filter(carrier=self.carrier).count() + 1
            self.taken = None
            return [f"{self.carrier.code}H{start + n:09d}" for n in range(count)]
        self.taken = waybill_stock.waybill_take(account=account, count=count)
        return self.taken.numbers


def _history(rng: random.Random, warehouse: Warehouse) -> _History | None:
    """The history writer, once the warehouse has a carrier and bins."""
    carrier = warehouse.default_carrier or Carrier.objects.filter(active=True).first()
    locations = list(warehouse.locations.filter(active=True).order_by("walk_order"))
    if carrier is None or not locations:
        return None
    return _History(rng, warehouse, carrier, locations)


def _allocated_history(history: _History, log: Callable[[str], None]) -> None:
    """Allocated orders get their delivery note, with the stock reserved."""
    orders = history.orders([OrderState.ALLOCATED])
    if not orders:
        return
    with transaction.atomic():
        history.notes(orders)
    log(f"  warehouse: delivery notes for {len(orders)} allocated orders, stock reserved")


def _released_history(history: _History, log: Callable[[str], None]) -> None:
    """Released and shipped orders get the batch they went out with, waves and pick lists,
    and (shipped ones) their parcels on a signed manifest."""
    orders = history.orders([OrderState.RELEASED, *SHIPPED_ORDER_STATES])
    if not orders:
        return
    last = _last_cut(history.now)
    groups: dict[tuple[date, int], list[Order]] = defaultdict(list)
    for order in orders:
        key = batch_at(order.batch_date, order.batch_slot)
        # an order can only have left in a batch already cut
        groups[key.key if key.cut_at <= history.now else last.key].append(order)
    batches = 0
    for (day, slot), members in sorted(groups.items()):
        with transaction.atomic():
            batch, created = history.batch(batch_at(day, slot), members)
            batches += created
            waiting = [o for o in members if o.state == OrderState.RELEASED]
            gone = [o for o in members if o.state in SHIPPED_ORDER_STATES]
            waves: dict[int, Wave] = {}
            parcels: dict[int, Parcel] = {}
            if waiting:
                waves.update(history.waves(batch, waiting, done=False))
            if gone:
                waves.update(history.waves(batch, gone, done=True))
                parcels = history.parcels(gone)
            history.notes(members, batch=batch, waves=waves, parcels=parcels)
            history.pick_lines(waves.values())
    log(
        f"  warehouse: {len(orders)} released and shipped orders with their notes, waves "
        f"and parcels in {len(groups)} batches ({batches} new)"
    )


def seed_warehouse(log: Callable[[str], None]) -> None:
    rng = random.Random(20261124)  # noqa: S311  (demo data)
    with transaction.atomic():
        warehouse = _setup(log)
        _stock(rng, warehouse, log)
    if not Order.objects.exists():
        return
    history = _history(rng, warehouse)
    if history is not None:
        # before the batch in progress: its release takes the allocated notes already due
        _allocated_history(history, log)
    _batch_in_progress(rng, log)
    if history is not None:
        _released_history(history, log)


def seed_warehouse_history(log: Callable[[str], None]) -> None:
    """The warehouse records of orders other apps wrote as history after ``seed_warehouse``."""
    warehouse = Warehouse.objects.filter(code="HZ1").select_related("default_carrier").first()
    if warehouse is None:
        return
    history = _history(random.Random(20261125), warehouse)  # noqa: S311  (demo data)
    if history is not None:
        _allocated_history(history, log)
        _released_history(history, log)
