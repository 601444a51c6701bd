"""Importing the seller centre's own exports (issue 20 §2): ``manage.py import_orders`` on every
sample, all or nothing, re-imports, changed orders, and the portal's upload → preview → map an
unknown code in place → import.

Samples: tests/orders/samples (README there).
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from listings.models import Sku, SkuState
from orders.models import ChannelSkuMapping, Order, OrderImport, PlatformEvent
from orders.services import import_plan
from tests.orders.export_generator import taobao_pair
from tests.orders.factories import listed_sku, make_channel
from tests.orders.test_platform_exports import (
    DOUYIN,
    ITEMS_CSV,
    JD_2016,
    JD_2018,
    ORDERS_CSV,
    PAID_456,
    PAID_457,
    PDD_2020,
    PDD_2023,
    TAOBAO,
    one_file_edited,
    rows_of,
    set_cell,
    taobao_edited,
    taobao_files,
    xlsx,
    zipped,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The samples' orders were placed on 2024-06-12 (Asia/Shanghai); the import runs the day after.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.clock(datetime(2024, 6, 13, 10, 0, tzinfo=SHANGHAI)),
    pytest.mark.usefixtures("english"),
]

CLOSED_458 = "3901234567890123458"
SHIPPED_459 = "3901234567890123459"
UNPAID_460 = "3901234567890123460"


def parking(channel: Any) -> Any:
    """A marketplace channel that parks rule-breaking paid orders in the exception queue."""
    channel.intake_policy = "park"
    channel.save(update_fields=["intake_policy"])
    return channel


@pytest.fixture
def skus(clock: Any) -> dict[str, Any]:
    return {
        code: listed_sku(code, price)
        for code, price in (("SKU00001", "99.00"), ("SKU00002", "59.00"), ("SKU00003", "45.00"))
    }


@pytest.fixture
def tmall(clock: Any, skus: dict[str, Any]) -> Any:
    channel = make_channel(code="tmall-flagship", kind="tmall")
    ChannelSkuMapping.objects.create(
        channel=channel, outer_id="TB-OUTER-88", sku=listed_sku("SKU00004", "30.00")
    )
    return parking(channel)


def write(tmp_path: Path, files: list[tuple[str, bytes]]) -> list[str]:
    paths = []
    for name, data in files:
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def run(channel: Any, paths: list[str], *options: str) -> str:
    out = io.StringIO()
    call_command("import_orders", "--channel", channel.code, *options, *paths, stdout=out)
    return out.getvalue()


def refused(channel: Any, paths: list[str], *options: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(channel, paths, *options)
    return str(caught.value)


def line_of(output: str, external_id: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(external_id))


# --- The command on every sample ---------------------------------------------------------------


@pytest.mark.parametrize("folder", ["gb18030", "utf8-bom"])
@pytest.mark.parametrize("reverse_files", [False, True])
def test_taobao_pair_creates_the_paid_orders_and_lists_the_skipped_ones(
    tmall: Any, tmp_path: Path, folder: str, reverse_files: bool
) -> None:
    files = taobao_files(folder)
    if reverse_files:
        files.reverse()

    output = run(tmall, write(tmp_path, files))

    orders = Order.objects.filter(channel=tmall).order_by("external_id")
    assert [o.external_id for o in orders] == [PAID_456, PAID_457]
    first = orders[0]
    assert (first.receiver_name, first.receiver_phone, first.ship_postcode) == (
        "张三",
        "13800138000",
        "310012",
    )
    assert first.source == "import"
    assert first.needs_invoice is True
    assert [line.sku.code for line in orders[1].lines.order_by("position")] == [
        "SKU00003",
        "SKU00004",  # 外部系统编号 TB-OUTER-88, mapped for the channel
    ]
    assert f"created {first.number}" in line_of(output, PAID_456)
    assert "交易关闭: Closed: 买家未付款" in line_of(output, CLOSED_458)
    assert "Already shipped" in line_of(output, SHIPPED_459)
    assert "Not paid yet" in line_of(output, UNPAID_460)
    assert "2 created, 0 parked, 0 already in, 0 changed, 3 skipped by state." in output


def test_the_2017_layout(tmall: Any, tmp_path: Path) -> None:
    folder = TAOBAO / "layout-2017"
    files = [(path.name, path.read_bytes()) for path in sorted(folder.iterdir())]

    output = run(tmall, write(tmp_path, files))

    assert list(Order.objects.values_list("external_id", flat=True)) == [PAID_456]
    assert "1 created" in output


def test_xlsx_workbooks_and_one_zip(tmall: Any, tmp_path: Path) -> None:
    (_o, order_data), (_i, item_data) = taobao_files()
    workbooks = [
        ("ExportOrderDetailList.xlsx", xlsx({"宝贝报表": rows_of(item_data)})),
        ("ExportOrderList.xlsx", xlsx({"订单报表": rows_of(order_data)})),
    ]

    output = run(tmall, write(tmp_path, workbooks))
    assert "2 created" in output
    Order.objects.all().delete()

    output = run(tmall, write(tmp_path, [("export.zip", zipped(taobao_files("utf8-bom")))]))
    assert "2 created" in output
    assert Order.objects.count() == 2


def test_running_again_creates_nothing_twice(tmall: Any, tmp_path: Path) -> None:
    paths = write(tmp_path, taobao_files())
    run(tmall, paths)

    output = run(tmall, paths)

    assert Order.objects.count() == 2
    assert "already in as" in line_of(output, PAID_456)
    assert "same content" in line_of(output, PAID_456)
    assert "0 created, 0 parked, 2 already in, 0 changed, 3 skipped by state." in output


def test_changed_content_is_reported_not_applied(tmall: Any, tmp_path: Path) -> None:
    run(tmall, write(tmp_path, taobao_files()))
    order = Order.objects.get(external_id=PAID_456)
    changed = taobao_edited(orders=set_cell(PAID_456, "收货人姓名", "王五"))

    output = run(tmall, write(tmp_path, changed))

    line = line_of(output, PAID_456)
    assert f"changed: already in as {order.number}" in line
    assert "customer.name" in line
    assert "not applied" in line
    order.refresh_from_db()
    assert order.receiver_name == "张三"
    assert "1 already in, 1 changed" in output


def test_an_order_closed_on_the_platform_since_is_reported_with_its_state(
    tmall: Any, tmp_path: Path
) -> None:
    run(tmall, write(tmp_path, taobao_files()))
    closed = taobao_edited(orders=set_cell(PAID_456, "订单状态", "交易关闭"))

    output = run(tmall, write(tmp_path, closed))

    line = line_of(output, PAID_456)
    assert "changed: already in as" in line
    assert "now 交易关闭" in line
    assert Order.objects.count() == 2


def test_dry_run_shows_the_preview_and_stores_nothing(tmall: Any, tmp_path: Path) -> None:
    output = run(tmall, write(tmp_path, taobao_files()), "--dry-run")

    assert "to create (2 lines)" in line_of(output, PAID_456)
    assert "Dry run, nothing stored: 2 to create" in output
    assert Order.objects.count() == 0


def test_as_a_person_the_import_is_listed_with_the_uploads(
    tmall: Any, tmp_path: Path, make_user: Any
) -> None:
    rep = make_user("sales_rep", username="rep-li")

    run(tmall, write(tmp_path, taobao_files()), "--as", "rep-li")

    record = OrderImport.objects.get()
    assert (record.uploaded_by, record.state, record.created_count) == (rep, "imported", 2)
    assert Order.objects.filter(created_by=rep).count() == 2


def test_a_person_who_may_not_import_is_refused(tmall: Any, tmp_path: Path, make_user: Any) -> None:
    make_user("finance_clerk", username="clerk")

    message = refused(tmall, write(tmp_path, taobao_files()), "--as", "clerk")

    assert "not allowed to import orders" in message
    assert Order.objects.count() == 0


@pytest.mark.parametrize("path", [JD_2018, PDD_2020])
def test_jd_and_pinduoduo_exports(clock: Any, skus: Any, tmp_path: Path, path: Path) -> None:
    kind = "jd" if "jd" in path.parts else "pinduoduo"
    channel = parking(make_channel(code=f"{kind}-shop", kind=kind))

    output = run(channel, write(tmp_path, [(path.name, path.read_bytes())]))

    assert "1 created" in output
    assert "2 skipped by state" in output
    assert Order.objects.filter(channel=channel).count() == 1


def _cells(external_id: str, rows: int, **values: str) -> Any:
    """Set ``values`` (column → text) on the ``rows`` rows of one order."""

    def change(position: dict[str, int], table: list[list[str]]) -> None:
        for nth in range(rows):
            for column, value in values.items():
                set_cell(external_id, column, value, nth)(position, table)

    return change


def test_the_buyers_carrier_and_cash_on_delivery_reach_the_orders(
    clock: Any, skus: Any, tmp_path: Path
) -> None:
    """Pinduoduo's 是否顺丰加价 = 是 asks for SF; 货到付款 in JD's and Douyin's 支付方式 is
    cash on delivery, accepted unpaid (docs/warehouse.md, Carrier rules)."""
    pdd = parking(make_channel(code="pdd-shop", kind="pinduoduo"))
    sf = one_file_edited(PDD_2020, _cells("240612-512345678901234", 1, 是否顺丰加价="是"))
    jd = parking(make_channel(code="jd-shop", kind="jd"))
    jd_cod = one_file_edited(
        JD_2018, _cells("230412345678", 2, 支付方式="货到付款", 付款确认时间="")
    )
    douyin = parking(make_channel(code="douyin-shop", kind="douyin"))
    douyin_cod = one_file_edited(
        DOUYIN, _cells("6921234567890123456", 2, 支付方式="货到付款", 支付完成时间="")
    )

    for folder in ("pdd", "jd", "douyin"):
        (tmp_path / folder).mkdir()
    assert "1 created" in run(pdd, write(tmp_path / "pdd", sf))
    assert "1 created" in run(jd, write(tmp_path / "jd", jd_cod))
    assert "1 parked" in run(douyin, write(tmp_path / "douyin", douyin_cod))  # receiver hidden

    orders = {
        o.channel.code: (o.requested_carrier, o.cash_on_delivery, o.paid_at, str(o.paid_amount))
        for o in Order.objects.select_related("channel")
    }
    assert orders == {
        "pdd-shop": ("SF", False, orders["pdd-shop"][2], orders["pdd-shop"][3]),
        "jd-shop": ("", True, None, "0.00"),
        "douyin-shop": ("", True, None, "0.00"),
    }
    assert orders["pdd-shop"][2] is not None


def test_jd_2016_layout_with_codes_to_map(clock: Any, skus: Any, tmp_path: Path) -> None:
    channel = parking(make_channel(code="jd-shop", kind="jd"))
    paths = write(tmp_path, [(JD_2016.name, JD_2016.read_bytes())])

    message = refused(channel, paths)

    assert "230412345678" in message
    assert "TEA-GREEN" in message
    assert "CUP-WHITE" in message
    assert Order.objects.count() == 0
    ChannelSkuMapping.objects.create(channel=channel, outer_id="TEA-GREEN", sku=skus["SKU00001"])
    ChannelSkuMapping.objects.create(channel=channel, outer_id="CUP-WHITE", sku=skus["SKU00002"])

    assert "1 created" in run(channel, paths)


def test_douyin_export_on_a_refusing_channel(clock: Any, skus: Any, tmp_path: Path) -> None:
    """Douyin's export hides the receiver (encrypted): the order cannot be shipped as it is,
    and a refusing channel refuses the file, naming order and field; the other orders are
    skipped by state with their reasons."""
    channel = make_channel(code="douyin-shop", kind="douyin")
    channel.intake_policy = "refuse"
    channel.save(update_fields=["intake_policy"])
    paths = write(tmp_path, [(DOUYIN.name, DOUYIN.read_bytes())])

    preview = run(channel, paths, "--dry-run")
    message = refused(channel, paths)

    assert "to create (2 lines)" in line_of(preview, "6921234567890123456")
    assert "Already shipped" in line_of(preview, "6921234567890123460")
    assert "Closed: 用户取消" in line_of(preview, "6921234567890123470")
    assert "order 6921234567890123456: not accepted" in message
    assert "shipping_address.name" in message
    assert Order.objects.count() == 0


@pytest.mark.parametrize(("path", "kind"), [(DOUYIN, "douyin"), (PDD_2023, "pinduoduo")])
def test_an_export_without_the_receiver_parks_the_order_on_a_parking_channel(
    clock: Any, skus: Any, tmp_path: Path, path: Path, kind: str
) -> None:
    channel = parking(make_channel(code=f"{kind}-shop", kind=kind))

    output = run(channel, write(tmp_path, [(path.name, path.read_bytes())]))

    assert "0 created, 1 parked" in output
    assert Order.objects.get().state == "exception"


def test_a_channel_of_our_own_has_no_exports(clock: Any, skus: Any, tmp_path: Path) -> None:
    webshop = make_channel(code="webshop", kind="webshop")

    message = refused(webshop, write(tmp_path, taobao_files()))

    assert "only marketplace channels" in message


# --- Data errors: the whole file fails, nothing is stored ------------------------------------


def test_an_unknown_code_fails_the_file_naming_order_row_and_column(
    tmall: Any, tmp_path: Path
) -> None:
    files = taobao_edited(items=set_cell(PAID_457, "商家编码", "NOPE-1"))

    message = refused(tmall, write(tmp_path, files))

    assert f"{ITEMS_CSV}, row 4, order {PAID_457}, column 商家编码" in message
    assert "unknown SKU code NOPE-1" in message
    assert Order.objects.count() == 0  # order 456 of the same file was fine


@pytest.mark.parametrize(
    ("files", "column"),
    [
        (lambda: taobao_edited(items=set_cell(PAID_457, "购买数量", "0", nth=1)), "购买数量"),
        (lambda: taobao_edited(orders=set_cell(PAID_456, "总金额", "abc")), "总金额"),
    ],
)
def test_a_data_error_fails_the_file_naming_order_and_column(
    tmall: Any, tmp_path: Path, files: Any, column: str
) -> None:
    before = Order.objects.count()

    message = refused(tmall, write(tmp_path, files()))

    assert "Nothing was imported" in message
    assert "order 39012345678901234" in message
    assert f"column {column}" in message
    assert Order.objects.count() == before


def test_an_item_report_alone_and_a_file_that_is_no_export(tmall: Any, tmp_path: Path) -> None:
    items = [f for f in taobao_files() if f[0] == ITEMS_CSV]
    assert "Nothing was imported" in refused(tmall, write(tmp_path, items))
    assert "Nothing was imported" in refused(
        tmall, write(tmp_path, [("notes.csv", "名字,年龄\n张三,3\n".encode())])
    )
    assert Order.objects.count() == 0


def test_a_refused_order_stores_none_of_the_file(tmp_path: Path, clock: Any, skus: Any) -> None:
    """On a channel that refuses rule breakers, one refusal rolls back the orders already
    created in the same run."""
    channel = make_channel(code="tmall-refusing", kind="tmall")
    channel.intake_policy = "refuse"
    channel.save(update_fields=["intake_policy"])
    ChannelSkuMapping.objects.create(
        channel=channel, outer_id="TB-OUTER-88", sku=listed_sku("SKU00004", "30.00")
    )
    # SKU00003 is known but not listed any more: the intake refuses order 457.
    Sku.objects.filter(pk=skus["SKU00003"].pk).update(state=SkuState.DELISTED)

    message = refused(channel, write(tmp_path, taobao_files()))

    assert f"{ORDERS_CSV}, row 3, order {PAID_457}: not accepted" in message
    assert "lines[0].sku" in message
    assert Order.objects.count() == 0


def test_a_parking_channel_parks_a_rule_breaker_with_its_reasons(
    tmall: Any, skus: Any, tmp_path: Path
) -> None:
    Sku.objects.filter(pk=skus["SKU00003"].pk).update(state=SkuState.DELISTED)

    output = run(tmall, write(tmp_path, taobao_files()))

    parked = Order.objects.get(external_id=PAID_457)
    assert parked.state == "exception"
    assert f"parked {parked.number}: " in line_of(output, PAID_457)
    assert "SKU00003" in line_of(output, PAID_457)
    assert "1 created, 1 parked" in output


# --- The portal ----------------------------------------------------------------------------


def uploads(files: list[tuple[str, bytes]]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, data) for name, data in files]


def test_portal_upload_preview_map_an_unknown_code_then_import(
    client: Any, tmall: Any, make_user: Any
) -> None:
    rep = make_user("sales_rep", "shop_manager")
    client.force_login(rep)
    files = taobao_edited(items=set_cell(PAID_457, "商家编码", "TB-NEW-7"))

    response = client.post(
        reverse("orders:import_new"), {"channel": tmall.pk, "exports": uploads(files)}
    )

    record = OrderImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == record.get_absolute_url()
    detail = client.get(record.get_absolute_url())
    page = detail.content.decode()
    assert "TB-NEW-7" in page
    assert f"{ITEMS_CSV}, row 4, order {PAID_457}, column 商家编码" in page
    assert 'name="sku_code"' in page
    assert "交易关闭" in page
    assert "Closed: 买家未付款" in page
    assert 'data-action="import"' not in page  # nothing to import while a code is unknown

    wrong = client.post(
        reverse("orders:import_map_code", args=[record.pk]),
        {"code": "TB-NEW-7", "sku_code": "SKU-NONE"},
        follow=True,
    )
    assert "Unknown SKU SKU-NONE." in wrong.content.decode()
    assert not ChannelSkuMapping.objects.filter(outer_id="TB-NEW-7").exists()

    mapped = client.post(
        reverse("orders:import_map_code", args=[record.pk]),
        {"code": "TB-NEW-7", "sku_code": "SKU00003"},
    )
    assert mapped.status_code == 302
    assert ChannelSkuMapping.objects.filter(channel=tmall, outer_id="TB-NEW-7").exists()
    page = client.get(record.get_absolute_url()).content.decode()
    assert 'name="sku_code"' not in page
    assert 'data-action="import"' in page

    done = client.post(record.get_absolute_url(), follow=True)

    assert Order.objects.filter(channel=tmall).count() == 2
    record.refresh_from_db()
    assert (record.state, record.created_count, record.skipped_count) == ("imported", 2, 3)
    assert "2 orders created" in done.content.decode()


def test_portal_a_zip_upload_and_a_second_upload_of_the_same_files(
    client: Any, tmall: Any, make_user: Any
) -> None:
    client.force_login(make_user("sales_rep"))
    archive = [("export.zip", zipped(taobao_files()))]
    client.post(reverse("orders:import_new"), {"channel": tmall.pk, "exports": uploads(archive)})
    first = OrderImport.objects.get()
    client.post(first.get_absolute_url())

    client.post(reverse("orders:import_new"), {"channel": tmall.pk, "exports": uploads(archive)})

    second = OrderImport.objects.exclude(pk=first.pk).get()
    page = client.get(second.get_absolute_url()).content.decode()
    assert "This very file was imported on" in page
    assert 'data-testid="existing-count">2<' in page
    client.post(second.get_absolute_url())
    assert Order.objects.count() == 2


def test_portal_a_rejected_upload_keeps_nothing_and_says_why(
    client: Any, tmall: Any, make_user: Any
) -> None:
    client.force_login(make_user("sales_rep"))
    items = [f for f in taobao_files() if f[0] == ITEMS_CSV]

    response = client.post(
        reverse("orders:import_new"), {"channel": tmall.pk, "exports": uploads(items)}
    )

    assert response.status_code == 200
    assert ORDERS_CSV.startswith("ExportOrderList")
    assert "order report" in response.content.decode()
    assert OrderImport.objects.count() == 0


def test_portal_mapping_needs_the_channel_permission(
    client: Any, tmall: Any, make_user: Any
) -> None:
    client.force_login(make_user("sales_rep"))
    files = taobao_edited(items=set_cell(PAID_457, "商家编码", "TB-NEW-7"))
    client.post(reverse("orders:import_new"), {"channel": tmall.pk, "exports": uploads(files)})
    record = OrderImport.objects.get()

    page = client.get(record.get_absolute_url()).content.decode()
    assert 'name="sku_code"' not in page
    assert "shop manager" in page

    response = client.post(
        reverse("orders:import_map_code", args=[record.pk]),
        {"code": "TB-NEW-7", "sku_code": "SKU00003"},
    )
    assert response.status_code == 302
    assert not ChannelSkuMapping.objects.filter(outer_id="TB-NEW-7").exists()


# --- Set-based ------------------------------------------------------------------------------


def test_planning_a_file_costs_the_same_queries_for_ten_or_a_hundred_orders(tmall: Any) -> None:
    """Every SKU code of the file is resolved at once and the orders already in are looked up
    together: planning makes no query per order or per line."""
    counts = []
    for lines in (20, 200):
        with CaptureQueriesContext(connection) as queries:
            plan = import_plan(channel=tmall, files=taobao_pair(lines))
        assert len(plan.new) == lines // 2 - lines // 20  # every tenth order is closed
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert counts[0] <= 5


# --- A re-import finds the platform refunding an order we have (issue 20 §4) ------------------

PDD_ORDER = "240612-512345678901234"


def _pdd_refunding() -> list[tuple[str, bytes]]:
    return one_file_edited(PDD_2020, set_cell(PDD_ORDER, "售后状态", "退款中"))


@pytest.fixture
def pdd(clock: Any, skus: Any, tmp_path: Path) -> Any:
    channel = parking(make_channel(code="pdd-shop", kind="pinduoduo"))
    run(channel, write(tmp_path, [(PDD_2020.name, PDD_2020.read_bytes())]))
    assert Order.objects.get(external_id=PDD_ORDER).state == "received"
    return channel


def test_a_reimport_that_finds_a_refund_requested_holds_the_order(pdd: Any, tmp_path: Path) -> None:
    paths = write(tmp_path, _pdd_refunding())

    output = run(pdd, paths)

    order = Order.objects.get(external_id=PDD_ORDER)
    assert (order.state, order.hold_kind) == ("on_hold", "platform_refund")
    assert "退款中" in order.hold_reason
    assert "changed: already in as" in line_of(output, PDD_ORDER)
    events = PlatformEvent.objects.filter(order=order)
    assert [e.kind for e in events] == ["refund_requested"]
    # The same file again: nothing new happens.
    run(pdd, paths)
    assert PlatformEvent.objects.filter(order=order).count() == 1


def test_a_reimport_that_finds_a_released_order_refunding_asks_to_stop_the_parcel(
    pdd: Any, tmp_path: Path
) -> None:
    Order.objects.filter(external_id=PDD_ORDER).update(state="released")

    run(pdd, write(tmp_path, _pdd_refunding()))

    order = Order.objects.get(external_id=PDD_ORDER)
    assert order.state == "released"
    assert order.cancellation_requested_at is not None
    assert "退款中" in order.cancellation_request_reason


def test_a_total_that_does_not_add_up_parks_the_order(tmall: Any, tmp_path: Path) -> None:
    """总金额 says 300.00 where 买家应付货款 237.00 + 买家应付邮费 10.00 make 247.00."""
    files = taobao_edited(orders=set_cell(PAID_456, "总金额", "300.00"))

    output = run(tmall, write(tmp_path, files))

    order = Order.objects.get(external_id=PAID_456)
    assert order.state == "exception"
    assert [e.code for e in order.exceptions.all()] == ["amount"]
    assert "parked" in line_of(output, PAID_456)
