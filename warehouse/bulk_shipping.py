"""Platforms' bulk-shipping files (批量发货): shipment confirmed by uploading a sheet of
order number, carrier and waybill number to the seller centre.

The layouts and their sources are in docs/warehouse.md ("Bulk-shipping files"). Only the
layouts found in public sources are written; JD's and Douyin's are not known yet, so those
channels confirm by callback or by hand until they are.

Order numbers and waybill numbers are written as text cells: a 19-digit Taobao order number
in a number cell loses its last digits in a spreadsheet.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class BulkShippingRow:
    external_id: str
    carrier_name: str
    waybill_number: str


@dataclass(frozen=True)
class Template:
    """One platform's sheet: its headers in order, and whether it carries the list of the
    platform's carrier names on a second sheet (Taobao's template does)."""

    headers: tuple[str, str, str]
    carrier_list_header: str = ""


TEMPLATES: dict[str, Template] = {
    # 淘宝/天猫 卖家中心 批量发货: 订单编号 | 物流公司 | 运单号, a second sheet listing the
    # platform's carrier names (docs/warehouse.md [BS1][BS2])
    "taobao": Template(("订单编号", "物流公司", "运单号"), carrier_list_header="物流公司"),
    # 拼多多 商家后台 批量发货: 订单号 | 快递公司 | 快递单号 (docs/warehouse.md [BS3])
    "pinduoduo": Template(("订单号", "快递公司", "快递单号")),
}


@dataclass(frozen=True)
class BuiltFile:
    filename: str
    content_type: str
    content: bytes


def bulk_shipping_file(
    platform: str, rows: Sequence[BulkShippingRow], *, carrier_names: Sequence[str] = ()
) -> BuiltFile:
    """The platform's bulk-shipping sheet of ``rows`` as an xlsx file."""
    template = TEMPLATES[platform]
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    sheet = workbook.create_sheet("批量发货")
    sheet.append(list(template.headers))
    for row in rows:
        sheet.append([row.external_id, row.carrier_name, row.waybill_number])
    for cells in sheet.iter_rows(min_row=2, max_col=3):
        for cell in cells:
            cell.number_format = "@"
            cell.data_type = "s"
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 16
    sheet.column_dimensions["C"].width = 22
    if template.carrier_list_header:
        names = workbook.create_sheet(template.carrier_list_header)
        names.append([template.carrier_list_header])
        for name in carrier_names:
            names.append([name])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return BuiltFile(f"{platform}-批量发货.xlsx", XLSX, buffer.getvalue())
