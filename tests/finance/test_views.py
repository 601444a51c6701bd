"""The finance portal per role, the invoice PDF, and the warehouse hand-over (parcel packed)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from finance import services
from finance.models import Invoice, InvoiceRequest, Payment, RedLetterReason
from tests.finance.factories import COMPANY, invoice_for, pay, priced_order
from tests.warehouse.factories import MONDAY_MORNING, make_order, pack, pick_all, put_stock
from warehouse import services as warehouse_services
from warehouse.extensions import parcel_inserts
from warehouse.models import Wave

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PAGES = [
    "finance:home",
    "finance:request_list",
    "finance:invoice_list",
    "finance:payment_list",
    "finance:receivables",
    "finance:refund_list",
    "finance:run_list",
    "finance:settlement_list",
]


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize("name", PAGES)
def test_finance_clerk_sees_every_page(client, clerk, name):
    client.force_login(clerk)
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_a_picker_sees_none(client, make_user, name):
    client.force_login(make_user("picker"))
    assert client.get(reverse(name)).status_code == 403


def test_service_staff_request_invoices_but_do_not_issue(client, service, sku):
    order = priced_order([(sku, 1, "100.00")])
    client.force_login(service)
    assert client.get(reverse("finance:home")).status_code == 403
    response = client.post(
        reverse("finance:request_new"),
        {
            "order": order.number,
            "kind": "special",
            **COMPANY,
            "tax_id": "",
            "delivery_method": "post",
        },
    )
    assert response.status_code == 200
    assert "taxpayer ID" in response.content.decode()
    assert COMPANY["title"] in response.content.decode()  # what was typed is kept
    response = client.post(
        reverse("finance:request_new"),
        {
            "order": order.number,
            "kind": "special",
            **COMPANY,
            "delivery_method": "post",
            "postal_address": "杭州市西湖区文三路100号",
        },
    )
    request = InvoiceRequest.objects.get()
    assert response.status_code == 302
    response = client.post(
        reverse("finance:request_detail", args=[request.pk]),
        {"action": "issue", "delivery_method": "post"},
    )
    request.refresh_from_db()
    assert request.state == "requested"


def test_clerk_issues_from_the_request_page_and_the_queue_shows_the_countdown(client, clerk, sku):
    order = priced_order([(sku, 2, "61.73")])
    request = services.invoice_request_create(order=order, source="service", by=None)
    client.force_login(clerk)
    page = client.get(reverse("finance:home")).content.decode()
    assert request.number in page
    assert 'id="request-queue"' in page
    response = client.post(
        reverse("finance:request_detail", args=[request.pk]),
        {"action": "issue", "delivery_method": "post"},
    )
    assert response.status_code == 302
    invoice = Invoice.objects.get(order=request.order)
    detail = client.get(invoice.get_absolute_url()).content.decode()
    assert "¥123.46" in detail
    assert "壹佰贰拾叁元肆角陆分" in detail


def test_invoice_pdf_has_the_vat_layout_and_amounts(client, clerk, sku, sku6):
    order = priced_order([(sku, 3, "33.33"), (sku6, 1, "100.00")])
    invoice = invoice_for(order, clerk, kind="special", **COMPANY)
    client.force_login(clerk)
    response = client.get(invoice.get_pdf_url())
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        "增值税专用发票",
        "购\n买\n方",  # printed vertically at the left of the buyer block
        "纳税人识别号",
        COMPANY["title"],
        COMPANY["tax_id"],
        "价税合计",
        "壹佰玖拾玖元玖角玖分",
        "¥199.99",
        "88.49",
        "11.50",
        "94.34",
        "5.66",
        "13%",
        "6%",
        invoice.number[-8:],
    ):
        assert expected in text, expected


def test_red_letter_pdf_names_its_original(clerk, sku):
    from finance import pdf

    original = invoice_for(priced_order([(sku, 1, "10.00")]), clerk, delivery="post")
    services.invoice_recover_paper(invoice_id=original.pk, by=clerk)
    red = services.invoice_red_letter(
        invoice_id=original.pk, reason=RedLetterReason.INVOICE_ERROR, note="抬头错误", by=clerk
    )
    text = pdf_text(pdf.invoice_pdf(red))
    assert "销项负数" in text
    assert "-10.00" in text
    assert original.number[-8:] in text


def test_bank_payment_form_keeps_what_was_typed_when_refused(client, clerk):
    client.force_login(clerk)
    data = {
        "reference": "ICBC-9",
        "amount": "0",
        "paid_at": "2026-11-20T10:00",
        "payer_name": "杭州美妆小铺",
    }
    response = client.post(reverse("finance:payment_list"), data)
    assert response.status_code == 200
    assert "杭州美妆小铺" in response.content.decode()
    assert not Payment.objects.exists()


@pytest.mark.clock(MONDAY_MORNING)  # when the payment came in
def test_match_form_names_the_unknown_order(client, clerk):
    payment = services.bank_payment_record(
        reference="ICBC-10",
        amount=Decimal("10.00"),
        paid_at=MONDAY_MORNING,
        payer_name="x",
        by=clerk,
    )
    client.force_login(clerk)
    response = client.post(payment.get_absolute_url(), {"lines": "SO-NOPE 10.00"})
    assert "no order SO-NOPE" in response.content.decode()


@pytest.mark.clock(MONDAY_MORNING)
def test_reconciliation_page_drills_down_by_kind(client, clerk, sku, clock):
    order = priced_order([(sku, 1, "10.00")], accepted_at=MONDAY_MORNING)
    pay(order, "5.00")
    clock.move_to(MONDAY_MORNING + timedelta(days=1))
    run = services.reconcile(day=date(2026, 11, 23))
    client.force_login(clerk)
    page = client.get(run.get_absolute_url() + "?kind=paid_amount").content.decode()
    assert order.number in page
    page = client.get(run.get_absolute_url() + "?kind=duplicate_payment").content.decode()
    assert order.number not in page
    csv_response = client.get(reverse("finance:run_file", args=[run.pk, "csv"]))
    assert order.number in b"".join(csv_response.streaming_content).decode("utf-8-sig")


def test_packing_an_order_that_needs_an_invoice_opens_the_request(
    sku, make_user, django_capture_on_commit_callbacks
):
    admin = make_user("bu_parts_admin")
    packer = make_user("packer")
    picker = make_user("picker")
    put_stock(sku, 5)
    order = make_order(
        [(sku, 1)],
        accepted_at=MONDAY_MORNING,
        needs_invoice=True,
        invoice_kind="ordinary",
        invoice_details={"kind": "ordinary", "title": "李四", "email": "li@example.com"},
    )
    warehouse_services.allocation_issue(order_ids=[order.pk], by=admin)
    warehouse_services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    wave = Wave.objects.get()
    pick_all(wave, picker)
    warehouse_services.wave_sort(wave_id=wave.pk, by=picker)
    with django_capture_on_commit_callbacks(execute=True):
        pack(order, packer)
    request = InvoiceRequest.objects.get(order=order)
    assert (request.source, request.title, request.delivery_method) == ("packed", "李四", "email")


def test_pack_station_shows_an_invoice_issued_for_the_parcel(clerk, sku):
    order = priced_order([(sku, 1, "10.00")], state="released")
    invoice_for(order, clerk, delivery="post")  # no unpacked note: parcel delivery refused
    other = priced_order([(sku, 1, "10.00")], state="released")
    request = services.invoice_request_create(order=other, source="service", by=None)
    with pytest.raises(services.InvoiceError):
        services.invoice_issue(request_id=request.pk, by=clerk, delivery_method="parcel")
    assert parcel_inserts([other]) == []
