"""The finance portal's 数电票 screens: the tax platform desk, manual entry, confirmation forms."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any, cast

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from finance import services
from finance.models import (
    Invoice,
    InvoiceRequest,
    RedLetterConfirmation,
    RedLetterConfirmationState,
)
from tests.finance.factories import invoice_for, priced_order
from tests.finance.test_digital_invoices import email_request, result_file

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@override_settings(FINANCE_INVOICE_ISSUER="batch")
def test_export_then_import_through_the_desk(client, clerk, sku):
    request = email_request(priced_order([(sku, 1, "113.00")]))
    client.force_login(clerk)
    assert client.get(reverse("finance:platform_desk")).status_code == 200
    response = client.post(reverse("finance:platform_export"), follow=True)
    assert "with 1 requests" in response.content.decode()
    batch = cast(Any, InvoiceRequest.objects.get(pk=request.pk).platform_batch)
    template = client.get(reverse("finance:platform_batch_template", args=[batch.pk]))
    book = load_workbook(io.BytesIO(b"".join(template.streaming_content)))
    assert book["1-发票基本信息"]["A4"].value == request.number
    content = result_file(
        [
            {
                "发票流水号": request.number,
                "发票号码": "26332000000000000501",
                "金额": "100.00",
                "税额": "13.00",
                "价税合计": "120.00",
            }
        ]
    )
    response = client.post(
        reverse("finance:platform_desk"),
        {"result": SimpleUploadedFile("result.xlsx", content)},
    )
    page = response.content.decode()
    assert "0 of 1 invoices attached" in page
    assert "价税合计 120.00, request 113.00" in page
    assert not Invoice.objects.exists()


def test_the_desk_refuses_a_file_that_is_not_the_platforms(client, clerk):
    book = Workbook()
    cast(Any, book.active).append(["订单号"])
    buffer = io.BytesIO()
    book.save(buffer)
    client.force_login(clerk)
    response = client.post(
        reverse("finance:platform_desk"),
        {"result": SimpleUploadedFile("mine.xlsx", buffer.getvalue())},
    )
    assert response.status_code == 400
    assert "not the platform&#x27;s file" in response.content.decode()


@override_settings(FINANCE_INVOICE_ISSUER="manual")
def test_manual_entry_keeps_what_was_typed_on_a_wrong_amount(client, clerk, sku):
    request = email_request(priced_order([(sku, 1, "113.00")]))
    client.force_login(clerk)
    url = reverse("finance:digital_entry", args=[request.pk])
    data = {
        "number": "26332000000000000601",
        "issued_on": request.requested_at.date().isoformat(),
        "total_amount": "110.00",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The request invoices 113.00, not 110.00." in page
    assert 'value="26332000000000000601"' in page
    data["total_amount"] = "113.00"
    response = client.post(
        url, {**data, "file": SimpleUploadedFile("26332000000000000601.pdf", b"%PDF")}
    )
    invoice = Invoice.objects.get(number="26332000000000000601")
    assert response.status_code == 302
    assert invoice.issued_file.read() == b"%PDF"


def test_a_picker_cannot_reach_the_desk(client, make_user):
    client.force_login(make_user("picker"))
    assert client.get(reverse("finance:platform_desk")).status_code == 403


def test_the_confirmation_form_screens(client, clerk, sku):
    original = invoice_for(priced_order([(sku, 2, "56.50")]), clerk, delivery="email")
    client.force_login(clerk)
    page = client.get(reverse("finance:invoice_detail", args=[original.pk])).content.decode()
    assert reverse("finance:red_confirmation_new", args=[original.pk]) in page
    client.post(reverse("finance:invoice_buyer_used", args=[original.pk]), {"used": "1"})
    response = client.post(
        reverse("finance:red_confirmation_new", args=[original.pk]),
        {"reason": "goods_returned", "note": "退货", "line_1": "1"},
    )
    form = RedLetterConfirmation.objects.get()
    assert response.url == form.get_absolute_url()
    assert form.needs_buyer
    assert form.amount == Decimal("-56.50")
    url = form.get_absolute_url()
    client.post(url, {"action": "submit"})
    form.refresh_from_db()
    assert form.state == RedLetterConfirmationState.SENT
    client.post(url, {"action": "buyer_confirmed"})
    form.refresh_from_db()
    assert form.state == RedLetterConfirmationState.ISSUED
    detail = client.get(url).content.decode()
    assert cast(Any, form.red_invoice).number in detail
    assert client.get(reverse("finance:red_confirmation_list")).status_code == 200


def test_the_queue_shows_a_held_request(client, clerk, sku):
    from listings.models import Sku

    Sku.objects.filter(pk=sku.pk).update(tax_code="")
    email_request(priced_order([(sku, 1, "10.00")]))
    client.force_login(clerk)
    for name in ("finance:request_list", "finance:home"):
        page = client.get(reverse(name)).content.decode()
        assert "Held: a SKU has no tax classification code" in page
    services.digital_batch_export(by=clerk)  # held: nothing exported
    assert not Invoice.objects.exists()
