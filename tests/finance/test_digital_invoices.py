"""Fully digital e-invoices (数电票, issue 22 §2): the 20-digit number, the 电子发票 PDF, SKUs
without a tax classification code held, the platform's batch template and result import,
manual entry, red-letter through the confirmation form, and the paper path beside it."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from typing import Any, cast

import pytest
from django.core import mail
from django.test import override_settings
from django_fsm_log.models import StateLog
from openpyxl import Workbook, load_workbook

from ecomops.errors import ConflictError
from finance import pdf, services
from finance.models import (
    Invoice,
    InvoiceRequest,
    InvoiceRequestState,
    RedLetterConfirmationState,
    RedLetterReason,
    RedLetterRequestState,
)
from finance.services.digital_invoices import DETAIL_HEADERS
from listings.models import Sku
from tests.finance.factories import COMPANY, invoice_for, priced_order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

BATCH = override_settings(FINANCE_INVOICE_ISSUER="batch")
MANUAL = override_settings(FINANCE_INVOICE_ISSUER="manual")
NUMBER = re.compile(r"^\d{20}$")


def pdftotext(content: bytes) -> str:
    """The PDF as a reader's tool extracts it (poppler's pdftotext, layout kept)."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the invoice back")
    done = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],  # noqa: S607
        input=content,
        capture_output=True,
        check=True,
    )
    return done.stdout.decode()


def email_request(order: Any, **details: Any) -> InvoiceRequest:
    values: dict[str, Any] = {"kind": "ordinary", "title": "张三", "tax_id": ""}
    values.update(details)
    return services.invoice_request_create(
        order=order,
        source="service",
        by=None,
        delivery_method="email",
        email="buyer@example.com",
        address_phone=values.pop("address_phone", ""),
        bank_account=values.pop("bank_account", ""),
        **values,
    )


def red_of(form: Any) -> Invoice:
    """The red-letter invoice a confirmation form or red-letter request was issued with."""
    red = form.red_invoice
    assert red is not None, form
    return red


def named(sku: Sku, name: str, category: str, code: str = "1060512990000000000") -> Sku:
    Sku.objects.filter(pk=sku.pk).update(name=name, tax_category=category, tax_code=code)
    sku.refresh_from_db()
    return sku


# --- The invoice and its PDF ---------------------------------------------------------------


def test_an_electronic_invoice_is_a_digital_one_with_20_digits_and_no_code(clerk, sku):
    invoice = invoice_for(priced_order([(sku, 1, "113.00")]), clerk, delivery="email")
    assert invoice.digital
    assert NUMBER.match(invoice.number)
    assert invoice.paper_code == ""
    assert invoice.printed_number == invoice.number


def test_a_paper_invoice_keeps_its_code_and_8_digits(clerk, sku):
    invoice = invoice_for(priced_order([(sku, 1, "113.00")]), clerk, delivery="post")
    assert not invoice.digital
    assert invoice.paper_code == "044002600111"
    assert re.fullmatch(r"\d{8}", invoice.printed_number)


def test_the_digital_pdf_reads_back_in_the_electronic_invoice_layout(clerk, sku):
    named(sku, "保温杯", "日用杂品")
    order = priced_order([(sku, 2, "56.50")])
    invoice = invoice_for(
        order, clerk, delivery="email", kind="special", **{k: v for k, v in COMPANY.items()}
    )
    text = pdftotext(pdf.invoice_pdf(invoice))
    flat = re.sub(r"\s+", "", text)
    assert "电子发票（增值税专用发票）" in flat
    assert f"发票号码：{invoice.number}" in flat
    assert "*日用杂品*保温杯" in flat
    for label in ("项目名称", "规格型号", "单位", "数量", "单价", "金额", "税率/征收率", "税额"):
        assert label in flat
    # The blocks' labels stand upright, a character per line, as on the platform's own PDF.
    assert re.search("购.*买.*方.*信.*息", flat)
    assert re.search("销.*售.*方.*信.*息", flat)
    assert "统一社会信用代码/纳税人识别号" in flat
    assert COMPANY["tax_id"] in flat  # nothing masked: the buyer's code in full
    assert "价税合计（大写）壹佰壹拾叁元整" in flat
    assert "（小写）¥113.00" in flat
    assert "合计¥100.00¥13.00" in flat
    assert f"开票人：{clerk.last_name}{clerk.first_name}" in flat
    assert re.search(f"备.*订单{order.number}.*注", flat)
    assert "密码区" not in flat
    assert "发票代码" not in flat


def test_the_ordinary_title_and_the_qr_payload(clerk, sku):
    invoice = invoice_for(priced_order([(sku, 1, "11.30")]), clerk, delivery="email")
    assert "电子发票（普通发票）" in re.sub(r"\s+", "", pdftotext(pdf.invoice_pdf(invoice)))
    day = invoice.issued_at.astimezone().strftime("%Y%m%d")
    assert pdf.digital_qr_payload(invoice) == f"01,32,,{invoice.number},10.00,{day},,"


# --- Held without a tax classification code ------------------------------------------------


def test_a_request_for_a_sku_without_a_tax_code_is_held_until_the_code_is_set(clerk, sku):
    Sku.objects.filter(pk=sku.pk).update(tax_code="")
    request = email_request(priced_order([(sku, 1, "10.00")]))
    with pytest.raises(services.InvoiceError, match=f"Held: SKU {sku.code} has no tax"):
        services.invoice_issue(request_id=request.pk, by=clerk)
    request.refresh_from_db()
    assert request.state == InvoiceRequestState.REQUESTED
    Sku.objects.filter(pk=sku.pk).update(tax_code="1060512990000000000")
    invoice = services.invoice_issue(request_id=request.pk, by=clerk)
    assert invoice.digital


def test_the_tax_code_is_19_digits(sku):
    from django.core.exceptions import ValidationError

    sku.tax_code = "10605129900"
    with pytest.raises(ValidationError, match="19 digits"):
        sku.full_clean(exclude=["product", "state"])


# --- Batch issue on the platform ---------------------------------------------------------------


@BATCH
def test_with_the_batch_issuer_an_electronic_request_waits_for_the_platform(clerk, sku):
    request = email_request(priced_order([(sku, 1, "10.00")]))
    with pytest.raises(services.InvoiceError, match="issued on the tax platform"):
        services.invoice_issue(request_id=request.pk, by=clerk)
    # Paper invoices still issue at once from the paper series.
    paper = invoice_for(priced_order([(sku, 1, "10.00")]), clerk, delivery="post")
    assert not paper.digital


@BATCH
def test_the_batch_export_is_the_platform_template(clerk, sku, sku6):
    named(sku, "保温杯", "日用杂品")
    Sku.objects.filter(pk=sku6.pk).update(tax_code="")
    special = email_request(priced_order([(sku, 2, "56.50")]), kind="special", **COMPANY)
    held = email_request(priced_order([(sku6, 1, "10.00")]))
    export = services.digital_batch_export(by=clerk)
    assert export.exported == [special]
    assert [(r, reason) for r, reason in export.held] == [
        (held, f"SKU {sku6.code} has no tax classification code.")
    ]
    book = load_workbook(cast(Any, export.batch).template.open("rb"))
    assert book.sheetnames == ["1-发票基本信息", "2-发票明细信息"]
    basic, detail = book["1-发票基本信息"], book["2-发票明细信息"]
    headers = [c.value for c in basic[3]]
    for name in ("发票流水号", "发票类型", "是否含税", "购买方名称", "购买方纳税人识别号"):
        assert name in headers
    assert [c.value for c in detail[3]] == list(DETAIL_HEADERS)
    row = dict(zip(headers, [c.value for c in basic[4]], strict=True))
    assert row["发票流水号"] == special.number
    assert row["发票类型"] == "增值税专用发票"
    assert row["是否含税"] == "是"
    assert row["购买方纳税人识别号"] == COMPANY["tax_id"]
    assert row["购买方电话"] == "0571-88001234"
    assert row["购买方银行账号"] == "1202021234567890123"
    line = dict(zip(DETAIL_HEADERS, [c.value for c in detail[4]], strict=True))
    assert line["发票流水号"] == special.number
    assert line["项目名称"] == "保温杯"
    assert line["商品和服务税收编码"] == "1060512990000000000"
    assert (line["数量"], line["单价"], line["金额"], line["税率"]) == (
        "2",
        "56.50",
        "113.00",
        "0.13",
    )
    # Exported once: the next export has nothing new.
    assert services.digital_batch_export(by=clerk).exported == []


def result_file(rows: list[dict[str, Any]]) -> bytes:
    """The platform's result of a batch: one row per issued invoice."""
    book = Workbook()
    sheet: Any = book.active
    headers = [
        "发票流水号",
        "发票号码",
        "开票日期",
        "购买方名称",
        "金额",
        "税额",
        "价税合计",
        "备注",
    ]
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h, "") for h in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@BATCH
def test_the_result_import_attaches_numbers_dates_and_files(clerk, sku):
    first = email_request(priced_order([(sku, 1, "113.00")]))
    second = email_request(priced_order([(sku, 2, "10.00")]))
    services.digital_batch_export(by=clerk)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("dzfp_26332000000000000101_杭州优选电子商务有限公司_20261123.pdf", b"%PDF")
    content = result_file(
        [
            {
                "发票流水号": first.number,
                "发票号码": "26332000000000000101",
                "开票日期": "2026-11-23",
                "金额": "100.00",
                "税额": "13.00",
                "价税合计": "113.00",
            },
            {
                "发票流水号": second.number,
                "发票号码": "26332000000000000102",
                "开票日期": "2026-11-23",
                "金额": "17.70",
                "税额": "2.30",
                "价税合计": "20.00",
            },
        ]
    )
    outcomes = services.digital_batch_import_result(
        content=content, files=[("batch.zip", archive.getvalue())], by=clerk
    )
    assert [o.error for o in outcomes] == ["", ""]
    one = Invoice.objects.get(request=first)
    assert one.number == "26332000000000000101"
    assert one.digital
    assert one.issuer == "batch"
    assert one.issued_at.astimezone().date().isoformat() == "2026-11-23"
    assert one.issued_file.read() == b"%PDF"
    first.refresh_from_db()
    assert first.state == InvoiceRequestState.ISSUED
    # Importing the same file again changes nothing.
    again = services.digital_batch_import_result(content=content, by=clerk)
    assert all("already here" in o.error for o in again)
    assert Invoice.objects.count() == 2


@BATCH
def test_an_amount_mismatch_refuses_that_invoice_and_attaches_nothing(clerk, sku):
    good = email_request(priced_order([(sku, 1, "113.00")]))
    wrong = email_request(priced_order([(sku, 1, "50.00")]))
    services.digital_batch_export(by=clerk)
    outcomes = services.digital_batch_import_result(
        content=result_file(
            [
                {
                    "发票流水号": good.number,
                    "发票号码": "26332000000000000201",
                    "金额": "100.00",
                    "税额": "13.00",
                    "价税合计": "113.00",
                },
                {
                    "发票流水号": wrong.number,
                    "发票号码": "26332000000000000202",
                    "金额": "45.00",
                    "税额": "5.00",
                    "价税合计": "50.00",
                },
            ]
        ),
        by=clerk,
    )
    assert outcomes[0].error == ""
    assert outcomes[1].error == (
        f"Amounts differ from request {wrong.number}: 金额 45.00, request 44.25; "
        "税额 5.00, request 5.75. Not attached."
    )
    wrong.refresh_from_db()
    assert wrong.state == InvoiceRequestState.REQUESTED
    assert not Invoice.objects.filter(number="26332000000000000202").exists()


@BATCH
def test_a_file_that_is_not_the_platforms_is_refused(clerk):
    book = Workbook()
    cast(Any, book.active).append(["订单号", "金额"])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(services.DigitalInvoiceError, match="not the platform's file"):
        services.digital_batch_import_result(content=buffer.getvalue(), by=clerk)


# --- Manual entry ------------------------------------------------------------------------


@MANUAL
def test_manual_entry_of_one_number_and_file(clerk, sku):
    request = email_request(priced_order([(sku, 1, "113.00")]))
    invoice = services.digital_invoice_enter(
        request_id=request.pk,
        number="26332000000000000301",
        issued_on=request.requested_at.date(),
        total_amount=Decimal("113.00"),
        file_name="26332000000000000301.ofd",
        file_content=b"OFD",
        by=clerk,
    )
    assert invoice.number == "26332000000000000301"
    assert invoice.issuer == "manual"
    assert invoice.issued_file.name.endswith(".ofd")


@MANUAL
def test_the_buyer_is_mailed_the_file_the_platform_issued(
    clerk, sku, django_capture_on_commit_callbacks
):
    request = email_request(priced_order([(sku, 1, "113.00")]))
    with django_capture_on_commit_callbacks(execute=True):
        services.digital_invoice_enter(
            request_id=request.pk,
            number="26332000000000000311",
            issued_on=request.requested_at.date(),
            total_amount=Decimal("113.00"),
            file_name="dzfp_26332000000000000311_杭州优选电子商务有限公司.pdf",
            file_content=b"%PDF-platform",
            by=clerk,
        )
    (message,) = mail.outbox
    name, content, mimetype = message.attachments[0]
    assert "26332000000000000311" in name
    assert content == b"%PDF-platform"
    assert mimetype == "application/pdf"
    assert Invoice.objects.get(number="26332000000000000311").delivered_at is not None


@MANUAL
def test_manual_entry_refuses_a_bad_number_or_amount(clerk, sku):
    request = email_request(priced_order([(sku, 1, "113.00")]))
    with pytest.raises(services.DigitalInvoiceError) as caught:
        services.digital_invoice_enter(
            request_id=request.pk,
            number="2633200000",
            issued_on=request.requested_at.date(),
            total_amount=Decimal("113.00"),
            by=clerk,
        )
    assert "number" in caught.value.extra["fields"]
    with pytest.raises(services.DigitalInvoiceError) as caught:
        services.digital_invoice_enter(
            request_id=request.pk,
            number="26332000000000000301",
            issued_on=request.requested_at.date(),
            total_amount=Decimal("112.00"),
            by=clerk,
        )
    assert caught.value.extra["fields"]["total_amount"] == [
        "The request invoices 113.00, not 112.00."
    ]
    assert not Invoice.objects.exists()


# --- Red-letter through the confirmation form ------------------------------------------------


def test_an_unused_invoice_confirms_itself_and_is_reversed_at_once(clerk, sku):
    original = invoice_for(priced_order([(sku, 2, "56.50")]), clerk, delivery="email")
    form = services.red_letter_confirmation_draft(
        invoice_id=original.pk, reason=RedLetterReason.INVOICE_ERROR, by=clerk
    )
    assert form.state == RedLetterConfirmationState.DRAFTED
    assert not form.needs_buyer
    form = services.red_letter_confirmation_submit(confirmation_id=form.pk, by=clerk)
    assert form.state == RedLetterConfirmationState.ISSUED
    red = red_of(form)
    assert red.digital
    assert NUMBER.match(red.number)
    assert red.original == original
    assert red.total_amount == Decimal("-113.00")
    flat = re.sub(r"\s+", "", pdftotext(pdf.invoice_pdf(red)))
    assert f"被红冲蓝字数电发票号码：{original.number}" in flat
    assert f"红字发票信息确认单编号：{form.number}" in flat
    assert "（负数）壹佰壹拾叁元整" in flat


def test_a_used_invoice_needs_the_buyers_confirmation(clerk, sku):
    original = invoice_for(priced_order([(sku, 1, "113.00")]), clerk, delivery="email")
    services.invoice_mark_buyer_used(invoice_id=original.pk, by=clerk)
    form = services.red_letter_confirmation_draft(
        invoice_id=original.pk, reason=RedLetterReason.INVOICE_ERROR, by=clerk
    )
    form = services.red_letter_confirmation_submit(confirmation_id=form.pk, by=clerk)
    assert form.state == RedLetterConfirmationState.SENT
    assert form.needs_buyer
    assert form.red_invoice is None
    form = services.red_letter_confirmation_buyer_confirmed(confirmation_id=form.pk, by=clerk)
    assert form.confirmed_by_buyer
    assert form.state == RedLetterConfirmationState.ISSUED
    assert red_of(form).total_amount == Decimal("-113.00")
    log = [(e.source_state, e.state) for e in StateLog.objects.for_(form).order_by("pk")]
    assert log == [("drafted", "sent"), ("sent", "confirmed"), ("confirmed", "issued")]


def test_a_sent_form_can_be_cancelled_and_drafted_again(clerk, sku):
    original = invoice_for(priced_order([(sku, 1, "113.00")]), clerk, delivery="email")
    services.invoice_mark_buyer_used(invoice_id=original.pk, by=clerk)
    form = services.red_letter_confirmation_draft(
        invoice_id=original.pk, reason=RedLetterReason.INVOICE_ERROR, by=clerk
    )
    with pytest.raises(ConflictError, match="nothing left"):
        services.red_letter_confirmation_draft(
            invoice_id=original.pk, reason=RedLetterReason.INVOICE_ERROR, by=clerk
        )
    services.red_letter_confirmation_submit(confirmation_id=form.pk, by=clerk)
    form = services.red_letter_confirmation_cancel(
        confirmation_id=form.pk, why="买方拒绝确认", by=clerk
    )
    assert form.state == RedLetterConfirmationState.CANCELLED
    assert services.red_letter_confirmation_draft(
        invoice_id=original.pk, reason=RedLetterReason.INVOICE_ERROR, by=clerk
    ).amount == Decimal("-113.00")


@BATCH
def test_with_the_batch_issuer_finance_enters_the_red_invoices_number(clerk, sku):
    request = email_request(priced_order([(sku, 1, "113.00")]))
    services.digital_batch_export(by=clerk)
    services.digital_batch_import_result(
        content=result_file(
            [
                {
                    "发票流水号": request.number,
                    "发票号码": "26332000000000000401",
                    "金额": "100.00",
                    "税额": "13.00",
                    "价税合计": "113.00",
                }
            ]
        ),
        by=clerk,
    )
    original = Invoice.objects.get(number="26332000000000000401")
    form = services.red_letter_confirmation_draft(
        invoice_id=original.pk, reason=RedLetterReason.INVOICE_ERROR, by=clerk
    )
    form = services.red_letter_confirmation_submit(confirmation_id=form.pk, by=clerk)
    assert form.state == RedLetterConfirmationState.CONFIRMED  # the number comes from the platform
    form = services.red_letter_confirmation_issue(
        confirmation_id=form.pk,
        number="26332000000000000402",
        issued_on=original.issued_at.date(),
        by=clerk,
    )
    assert form.state == RedLetterConfirmationState.ISSUED
    assert red_of(form).number == "26332000000000000402"


def test_a_return_reverses_part_of_a_digital_invoice_through_its_form(clerk, sku, sku6):
    order = priced_order([(sku, 3, "113.00"), (sku6, 1, "50.00")])
    original = invoice_for(order, clerk, delivery="email")
    # What the returns app asks for when goods come back: 2 of the 3 units of line 1.
    (request,) = services.red_letter_request(
        order_id=order.pk, items=[(sku.pk, 2)], source_reference="RR202611230001"
    )
    request = services.red_letter_request_issue(request_id=request.pk, by=clerk)
    assert request.state == RedLetterRequestState.ISSUED
    red = red_of(request)
    assert red.original == original
    assert red.digital
    assert red.total_amount == Decimal("-226.00")
    assert [(line.position, line.quantity) for line in red.lines.all()] == [(1, -2)]
    form = request.confirmations.get()
    assert form.red_invoice == red
    assert form.quantities == {"1": 2}


def test_a_return_of_a_used_invoice_waits_for_the_buyer(clerk, sku):
    order = priced_order([(sku, 3, "113.00")])
    original = invoice_for(order, clerk, delivery="email")
    services.invoice_mark_buyer_used(invoice_id=original.pk, by=clerk)
    (request,) = services.red_letter_request(order_id=order.pk, items=[(sku.pk, 1)])
    request = services.red_letter_request_issue(request_id=request.pk, by=clerk)
    assert request.state == RedLetterRequestState.REQUESTED
    form = request.confirmations.get()
    assert form.state == RedLetterConfirmationState.SENT
    services.red_letter_confirmation_buyer_confirmed(confirmation_id=form.pk, by=clerk)
    request.refresh_from_db()
    assert request.state == RedLetterRequestState.ISSUED
    assert red_of(request).total_amount == Decimal("-113.00")


def test_the_paper_path_still_recovers_the_original_first(clerk, sku):
    original = invoice_for(priced_order([(sku, 1, "113.00")]), clerk, delivery="post")
    with pytest.raises(services.RedLetterConfirmationError, match="paper invoice"):
        services.red_letter_confirmation_draft(
            invoice_id=original.pk, reason=RedLetterReason.INVOICE_ERROR, by=clerk
        )
    with pytest.raises(ConflictError, match="recovered"):
        services.invoice_red_letter(
            invoice_id=original.pk, reason=RedLetterReason.INVOICE_ERROR, by=clerk
        )
    services.invoice_recover_paper(invoice_id=original.pk, by=clerk)
    red = services.invoice_red_letter(
        invoice_id=original.pk, reason=RedLetterReason.INVOICE_ERROR, by=clerk
    )
    assert not red.digital
    assert red.paper_code == "044002600111"
    assert "销项负数" in pdftotext(pdf.invoice_pdf(red))
