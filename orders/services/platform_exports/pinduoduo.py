"""Pinduoduo (拼多多商家后台 → 订单查询 → 导出): one row per order (an order holds one SKU);
the 2020 layout with 收货人, 手机 and 街道, and the 2023 layout without them (商家编码-规格维度,
街道/镇, 多多支付立减金额). Sellers choose and order the columns, so they are found by name.
docs/reference/platform-order-exports.md §3.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .common import (
    AWAITING_SHIPMENT,
    CLOSED,
    COMPLETED,
    OTHER,
    REFUNDING,
    SF_CARRIER_CODE,
    SHIPPED,
    UNPAID,
    ZERO,
    ExportedOrder,
    ParsedExport,
    RowReader,
    Rows,
    Table,
    group_rows,
    join_street,
    line_payload,
    money_text,
    order_payload,
    pick_phone,
    skipped,
    state_text,
    unmasked,
)

KEY_HEADERS = ("订单号",)

STATES = {
    state_text(text): state
    for text, state in (
        ("待发货", AWAITING_SHIPMENT),
        ("待支付", UNPAID),
        ("已发货，待签收", SHIPPED),
        ("已发货，待收货", SHIPPED),
        ("已签收", COMPLETED),
        ("已收货", COMPLETED),
        ("已取消", CLOSED),
        ("未发货，退款成功", CLOSED),
        ("已发货，退款成功", CLOSED),
        ("已签收，退款成功", CLOSED),
        ("已取消，退款成功", CLOSED),
    )
}
# 售后状态 values that mean no after-sale case is open.
NO_AFTER_SALE = {
    state_text(text)
    for text in (
        "",
        "-",
        "无售后或售后取消",
        "无售后",
        "售后取消",
        "买家撤销",
        "售后取消，退款失败",
        "退款失败",
        "售后关闭",
    )
}


def normalize_state(text: str, after_sale: str = "") -> str:
    """The order's state; a paid order awaiting shipment with an open after-sale case (a
    refund asked for) waits for a person, one refunded before shipment is closed."""
    state = STATES.get(text) or STATES.get(state_text(text), OTHER)
    if state == AWAITING_SHIPMENT:
        case = state_text(after_sale)
        if "退款成功" in case:
            return CLOSED
        if case not in NO_AFTER_SALE:
            return REFUNDING
    return state


class _Columns:
    def __init__(self, table: Table) -> None:
        self.state = table.required("订单状态")
        self.quantity = table.required("商品数量(件)", "商品数量")
        self.goods = table.required("商品总价(元)", "商品总价")
        self.paid = table.required("用户实付金额(元)", "用户实付金额")
        self.title = table.column("商品", "商品名称")
        self.shop_discount = table.column("店铺优惠折扣(元)", "店铺优惠折扣")
        self.platform_discount = table.column("平台优惠折扣(元)", "平台优惠折扣")
        self.payment_discount = table.column("多多支付立减金额(元)", "多多支付立减金额")
        self.postage = table.column("邮费(元)", "邮费")
        self.receiver = table.column("收货人")
        self.phone = table.column("手机", "收货人手机号")
        self.province = table.column("省")
        self.city = table.column("市")
        self.district = table.column("区")
        self.town = table.column("街道/镇")
        self.street = table.column("详细地址", "街道")
        self.placed_at = table.column("订单成交时间")
        self.grouped_at = table.column("拼单成功时间")
        self.paid_at = table.column("支付时间")
        self.sku = table.column("商家编码-SKU维度", "商家编码-规格维度")
        self.goods_code = table.column("商家编码-商品维度")
        self.style_id = table.column("样式ID")
        self.note = table.column("买家留言")
        self.after_sale = table.column("售后状态")
        self.cancel_reason = table.column("取消原因")
        # 顺丰加价: the buyer paid the SF surcharge, so the parcel must go by SF
        self.sf_surcharge = table.column("是否顺丰加价")


def read(platform: str, tables: list[Table]) -> ParsedExport:
    columns = {id(table): _Columns(table) for table in tables}
    result = ParsedExport(platform=platform)
    for external_id, (table, rows) in group_rows(tables, KEY_HEADERS, one_row=True).items():
        _read_order(external_id, table, rows, columns[id(table)], result)
    return result


def _read_order(
    external_id: str, table: Table, rows: Rows, c: _Columns, result: ParsedExport
) -> None:
    number, cells = rows[0]
    row = RowReader(table, number, cells, external_id)
    platform_state = row.text(c.state)
    after_sale = row.text(c.after_sale)
    state = normalize_state(platform_state, after_sale)
    quantity = row.quantity(c.quantity)
    goods = row.money(c.goods)
    paid = row.money(c.paid)
    discount = (
        row.money(c.shop_discount, default=ZERO)
        + row.money(c.platform_discount, default=ZERO)
        + row.money(c.payment_discount, default=ZERO)
    )
    postage = row.money(c.postage, default=ZERO)
    paid_at = row.time(c.paid_at)
    # 2020 layouts have no 订单成交时间: the order was placed when it was paid.
    placed_at = row.time(c.placed_at) or paid_at or row.time(c.grouped_at)
    if state != AWAITING_SHIPMENT:
        detail = after_sale if state == REFUNDING else row.text(c.cancel_reason)
        result.skip(skipped(table, rows, external_id, platform_state, state, detail=detail))
        return
    if placed_at is None:
        row.fail(c.placed_at or c.paid_at or c.state, _("the date is empty."))
    sku = row.text(c.sku) or row.text(c.goods_code) or row.text(c.style_id)
    name = unmasked(row.text(c.receiver))
    # One SKU per order: the order's discount is this line's.
    line = line_payload(
        sku=sku,
        quantity=quantity,
        unit_price=goods / quantity,
        title=row.text(c.title),
        discount=discount,
    )
    payload = order_payload(
        external_id=external_id,
        placed_at=placed_at,
        paid_at=paid_at,
        buyer_account="",
        name=name,
        phone=pick_phone(row.text(c.phone)),
        address={
            "province": row.text(c.province),
            "city": row.text(c.city),
            "district": row.text(c.district),
            "street_address": join_street(row.text(c.town), unmasked(row.text(c.street))),
            "postcode": "",
        },
        lines=[line],
        shipping_fee=postage,
        discount_amount=discount,
        paid_amount=paid,
        invoice_title="",
        buyer_note=row.text(c.note),
        requested_carrier=SF_CARRIER_CODE if row.text(c.sf_surcharge) == "是" else "",
    )
    result.add(
        ExportedOrder(
            payload=payload,
            rows=[number],
            file_name=table.file_name,
            platform_state=platform_state,
            state=AWAITING_SHIPMENT,
            line_file_name=table.file_name,
            line_rows=[number],
            total_amount=money_text(paid),
        )
    )
