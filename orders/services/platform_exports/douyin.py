"""Douyin shop (抖店 商家后台 → 订单管理 → 批量导出): one row per sub-order (子订单, one SKU
line), grouped by 主订单编号; UTF-8 with BOM, ids and texts behind a leading tab, ``-`` for
empty, receiver name, phone and street encrypted. docs/reference/platform-order-exports.md §4.
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
    combine_line_states,
    group_rows,
    join_street,
    left_out_warning,
    line_payload,
    money_text,
    order_payload,
    pick_phone,
    skipped,
    state_text,
    unmasked,
)

KEY_HEADERS = ("主订单编号",)

STATES = {
    state_text(text): state
    for text, state in (
        ("待发货", AWAITING_SHIPMENT),
        ("备货中", AWAITING_SHIPMENT),
        ("待支付", UNPAID),
        ("待付款", UNPAID),
        ("已发货", SHIPPED),
        ("部分发货", SHIPPED),
        ("已完成", COMPLETED),
        ("已关闭", CLOSED),
        ("已取消", CLOSED),
    )
}
NO_AFTER_SALE = {
    state_text(text)
    for text in ("", "-", "无售后", "售后关闭", "售后取消", "买家撤销", "退款失败", "售后已关闭")
}


def _dash(value: str) -> str:
    return "" if value == "-" else value


def normalize_state(text: str, after_sale: str = "") -> str:
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
        self.quantity = table.required("商品数量")
        self.price = table.required("商品单价")
        self.placed_at = table.required("订单提交时间")
        self.payable = table.column("订单应付金额", "应付金额")
        self.freight = table.column("运费")
        self.discount = table.column("优惠总金额")
        self.title = table.column("选购商品")
        self.sku = table.column("商家编码")
        self.product_id = table.column("商品ID")
        self.receiver = table.column("收件人")
        self.phone = table.column("收件人手机号")
        self.province = table.column("省")
        self.city = table.column("市")
        self.district = table.column("区")
        self.town = table.column("街道")
        self.street = table.column("详细地址")
        self.note = table.column("买家留言")
        self.paid_at = table.column("支付完成时间")
        self.after_sale = table.column("售后状态")
        self.cancel_reason = table.column("取消原因")
        self.payment = table.column("支付方式")


def read(platform: str, tables: list[Table]) -> ParsedExport:
    columns = {id(table): _Columns(table) for table in tables}
    result = ParsedExport(platform=platform)
    for external_id, (table, rows) in group_rows(tables, KEY_HEADERS, empty=_dash).items():
        _read_order(external_id, table, rows, columns[id(table)], result)
    return result


def _read_order(
    external_id: str, table: Table, rows: Rows, c: _Columns, result: ParsedExport
) -> None:
    readers = [RowReader(table, n, cells, external_id, empty=_dash) for n, cells in rows]
    first = readers[0]
    platform_states = [row.text(c.state) for row in readers]
    line_states = [
        normalize_state(text, row.text(c.after_sale))
        for text, row in zip(platform_states, readers, strict=True)
    ]
    state, ships = combine_line_states(line_states)
    lines = []
    kept: list[RowReader] = []
    warnings: list[str] = []
    discount = freight = payable = ZERO
    for row, ship, platform_state in zip(readers, ships, platform_states, strict=True):
        quantity = row.quantity(c.quantity)
        price = row.money(c.price)
        line_discount = row.money(c.discount, default=ZERO)
        line_freight = row.money(c.freight, default=ZERO)
        line_payable = row.money(c.payable, default=price * quantity - line_discount + line_freight)
        title = row.text(c.title)
        if not ship:
            if state == AWAITING_SHIPMENT:
                warnings.append(left_out_warning(title, platform_state))
            continue
        kept.append(row)
        discount += line_discount
        freight += line_freight
        payable += line_payable
        lines.append(
            line_payload(
                sku=row.text(c.sku) or row.text(c.product_id),
                quantity=quantity,
                unit_price=price,
                title=title,
                discount=line_discount,
            )
        )
    placed_at = first.time(c.placed_at)
    paid_at = first.time(c.paid_at)
    platform_state = platform_states[0]
    if state != AWAITING_SHIPMENT:
        if state == REFUNDING:
            detail = next((row.text(c.after_sale) for row in readers if row.text(c.after_sale)), "")
        else:
            detail = first.text(c.cancel_reason)
        if len(set(platform_states)) > 1:
            platform_state = "、".join(dict.fromkeys(platform_states))
        result.skip(skipped(table, rows, external_id, platform_state, state, detail=detail))
        return
    if placed_at is None:
        first.fail(c.placed_at, _("the date is empty."))
    # 货到付款 (the API's pay_type 0): the buyer pays the courier, nothing is paid yet
    cash_on_delivery = CASH_ON_DELIVERY in first.text(c.payment)
    payload = order_payload(
        external_id=external_id,
        placed_at=placed_at,
        paid_at=paid_at,
        buyer_account="",
        # Encrypted (``#…#``, ``$…$``): missing, and the intake parks the order for it.
        name=unmasked(first.text(c.receiver)),
        phone=pick_phone(first.text(c.phone)),
        address={
            "province": first.text(c.province),
            "city": first.text(c.city),
            "district": first.text(c.district),
            "street_address": join_street(first.text(c.town), unmasked(first.text(c.street))),
            "postcode": "",
        },
        lines=lines,
        shipping_fee=freight,
        discount_amount=discount,
        paid_amount=ZERO if cash_on_delivery else payable,
        invoice_title="",
        buyer_note=first.text(c.note),
        cash_on_delivery=cash_on_delivery,
    )
    result.add(
        ExportedOrder(
            payload=payload,
            rows=[row.number for row in readers],
            file_name=table.file_name,
            platform_state=platform_state,
            state=AWAITING_SHIPMENT,
            line_file_name=table.file_name,
            line_rows=[row.number for row in kept],
            total_amount=money_text(payable),
            warnings=warnings,
        )
    )
