"""Invoice requests (same-day rule, tax details), invoices (tax per line, 大写), delivery,
red-letter invoices and the 15:00 check."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from ecomops.calendar import local_datetime
from ecomops.errors import ConflictError, PermissionDeniedError
from ecomops.money import amount_in_words
from ecomops.notifications.models import Notification
from ecomops.sla.models import SlaClock
from finance import services
from finance.models import Invoice, InvoiceRequest, InvoiceRequestState, RedLetterReason
from tests.finance.factories import COMPANY, invoice_for, priced_order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0.05", "伍分"),
        ("10.00", "壹拾元整"),
        ("100000.10", "壹拾万元零壹角"),
        ("1000000000.00", "壹拾亿元整"),
        ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
        ("1409.50", "壹仟肆佰零玖元伍角"),
        ("325.04", "叁佰贰拾伍元零肆分"),
    ],
)
def test_amount_in_words(amount, words):
    assert amount_in_words(Decimal(amount)) == words


@pytest.mark.parametrize(
    ("total", "rate", "net", "tax"),
    [
        ("100.00", "0.13", "88.50", "11.50"),
        ("0.05", "0.13", "0.04", "0.01"),
        ("99.99", "0.06", "94.33", "5.66"),
        ("1.00", "0.00", "1.00", "0.00"),
        ("113.00", "0.13", "100.00", "13.00"),
    ],
)
def test_tax_is_rounded_per_line_and_adds_up_to_the_total(total, rate, net, tax):
    assert services.line_amounts(Decimal(total), Decimal(rate)) == (Decimal(net), Decimal(tax))


def test_invoice_lines_use_each_skus_rate_and_totals_reconcile_to_the_fen(clerk, sku, sku6):
    order = priced_order([(sku, 3, "33.33"), (sku6, 7, "14.29"), (sku, 1, "0.05")])
    invoice = invoice_for(order, clerk)
    lines = list(invoice.lines.order_by("position"))
    assert [line.tax_rate for line in lines] == [Decimal("0.13"), Decimal("0.06"), Decimal("0.13")]
    assert [line.total_amount for line in lines] == [
        Decimal("99.99"),
        Decimal("100.03"),
        Decimal("0.05"),
    ]
    assert [(line.amount_net, line.tax_amount) for line in lines] == [
        (Decimal("88.49"), Decimal("11.50")),
        (Decimal("94.37"), Decimal("5.66")),
        (Decimal("0.04"), Decimal("0.01")),
    ]
    assert invoice.total_amount == order.total_amount == Decimal("200.07")
    assert invoice.amount_net + invoice.tax_amount == invoice.total_amount
    assert invoice.amount_net == sum(line.amount_net for line in lines)
    assert invoice.total_in_words == "贰佰元零柒分"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "buyer's name"),
        ("tax_id", "", "taxpayer ID"),
        ("tax_id", "91350100M000100Y44", "check"),
        ("address_phone", "", "address and phone"),
        ("address_phone", "杭州市西湖区文三路100号", "phone number"),
        ("bank_account", "", "bank and account"),
        ("bank_account", "1202021234567890123", "bank's name"),
    ],
)
def test_special_vat_invoice_needs_every_tax_detail(field, value, message):
    details = {**COMPANY, field: value}
    with pytest.raises(ValidationError) as excinfo:
        services.validate_tax_details(kind="special", **details)
    errors = excinfo.value.message_dict
    assert list(errors) == [field]
    assert message.lower() in " ".join(errors[field]).lower()


def test_ordinary_invoice_needs_only_a_title():
    services.validate_tax_details(
        kind="ordinary", title="张三", tax_id="", address_phone="", bank_account=""
    )
    services.validate_tax_details(kind="special", **COMPANY)


def test_a_refused_special_request_keeps_nothing(sku):
    order = priced_order([(sku, 1, "100.00")])
    with pytest.raises(ValidationError):
        services.invoice_request_create(
            order=order, source="service", by=None, kind="special", **{**COMPANY, "tax_id": ""}
        )
    assert not InvoiceRequest.objects.filter(order=order).exists()


@pytest.mark.parametrize(
    ("requested", "due"),
    [
        (local_datetime(MONDAY, time(9, 30)), local_datetime(MONDAY, time(18))),
        (local_datetime(MONDAY, time(14, 59)), local_datetime(MONDAY, time(18))),
        (local_datetime(MONDAY, time(15, 0)), local_datetime(date(2026, 11, 24), time(18))),
        # Saturday is a working day; Sunday is not.
        (
            local_datetime(date(2026, 11, 28), time(10)),
            local_datetime(date(2026, 11, 28), time(18)),
        ),
        (
            local_datetime(date(2026, 11, 29), time(10)),
            local_datetime(date(2026, 11, 30), time(18)),
        ),
    ],
)
def test_requests_before_15_are_due_the_same_day(requested, due):
    assert services.invoice_due_at(requested) == due


@pytest.mark.clock(local_datetime(MONDAY, time(11)))
def test_request_starts_the_clock_and_issuing_stops_it(clerk, sku, clock):
    order = priced_order([(sku, 1, "100.00")])
    request = services.invoice_request_create(order=order, source="service", by=None)
    sla = SlaClock.objects.get(object_id=request.pk, policy__code="invoice_issued")
    assert sla.due_at == local_datetime(MONDAY, time(18))
    clock.move_to(local_datetime(MONDAY, time(13)))
    services.invoice_issue(request_id=request.pk, by=clerk)
    sla.refresh_from_db()
    assert sla.stopped_at == local_datetime(MONDAY, time(13))


@pytest.mark.clock(local_datetime(MONDAY, time(10)))
def test_the_15_oclock_check_tells_finance_once_what_is_left(clerk, sku, clock):
    order = priced_order([(sku, 1, "100.00")])
    other = priced_order([(sku, 1, "50.00")])
    services.invoice_request_create(order=order, source="service", by=None)
    clock.move_to(local_datetime(MONDAY, time(16)))
    services.invoice_request_create(order=other, source="service", by=None)  # due tomorrow
    clock.move_to(local_datetime(MONDAY, time(14, 55)))
    assert services.invoice_requests_check_due() == 0  # beat looks before the cut: nothing
    clock.move_to(local_datetime(MONDAY, time(15)))
    assert services.invoice_requests_check_due() == 1
    clock.move_to(local_datetime(MONDAY, time(15, 5)))
    assert services.invoice_requests_check_due() == 1
    notes = Notification.objects.filter(recipient=clerk)
    assert notes.count() == 1
    assert "1 invoice requests must still be issued today" in notes.get().title


@pytest.mark.clock(local_datetime(MONDAY, time(10)))
def test_the_check_follows_the_invoice_cut_a_manager_moved(clerk, sku, clock, manager):
    from ecomops.workcalendar.services import cut_schedule_set

    order = priced_order([(sku, 1, "100.00")])
    services.invoice_request_create(order=order, source="service", by=None)
    cut_schedule_set(
        cut_hours=[12, 15],
        invoice_cut=time(16),
        effective_from=MONDAY,
        effective_today=True,
        reason="月底",
        by=manager,
    )
    clock.move_to(local_datetime(MONDAY, time(15, 30)))
    assert services.invoice_requests_check_due() == 0
    clock.move_to(local_datetime(MONDAY, time(16)))
    assert services.invoice_requests_check_due() == 1
    check = Notification.objects.get(recipient=clerk, key__startswith="invoice-check-")
    assert "16:00" in check.body


@pytest.mark.clock(local_datetime(date(2026, 11, 29), time(15)))
def test_the_check_does_nothing_on_a_sunday(clerk, sku):
    order = priced_order([(sku, 1, "100.00")])
    services.invoice_request_create(order=order, source="service", by=None)
    assert services.invoice_requests_check_due() == 0


def test_rejected_request_goes_back_to_the_requester_and_can_be_resubmitted(clerk, service, sku):
    order = priced_order([(sku, 1, "100.00")])
    request = services.invoice_request_create(
        order=order, source="service", by=service, kind="special", **COMPANY
    )
    services.invoice_request_reject(request_id=request.pk, why="税号与抬头不符", by=clerk)
    request.refresh_from_db()
    assert request.state == InvoiceRequestState.REJECTED
    assert Notification.objects.filter(recipient=service, body="税号与抬头不符").exists()
    with pytest.raises(ValidationError):
        services.invoice_request_resubmit(
            request_id=request.pk, details={"tax_id": "123"}, by=service
        )
    services.invoice_request_resubmit(
        request_id=request.pk, details={"tax_id": "9144030071526726XG"}, by=service
    )
    request.refresh_from_db()
    assert (request.state, request.tax_id) == (InvoiceRequestState.REQUESTED, "9144030071526726XG")


def test_a_second_live_request_for_an_order_is_refused(sku):
    order = priced_order([(sku, 1, "100.00")])
    services.invoice_request_create(order=order, source="service", by=None)
    with pytest.raises(ConflictError, match="already has invoice request"):
        services.invoice_request_create(order=order, source="service", by=None)


def test_electronic_invoice_is_emailed_with_its_pdf(clerk, sku, django_capture_on_commit_callbacks):
    order = priced_order([(sku, 1, "100.00")])
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_for(order, clerk, delivery="email")
    invoice.refresh_from_db()
    assert invoice.electronic
    assert invoice.delivered_at is not None
    message = mail.outbox[-1]
    assert message.to == ["buyer@example.com"]
    assert message.attachments[0][0] == f"{invoice.number}.pdf"
    assert invoice.request is not None
    assert invoice.request.state == InvoiceRequestState.DELIVERED


def test_posted_invoice_needs_a_tracking_number(clerk, sku):
    order = priced_order([(sku, 1, "100.00")])
    invoice = invoice_for(order, clerk)
    with pytest.raises(services.InvoiceError):
        services.invoice_post(invoice_id=invoice.pk, tracking_number=" ", by=clerk)
    services.invoice_post(invoice_id=invoice.pk, tracking_number="EMS1", by=clerk)
    invoice.refresh_from_db()
    assert invoice.tracking_number == "EMS1"
    assert invoice.delivered_at is not None


def test_invoice_numbers_follow_the_series_of_their_kind(clerk, sku):
    first = invoice_for(priced_order([(sku, 1, "1.00")]), clerk)
    second = invoice_for(priced_order([(sku, 1, "1.00")]), clerk)
    special = invoice_for(priced_order([(sku, 1, "1.00")]), clerk, kind="special", **COMPANY)
    assert (first.number, second.number) == ("04400260011100000001", "04400260011100000002")
    assert special.number == "440026413000000001"


def test_paper_original_must_be_recovered_before_the_red_letter(clerk, sku):
    order = priced_order([(sku, 2, "50.00")])
    original = invoice_for(order, clerk)
    with pytest.raises(ConflictError, match="recovered"):
        services.invoice_red_letter(
            invoice_id=original.pk, reason=RedLetterReason.GOODS_RETURNED, by=clerk
        )
    services.invoice_recover_paper(invoice_id=original.pk, note="随退货寄回", by=clerk)
    red = services.invoice_red_letter(
        invoice_id=original.pk, reason=RedLetterReason.GOODS_RETURNED, by=clerk
    )
    assert red.original == original
    assert red.total_amount == Decimal("-100.00")
    assert red.amount_net + red.tax_amount == red.total_amount
    assert red.total_in_words == "（负数）壹佰元整"


def test_electronic_original_is_a_digital_invoice_reversed_only_through_its_form(clerk, sku):
    # Partial reversals of a 数电票 are in tests/finance/test_digital_invoices.py.
    order = priced_order([(sku, 3, "33.33")])
    original = invoice_for(order, clerk, delivery="email")
    assert original.digital
    with pytest.raises(services.InvoiceError):
        services.invoice_recover_paper(invoice_id=original.pk, by=clerk)
    with pytest.raises(ConflictError, match="confirmation form"):
        services.invoice_red_letter(
            invoice_id=original.pk, reason=RedLetterReason.GOODS_RETURNED, by=clerk
        )
    assert services.invoice_net_total(order.pk) == original.total_amount


def test_paper_original_can_be_reversed_in_parts(clerk, sku):
    order = priced_order([(sku, 3, "33.33")])
    original = invoice_for(order, clerk, delivery="post")
    services.invoice_recover_paper(invoice_id=original.pk, by=clerk)
    first = services.invoice_red_letter(
        invoice_id=original.pk, reason=RedLetterReason.GOODS_RETURNED, quantities={1: 1}, by=clerk
    )
    second = services.invoice_red_letter(
        invoice_id=original.pk, reason=RedLetterReason.GOODS_RETURNED, quantities={1: 2}, by=clerk
    )
    assert first.total_amount == Decimal("-33.33")
    assert first.total_amount + second.total_amount == -original.total_amount
    with pytest.raises(ConflictError, match="reversed in full"):
        services.invoice_red_letter(
            invoice_id=original.pk, reason=RedLetterReason.INVOICE_ERROR, by=clerk
        )
    assert services.invoice_net_total(order.pk) == Decimal("0.00")


def test_red_letter_cannot_reverse_more_units_than_are_left(clerk, sku):
    original = invoice_for(priced_order([(sku, 2, "10.00")]), clerk, delivery="post")
    services.invoice_recover_paper(invoice_id=original.pk, by=clerk)
    with pytest.raises(services.InvoiceError, match="units left"):
        services.invoice_red_letter(
            invoice_id=original.pk, reason="invoice_error", quantities={1: 3}, by=clerk
        )
    assert Invoice.objects.count() == 1


def test_only_finance_issues_red_letter_invoices(service, clerk, sku):
    original = invoice_for(priced_order([(sku, 2, "10.00")]), clerk, delivery="email")
    with pytest.raises(PermissionDeniedError):
        services.invoice_red_letter(invoice_id=original.pk, reason="invoice_error", by=service)
