"""Fully digital e-invoices (数电票) through the tax bureau's platform (电子发票服务平台).

- ``digital_batch_export``: the open electronic requests in the platform's batch template
  for 批量开具 (xlsx: sheet ``1-发票基本信息`` one row per invoice, sheet ``2-发票明细信息``
  one row per line, headers on row 3, data from row 4, joined by 发票流水号 = our request
  number). When the company keeps the official template it downloaded from the platform
  (``FINANCE_BATCH_TEMPLATE``), that workbook is filled by header name, untouched otherwise.
- ``digital_batch_import_result``: the platform's result / issued-invoice export (xlsx) with
  each invoice's 20-digit number, date and amounts, plus the issued files (PDF/OFD/XML,
  one by one or in a zip as the platform downloads them): every amount is checked against
  the request; a mismatch refuses that invoice with the reason and attaches nothing.
- ``digital_invoice_enter``: one number and file typed in after issuing in the portal.

Sources of the layouts: docs/finance.md, "Fully digital e-invoices".
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError
from ecomops.money import to_money
from ecomops.numbering.services import next_number
from orders.models import InvoiceKind

from ..models import (
    DeliveryMethod,
    DigitalInvoiceBatch,
    Invoice,
    InvoiceRequest,
    InvoiceRequestState,
)
from .common import require
from .invoices import (
    FREIGHT_UNIT,
    IssueOutcome,
    _invoice_of,
    _lines_of,
    invoice_issue,
    invoices_issue_many,
    missing_tax_codes,
)
from .issuers import IssuedOnPlatform, company_issuer, is_digital_number

BASIC_SHEET = "1-发票基本信息"
DETAIL_SHEET = "2-发票明细信息"
HEADER_ROW = 3
FIRST_DATA_ROW = 4
# The columns of the platform's template we fill, by their header text.
BASIC_HEADERS = (
    "发票流水号",
    "发票类型",
    "特定业务类型",
    "是否含税",
    "受票方自然人标识",
    "购买方名称",
    "购买方纳税人识别号",
    "购买方地址",
    "购买方电话",
    "购买方开户银行",
    "购买方银行账号",
    "是否展示购买方地址电话银行账号",
    "备注",
    "购买方邮箱",
)
DETAIL_HEADERS = (
    "发票流水号",
    "项目名称",
    "商品和服务税收编码",
    "规格型号",
    "单位",
    "数量",
    "单价",
    "金额",
    "税率",
    "折扣金额",
    "是否使用优惠政策",
    "优惠政策类型",
    "即征即退类型",
    "煤炭种类",
)
PLATFORM_KIND: dict[str, str] = {
    InvoiceKind.ORDINARY: "普通发票",
    InvoiceKind.SPECIAL: "增值税专用发票",
}
SHOW_ALL_BUYER_DETAILS = "展示地址、电话、开户银行及银行账号"
FREIGHT_NAME = "运费"
REQUEST_NUMBER = re.compile(r"IR\d{12}")
PHONE_AT_END = re.compile(r"\s*([\d\-()（） ]{7,})$")
ACCOUNT_AT_END = re.compile(r"\s*(\d[\d ]{6,32}\d)$")


class DigitalInvoiceError(ApplicationError):
    """A platform file or number that cannot be taken as it is."""


# --- Export --------------------------------------------------------------------------------


@dataclass
class BatchExport:
    batch: DigitalInvoiceBatch | None
    exported: list[InvoiceRequest]
    held: list[tuple[InvoiceRequest, str]] = field(default_factory=list)


def digital_batch_export(*, by: Any) -> BatchExport:
    """Put every open electronic request not yet sent in a new batch and its template.

    Requests held for a missing tax classification code stay out (listed with the reason);
    a request of an earlier batch whose result never came goes out again once finance takes
    it out of that batch (``digital_batch_release``).
    """
    require(by, "finance.issue_invoice")
    with transaction.atomic():
        requests = list(
            InvoiceRequest.objects.select_for_update()
            .select_related("order")
            .filter(
                state=InvoiceRequestState.REQUESTED,
                delivery_method=DeliveryMethod.EMAIL,
                platform_batch__isnull=True,
            )
            .order_by("pk")
        )
        lines = _lines_of({r.order_id for r in requests})
        ready, held = [], []
        for request in requests:
            missing = missing_tax_codes(lines.get(request.order_id, []))
            if missing:
                held.append(
                    (
                        request,
                        _("SKU %(skus)s has no tax classification code.")
                        % {"skus": ", ".join(missing)},
                    )
                )
            elif lines.get(request.order_id):
                ready.append(request)
        if not ready:
            return BatchExport(None, [], held)
        batch = DigitalInvoiceBatch.objects.create(
            number=next_number("PB"), created_by=acting_user(by)
        )
        content = batch_template_xlsx(ready, lines)
        batch.template.save(f"批量开具-{batch.number}.xlsx", ContentFile(content), save=True)
        # Not the state machine: which batch a request went out in.
        InvoiceRequest.objects.filter(pk__in=[r.pk for r in ready]).update(platform_batch=batch)
    return BatchExport(batch, ready, held)


def digital_batch_release(*, request_id: int, by: Any) -> InvoiceRequest:
    """Take an open request out of its batch (the platform refused or never issued it), so
    the next export sends it again."""
    require(by, "finance.issue_invoice")
    with transaction.atomic():
        request = InvoiceRequest.objects.select_for_update().get(pk=request_id)
        if request.state != InvoiceRequestState.REQUESTED:
            raise DigitalInvoiceError(
                _("Request %(number)s is no longer open.") % {"number": request.number}
            )
        request.platform_batch = None
        request.save(update_fields=["platform_batch"])
    return request


def _split_tail(text: str, pattern: re.Pattern[str]) -> tuple[str, str]:
    """("杭州市…100号", "0571-88001234") from "杭州市…100号 0571-88001234"."""
    match = pattern.search(text.strip())
    if not match:
        return text.strip(), ""
    return text.strip()[: match.start()].strip(), match.group(1).strip()


def _money_text(value: Decimal) -> str:
    return f"{value:.2f}"


def _rate_text(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def batch_rows(
    requests: Sequence[InvoiceRequest], lines: Mapping[int, list[Any]]
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The template's rows: one basic row per request, one detail row per invoice line, at
    tax-inclusive amounts (是否含税 = 是) exactly as ``invoice_issue`` would invoice them."""
    basic: list[dict[str, str]] = []
    detail: list[dict[str, str]] = []
    now = timezone.now()
    for request in requests:
        order_lines = lines[request.order_id]
        _invoice, rows = _invoice_of(request, order_lines, request.number, now, None)
        address, phone = _split_tail(request.address_phone, PHONE_AT_END)
        bank, account = _split_tail(request.bank_account, ACCOUNT_AT_END)
        basic.append(
            {
                "发票流水号": request.number,
                "发票类型": PLATFORM_KIND[request.kind],
                "特定业务类型": "",
                "是否含税": "是",
                "受票方自然人标识": "否" if request.tax_id else "是",
                "购买方名称": request.title,
                "购买方纳税人识别号": request.tax_id,
                "购买方地址": address,
                "购买方电话": phone,
                "购买方开户银行": bank,
                "购买方银行账号": account,
                "是否展示购买方地址电话银行账号": SHOW_ALL_BUYER_DETAILS
                if request.is_special
                else "",
                "备注": f"{request.number} 订单 {request.order.number}",
                "购买方邮箱": request.email,
            }
        )
        main = max(order_lines, key=lambda line: (line.net_amount, -line.position))
        for row in rows:
            sku = row.sku or main.sku
            detail.append(
                {
                    "发票流水号": request.number,
                    # The platform prints *简称* before it from the code.
                    "项目名称": sku.name if row.sku else FREIGHT_NAME,
                    "商品和服务税收编码": sku.tax_code,
                    "规格型号": row.specification,
                    "单位": row.unit or FREIGHT_UNIT,
                    "数量": str(row.quantity),
                    "单价": format(
                        (row.total_amount / row.quantity).quantize(Decimal("0.01")), "f"
                    ),
                    "金额": _money_text(row.total_amount),
                    "税率": _rate_text(row.tax_rate),
                    "折扣金额": "",
                    "是否使用优惠政策": "否",
                    "优惠政策类型": "",
                    "即征即退类型": "",
                    "煤炭种类": "",
                }
            )
    return basic, detail


def batch_template_xlsx(
    requests: Sequence[InvoiceRequest], lines: Mapping[int, list[Any]]
) -> bytes:
    basic, detail = batch_rows(requests, lines)
    template = getattr(settings, "FINANCE_BATCH_TEMPLATE", "")
    if template:
        book = load_workbook(template)
        _fill_by_header(book[BASIC_SHEET], basic)
        _fill_by_header(book[DETAIL_SHEET], detail)
    else:
        book = Workbook()
        book.remove(book.worksheets[0])
        _write_sheet(
            book.create_sheet(BASIC_SHEET),
            BASIC_HEADERS,
            basic,
            "批量开具：每行一张发票，发票流水号与明细表对应；是否含税=是时金额为含税金额。",
        )
        _write_sheet(
            book.create_sheet(DETAIL_SHEET),
            DETAIL_HEADERS,
            detail,
            "发票明细：按发票流水号对应发票基本信息；税率填小数（如 0.13）。",
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_sheet(
    sheet: Worksheet, headers: Sequence[str], rows: Sequence[Mapping[str, str]], note: str
) -> None:
    sheet.cell(row=1, column=1, value=note)
    sheet.cell(row=2, column=1, value="*为必填项")
    for column, header in enumerate(headers, start=1):
        sheet.cell(row=HEADER_ROW, column=column, value=header)
    for offset, row in enumerate(rows):
        for column, header in enumerate(headers, start=1):
            # Text cells, so codes and numbers keep their digits.
            cell = sheet.cell(row=FIRST_DATA_ROW + offset, column=column, value=row.get(header, ""))
            cell.number_format = "@"


def _fill_by_header(sheet: Worksheet, rows: Sequence[Mapping[str, str]]) -> None:
    columns = {
        str(cell.value).strip().lstrip("*"): cell.column
        for cell in sheet[HEADER_ROW]
        if cell.value not in (None, "")
    }
    for offset, row in enumerate(rows):
        for header, value in row.items():
            column = columns.get(header)
            if column is not None and value != "":
                sheet.cell(row=FIRST_DATA_ROW + offset, column=int(column), value=value)


# --- Result import -------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultRow:
    """One issued invoice as the platform's file gives it."""

    row: int
    serial: str
    number: str
    issued_on: date | None
    amount_net: Decimal | None
    tax_amount: Decimal | None
    total_amount: Decimal | None
    note: str


@dataclass
class ImportOutcome:
    row: int
    number: str
    request: InvoiceRequest | None = None
    invoice: Invoice | None = None
    error: str = ""


NUMBER_HEADERS = ("数电票号码", "数电发票号码", "发票号码")
AMOUNT_HEADERS = {
    "amount_net": ("金额", "合计金额"),
    "tax_amount": ("税额", "合计税额"),
    "total_amount": ("价税合计", "价税合计金额"),
}


def _header_map(sheet: Worksheet) -> tuple[int, dict[str, int]]:
    rows = sheet.iter_rows(min_row=1, max_row=6, values_only=True)
    for index, values in enumerate(rows, start=1):
        names = {
            str(value).strip().lstrip("*"): column
            for column, value in enumerate(values, start=1)
            if value not in (None, "")
        }
        if any(name in names for name in NUMBER_HEADERS):
            return index, names
    raise DigitalInvoiceError(
        _("No column 发票号码 or 数电票号码 in the first rows: this is not the platform's file.")
    )


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    text = str(value).replace(",", "").replace("¥", "").replace("￥", "").strip()
    try:
        return to_money(Decimal(text))
    except InvalidOperation:
        return None


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    match = re.match(r"(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})", text)
    if not match:
        return None
    return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


def read_result_file(content: bytes) -> list[ResultRow]:
    """The rows of the platform's result file / issued-invoice export (xlsx)."""
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise DigitalInvoiceError(_("The file is not an Excel workbook (xlsx).")) from exc
    sheet = book.worksheets[0]
    header_row, columns = _header_map(sheet)

    def cell(values: tuple[Any, ...], *names: str) -> Any:
        for name in names:
            if name in columns and columns[name] - 1 < len(values):
                return values[columns[name] - 1]
        return None

    rows = []
    for index, values in enumerate(
        sheet.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1
    ):
        number = str(cell(values, *NUMBER_HEADERS) or "").strip()
        if not number:
            continue
        rows.append(
            ResultRow(
                row=index,
                serial=str(cell(values, "发票流水号") or "").strip(),
                number=number,
                issued_on=_day(cell(values, "开票日期")),
                amount_net=_decimal(cell(values, *AMOUNT_HEADERS["amount_net"])),
                tax_amount=_decimal(cell(values, *AMOUNT_HEADERS["tax_amount"])),
                total_amount=_decimal(cell(values, *AMOUNT_HEADERS["total_amount"])),
                note=str(cell(values, "备注") or ""),
            )
        )
    return rows


def issued_files(uploads: Sequence[tuple[str, bytes]]) -> dict[str, tuple[str, bytes]]:
    """Issued files by the 20-digit number in their names (a zip is opened): the platform
    names them after the number, e.g. ``dzfp_<number>_<seller>_<time>.pdf``."""
    found: dict[str, tuple[str, bytes]] = {}

    def take(name: str, content: bytes) -> None:
        match = re.search(r"(?<!\d)(\d{20})(?!\d)", name)
        if match and name.lower().rsplit(".", 1)[-1] in ("pdf", "ofd", "xml"):
            found.setdefault(match.group(1), (name.rsplit("/", 1)[-1], content))

    for name, content in uploads:
        if name.lower().endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                for member in archive.namelist():
                    take(member, archive.read(member))
        else:
            take(name, content)
    return found


def _issued_at(day: date | None) -> datetime:
    if day is None:
        return timezone.now()
    now = timezone.localtime()
    if day == now.date():
        return now
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


def digital_batch_import_result(
    *, content: bytes, files: Sequence[tuple[str, bytes]] = (), by: Any
) -> list[ImportOutcome]:
    """Attach the platform's numbers, dates and files to the requests they were issued for.

    A row is matched by 发票流水号 (our request number), else by the request number in 备注.
    Its 金额, 税额 and 价税合计 must equal what the request invoices to the fen; otherwise
    that invoice is refused with the differences and nothing of it is attached. A number
    already on an invoice here is reported once and changes nothing (re-importing is safe).
    """
    require(by, "finance.issue_invoice")
    rows = read_result_file(content)
    attachments = issued_files(files)
    outcomes: list[ImportOutcome] = []
    issuing: dict[int, IssuedOnPlatform] = {}
    by_request: dict[int, ImportOutcome] = {}
    serials = {row.serial or _request_number_in(row.note) for row in rows}
    requests = {
        r.number: r
        for r in InvoiceRequest.objects.select_related("order").filter(number__in=serials)
    }
    lines = _lines_of({r.order_id for r in requests.values()})
    known = set(
        Invoice.objects.filter(number__in=[r.number for r in rows]).values_list("number", flat=True)
    )
    issuer = company_issuer().code
    numbers_seen: set[str] = set()
    for row in rows:
        outcome = ImportOutcome(row=row.row, number=row.number)
        outcomes.append(outcome)
        serial = row.serial or _request_number_in(row.note)
        request = requests.get(serial)
        outcome.request = request
        if not is_digital_number(row.number):
            outcome.error = _("%(number)s is not a 20-digit 数电票 number.") % {
                "number": row.number
            }
        elif row.number in known:
            outcome.error = _("Invoice %(number)s is already here.") % {"number": row.number}
        elif row.number in numbers_seen:
            outcome.error = _("Invoice %(number)s appears twice in the file.") % {
                "number": row.number
            }
        elif request is None:
            outcome.error = _("No invoice request %(serial)s.") % {"serial": serial or "—"}
        elif row.total_amount is not None and row.total_amount < 0:
            outcome.error = _("A red-letter invoice: it is recorded through its confirmation form.")
        elif request.pk in issuing:
            outcome.error = _("Request %(number)s appears twice in the file.") % {
                "number": request.number
            }
        else:
            outcome.error = _amount_differences(request, lines, row)
        if outcome.error or request is None:
            continue
        numbers_seen.add(row.number)
        name, data = attachments.get(row.number, ("", b""))
        issuing[request.pk] = IssuedOnPlatform(
            number=row.number,
            issued_at=_issued_at(row.issued_on),
            file_name=name,
            file_content=data,
            issuer=issuer,
        )
        by_request[request.pk] = outcome
    if issuing:
        results: list[IssueOutcome] = invoices_issue_many(
            request_ids=list(issuing), by=by, issued=issuing
        )
        for result in results:
            outcome = by_request[result.request_id]
            if result.error is not None:
                outcome.error = str(getattr(result.error, "message", None) or result.error)
            else:
                outcome.invoice = result.invoice
        DigitalInvoiceBatch.objects.filter(
            requests__pk__in=[o.request.pk for o in by_request.values() if o.invoice and o.request]
        ).update(result_imported_at=timezone.now())
    return outcomes


def _request_number_in(note: str) -> str:
    match = REQUEST_NUMBER.search(note or "")
    return match.group(0) if match else ""


def _amount_differences(
    request: InvoiceRequest, lines: Mapping[int, list[Any]], row: ResultRow
) -> str:
    order_lines = lines.get(request.order_id)
    if not order_lines:
        return _("Order %(number)s has no lines.") % {"number": request.order.number}
    invoice, _rows = _invoice_of(request, order_lines, row.number, timezone.now(), None)
    checks = (
        ("金额", row.amount_net, invoice.amount_net),
        ("税额", row.tax_amount, invoice.tax_amount),
        ("价税合计", row.total_amount, invoice.total_amount),
    )
    if all(actual is None for _label, actual, _expected in checks):
        return _("The row has no amounts to check.")
    wrong = [
        _("%(label)s %(actual)s, request %(expected)s")
        % {"label": label, "actual": actual, "expected": expected}
        for label, actual, expected in checks
        if actual is not None and actual != expected
    ]
    if wrong:
        return _("Amounts differ from request %(number)s: %(differences)s. Not attached.") % {
            "number": request.number,
            "differences": "; ".join(wrong),
        }
    return ""


# --- Manual entry ------------------------------------------------------------------------


def digital_invoice_enter(
    *,
    request_id: int,
    number: str,
    issued_on: date,
    total_amount: Decimal,
    file_name: str = "",
    file_content: bytes = b"",
    by: Any,
) -> Invoice:
    """Finance issued the request's 数电票 in the platform's page: record its 20-digit
    number, date, 价税合计 (checked against the request) and the issued file."""
    require(by, "finance.issue_invoice")
    number = number.strip()
    errors: dict[str, list[str]] = {}
    if not is_digital_number(number):
        errors["number"] = [_("Enter the 20 digits of the 数电票 number.")]
    elif Invoice.objects.filter(number=number).exists():
        errors["number"] = [_("This number is already on another invoice.")]
    if file_name and file_name.lower().rsplit(".", 1)[-1] not in ("pdf", "ofd", "xml"):
        errors["file"] = [_("Attach the issued PDF, OFD or XML file.")]
    request = InvoiceRequest.objects.select_related("order").get(pk=request_id)
    lines = _lines_of({request.order_id})
    if not errors and lines.get(request.order_id):
        invoice, _rows = _invoice_of(request, lines[request.order_id], number, timezone.now(), by)
        if to_money(total_amount) != invoice.total_amount:
            errors["total_amount"] = [
                _("The request invoices %(expected)s, not %(actual)s.")
                % {"expected": invoice.total_amount, "actual": to_money(total_amount)}
            ]
    if errors:
        raise DigitalInvoiceError(
            _("The invoice cannot be recorded: please correct the fields marked."),
            {"fields": errors},
        )
    return invoice_issue(
        request_id=request_id,
        by=by,
        issued=IssuedOnPlatform(
            number=number,
            issued_at=_issued_at(issued_on),
            file_name=file_name,
            file_content=file_content,
            issuer="manual",
        ),
    )


__all__ = [
    "BatchExport",
    "DigitalInvoiceError",
    "ImportOutcome",
    "batch_template_xlsx",
    "digital_batch_export",
    "digital_batch_import_result",
    "digital_batch_release",
    "digital_invoice_enter",
    "read_result_file",
]
