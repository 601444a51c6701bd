"""Refund caps and life cycle; settlement figures, confirmations and documents; remittances."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from ecomops.errors import ConflictError, PermissionDeniedError
from finance import pdf, services
from finance.models import Refund, RefundState, SettlementState
from listings.models import ListingApplication
from tests.finance.factories import make_channel, pay, priced_order
from tests.listings.factories import application_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_refunds_never_exceed_what_was_paid(manager, clerk, sku):
    order = priced_order([(sku, 2, "50.00")])
    pay(order, "60.00", reference="P1")
    first = services.refund_request(
        order_id=order.pk, amount=Decimal("40.00"), reason="破损", by=manager
    )
    with pytest.raises(services.RefundError, match=r"at most ¥20\.00"):
        services.refund_request(order_id=order.pk, amount=Decimal("20.01"), reason="x", by=manager)
    services.refund_request(order_id=order.pk, amount=Decimal("20.00"), reason="补差", by=manager)
    assert services.refundable_amount(order.pk) == Decimal("0.00")
    services.refund_reject(refund_id=first.pk, why="客户撤回", by=manager)
    assert services.refundable_amount(order.pk) == Decimal("40.00")
    assert Refund.objects.filter(state=RefundState.REQUESTED).count() == 1


def test_an_unpaid_order_cannot_be_refunded(manager, sku):
    order = priced_order([(sku, 1, "50.00")])
    with pytest.raises(services.RefundError):
        services.refund_request(order_id=order.pk, amount=Decimal("0.01"), reason="x", by=manager)
    assert not Refund.objects.exists()


def test_refund_path_requested_approved_paid_with_reference(manager, clerk, sku):
    order = priced_order([(sku, 1, "50.00")])
    pay(order)
    refund = services.refund_request(
        order_id=order.pk, amount=Decimal("50.00"), reason="退货", by=manager
    )
    with pytest.raises(ConflictError):
        services.refund_pay(refund_id=refund.pk, reference="R1", by=clerk)
    with pytest.raises(PermissionDeniedError):
        services.refund_approve(refund_id=refund.pk, by=clerk)
    services.refund_approve(refund_id=refund.pk, by=manager)
    with pytest.raises(services.RefundError, match="reference"):
        services.refund_pay(refund_id=refund.pk, reference="", by=clerk)
    services.refund_pay(refund_id=refund.pk, reference="ALIREFUND-1", by=clerk)
    refund.refresh_from_db()
    assert (refund.state, refund.paid_reference) == (RefundState.PAID, "ALIREFUND-1")


def test_a_return_refund_needs_the_right_role_and_is_idempotent_on_the_return(
    service, manager, sku
):
    order = priced_order([(sku, 2, "50.00")])
    pay(order)
    item = services.RefundItem(sku=sku, quantity=1, amount=Decimal("50.00"))
    first = services.refund_request(
        order_id=order.pk,
        amount=Decimal("50.00"),
        reason="退货",
        source="return",
        source_reference="RT-1",
        items=[item],
        by=service,
    )
    again = services.refund_request(
        order_id=order.pk,
        amount=Decimal("50.00"),
        reason="退货",
        source="return",
        source_reference="RT-1",
        items=[item],
        by=service,
    )
    assert first == again
    assert first.lines.get().quantity == 1
    with pytest.raises(PermissionDeniedError):
        services.refund_request(order_id=order.pk, amount=Decimal("1"), reason="x", by=service)


def test_settlement_figures_and_confirmation_by_both_sides(clerk, make_user, sku, sku6):
    now = timezone.now()
    yesterday = timezone.localdate() - timedelta(days=1)
    ListingApplication.objects.create(
        number="LA-1",
        applicant=clerk,
        sku=sku,
        state="listed",
        **application_data(base_subsidy_price=Decimal("60.00")),
    )
    order = priced_order(
        [(sku, 2, "50.00"), (sku6, 1, "30.00")], shipped_at=now - timedelta(days=1)
    )
    pay(order)
    manager = make_user("manager", username="m2")
    refund = services.refund_request(
        order_id=order.pk,
        amount=Decimal("50.00"),
        reason="退货",
        source="return",
        source_reference="RT-9",
        items=[services.RefundItem(sku, 1, Decimal("50.00"))],
        by=manager,
    )
    services.refund_approve(refund_id=refund.pk, by=manager)
    services.refund_pay(refund_id=refund.pk, reference="R9", by=clerk)
    Refund.objects.filter(pk=refund.pk).update(paid_at=now - timedelta(days=1))  # in the period
    settlement = services.settlement_draw_up(
        period_start=yesterday - timedelta(days=6), period_end=yesterday, by=clerk
    )
    lines = {line.sku.code: line for line in settlement.lines.select_related("sku")}
    assert lines["SKU-13"].sales_amount == Decimal("100.00")
    assert lines["SKU-13"].returns_amount == Decimal("50.00")
    assert lines["SKU-13"].subsidy_amount == Decimal("20.00")  # (60 - 50) x 2
    assert lines["SKU-06"].subsidy_amount == Decimal("0.00")  # no base price agreed
    assert settlement.amount_due == Decimal("100.00")  # 130 sold - 50 returned + 20 subsidy
    bu = make_user("bu_parts_admin", username="bu")
    with pytest.raises(PermissionDeniedError):
        services.settlement_confirm(settlement_id=settlement.pk, side="business_unit", by=clerk)
    services.settlement_confirm(settlement_id=settlement.pk, side="finance", by=clerk)
    settlement.refresh_from_db()
    assert settlement.state == SettlementState.FINANCE_CONFIRMED
    services.settlement_confirm(settlement_id=settlement.pk, side="business_unit", by=bu)
    settlement.refresh_from_db()
    assert settlement.state == SettlementState.CONFIRMED
    text = "".join(
        p.extract_text()
        for p in PdfReader(
            io.BytesIO(pdf.settlement_pdf(settlement, list(settlement.lines.all())))
        ).pages
    )
    assert settlement.number in text
    assert f"{settlement.amount_due:,.2f}" in text
    book = load_workbook(io.BytesIO(pdf.settlement_xlsx(settlement, list(settlement.lines.all()))))
    values = [row for row in book.worksheets[0].iter_rows(values_only=True)]
    assert any(row[0] == "合计" and row[8] == float(settlement.amount_due) for row in values)


def test_settlement_of_a_day_not_over_is_refused(clerk):
    today = timezone.localdate()
    with pytest.raises(services.SettlementError):
        services.settlement_draw_up(period_start=today, period_end=today, by=clerk)


def test_remittance_expected_then_received(clerk):
    channel = make_channel(code="groupbuy", kind="group_buying")
    remittance = services.remittance_expect(
        reference="GB-1",
        channel=channel,
        amount=Decimal("1000.00"),
        due_date=timezone.localdate(),
    )
    with pytest.raises(services.RemittanceError, match="owed only"):
        services.remittance_receive(
            remittance_id=remittance.pk,
            bank_reference="B0",
            amount=Decimal("1000.01"),
            paid_at=timezone.now(),
            by=clerk,
        )
    services.remittance_receive(
        remittance_id=remittance.pk,
        bank_reference="B1",
        amount=Decimal("1000.00"),
        paid_at=timezone.now(),
        by=clerk,
    )
    remittance.refresh_from_db()
    assert remittance.received_at is not None
    assert remittance.receipts.get().payment.amount == Decimal("1000.00")
