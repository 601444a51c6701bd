"""Taobao/Tmall (淘宝/天猫 卖家中心 → 已卖出的宝贝 → 批量导出): the order report (订单报表,
``ExportOrderList….csv``, one row per order) joined on 订单编号 with the item report (宝贝报表,
``ExportOrderDetailList….csv``, one row per line). Layouts 2016–2019+ and the later item
report keyed by 主订单编号: docs/reference/platform-order-exports.md §1.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from .common import (
    AWAITING_SHIPMENT,
    CLOSED,
    COMPLETED,
    OTHER,
    SHIPPED,
    UNPAID,
    ZERO,
    Column,
    ExportedOrder,
    ParsedExport,
    RowReader,
    SkippedOrder,
    Table,
    cell_error,
    combine_line_states,
    file_error,
    left_out_warning,
    line_payload,
    money_text,
    order_payload,
    pick_phone,
    skip_reason,
    split_address,
    state_text,
    unmasked,
)

KEY_HEADERS = ("订单编号", "主订单编号")

STATES = {
    state_text(text): state
    for text, state in (
        ("买家已付款，等待卖家发货", AWAITING_SHIPMENT),
        ("等待买家付款", UNPAID),
        ("没有创建支付宝交易", UNPAID),
        ("卖家已发货，等待买家确认", SHIPPED),
        ("卖家部分发货", SHIPPED),
        ("买家已签收", SHIPPED),
        ("交易成功", COMPLETED),
        ("交易关闭", CLOSED),
        ("交易被淘宝关闭", CLOSED),
    )
}
NOT_CLOSED = {"订单未关闭", ""}


def normalize_state(text: str) -> str:
    return STATES.get(text) or STATES.get(state_text(text), OTHER)


@dataclass
class _Line:
    row: int
    payload: dict[str, object]
    amount: Decimal
    platform_state: str
    state: str


def _is_order_report(table: Table) -> bool:
    return table.has("收货地址", "收货人姓名")


def _is_item_report(table: Table) -> bool:
    return table.has("购买数量") and table.has("价格", "商品价格")


def read(platform: str, tables: list[Table]) -> ParsedExport:
    order_tables = [t for t in tables if _is_order_report(t)]
    item_tables = [t for t in tables if not _is_order_report(t) and _is_item_report(t)]
    known = {t.source for t in order_tables + item_tables}
    for table in tables:
        if table in order_tables or table in item_tables:
            continue
        # A workbook may carry other sheets (千牛's 发货报表) beside the two reports.
        if table.source not in known:
            file_error(
                table.file_name,
                _(
                    "%(file)s is neither a Taobao order report (订单报表) nor an item report "
                    "(宝贝报表)."
                )
                % {"file": table.file_name},
            )
    for reports, label in ((order_tables, "订单报表"), (item_tables, "宝贝报表")):
        if len(reports) > 1:
            file_error(
                reports[1].file_name,
                _("Two %(report)s were given (%(first)s and %(second)s): give one of each.")
                % {
                    "report": label,
                    "first": reports[0].file_name,
                    "second": reports[1].file_name,
                },
            )
    if not order_tables:
        file_error(
            item_tables[0].file_name,
            _(
                "%(file)s is an item report (宝贝报表): give it together with its order report "
                "(订单报表, ExportOrderList…)."
            )
            % {"file": item_tables[0].file_name},
        )
    if not item_tables:
        file_error(
            order_tables[0].file_name,
            _(
                "%(file)s is an order report (订单报表): give it together with its item report "
                "(宝贝报表, ExportOrderDetailList…)."
            )
            % {"file": order_tables[0].file_name},
        )
    item_table = item_tables[0]
    lines = _read_items(item_table)
    result = ParsedExport(platform=platform)
    _read_orders(order_tables[0], item_table, lines, result)
    order_ids = result.states
    for external_id, found in lines.items():
        if external_id not in order_ids:
            key = item_table.required("订单编号", "主订单编号")
            cell_error(
                item_table.file_name,
                found[0].row,
                external_id,
                key.name,
                _("the order is not in the order report %(orders)s.")
                % {"orders": order_tables[0].file_name},
            )
    return result


def _read_items(table: Table) -> dict[str, list[_Line]]:
    # The later item report (销售明细) has 子订单编号 and 主订单编号 instead of 订单编号.
    key = table.required("订单编号", "主订单编号")
    price = table.required("价格", "商品价格")
    quantity = table.required("购买数量")
    sku_code = table.column("商家编码")
    outer_code = table.column("外部系统编号")
    if sku_code is None and outer_code is None:
        table.required("商家编码")
    title = table.column("标题", "商品标题")
    state = table.column("订单状态")
    lines: dict[str, list[_Line]] = {}
    for number, cells in table.records:
        row = RowReader(table, number, cells)
        external_id = row.text(key)
        row.external_id = external_id
        if not external_id:
            row.fail(key, _("the order number is empty."))
        count = row.quantity(quantity)
        unit_price = row.money(price)
        sku = row.text(sku_code) or row.text(outer_code)
        platform_state = row.text(state)
        lines.setdefault(external_id, []).append(
            _Line(
                row=number,
                payload=line_payload(
                    sku=sku, quantity=count, unit_price=unit_price, title=row.text(title)
                ),
                amount=unit_price * count,
                platform_state=platform_state,
                state=normalize_state(platform_state) if platform_state else AWAITING_SHIPMENT,
            )
        )
    return lines


@dataclass(frozen=True)
class _OrderColumns:
    key: Column
    state: Column
    placed_at: Column
    paid_at: Column | None
    buyer: Column | None
    receiver: Column
    address: Column
    mobile: Column | None
    phone: Column | None
    goods_owed: Column
    postage: Column | None
    total: Column | None
    paid: Column
    note: Column | None
    invoice_title: Column | None
    close_reason: Column | None


def _order_columns(table: Table) -> _OrderColumns:
    mobile = table.column("联系手机")
    phone = table.column("联系电话")
    if mobile is None and phone is None:
        table.required("联系手机")
    return _OrderColumns(
        key=table.required("订单编号"),
        state=table.required("订单状态"),
        placed_at=table.required("订单创建时间"),
        paid_at=table.column("订单付款时间"),
        buyer=table.column("买家会员名"),
        receiver=table.required("收货人姓名"),
        address=table.required("收货地址"),
        mobile=mobile,
        phone=phone,
        goods_owed=table.required("买家应付货款"),
        postage=table.column("买家应付邮费"),
        total=table.column("总金额"),
        paid=table.required("买家实际支付金额"),
        note=table.column("买家留言"),
        invoice_title=table.column("发票抬头"),
        close_reason=table.column("订单关闭原因"),
    )


def _read_orders(
    table: Table, item_table: Table, lines: dict[str, list[_Line]], result: ParsedExport
) -> None:
    c = _order_columns(table)
    seen: dict[str, int] = {}
    for number, cells in table.records:
        row = RowReader(table, number, cells)
        external_id = row.text(c.key)
        row.external_id = external_id
        if not external_id:
            row.fail(c.key, _("the order number is empty."))
        if external_id in seen:
            row.fail(
                c.key,
                _("the order is in the order report twice (rows %(first)s and %(second)s).")
                % {"first": seen[external_id], "second": number},
            )
        seen[external_id] = number
        platform_state = row.text(c.state)
        state = normalize_state(platform_state)
        goods_owed = row.money(c.goods_owed, default=ZERO)
        postage = row.money(c.postage, default=ZERO)
        total = row.money(c.total, default=goods_owed + postage)
        paid = row.money(c.paid, default=ZERO)
        placed_at = row.time(c.placed_at)
        paid_at = row.time(c.paid_at)
        found = lines.get(external_id)
        kept: list[_Line] = []
        warnings: list[str] = []
        if state == AWAITING_SHIPMENT:
            if found is None:
                row.fail(
                    c.key,
                    _("the order has no line in the item report %(items)s.")
                    % {"items": item_table.file_name},
                )
            line_state, keep = combine_line_states([line.state for line in found])
            if line_state != AWAITING_SHIPMENT:
                state = line_state
            elif all(keep):
                kept = found
            else:
                kept = [line for line, ship in zip(found, keep, strict=True) if ship]
                warnings = [
                    left_out_warning(str(line.payload["title"]), line.platform_state)
                    for line, ship in zip(found, keep, strict=True)
                    if not ship
                ]
        if state != AWAITING_SHIPMENT:
            close_reason = row.text(c.close_reason)
            detail = "" if close_reason in NOT_CLOSED else close_reason
            result.skip(
                SkippedOrder(
                    external_id=external_id,
                    platform_state=platform_state,
                    reason=skip_reason(state, platform_state, detail),
                    state=state,
                    file_name=table.file_name,
                    rows=[number],
                )
            )
            continue
        if placed_at is None:
            row.fail(c.placed_at, _("the date is empty."))
        goods = sum((line.amount for line in kept), ZERO)
        name = unmasked(row.text(c.receiver))
        address = split_address(row.text(c.address))
        if "*" in address["street_address"]:
            address["street_address"] = ""
        payload = order_payload(
            external_id=external_id,
            placed_at=placed_at,
            paid_at=paid_at,
            buyer_account=unmasked(row.text(c.buyer)),
            name=name,
            phone=pick_phone(row.text(c.mobile), row.text(c.phone)),
            address=address,
            lines=[line.payload for line in kept],
            shipping_fee=postage,
            # 买家应付货款 is net of every discount (shop, platform, coupons): reference §1.5.
            discount_amount=goods - goods_owed,
            paid_amount=paid,
            invoice_title=row.text(c.invoice_title),
            buyer_note=row.text(c.note),
        )
        result.add(
            ExportedOrder(
                payload=payload,
                rows=[number],
                file_name=table.file_name,
                platform_state=platform_state,
                state=AWAITING_SHIPMENT,
                line_file_name=item_table.file_name,
                line_rows=[line.row for line in kept],
                total_amount=money_text(total),
                warnings=warnings,
            )
        )
