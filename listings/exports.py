"""Catalog exports: CSV and Excel for staff, and the product data package (zip) for partners."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ecomops.money import to_money

from .models import Sku
from .selectors import catalog_for_export


def _columns() -> list[tuple[str, Any]]:
    """(header, value of a SKU) in export order; headers in the active language."""

    def application(sku: Sku) -> Any:
        return getattr(sku, "application", None)

    return [
        (_("SKU code"), lambda s: s.code),
        (_("barcode"), lambda s: s.barcode),
        (_("name"), lambda s: s.name),
        (_("brand"), lambda s: s.product.brand.name),
        (_("category"), lambda s: str(s.product.category)),
        (_("product"), lambda s: s.product.name),
        (_("specification"), lambda s: s.specification),
        (_("unit"), lambda s: s.unit),
        (_("weight (g)"), lambda s: s.weight_grams),
        (
            _("size (mm)"),
            lambda s: f"{s.length_mm}×{s.width_mm}×{s.height_mm}" if s.length_mm else "",
        ),
        (_("VAT rate"), lambda s: s.tax_rate),
        (
            _("online price (CNY)"),
            lambda s: to_money(s.current_price) if s.current_price is not None else None,
        ),
        (_("state"), lambda s: s.get_state_display()),
        (_("place of origin"), lambda s: s.product.origin),
        (_("shelf life"), lambda s: s.product.shelf_life),
        (_("ingredients / material"), lambda s: s.product.material),
        (_("storage"), lambda s: s.product.storage),
        (pgettext("product", "description"), lambda s: s.product.description),
        (
            _("selling points"),
            lambda s: application(s).detail_selling_points if application(s) else "",
        ),
    ]


def catalog_csv(skus: Iterable[Sku] | None = None) -> bytes:
    """UTF-8 with a BOM, so Excel on Windows opens the Chinese text correctly."""
    rows = catalog_for_export() if skus is None else skus
    columns = _columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header for header, _value in columns])
    for sku in rows:
        writer.writerow(["" if (v := value(sku)) is None else v for _header, value in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def catalog_workbook(skus: Iterable[Sku] | None = None, *, title: str | None = None) -> bytes:
    rows = catalog_for_export() if skus is None else skus
    columns = _columns()
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = title or _("Product information")
    sheet.append([header for header, _value in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for sku in rows:
        values = []
        for _header, value in columns:
            v = value(sku)
            values.append(v)
        sheet.append(values)
    price_column = [h for h, _v in columns].index(_("online price (CNY)")) + 1
    tax_column = [h for h, _v in columns].index(_("VAT rate")) + 1
    for row in sheet.iter_rows(min_row=2):
        row[price_column - 1].number_format = "#,##0.00"
        row[tax_column - 1].number_format = "0%"
    for index, (header, _value) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(
            10, min(40, len(header) * 2 + 4)
        )
    sheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def product_data_package(sku_ids: Iterable[int]) -> bytes:
    """商品资料包: the information sheet (.xlsx) and every picture, per SKU, in one zip."""
    skus = list(catalog_for_export(sku_ids))
    if not skus:
        raise ValueError("no SKUs to package")
    buffer = io.BytesIO()
    stamp = timezone.localtime().strftime("%Y%m%d")
    # Not inside the f-string: xgettext does not look into f-strings, so the name was never
    # extracted and the partner's sheet kept its English file name.
    sheet_name = _("product information sheet")
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{sheet_name}-{stamp}.xlsx", catalog_workbook(skus))
        for sku in skus:
            for index, image in enumerate(sku.images.all(), start=1):
                suffix = PurePosixPath(image.image.name).suffix or ".jpg"
                name = f"images/{sku.code}/{image.kind}-{index:02d}{suffix}"
                with image.image.open("rb") as handle:
                    archive.writestr(name, handle.read())
    return buffer.getvalue()
