"""JD POP (京东商家后台 → 订单管理 → 订单导出): one row per SKU line, the order's columns
repeated on each of its rows; the 30-column 2016 and the 40-column 2018 layouts
(docs/reference/platform-order-exports.md §2).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .common import (
    AWAITING_SHIPMENT,
    CASH_ON_DELIVERY,
    CLOSED,
    COMPLETED,
    OTHER,
    REFUNDING,
    SHIPPED,
    UNPAID,
    ZERO,
    ExportedOrder,
    ParsedExport,
    RowReader,
    Rows,
    Table,
    group_rows,
    line_payload,
    money_text,
    order_payload,
    pick_phone,
    skipped,
    split_address,
    state_text,
    unmasked,
)

KEY_HEADERS = ("订单号",)

STATES = {
    state_text(text): state
    for text, state in (
        ("等待出库", AWAITING_SHIPMENT),
        ("等待付款", UNPAID),
        ("等待确认收货", SHIPPED),
        ("已发货", SHIPPED),
        ("完成", COMPLETED),
        ("已完成", COMPLETED),
        ("已取消", CLOSED),
        ("取消", CLOSED),
        ("锁定", REFUNDING),
    )
}
_DELETED = state_text("(删除)")
_LOCKED = state_text("(锁定)")


def normalize_state(text: str) -> str:
    """``(删除)等待出库`` is a deleted order, ``(锁定)…`` one the platform holds (the buyer
    asked to cancel): only a plain 等待出库 ships."""
    written = state_text(text)
    if written.startswith(_DELETED):
        return CLOSED
    if written.startswith(_LOCKED):
        return REFUNDING
    return STATES.get(written, OTHER)


def _reason(text: str) -> str:
    written = state_text(text)
    if written.startswith(_DELETED):
        return _("Deleted on the platform")
    if written.startswith(_LOCKED):
        return _("Locked on the platform (the buyer asked to cancel)")
    return ""


class _Columns:
    def __init__(self, table: Table) -> None:
        self.state = table.required("订单状态")
        self.quantity = table.required("订购数量", "订单数量")
        self.price = table.required("京东价")
        self.payable = table.required("应付金额")
        self.placed_at = table.required("下单时间")
        self.receiver = table.required("客户姓名")
        self.address = table.required("客户地址")
        self.phone = table.required("联系电话", "手机号")
        self.title = table.column("商品名称")
        self.seller_sku = table.column("商家SKUID")
        self.article = table.column("货号")
        self.jd_sku = table.column("商品ID")
        self.goods = table.column("订单金额")
        self.freight = table.column("运费金额")
        self.paid_at = table.column("付款确认时间")
        self.payment = table.column("支付方式")
        self.buyer = table.column("下单帐号", "下单账号")
        self.note = table.column("订单备注")
        self.invoice_kind = table.column("发票类型")
        self.invoice_title = table.column("发票抬头")
        self.tax_id = table.column("普通发票纳税编号", "纳税人识别号")
        self.postcode = table.column("邮政编码")


def read(platform: str, tables: list[Table]) -> ParsedExport:
    columns = {id(table): _Columns(table) for table in tables}
    result = ParsedExport(platform=platform)
    for external_id, (table, rows) in group_rows(tables, KEY_HEADERS).items():
        _read_order(external_id, table, rows, columns[id(table)], result)
    return result


def _read_order(
    external_id: str, table: Table, rows: Rows, c: _Columns, result: ParsedExport
) -> None:
    first = RowReader(table, rows[0][0], rows[0][1], external_id)
    platform_state = first.text(c.state)
    state = normalize_state(platform_state)
    lines = []
    goods = ZERO
    for number, cells in rows:
        row = RowReader(table, number, cells, external_id)
        quantity = row.quantity(c.quantity)
        price = row.money(c.price)
        goods += price * quantity
        sku = row.text(c.seller_sku) or row.text(c.article) or row.text(c.jd_sku)
        lines.append(
            line_payload(sku=sku, quantity=quantity, unit_price=price, title=row.text(c.title))
        )
    order_goods = first.money(c.goods, default=goods)
    freight = first.money(c.freight, default=ZERO)
    payable = first.money(c.payable)
    placed_at = first.time(c.placed_at)
    paid_at = first.time(c.paid_at)
    if state != AWAITING_SHIPMENT:
        result.skip(
            skipped(table, rows, external_id, platform_state, state, reason=_reason(platform_state))
        )
        return
    cash_on_delivery = CASH_ON_DELIVERY in first.text(c.payment)
    address = split_address(unmasked(first.text(c.address)))
    postcode = first.text(c.postcode)
    if postcode and not address["postcode"]:
        address["postcode"] = postcode
    invoice_title = first.text(c.invoice_title)
    invoice_kind_text = first.text(c.invoice_kind)
    if "不开" in invoice_kind_text:
        invoice_title = ""
    payload = order_payload(
        external_id=external_id,
        placed_at=placed_at,
        paid_at=paid_at,
        buyer_account=unmasked(first.text(c.buyer)),
        name=unmasked(first.text(c.receiver)),
        phone=pick_phone(first.text(c.phone)),
        address=address,
        lines=lines,
        shipping_fee=freight,
        # 订单金额 is the goods at JD prices; 应付金额 what the buyer owes: reference §2.4.
        discount_amount=order_goods + freight - payable,
        paid_amount=ZERO if cash_on_delivery else payable,
        invoice_title=invoice_title,
        invoice_kind="special" if "专用" in invoice_kind_text else "ordinary",
        tax_id=first.text(c.tax_id),
        buyer_note=first.text(c.note),
        cash_on_delivery=cash_on_delivery,
    )
    numbers = [number for number, _cells in rows]
    result.add(
        ExportedOrder(
            payload=payload,
            rows=numbers,
            file_name=table.file_name,
            platform_state=platform_state,
            state=AWAITING_SHIPMENT,
            line_file_name=table.file_name,
            line_rows=numbers,
            total_amount=money_text(payable),
        )
    )
