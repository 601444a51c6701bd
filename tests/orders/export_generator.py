"""Taobao/Tmall export pairs of any size, in memory, in the layout of the samples.

Used by the benchmark (tests/bench/test_platform_exports_bench.py, 100,000 lines) and, at a
tiny size, by tests/orders/test_platform_exports.py, so the benchmark's generator is itself
tested. Every order has two lines; all orders are paid and await shipment, except every
tenth, which is closed.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent / "samples"
_TAOBAO = SAMPLES / "taobao" / "utf8-bom"
ORDER_FILE = "ExportOrderList202406122235.csv"
ITEM_FILE = "ExportOrderDetailList202406122235.csv"


def _header(name: str) -> list[str]:
    text = (_TAOBAO / name).read_text(encoding="utf-8-sig")
    return next(csv.reader(io.StringIO(text)))


def taobao_pair(lines: int, *, encoding: str = "gb18030") -> list[tuple[str, bytes]]:
    """An order report and an item report with ``lines`` item rows (``lines // 2`` orders)."""
    order_header = _header(ORDER_FILE)
    item_header = _header(ITEM_FILE)
    order_position = {name.strip(): i for i, name in enumerate(order_header)}
    orders = io.StringIO()
    items = io.StringIO()
    order_writer = csv.writer(orders, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    item_writer = csv.writer(items, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    order_writer.writerow(order_header)
    item_writer.writerow(item_header)
    for n in range(lines // 2):
        number = f"{4000000000000000000 + n}"
        closed = n % 10 == 9
        state = "交易关闭" if closed else "买家已付款，等待卖家发货"
        goods = Decimal("99.00") * 2 + Decimal("59.00")
        owed = goods - Decimal("20.00")
        row = [""] * len(order_header)
        values = {
            "订单编号": f'="{number}"',
            "买家会员名": f"buyer_{n}",
            "买家应付货款": str(owed),
            "买家应付邮费": "10.00",
            "总金额": str(owed + 10),
            "买家实际支付金额": "0.00" if closed else str(owed + 10),
            "订单状态": state,
            "买家留言": "",
            "收货人姓名": f"张{n % 100}",
            "收货地址": f"浙江省 杭州市 西湖区 文三路{n % 500}号(310012)",
            "联系手机": f"'138{n % 100000000:08d}",
            "订单创建时间": "2024-06-12 20:58:11",
            "订单付款时间": "" if closed else "2024-06-12 20:59:02",
            "订单关闭原因": "买家未付款" if closed else "订单未关闭",
            "发票抬头": "杭州示例贸易有限公司" if n % 7 == 0 else "",
            "买家服务费": "0元",
        }
        for name, value in values.items():
            row[order_position[name]] = value
        order_writer.writerow(row)
        for sku, title, price, quantity in (
            ("SKU00001", "示例龙井绿茶250g礼盒", "99.00", "2"),
            ("SKU00002", "示例白瓷茶杯", "59.00", "1"),
        ):
            item_writer.writerow(
                [f'="{number}"', title, price, quantity, "", "", "", "", state, sku, ""]
            )
    return [
        (f"ExportOrderList_{lines}.csv", orders.getvalue().encode(encoding)),
        (f"ExportOrderDetailList_{lines}.csv", items.getvalue().encode(encoding)),
    ]
