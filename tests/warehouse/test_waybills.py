"""E-waybill accounts, carrier rules and e-waybill labels (issue 21 §2, §3).

Numbers come from the carrier's default account (list numbers first, then ranges), each
once; the warehouse admin hears once when an account runs low; a cancelled parcel's number
goes back or is voided as the carrier requires. Carriers are chosen by rules when notes are
issued, and can be changed by hand until packing. Labels print in the account's size with
the sorting code, a Code128 a scanner reads back, and the receiver masked unless the channel
allows full data.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from ecomops.errors import ApplicationError, ConflictError
from ecomops.notifications.models import Notification
from orders.models import Order
from tests.barcode_scan import scan_pdf
from tests.orders.factories import listed_sku, make_channel
from tests.timeutil import at
from tests.warehouse.factories import (
    MONDAY_MORNING,
    CarrierFactory,
    make_order,
    make_waybill_account,
    pack,
    pick_all,
    put_stock,
)
from warehouse import pdf, selectors, services
from warehouse.models import (
    Carrier,
    CarrierRule,
    DeliveryNote,
    LabelSize,
    NoteCarrierChange,
    Parcel,
    ParcelState,
    SortingCode,
    Wave,
    WaybillAccount,
    WaybillNumber,
    WaybillNumberState,
    WaybillRange,
)
from warehouse.services.carrier_rules import Shipment
from warehouse.services.waybills import Taken, default_account, waybill_record, waybill_take

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.clock(at(2026, 11, 23, 9)),
    pytest.mark.usefixtures("english"),
]


def _account(carrier: Carrier) -> WaybillAccount:
    return WaybillAccount.objects.get(carrier=carrier, is_default=True)


def _packed(orders: list[Order], parts_admin: Any, picker: Any, packer: Any) -> dict[int, Parcel]:
    """The orders issued, released in Monday's 12:00 batch, picked, sorted and packed."""
    services.allocation_issue(order_ids=[o.pk for o in orders], by=parts_admin)
    services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    for wave in Wave.objects.all():
        pick_all(wave, picker)
        services.wave_sort(wave_id=wave.pk, by=picker)
    return {order.pk: pack(order, packer) for order in orders}


# -- number stock -------------------------------------------------------------------------


def test_packing_takes_the_default_accounts_next_number_and_records_it_once(
    warehouse: Any, sku: Any, parts_admin: Any, picker: Any, packer: Any
) -> None:
    put_stock(sku, 10)
    orders = [make_order([(sku, 1)], accepted_at=MONDAY_MORNING) for _ in range(2)]

    parcels = _packed(orders, parts_admin, picker, packer)

    assert [parcels[o.pk].waybill_number for o in orders] == ["7310000000001", "7310000000002"]
    rows = WaybillNumber.objects.order_by("number")
    assert [(r.number, r.state, r.parcel_id) for r in rows] == [
        ("7310000000001", WaybillNumberState.USED, parcels[orders[0].pk].pk),
        ("7310000000002", WaybillNumberState.USED, parcels[orders[1].pk].pk),
    ]
    assert parcels[orders[0].pk].waybill_account == _account(warehouse.default_carrier)
    assert WaybillRange.objects.get().next == 310000000003


def test_the_database_refuses_a_number_twice_for_one_carrier(warehouse: Any) -> None:
    carrier = warehouse.default_carrier
    other = make_waybill_account(carrier, code="monthly", first=1, last=0)
    WaybillNumber.objects.create(account=other, carrier=carrier, number="7310000000001")
    taken = waybill_take(account=_account(carrier), count=1)

    # a number of the range already used (typed by hand at packing) is passed over
    assert taken.numbers == ["7310000000002"]
    # and were it recorded again all the same, the database refuses it
    twice = Taken(account=_account(carrier), numbers=["7310000000001"])
    with pytest.raises(ApplicationError, match="used before"):
        waybill_record(taken=twice, parcels=[])


@pytest.mark.usefixtures("plain_statements")
def test_many_numbers_are_taken_by_one_statement_and_across_ranges(warehouse: Any) -> None:
    carrier = warehouse.default_carrier
    account = make_waybill_account(carrier, code="big", first=100, last=104, prefix="ZT")
    WaybillRange.objects.create(account=account, prefix="ZT", first=900, last=902, next=900)

    with CaptureQueriesContext(connection) as one_range:
        taken = waybill_take(account=default_account(carrier.pk) or account, count=50)
    assert len(taken.numbers) == len(set(taken.numbers)) == 50
    assert sum("UPDATE" in q["sql"] for q in one_range.captured_queries) == 1

    spanning = waybill_take(account=account, count=8)
    assert spanning.numbers == [f"ZT{n}" for n in (100, 101, 102, 103, 104, 900, 901, 902)]


def test_list_numbers_and_returned_ones_go_before_the_ranges(warehouse: Any, keeper: Any) -> None:
    account = _account(warehouse.default_carrier)
    loaded = services.waybill_numbers_load(
        account_id=account.pk,
        numbers=services.parse_waybill_numbers("运单号\n75000001\n75000002,x\n"),
        by=keeper,
    )
    taken = waybill_take(account=default_account(account.carrier_id) or account, count=3)

    assert loaded == 2
    assert taken.numbers == ["75000001", "75000002", "7310000000001"]


def test_loading_refuses_overlaps_bad_numbers_and_a_user_without_the_right(
    warehouse: Any, keeper: Any, packer: Any
) -> None:
    account = _account(warehouse.default_carrier)
    with pytest.raises(ApplicationError, match="overlaps"):
        services.waybill_range_load(
            account_id=account.pk, prefix="7", first=310000000500, last=310000001500, by=keeper
        )
    with pytest.raises(ApplicationError, match="Already loaded or used: 7310000000005"):
        services.waybill_numbers_load(account_id=account.pk, numbers=["7310000000005"], by=keeper)
    with pytest.raises(ApplicationError, match="Not waybill numbers: 12-3"):
        services.waybill_numbers_load(account_id=account.pk, numbers=["12-3"], by=keeper)
    with pytest.raises(ApplicationError, match="Listed twice"):
        services.waybill_numbers_load(
            account_id=account.pk, numbers=["75000001", "75000001"], by=keeper
        )
    with pytest.raises(ApplicationError, match="not allowed"):
        services.waybill_numbers_load(account_id=account.pk, numbers=["75000001"], by=packer)
    assert not WaybillNumber.objects.exists()


def test_the_warehouse_admin_is_warned_once_when_an_account_runs_low(
    warehouse: Any, keeper: Any
) -> None:
    account = _account(warehouse.default_carrier)  # 999 numbers, warning below 10
    WaybillRange.objects.filter(account=account).update(next=310000000988)  # 12 left

    def take(count: int) -> None:
        fresh = default_account(account.carrier_id)
        assert fresh is not None
        waybill_record(taken=waybill_take(account=fresh, count=count), parcels=[])

    take(2)  # 10 left: not below
    assert not Notification.objects.exists()
    take(1)  # 9 left: warned
    take(1)
    take(1)
    warnings = Notification.objects.filter(recipient=keeper)
    assert [(n.title, n.level) for n in warnings] == [
        ("Waybill numbers running low: 中通快递 杭州萧山网点", "warning")
    ]
    assert "9 waybill numbers left (warning below 10)" in warnings[0].body

    services.waybill_range_load(
        account_id=account.pk, prefix="7", first=320000000001, last=320000000100, by=keeper
    )
    assert WaybillAccount.objects.get(pk=account.pk).low_stock_warned_at is None  # armed again
    WaybillRange.objects.filter(account=account).update(next=F("last") + 1)
    WaybillRange.objects.filter(account=account, first=320000000001).update(next=320000000090)
    take(1)  # 11 → 10 left: not below
    take(1)  # 9 left: the second crossing, warned again
    assert Notification.objects.filter(recipient=keeper).count() == 2


def test_an_account_used_up_asks_for_a_new_range(warehouse: Any) -> None:
    account = _account(warehouse.default_carrier)
    WaybillRange.objects.filter(account=account).update(next=310000001000)
    with pytest.raises(ApplicationError, match="no waybill numbers left: load a new range"):
        waybill_take(account=account, count=1)


@pytest.mark.parametrize(
    ("policy", "state_after", "next_parcel_number"),
    [
        ("return", WaybillNumberState.AVAILABLE, "7310000000001"),
        ("void", WaybillNumberState.VOIDED, "7310000000003"),
    ],
)
def test_a_cancelled_parcels_number_goes_back_or_is_voided_as_the_carrier_requires(
    warehouse: Any,
    sku: Any,
    parts_admin: Any,
    picker: Any,
    packer: Any,
    policy: str,
    state_after: str,
    next_parcel_number: str,
) -> None:
    Carrier.objects.filter(pk=warehouse.default_carrier_id).update(cancelled_waybills=policy)
    put_stock(sku, 10)
    orders = [make_order([(sku, 1)], accepted_at=MONDAY_MORNING) for _ in range(3)]
    services.allocation_issue(order_ids=[o.pk for o in orders], by=parts_admin)
    services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    wave = Wave.objects.get()
    pick_all(wave, picker)
    services.wave_sort(wave_id=wave.pk, by=picker)
    first, second = pack(orders[0], packer), pack(orders[1], packer)

    services.notes_cancel_for_order(order_id=orders[0].pk, reason="买家取消", by=packer)

    first.refresh_from_db()
    assert first.state == ParcelState.CANCELLED
    assert WaybillNumber.objects.get(number="7310000000001").state == state_after
    assert second.waybill_number == "7310000000002"
    third = pack(orders[2], packer)
    assert third.waybill_number == next_parcel_number


# -- carrier rules --------------------------------------------------------------------------


def _shipment(**fields: Any) -> Shipment:
    values: dict[str, Any] = {
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "weight_grams": 800,
        "channel_id": None,
    }
    values.update(fields)
    return Shipment(**values)


@pytest.fixture
def carriers(warehouse: Any) -> dict[str, Carrier]:
    return {
        "ZTO": warehouse.default_carrier,
        "SF": CarrierFactory(code="SF", name="顺丰速运"),
        "EMS": CarrierFactory(code="EMS", name="中国邮政EMS", account=False),
        "JD": CarrierFactory(code="JD", name="京东物流", account=False),
    }


def test_each_rule_condition_chooses_its_carrier_and_the_default_is_the_fallback(
    warehouse: Any, carriers: dict[str, Carrier]
) -> None:
    tmall = make_channel(code="tmall")
    rule = CarrierRule.objects.create
    rule(priority=10, name="指定顺丰", carrier=carriers["SF"], requested_carrier="SF")
    rule(priority=20, name="到付", carrier=carriers["EMS"], cash_on_delivery=True)
    rule(priority=30, name="新疆", carrier=carriers["EMS"], provinces=["新疆"])
    rule(priority=40, name="重件", carrier=carriers["JD"], weight_min_grams=10000)
    rule(priority=50, name="天猫轻件", carrier=carriers["SF"], channel=tmall, weight_max_grams=500)
    chooser = services.CarrierChooser(warehouse, warehouse.default_carrier)

    def chosen(**fields: Any) -> str:
        return chooser.choose(_shipment(**fields)).code

    assert chosen(requested_carrier="sf") == "SF"
    assert chosen(cash_on_delivery=True) == "EMS"
    assert chosen(province="新疆维吾尔自治区", city="乌鲁木齐市") == "EMS"
    assert chosen(weight_grams=12000) == "JD"
    assert chosen(channel_id=tmall.pk, weight_grams=400) == "SF"
    assert chosen(channel_id=tmall.pk, weight_grams=600) == "ZTO"  # no rule: the default
    assert chosen() == "ZTO"


def test_rules_are_tried_by_priority_and_an_excluded_region_skips_a_rule(
    warehouse: Any, carriers: dict[str, Carrier]
) -> None:
    CarrierRule.objects.create(
        priority=20, name="江浙沪", carrier=carriers["SF"], provinces=["浙江", "江苏", "上海"]
    )
    CarrierRule.objects.create(
        priority=10,
        name="全国京东（除杭州西湖）",
        carrier=carriers["JD"],
        excluded_regions=["浙江/杭州/西湖", "西藏"],
    )
    CarrierRule.objects.create(priority=5, name="停用", carrier=carriers["EMS"], active=False)
    chooser = services.CarrierChooser(warehouse, warehouse.default_carrier)

    assert chooser.choose(_shipment(district="滨江区")).code == "JD"  # 10 before 20
    assert chooser.choose(_shipment()).code == "SF"  # 西湖区 excluded from JD: the next rule
    assert chooser.choose(_shipment(province="西藏自治区", city="拉萨市")).code == "ZTO"


def test_issuing_notes_applies_the_rules_without_a_query_per_order(
    warehouse: Any, carriers: dict[str, Carrier], parts_admin: Any
) -> None:
    light, heavy = listed_sku("LIGHT"), listed_sku("HEAVY")
    type(heavy).objects.filter(pk=light.pk).update(weight_grams=300)
    type(heavy).objects.filter(pk=heavy.pk).update(weight_grams=6000)
    put_stock(light, 100)
    put_stock(heavy, 100, at="A-02")
    CarrierRule.objects.create(
        priority=10, name="指定顺丰", carrier=carriers["SF"], requested_carrier="SF"
    )
    CarrierRule.objects.create(
        priority=20, name="重件", carrier=carriers["JD"], weight_min_grams=10000
    )

    def issue(count: int) -> tuple[int, list[str]]:
        orders = [
            make_order([(light, 1)], requested_carrier="SF"),
            make_order([(heavy, 2)]),
            *(make_order([(light, 2)]) for _ in range(count)),
        ]
        with CaptureQueriesContext(connection) as captured:
            services.allocation_issue(order_ids=[o.pk for o in orders], by=parts_admin)
        notes = DeliveryNote.objects.filter(order__in=orders).order_by("order_id")
        return len(captured), [note.carrier.code for note in notes]

    issue(0)  # the first issue of the day creates the note series and such, once
    small, carriers_small = issue(1)
    large, carriers_large = issue(6)
    assert carriers_small == ["SF", "JD", "ZTO"]
    assert carriers_large == ["SF", "JD", *["ZTO"] * 6]
    assert small == large


def test_the_parts_admin_changes_the_carrier_before_packing_and_is_refused_after(
    warehouse: Any,
    carriers: dict[str, Carrier],
    sku: Any,
    parts_admin: Any,
    picker: Any,
    packer: Any,
    client: Client,
) -> None:
    put_stock(sku, 10)
    order = make_order([(sku, 1)], accepted_at=MONDAY_MORNING)
    services.allocation_issue(order_ids=[order.pk], by=parts_admin)
    note = DeliveryNote.objects.get(order=order)
    client.force_login(parts_admin)

    page = client.get(f"/warehouse/notes/{note.pk}/")
    assert page.status_code == 200
    assert b'id="change-carrier"' in page.content
    empty = client.post(f"/warehouse/notes/{note.pk}/carrier/", {"carrier": carriers["SF"].pk})
    assert empty.status_code == 200
    assert "This field is required." in empty.content.decode()
    changed = client.post(
        f"/warehouse/notes/{note.pk}/carrier/",
        {"carrier": carriers["SF"].pk, "reason": "客户来电要求顺丰"},
        follow=True,
    )
    assert "now ships with 顺丰速运" in changed.content.decode()
    note.refresh_from_db()
    assert note.carrier == carriers["SF"]
    log = NoteCarrierChange.objects.get()
    assert (log.from_carrier, log.to_carrier, log.reason, log.changed_by) == (
        carriers["ZTO"],
        carriers["SF"],
        "客户来电要求顺丰",
        parts_admin,
    )

    services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    wave = Wave.objects.get()
    pick_all(wave, picker)
    services.wave_sort(wave_id=wave.pk, by=picker)
    parcel = pack(order, packer)
    assert parcel.carrier == carriers["SF"]
    assert parcel.waybill_number == "7310000000001"  # SF's default account (the factory's)

    refused = client.post(
        f"/warehouse/notes/{note.pk}/carrier/",
        {"carrier": carriers["ZTO"].pk, "reason": "改回中通"},
    )
    assert refused.status_code == 200
    body = refused.content.decode()
    assert (
        f"Delivery note {note.number} is Packed: its carrier can only change before packing."
        in body
    )
    assert "改回中通" in body  # what was typed is kept
    with pytest.raises(ConflictError):
        services.note_change_carrier(
            note_id=note.pk, carrier_id=carriers["ZTO"].pk, reason="x", by=parts_admin
        )
    assert DeliveryNote.objects.get(pk=note.pk).carrier == carriers["SF"]


def test_a_packer_may_not_change_a_carrier(
    warehouse: Any, carriers: dict[str, Carrier], sku: Any, parts_admin: Any, packer: Any
) -> None:
    put_stock(sku, 10)
    order = make_order([(sku, 1)], accepted_at=MONDAY_MORNING)
    services.allocation_issue(order_ids=[order.pk], by=parts_admin)
    note = DeliveryNote.objects.get(order=order)
    with pytest.raises(ApplicationError, match="not allowed"):
        services.note_change_carrier(
            note_id=note.pk, carrier_id=carriers["SF"].pk, reason="x", by=packer
        )


# -- the portal's account page ----------------------------------------------------------------


def test_the_warehouse_admin_loads_a_range_and_a_file_of_numbers_on_the_portal(
    warehouse: Any, keeper: Any, client: Client
) -> None:
    account = _account(warehouse.default_carrier)
    client.force_login(keeper)

    listing = client.get("/warehouse/waybills/")
    assert listing.status_code == 200
    assert "杭州萧山网点" in listing.content.decode()
    bad = client.post(
        f"/warehouse/waybills/{account.pk}/range/",
        {"number_prefix": "7", "first": "310000000900", "last": "310000001100"},
    )
    assert bad.status_code == 200
    assert "Overlaps a range loaded before." in bad.content.decode()
    assert 'value="310000000900"' in bad.content.decode()
    good = client.post(
        f"/warehouse/waybills/{account.pk}/range/",
        {"number_prefix": "7", "first": "320000000001", "last": "320000000500"},
        follow=True,
    )
    assert "Range 7320000000001–7320000000500 loaded: 500 numbers." in good.content.decode()
    upload = SimpleUploadedFile(
        "numbers.csv", "运单号,备注\r\n75000001,\r\n75000002,\r\n".encode("utf-8-sig")
    )
    listed = client.post(
        f"/warehouse/waybills/{account.pk}/numbers/", {"file": upload}, follow=True
    )
    assert "2 waybill numbers loaded." in listed.content.decode()
    detail = selectors.waybill_accounts().get(pk=account.pk)
    assert detail.numbers_left == 999 + 500 + 2  # type: ignore[attr-defined]


# -- labels ---------------------------------------------------------------------------------


def _pdftotext(content: bytes) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder, "labels.pdf")
        source.write_bytes(content)
        text = subprocess.run(  # noqa: S603 (our own file)
            ["pdftotext", "-layout", str(source), "-"],  # noqa: S607 (poppler-utils)
            check=True,
            capture_output=True,
        ).stdout.decode()
    return text.split("\f")[:-1]


def _label_setup(warehouse: Any, full: bool) -> tuple[Any, Any]:
    channel = make_channel(code="webshop" if full else "tmall", full_receiver_on_label=full)
    SortingCode.objects.create(
        carrier=warehouse.default_carrier,
        province="北京市",
        sort_code="100-F00-000",
        big_pen="北京",
        hub="北京转运中心",
    )
    SortingCode.objects.create(
        carrier=warehouse.default_carrier,
        province="北京市",
        city="北京市",
        district="朝阳区",
        sort_code="100-F07-013",
        big_pen="北京朝阳",
        hub="北京转运中心",
    )
    return channel, warehouse.default_carrier


@pytest.mark.parametrize(
    ("size", "page_mm"), [(LabelSize.TWO_PART, (100, 180)), (LabelSize.ONE_PART, (76, 130))]
)
def test_labels_print_masked_in_the_accounts_size_and_scan_back(
    warehouse: Any,
    sku: Any,
    parts_admin: Any,
    picker: Any,
    packer: Any,
    size: str,
    page_mm: tuple[int, int],
) -> None:
    channel, carrier = _label_setup(warehouse, full=False)
    WaybillAccount.objects.filter(carrier=carrier).update(label_size=size, customer_code="HZ0571")
    put_stock(sku, 10)
    order = make_order(
        [(sku, 2)],
        channel=channel,
        accepted_at=MONDAY_MORNING,
        receiver_name="王伟",
        receiver_phone="13800000000",
    )
    parcel = _packed([order], parts_admin, picker, packer)[order.pk]

    [label] = selectors.waybill_labels(parcel_ids=[parcel.pk])
    content = pdf.labels_pdf([label])

    box = PdfReader(io.BytesIO(content)).pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == page_mm
    [text] = _pdftotext(content)
    assert "王* 138****0000" in text
    assert "王伟" not in text
    assert "13800000000" not in text
    assert "100-F07-013" in text  # the district's sorting code, not the province's
    assert "北京朝阳" in text
    assert "集包地：北京转运中心" in text
    assert "保湿面霜 50g ×2" in text
    assert "件数：2 件" in text
    assert "月结账号：HZ0571" in text
    [scan] = scan_pdf(content)
    assert scan.code128 == [parcel.waybill_number]
    assert scan.qr == [order.number]


def test_a_channel_that_allows_full_data_gets_the_receiver_in_full(
    warehouse: Any, sku: Any, parts_admin: Any, picker: Any, packer: Any
) -> None:
    channel, _carrier = _label_setup(warehouse, full=True)
    put_stock(sku, 10)
    order = make_order(
        [(sku, 1)],
        channel=channel,
        accepted_at=MONDAY_MORNING,
        receiver_name="欧阳娜娜",
        receiver_phone="13912345678",
    )
    parcel = _packed([order], parts_admin, picker, packer)[order.pk]

    [text] = _pdftotext(pdf.labels_pdf(selectors.waybill_labels(parcel_ids=[parcel.pk])))

    assert "欧阳娜娜 13912345678" in text


@pytest.mark.parametrize(
    ("name", "masked"),
    [("王伟", "王*"), ("张小明", "张**"), ("欧阳娜娜", "欧阳**"), ("李", "李*"), ("", "")],
)
def test_names_are_masked_after_the_family_name(name: str, masked: str) -> None:
    assert selectors.mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13800000000", "138****0000"), ("0571-82880000", "0571-****0000"), ("12345", "*****")],
)
def test_phones_keep_their_first_three_and_last_four_digits(phone: str, masked: str) -> None:
    assert selectors.mask_phone(phone) == masked
