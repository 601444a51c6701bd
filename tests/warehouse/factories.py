"""Warehouse test data: a warehouse with bins and carriers, stock, and confirmed orders."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

import factory
from django.utils import timezone

from ecomops.calendar import local_datetime
from ecomops.cutoffs import batch_for
from listings.models import Sku
from orders.models import Channel, Customer, Order, OrderLine, OrderState
from tests.orders.factories import listed_sku, make_channel, make_customer
from warehouse import services
from warehouse.models import (
    Carrier,
    DeliveryNote,
    Location,
    MoveKind,
    Parcel,
    Warehouse,
    Wave,
    WaybillAccount,
    WaybillRange,
)
from warehouse.services import stock_move

CARRIER_SECRET = "carrier-secret"
_numbers = itertools.count(1)

# Monday 2026-11-23, a working day; the 12:00 batch takes orders accepted before 12:00.
MONDAY_MORNING = local_datetime(date(2026, 11, 23), time(10))


class CarrierFactory(factory.django.DjangoModelFactory[Carrier]):
    class Meta:
        model = Carrier
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = "ZTO"
    name = "中通快递"
    secret = CARRIER_SECRET

    @factory.post_generation
    def account(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        """Its default e-waybill account with the range 7310000000001..7310000000999
        (``account=False``: none)."""
        if not create or extracted is False:
            return
        make_waybill_account(cast(Carrier, self), **kwargs)


def make_waybill_account(
    carrier: Carrier,
    *,
    code: str = "default",
    prefix: str = "7",
    first: int = 310000000001,
    last: int = 310000000999,
    threshold: int = 10,
    **fields: Any,
) -> WaybillAccount:
    """An e-waybill account of ``carrier`` (its default unless told) with one range."""
    fields.setdefault("is_default", code == "default")
    account, created = WaybillAccount.objects.get_or_create(
        carrier=carrier,
        code=code,
        defaults={"name": "杭州萧山网点", "low_stock_threshold": threshold, **fields},
    )
    if created and first <= last:
        WaybillRange.objects.create(
            account=account, prefix=prefix, first=first, last=last, next=first
        )
    return account


def make_warehouse(locations: int = 4) -> Warehouse:
    """A warehouse, its default carrier ZTO (with a number range) and bins A-01.. in order."""
    carrier = cast(Carrier, CarrierFactory())
    warehouse, _created = Warehouse.objects.get_or_create(
        code="HZ1",
        defaults={
            "name": "杭州仓",
            "address": "杭州市萧山区建设二路666号",
            "default_carrier": carrier,
        },
    )
    for index in range(1, locations + 1):
        Location.objects.get_or_create(
            warehouse=warehouse,
            code=f"A-{index:02d}",
            defaults={"walk_order": index * 10, "zone": "A"},
        )
    return warehouse


def location(code: str = "A-01") -> Location:
    return Location.objects.get(code=code)


def put_stock(sku: Sku, quantity: int, at: str = "A-01") -> None:
    stock_move(kind=MoveKind.RECEIPT, sku=sku, location=location(at), on_hand=quantity)


def make_order(
    lines: list[tuple[Sku, int]],
    *,
    channel: Channel | None = None,
    customer: Customer | None = None,
    state: str = OrderState.CONFIRMED,
    accepted_at: datetime | None = None,
    **fields: Any,
) -> Order:
    """An order in ``state`` (confirmed by default) with ``lines`` of (sku, quantity)."""
    channel = channel or make_channel(code="tmall")
    customer = customer or make_customer()
    accepted = accepted_at or timezone.now() - timedelta(minutes=10)
    batch = batch_for(accepted)
    number = next(_numbers)
    values: dict[str, Any] = {
        "number": f"SO{number:010d}",
        "channel": channel,
        "external_id": f"EXT{number}",
        "source": "api",
        "state": state,
        "customer": customer if state != OrderState.RECEIVED else None,
        "receiver_name": customer.name,
        "receiver_phone": customer.phone,
        "ship_province": customer.province,
        "ship_city": customer.city,
        "ship_district": customer.district,
        "ship_street": customer.street_address,
        "placed_at": accepted - timedelta(minutes=1),
        "paid_at": accepted,
        "accepted_at": accepted,
        "batch_date": batch.batch_date,
        "batch_slot": batch.slot,
        "ship_by": batch.ship_by,
        "total_amount": Decimal("99.00") * sum(q for _s, q in lines),
        "payload_hash": f"h{number}",
    }
    values.update(fields)
    # No discount or postage: goods = total, paid in full when paid (issue 20 §1).
    values.setdefault("goods_amount", values["total_amount"])
    values.setdefault(
        "paid_amount", values["total_amount"] if values["paid_at"] else Decimal("0.00")
    )
    order = Order.objects.create(**values)
    for position, (sku, quantity) in enumerate(lines, start=1):
        OrderLine.objects.create(
            order=order,
            position=position,
            sku=sku,
            channel_sku_code=sku.code,
            quantity=quantity,
            unit_price=Decimal("99.00"),
            list_price=Decimal("99.00"),
            amount=Decimal("99.00") * quantity,
        )
    return order


def pick_all(wave: Wave, picker: Any) -> None:
    for line in wave.pick_lines.all():
        services.pick_confirm(line_id=line.pk, picked_quantity=line.quantity, by=picker)


def pack(order: Order, packer: Any, weight: int = 800) -> Parcel:
    note = DeliveryNote.objects.get(order=order)
    for line in services.pack_lines(services.pack_find(note.number)):
        for _ in range(line.to_pack):
            assert services.pack_scan(note_id=note.pk, code=line.sku.barcode, by=packer).accepted
    return services.pack_close(note_id=note.pk, weight_grams=weight, by=packer)


__all__ = ["listed_sku", "make_customer", "make_order", "make_warehouse", "put_stock"]
