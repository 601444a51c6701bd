"""The readers of the platforms' own order exports (issue 20 §2): pure functions, no database.

Samples: tests/orders/samples (README there); layouts: docs/reference/platform-order-exports.md.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from orders.services.platform_exports import (
    ExportFileError,
    ParsedExport,
    common,
    read_export,
    split_address,
)
from tests.orders.export_generator import taobao_pair

pytestmark = pytest.mark.usefixtures("english")

SAMPLES = Path(__file__).resolve().parent / "samples"
TAOBAO = SAMPLES / "taobao"
ORDERS_CSV = "ExportOrderList202406122235.csv"
ITEMS_CSV = "ExportOrderDetailList202406122235.csv"
JD_2016 = SAMPLES / "jd" / "jd_pop_orders_2016_layout.csv"
JD_2018 = SAMPLES / "jd" / "jd_pop_orders_2018_layout.csv"
PDD_2020 = SAMPLES / "pdd" / "pdd_orders_2020_layout.csv"
PDD_2023 = SAMPLES / "pdd" / "pdd_orders_2023_layout.csv"
DOUYIN = SAMPLES / "douyin" / "1718200000_douyin_orders.csv"

PAID_456 = "3901234567890123456"
PAID_457 = "3901234567890123457"


def sample(path: Path) -> tuple[str, bytes]:
    return path.name, path.read_bytes()


def taobao_files(folder: str = "gb18030") -> list[tuple[str, bytes]]:
    return [sample(TAOBAO / folder / ORDERS_CSV), sample(TAOBAO / folder / ITEMS_CSV)]


def rows_of(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))
        except UnicodeDecodeError:
            continue
    raise AssertionError("sample neither UTF-8 nor GB18030")


def to_csv(rows: list[list[str]], encoding: str = "gb18030") -> bytes:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def edited(
    data: bytes, change: Callable[[dict[str, int], list[list[str]]], None], encoding: str
) -> bytes:
    """The CSV with ``change(header positions, rows)`` applied (row 0 is the header)."""
    rows = rows_of(data)
    change({name.strip(): i for i, name in enumerate(rows[0])}, rows)
    return to_csv(rows, encoding)


def set_cell(external_id: str, column: str, value: str, nth: int = 0) -> Callable[..., None]:
    def change(position: dict[str, int], rows: list[list[str]]) -> None:
        key = position.get("订单编号", position.get("订单号", position.get("主订单编号")))
        assert key is not None
        matching = [r for r in rows[1:] if external_id in r[key]]
        matching[nth][position[column]] = value

    return change


def taobao_edited(
    *, orders: Callable[..., None] | None = None, items: Callable[..., None] | None = None
) -> list[tuple[str, bytes]]:
    (order_name, order_data), (item_name, item_data) = taobao_files()
    if orders:
        order_data = edited(order_data, orders, "gb18030")
    if items:
        item_data = edited(item_data, items, "gb18030")
    return [(order_name, order_data), (item_name, item_data)]


def one_file_edited(path: Path, change: Callable[..., None]) -> list[tuple[str, bytes]]:
    encoding = "gbk" if "jd" in path.parts else "utf-8-sig"
    return [(path.name, edited(path.read_bytes(), change, encoding))]


def xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    """A workbook with these sheets, written by openpyxl (cells as given: text, numbers,
    datetimes; ``="…"`` becomes a formula, as Excel keeps it)."""
    workbook = Workbook()
    for default in list(workbook.worksheets):
        workbook.remove(default)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def zipped(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def by_id(result: ParsedExport) -> dict[str, Any]:
    return {order.payload["external_id"]: order for order in result.orders}


def failure(platform: str, files: list[tuple[str, bytes]]) -> ExportFileError:
    with pytest.raises(ExportFileError) as caught:
        read_export(platform, files)
    return caught.value


# --- Taobao / Tmall samples -----------------------------------------------------------------


def test_taobao_pair_makes_the_paid_orders_awaiting_shipment() -> None:
    result = read_export("taobao", taobao_files())

    assert [o.payload["external_id"] for o in result.orders] == [PAID_456, PAID_457]
    order = by_id(result)[PAID_456]
    assert order.payload == {
        "external_id": PAID_456,
        "placed_at": "2024-06-12T20:58:11+08:00",
        "paid_at": "2024-06-12T20:59:02+08:00",
        "buyer_account": "tb_zhangsan_88",
        "customer": {
            "kind": "individual",
            "name": "张三",
            "phone": "13800138000",
            "province": "浙江省",
            "city": "杭州市",
            "district": "西湖区",
            "street_address": "文三路100号1幢101室",
            "postcode": "310012",
        },
        "shipping_address": {
            "name": "张三",
            "phone": "13800138000",
            "province": "浙江省",
            "city": "杭州市",
            "district": "西湖区",
            "street_address": "文三路100号1幢101室",
            "postcode": "310012",
        },
        "lines": [
            {
                "sku": "SKU00001",
                "quantity": 2,
                "unit_price": "99.00",
                "title": "示例龙井绿茶250g礼盒",
            },
            # 商家编码 ends with a tab in the item report
            {"sku": "SKU00002", "quantity": 1, "unit_price": "59.00", "title": "示例白瓷茶杯"},
        ],
        "shipping_fee": "10.00",
        # goods 257.00 - 买家应付货款 237.00
        "discount_amount": "20.00",
        "total_amount": "247.00",  # 总金额, checked by the intake to add up
        "paid_amount": "247.00",
        "needs_invoice": True,
        "invoice": {"kind": "ordinary", "title": "杭州示例贸易有限公司"},
        "buyer_note": "请尽快发货",
    }
    assert order.total_amount == "247.00"
    assert (order.file_name, order.rows) == (ORDERS_CSV, [2])
    assert (order.line_file_name, order.line_rows) == (ITEMS_CSV, [2, 3])
    assert (order.platform_state, order.state) == ("买家已付款，等待卖家发货", "awaiting_shipment")
    assert order.warnings == []


def test_taobao_masked_mobile_falls_back_to_the_landline_and_outer_code_to_sku() -> None:
    order = by_id(read_export("taobao", taobao_files()))[PAID_457].payload

    assert order["customer"]["phone"] == "13912345678"  # 联系手机 138****0000 is masked
    assert order["customer"]["name"] == "李四"  # trailing tab stripped
    assert order["customer"]["province"] == "上海市"  # 直辖市 written 上海 上海市
    assert order["customer"]["city"] == "上海市"
    assert order["customer"]["district"] == "浦东新区"
    assert order["customer"]["street_address"] == "张江镇 科苑路88号2号楼"
    assert [line["sku"] for line in order["lines"]] == ["SKU00003", "TB-OUTER-88"]
    assert (order["shipping_fee"], order["discount_amount"], order["paid_amount"]) == (
        "0.00",
        "5.00",
        "100.00",
    )
    assert order["needs_invoice"] is False
    assert order["invoice"] == {}


def test_taobao_other_states_are_skipped_with_their_reason_and_every_state_is_listed() -> None:
    result = read_export("taobao", taobao_files())

    skipped = {s.external_id: (s.platform_state, s.reason, s.state) for s in result.skipped}
    assert skipped == {
        "3901234567890123458": ("交易关闭", "Closed: 买家未付款", "closed"),
        "3901234567890123459": ("卖家已发货，等待买家确认", "Already shipped", "shipped"),
        "3901234567890123460": ("等待买家付款", "Not paid yet", "unpaid"),
    }
    assert result.states == {
        PAID_456: "awaiting_shipment",
        PAID_457: "awaiting_shipment",
        "3901234567890123458": "closed",
        "3901234567890123459": "shipped",
        "3901234567890123460": "unpaid",
    }
    assert result.platform == "taobao"


def test_utf8_bom_as_resaved_reads_like_gb18030_as_downloaded() -> None:
    gb = read_export("taobao", taobao_files("gb18030"))
    utf8 = read_export("taobao", taobao_files("utf8-bom"))

    assert [o.payload for o in utf8.orders] == [o.payload for o in gb.orders]
    assert utf8.states == gb.states


def test_the_two_reports_are_recognised_by_their_headers_in_either_order() -> None:
    (order_name, order_data), (item_name, item_data) = taobao_files()
    expected = read_export("taobao", taobao_files())

    swapped = read_export("tmall", [(item_name, item_data), (order_name, order_data)])
    renamed = read_export("taobao", [("b.csv", order_data), ("a.csv", item_data)])

    assert [o.payload for o in swapped.orders] == [o.payload for o in expected.orders]
    assert [o.payload for o in renamed.orders] == [o.payload for o in expected.orders]
    assert renamed.orders[0].file_name == "b.csv"
    assert renamed.orders[0].line_file_name == "a.csv"
    assert swapped.platform == "tmall"


def test_the_2017_layout_reads_by_header_names() -> None:
    folder = TAOBAO / "layout-2017"
    result = read_export(
        "taobao",
        [
            sample(folder / "ExportOrderList201707081200.csv"),
            sample(folder / "ExportOrderDetailList201707081200.csv"),
        ],
    )

    assert [o.payload["external_id"] for o in result.orders] == [PAID_456]
    assert result.orders[0].payload["discount_amount"] == "20.00"
    assert result.orders[0].payload["lines"][1]["sku"] == "SKU00002"
    assert result.states["3901234567890123458"] == "closed"


def test_xlsx_files_and_one_workbook_with_both_sheets_read_like_the_csv() -> None:
    (_orders, order_data), (_items, item_data) = taobao_files()
    order_rows, item_rows = rows_of(order_data), rows_of(item_data)
    expected = read_export("taobao", taobao_files())

    separate = read_export(
        "taobao",
        [
            ("ExportOrderDetailList.xlsx", xlsx({"宝贝报表": item_rows})),
            ("ExportOrderList.xlsx", xlsx({"订单报表": order_rows})),
        ],
    )
    one = read_export("taobao", [("export.xlsx", xlsx({"订单": order_rows, "宝贝": item_rows}))])

    for result in (separate, one):
        assert [o.payload for o in result.orders] == [o.payload for o in expected.orders]
        assert [o.rows for o in result.orders] == [[2], [3]]
        assert result.states == expected.states
    assert one.orders[0].file_name == "export.xlsx [订单]"


def test_xlsx_numbers_and_dates_as_excel_stores_them() -> None:
    (_n, order_data), (_m, item_data) = taobao_files()
    order_rows: list[list[Any]] = [list(row) for row in rows_of(order_data)]
    item_rows: list[list[Any]] = [list(row) for row in rows_of(item_data)]
    for row in item_rows[1:]:
        row[2] = float(row[2])  # 价格 as a number
        row[3] = int(row[3])  # 购买数量 as a number
    created = order_rows[0].index("订单创建时间")
    order_rows[1][created] = datetime(2024, 6, 12, 20, 58, 11)
    workbook = xlsx({"items": item_rows, "orders": order_rows})

    order = by_id(read_export("taobao", [("export.xlsx", workbook)]))[PAID_456]

    assert order.payload["placed_at"] == "2024-06-12T20:58:11+08:00"
    assert order.payload["lines"][0]["quantity"] == 2
    assert order.payload["lines"][0]["unit_price"] == "99.00"


def test_a_workbook_with_a_title_row_and_a_third_sheet() -> None:
    (_orders, order_data), (_items, item_data) = taobao_files()
    order_rows = [["淘宝订单报表 2024-06-12"], *rows_of(order_data)]
    shipping_sheet = [["订单编号", "物流单号"], ['="3901234567890123459"', "SF1234567890123"]]
    workbook = xlsx(
        {"订单报表": order_rows, "宝贝报表": rows_of(item_data), "发货报表": shipping_sheet}
    )

    result = read_export("taobao", [("千牛.xlsx", workbook)])

    assert [o.payload["external_id"] for o in result.orders] == [PAID_456, PAID_457]
    assert result.orders[0].rows == [3]  # the header is on row 2


def test_blank_rows_are_passed_over_and_rows_keep_their_numbers() -> None:
    def change(position: dict[str, int], rows: list[list[str]]) -> None:
        rows.insert(2, [""] * len(rows[0]))

    files = taobao_edited(orders=change)

    result = read_export("taobao", files)

    assert [o.rows for o in result.orders] == [[2], [4]]


def test_unicode_text_saved_by_excel_tab_separated_utf16() -> None:
    rows = rows_of(JD_2018.read_bytes())
    text = "\r\n".join("\t".join(row) for row in rows)

    result = read_export("jd", [("jd.txt", text.encode("utf-16"))])

    assert [o.payload["external_id"] for o in result.orders] == ["230412345678"]
    assert result.orders[0].payload["discount_amount"] == "20.00"


def test_one_zip_holding_both_reports() -> None:
    expected = read_export("taobao", taobao_files())

    result = read_export("taobao", [("export.zip", zipped(taobao_files()))])

    assert [o.payload for o in result.orders] == [o.payload for o in expected.orders]
    assert result.orders[0].file_name == f"export.zip/{ORDERS_CSV}"


def test_a_closed_line_of_an_order_awaiting_shipment_is_left_out_with_a_warning() -> None:
    files = taobao_edited(items=set_cell(PAID_456, "订单状态", "交易关闭", nth=1))

    order = by_id(read_export("taobao", files))[PAID_456]

    assert [line["sku"] for line in order.payload["lines"]] == ["SKU00001"]
    assert order.line_rows == [2]
    assert order.warnings == ["Line 示例白瓷茶杯 was left out: it is 交易关闭 on the platform."]


def test_amounts_that_do_not_add_up_are_passed_as_read() -> None:
    files = taobao_edited(orders=set_cell(PAID_456, "总金额", "999.00"))

    order = by_id(read_export("taobao", files))[PAID_456]

    assert order.total_amount == "999.00"
    assert order.payload["paid_amount"] == "247.00"


def test_money_with_a_yuan_suffix_and_thousands_separators() -> None:
    files = taobao_edited(items=set_cell(PAID_456, "价格", "1,099.00元"))

    order = by_id(read_export("taobao", files))[PAID_456]

    assert order.payload["lines"][0]["unit_price"] == "1099.00"


def test_both_phones_masked_leave_the_phone_empty() -> None:
    files = taobao_edited(orders=set_cell(PAID_456, "联系手机", "138****0000"))

    order = by_id(read_export("taobao", files))[PAID_456]

    assert order.payload["customer"]["phone"] == ""
    assert order.payload["shipping_address"]["phone"] == ""


def test_a_half_width_comma_in_the_state_still_means_awaiting_shipment() -> None:
    files = taobao_edited(orders=set_cell(PAID_456, "订单状态", "买家已付款,等待卖家发货"))

    assert by_id(read_export("taobao", files))[PAID_456].state == "awaiting_shipment"


def test_the_generator_of_the_benchmark_reads_back() -> None:
    result = read_export("taobao", taobao_pair(40))

    assert len(result.orders) == 18
    assert [s.reason for s in result.skipped] == ["Closed: 买家未付款"] * 2
    assert len(result.states) == 20
    first = result.orders[0].payload
    assert first["discount_amount"] == "20.00"
    assert first["paid_amount"] == "247.00"
    assert first["needs_invoice"] is True


# --- JD, Pinduoduo, Douyin samples ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "skus"), [(JD_2016, ["TEA-GREEN", "CUP-WHITE"]), (JD_2018, ["SKU00001", "SKU00002"])]
)
def test_jd_export_one_row_per_line_with_the_order_repeated(path: Path, skus: list[str]) -> None:
    result = read_export("jd", [sample(path)])

    [order] = result.orders
    payload = order.payload
    assert payload["external_id"] == "230412345678"
    assert [line["sku"] for line in payload["lines"]] == skus
    assert [(line["quantity"], line["unit_price"]) for line in payload["lines"]] == [
        (2, "99.00"),
        (1, "59.00"),
    ]
    # 订单金额 257.00 + 运费金额 8.00 - 应付金额 245.00
    assert (payload["shipping_fee"], payload["discount_amount"], payload["paid_amount"]) == (
        "8.00",
        "20.00",
        "245.00",
    )
    assert payload["buyer_account"] == "jd_zhangsan"
    assert payload["invoice"] == {"kind": "ordinary", "title": "北京示例科技有限公司"}
    assert payload["customer"] == {
        "kind": "individual",
        "name": "张三",
        "phone": "13800138000",
        "province": "北京市",
        "city": "北京市",
        "district": "朝阳区",
        "street_address": "建国路88号SOHO现代城1号楼1001",
        "postcode": "",
    }
    assert payload["placed_at"] == "2024-06-12T10:15:30+08:00"
    assert order.rows == order.line_rows == [2, 3]
    assert {s.external_id: s.reason for s in result.skipped} == {
        "230412345679": "Already shipped",
        "230412345680": "Deleted on the platform",
    }
    assert result.states == {
        "230412345678": "awaiting_shipment",
        "230412345679": "shipped",
        "230412345680": "closed",
    }


def test_jd_locked_order_waits_for_a_person() -> None:
    def change(position: dict[str, int], rows: list[list[str]]) -> None:
        for row in rows[1:]:
            if row[position["订单号"]] == "230412345678":
                row[position["订单状态"]] = "(锁定)等待出库"

    result = read_export("jd", one_file_edited(JD_2018, change))

    assert result.orders == []
    assert result.states["230412345678"] == "refunding"
    assert result.skipped[0].reason == "Locked on the platform (the buyer asked to cancel)"


@pytest.mark.parametrize("path", [PDD_2020, PDD_2023])
def test_pinduoduo_export_one_row_per_order(path: Path) -> None:
    result = read_export("pinduoduo", [sample(path)])

    [order] = result.orders
    payload = order.payload
    assert payload["external_id"] == "240612-512345678901234"  # trailing tab stripped
    assert payload["lines"] == [
        {
            "sku": "SKU00001",
            "quantity": 2,
            "unit_price": "99.00",
            "discount": "15.00",
            "title": "示例龙井绿茶250g礼盒",
        }
    ]
    # 店铺优惠 10.00 + 平台优惠 5.00; 198.00 - 15.00 + 6.00 = 189.00
    assert (payload["shipping_fee"], payload["discount_amount"], payload["paid_amount"]) == (
        "6.00",
        "15.00",
        "189.00",
    )
    assert payload["paid_at"] == "2024-06-12T20:30:12+08:00"
    assert payload["placed_at"] == "2024-06-12T20:30:12+08:00"
    assert (payload["customer"]["province"], payload["customer"]["district"]) == (
        "浙江省",
        "西湖区",
    )
    assert {s.external_id: (s.reason, s.state) for s in result.skipped} == {
        "240611-512345678901235": ("Already shipped", "shipped"),
        "240610-512345678901236": ("Closed", "closed"),
    }
    assert set(result.states) == {
        "240612-512345678901234",
        "240611-512345678901235",
        "240610-512345678901236",
    }


def test_pinduoduo_2020_has_the_receiver_and_2023_has_not() -> None:
    old = read_export("pinduoduo", [sample(PDD_2020)]).orders[0].payload["customer"]
    new = read_export("pinduoduo", [sample(PDD_2023)]).orders[0].payload["customer"]

    assert (old["name"], old["phone"], old["street_address"]) == (
        "张三",
        "13800138000",
        "文三路100号1幢101室",
    )
    # 2023: only 街道/镇; name and phone are missing and the intake parks the order
    assert (new["name"], new["phone"], new["street_address"]) == ("", "", "西溪街道")


def test_pinduoduo_full_width_brackets_in_headers_and_an_open_refund() -> None:
    def change(position: dict[str, int], rows: list[list[str]]) -> None:
        rows[0][position["商品总价(元)"]] = "商品总价（元）"
        rows[1][position["售后状态"]] = "退款中"

    result = read_export("pinduoduo", one_file_edited(PDD_2020, change))

    assert result.orders == []
    assert result.states["240612-512345678901234"] == "refunding"
    assert result.skipped[0].reason == "Refund requested: 退款中"


def test_douyin_export_lines_grouped_by_main_order_with_encrypted_receiver() -> None:
    result = read_export("douyin", [sample(DOUYIN)])

    [order] = result.orders
    payload = order.payload
    assert payload["external_id"] == "6921234567890123456"  # leading tab stripped
    assert payload["lines"] == [
        {
            "sku": "SKU00001",
            "quantity": 2,
            "unit_price": "99.00",
            "discount": "15.00",
            "title": "示例龙井绿茶250g礼盒",
        },
        {
            "sku": "SKU00002",
            "quantity": 1,
            "unit_price": "59.00",
            "discount": "0.00",
            "title": "示例白瓷茶杯",
        },
    ]
    assert (payload["shipping_fee"], payload["discount_amount"], payload["paid_amount"]) == (
        "0.00",
        "15.00",
        "242.00",
    )
    # 收件人 #…#, 收件人手机号 $…$, 详细地址 #…#: encrypted, so missing
    assert (payload["customer"]["name"], payload["customer"]["phone"]) == ("", "")
    assert payload["shipping_address"]["street_address"] == "文新街道"
    assert payload["buyer_note"] == ""  # "-"
    assert order.rows == [2, 3]
    assert {s.external_id: s.reason for s in result.skipped} == {
        "6921234567890123460": "Already shipped",
        "6921234567890123470": "Closed: 用户取消",
    }
    assert result.states["6921234567890123470"] == "closed"


def test_douyin_a_refund_asked_for_on_one_line_holds_the_order() -> None:
    files = one_file_edited(DOUYIN, set_cell("6921234567890123456", "售后状态", "退款中", 1))

    result = read_export("douyin", files)

    assert result.orders == []
    assert result.states["6921234567890123456"] == "refunding"


def test_douyin_a_closed_line_is_left_out_of_the_order() -> None:
    files = one_file_edited(DOUYIN, set_cell("6921234567890123456", "订单状态", "已关闭", 1))

    [order] = read_export("douyin", files).orders

    assert [line["sku"] for line in order.payload["lines"]] == ["SKU00001"]
    assert order.payload["paid_amount"] == "183.00"
    assert order.line_rows == [2]
    assert len(order.warnings) == 1


def test_a_jd_file_is_not_a_douyin_export() -> None:
    error = failure("douyin", [sample(JD_2018)])

    assert "jd_pop_orders_2018_layout.csv is not an order export" in error.message
    assert error.extra["file"] == "jd_pop_orders_2018_layout.csv"


# --- Data errors: the whole file fails, naming file, order and column -------------------


def assert_names(error: ExportFileError, *, file: str, order: str, column: str) -> None:
    assert file in error.message
    assert order in error.message
    assert column in error.message
    assert error.extra["file"] == file
    assert error.extra["external_id"] == order
    assert error.extra["column"] == column
    assert isinstance(error.extra["row"], int)


@pytest.mark.parametrize("quantity", ["0", "-1", "1.5", "two", ""])
def test_a_quantity_that_is_not_a_positive_whole_number(quantity: str) -> None:
    files = taobao_edited(items=set_cell(PAID_457, "购买数量", quantity, nth=1))

    error = failure("taobao", files)

    assert_names(error, file=ITEMS_CSV, order=PAID_457, column="购买数量")
    assert error.extra["row"] == 5
    assert "not a positive whole number" in error.message


def test_a_line_whose_order_is_not_in_the_order_report() -> None:
    def change(position: dict[str, int], rows: list[list[str]]) -> None:
        rows.append(['="3901234567890999999"', "示例", "10.00", "1", "", "", "", "", "", "X", ""])

    error = failure("taobao", taobao_edited(items=change))

    assert_names(error, file=ITEMS_CSV, order="3901234567890999999", column="订单编号")
    assert "not in the order report" in error.message
    assert error.extra["row"] == 9


def test_an_order_awaiting_shipment_without_lines() -> None:
    def change(position: dict[str, int], rows: list[list[str]]) -> None:
        rows[:] = [r for r in rows if PAID_457 not in r[0]]

    error = failure("taobao", taobao_edited(items=change))

    assert_names(error, file=ORDERS_CSV, order=PAID_457, column="订单编号")


@pytest.mark.parametrize(
    ("report", "column", "value"),
    [
        ("items", "价格", "abc"),
        ("orders", "买家应付货款", "12..0"),
        ("orders", "买家应付邮费", "NaN"),
    ],
)
def test_money_that_is_not_a_number(report: str, column: str, value: str) -> None:
    change = set_cell(PAID_456, column, value)
    files = taobao_edited(**{report: change})

    error = failure("taobao", files)

    assert_names(
        error, file=ITEMS_CSV if report == "items" else ORDERS_CSV, order=PAID_456, column=column
    )
    assert "is not an amount" in error.message


def test_a_time_that_is_not_a_date() -> None:
    error = failure("taobao", taobao_edited(orders=set_cell(PAID_456, "订单创建时间", "昨天")))

    assert_names(error, file=ORDERS_CSV, order=PAID_456, column="订单创建时间")


def test_an_order_twice_in_the_order_report() -> None:
    def change(position: dict[str, int], rows: list[list[str]]) -> None:
        rows.append(list(rows[1]))

    error = failure("taobao", taobao_edited(orders=change))

    assert_names(error, file=ORDERS_CSV, order=PAID_456, column="订单编号")
    assert "twice" in error.message


def test_an_empty_order_number() -> None:
    error = failure("taobao", taobao_edited(items=set_cell(PAID_457, "订单编号", "")))

    assert error.extra["column"] == "订单编号"
    assert "order number is empty" in error.message


def test_an_item_report_without_its_order_report_and_the_other_way_round() -> None:
    orders, items = taobao_files()

    only_items = failure("taobao", [items])
    only_orders = failure("taobao", [orders])

    assert ITEMS_CSV in only_items.message
    assert "order report" in only_items.message
    assert ORDERS_CSV in only_orders.message
    assert "item report" in only_orders.message


def test_two_order_reports_are_refused() -> None:
    orders, items = taobao_files()

    error = failure("taobao", [orders, ("again.csv", orders[1]), items])

    assert "again.csv" in error.message


def test_a_file_that_is_not_an_export() -> None:
    error = failure("taobao", [("notes.csv", "名称,数量\r\n茶,1\r\n".encode())])

    assert "notes.csv is not an order export" in error.message
    assert error.extra["file"] == "notes.csv"


def test_an_unreadable_encoding() -> None:
    error = failure("jd", [("jd.csv", "订单号,".encode("gbk") + b"\x81\x20\xff")])

    assert "jd.csv is neither GB18030 nor UTF-8" in error.message


def test_a_required_column_missing() -> None:
    def change(position: dict[str, int], rows: list[list[str]]) -> None:
        rows[0][position["订单创建时间"]] = "创建"

    error = failure("taobao", taobao_edited(orders=change))

    assert error.message == f"{ORDERS_CSV} lacks the column 订单创建时间."
    assert error.extra["file"] == ORDERS_CSV


@pytest.mark.parametrize(
    ("platform", "path", "key", "column"),
    [
        ("jd", JD_2018, "230412345678", "订购数量"),
        ("pinduoduo", PDD_2020, "240612-512345678901234", "商品数量(件)"),
        ("douyin", DOUYIN, "6921234567890123456", "商品数量"),
    ],
)
def test_quantity_errors_of_the_one_file_platforms(
    platform: str, path: Path, key: str, column: str
) -> None:
    error = failure(platform, one_file_edited(path, set_cell(key, column, "0")))

    assert_names(error, file=path.name, order=key, column=column)


@pytest.mark.parametrize(
    ("platform", "path", "key", "column"),
    [
        ("jd", JD_2016, "230412345678", "应付金额"),
        ("pinduoduo", PDD_2023, "240612-512345678901234", "用户实付金额(元)"),
        ("douyin", DOUYIN, "6921234567890123456", "商品单价"),
    ],
)
def test_money_errors_of_the_one_file_platforms(
    platform: str, path: Path, key: str, column: str
) -> None:
    error = failure(platform, one_file_edited(path, set_cell(key, column, "九十九")))

    assert_names(error, file=path.name, order=key, column=column)


def test_an_order_in_two_files() -> None:
    error = failure("jd", [sample(JD_2016), ("second.csv", JD_2018.read_bytes())])

    assert_names(error, file="second.csv", order="230412345678", column="订单号")
    assert JD_2016.name in error.message


def test_an_unknown_platform_and_no_files() -> None:
    assert "no reader" in failure("amazon", taobao_files()).message.lower()
    assert failure("jd", []).message == "No file was given."


# --- Bounds ------------------------------------------------------------------------------


def test_a_file_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "MAX_FILE_BYTES", 1000)

    error = failure("jd", [sample(JD_2018)])

    assert "larger than" in error.message


def test_too_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "MAX_ROWS", 3)

    error = failure("jd", [sample(JD_2018)])

    assert "more than 3 rows" in error.message


def test_a_zip_bomb_is_refused_before_unpacking() -> None:
    bomb = zipped([("ExportOrderList.csv", b"0" * (3 * 1024 * 1024))])

    error = failure("taobao", [("export.zip", bomb)])

    assert "unpacks to more than" in error.message


def test_a_zip_member_over_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    archive = zipped([sample(JD_2018)])
    assert len(archive) < 1200 < len(JD_2018.read_bytes())
    monkeypatch.setattr(common, "MAX_FILE_BYTES", 1200)

    error = failure("jd", [("export.zip", archive)])

    assert "unpacks to more than" in error.message


def test_a_zip_with_more_than_the_two_reports() -> None:
    files = [*taobao_files(), ("readme.txt", b"hello")]

    error = failure("taobao", [("export.zip", zipped(files))])

    assert "holds 3 files" in error.message


def test_a_zip_inside_a_zip_and_an_old_excel_file() -> None:
    inner = zipped(taobao_files())

    nested = failure("taobao", [("outer.zip", zipped([("inner.zip", inner)]))])
    old_excel = failure("taobao", [("orders.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100)])

    assert "zip inside a zip" in nested.message
    assert "old Excel" in old_excel.message


def test_a_damaged_zip() -> None:
    error = failure("taobao", [("export.zip", b"PK\x03\x04broken")])

    assert "damaged" in error.message


# --- Cells and addresses ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('="3901234567890123456"', "3901234567890123456"),
        ('=""', ""),
        ("'13800138000", "13800138000"),
        ("SKU00002\t", "SKU00002"),
        ("\t6921234567890123456", "6921234567890123456"),
        ("  张三 ", "张三"),
        ("=1+1", "=1+1"),
    ],
)
def test_clean(raw: str, expected: str) -> None:
    assert common.clean(raw) == expected


def test_pick_phone() -> None:
    assert common.pick_phone("138****0000", "'13912345678") == "13912345678"
    assert common.pick_phone("'13800138000", "'13912345678") == "13800138000"
    assert common.pick_phone("$V8nq2LsT0bW4cR$", "") == ""
    assert common.pick_phone("", "") == ""


def test_headers_match_without_spaces_case_or_full_width_brackets() -> None:
    assert common.normalize_header("收货地址 ") == common.normalize_header("收货地址")
    assert common.normalize_header("商品总价（元）") == common.normalize_header("商品总价(元)")
    assert common.normalize_header("\ufeff商品ID") == common.normalize_header("商品id")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "浙江省 杭州市 西湖区 文三路100号1幢101室(310012)",
            ("浙江省", "杭州市", "西湖区", "文三路100号1幢101室", "310012"),
        ),
        (
            "北京 北京市 朝阳区 建国路88号院3号楼1单元602(100022)",
            ("北京市", "北京市", "朝阳区", "建国路88号院3号楼1单元602", "100022"),
        ),
        (
            "安徽省 马鞍山市 花山区 塘西街道绿洲茗苑6栋304号（葛羊路绿洲花园附近）（243000）",
            (
                "安徽省",
                "马鞍山市",
                "花山区",
                "塘西街道绿洲茗苑6栋304号（葛羊路绿洲花园附近）",
                "243000",
            ),
        ),
        (
            "吉林省 通化市 柳河县 柳河镇紫御府   七号楼    3单元   201室(135300)",
            ("吉林省", "通化市", "柳河县", "柳河镇紫御府 七号楼 3单元 201室", "135300"),
        ),
        ("广东省 广州市 其它区 某路1号(000000)", ("广东省", "广州市", "其它区", "某路1号", "")),
        (
            "江苏南京市鼓楼区中山北路1号示例大厦502",
            ("江苏省", "南京市", "鼓楼区", "中山北路1号示例大厦502", ""),
        ),
        (
            "北京北京市朝阳区建国路88号SOHO现代城1号楼1001",
            ("北京市", "北京市", "朝阳区", "建国路88号SOHO现代城1号楼1001", ""),
        ),
        ("上海浦东新区张江镇科苑路88号", ("上海市", "上海市", "浦东新区", "张江镇科苑路88号", "")),
        (
            "广西壮族自治区南宁市青秀区民族大道1号",
            ("广西壮族自治区", "南宁市", "青秀区", "民族大道1号", ""),
        ),
        ("湖北荆州市沙市区北京路1号", ("湖北省", "荆州市", "沙市区", "北京路1号", "")),
    ],
)
def test_split_address(text: str, expected: tuple[str, ...]) -> None:
    parts = split_address(text)

    assert (
        parts["province"],
        parts["city"],
        parts["district"],
        parts["street_address"],
        parts["postcode"],
    ) == expected


def test_times_are_china_time() -> None:
    assert common.parse_time("2024-06-12 20:58:11") == "2024-06-12T20:58:11+08:00"
    assert common.parse_time("2016/5/23 22:02") == "2016-05-23T22:02:00+08:00"
    assert common.parse_time("") is None
    with pytest.raises(ValueError, match="2024-13-01"):
        common.parse_time("2024-13-01 00:00:00")
