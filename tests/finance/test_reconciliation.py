"""Nightly reconciliation: each kind of mismatch planted is found, a clean day has none,
re-running a day gives the same output, and the 02:00 task e-mails finance."""

from __future__ import annotations

import csv
import io
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from pypdf import PdfReader

from ecomops.calendar import local_datetime
from finance import services, tasks
from finance.models import Mismatch, MismatchKind, ReconciliationRun, RedLetterReason
from orders.models import OrderState
from tests.finance.factories import invoice_for, make_channel, pay, priced_order, red_letter_for

DAY = date(2026, 11, 20)  # a Friday
NOON = local_datetime(DAY, time(12))
NEXT_MORNING = local_datetime(DAY + timedelta(days=1), time(2))

# The day's SKUs and users exist by its noon, when the day's business happens.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english"), pytest.mark.clock(NOON)]


def shipped_order(sku: Any, price: str = "100.00", **fields: Any) -> Any:
    fields.setdefault("accepted_at", local_datetime(DAY, time(9)))
    fields.setdefault("shipped_at", local_datetime(DAY, time(16)))
    return priced_order([(sku, 1, price)], **fields)


def clean_day(sku: Any, clerk: Any, manager: Any) -> dict[str, Any]:
    """A day where everything adds up: paid, shipped, invoiced, one return settled."""
    with time_machine.travel(NOON, tick=False):
        plain = shipped_order(sku, needs_invoice=False)
        pay(plain)
        invoiced = shipped_order(sku, "250.00")
        pay(invoiced)
        invoice_for(invoiced, clerk)
        returned = shipped_order(sku, "80.00")
        pay(returned)
        original = invoice_for(returned, clerk, delivery="email")
        red_letter_for(original, clerk, reason=RedLetterReason.GOODS_RETURNED)
        refund = services.refund_request(
            order_id=returned.pk, amount=Decimal("80.00"), reason="退货", by=manager
        )
        services.refund_approve(refund_id=refund.pk, by=manager)
        services.refund_pay(refund_id=refund.pk, reference="R-1", by=clerk)
        group = make_channel(code="groupbuy", kind="group_buying", payment_terms="on_account")
        shipped_order(sku, channel=group, needs_invoice=False)
        remitted = services.remittance_expect(
            reference="GB-OK", channel=group, amount=Decimal("100.00"), due_date=DAY
        )
        services.remittance_receive(
            remittance_id=remitted.pk,
            bank_reference="B-OK",
            amount=Decimal("100.00"),
            paid_at=NOON,
            by=clerk,
        )
    return {"plain": plain, "invoiced": invoiced, "returned": returned}


def plant_mismatches(sku: Any, clerk: Any, manager: Any) -> dict[str, Any]:
    with time_machine.travel(NOON, tick=False):
        not_invoiced = shipped_order(sku)
        pay(not_invoiced)
        not_shipped = shipped_order(sku, state=OrderState.RELEASED, shipped_at=None)
        pay(not_shipped)
        invoice_for(not_shipped, clerk)
        short_paid = shipped_order(sku, needs_invoice=False)
        pay(short_paid, "90.00")
        orphan = services.payment_notify(
            channel=short_paid.channel,
            reference="NO-ORDER",
            order_external_id="EXT-UNKNOWN",
            amount=Decimal("66.00"),
            paid_at=NOON,
        ).payment
        doubled = shipped_order(sku, needs_invoice=False)
        pay(doubled, reference="DUP-1")
        pay(doubled, reference="DUP-2")
        no_red = shipped_order(sku)
        pay(no_red)
        invoice_for(no_red, clerk, delivery="email")
        refund = services.refund_request(
            order_id=no_red.pk, amount=Decimal("100.00"), reason="退货", by=manager
        )
        services.refund_approve(refund_id=refund.pk, by=manager)
        services.refund_pay(refund_id=refund.pk, reference="R-2", by=clerk)
        no_refund = shipped_order(sku)
        pay(no_refund)
        reversed_invoice = invoice_for(no_refund, clerk, delivery="email")
        red = red_letter_for(reversed_invoice, clerk, reason=RedLetterReason.GOODS_RETURNED)
        group = make_channel(code="groupbuy", kind="group_buying", payment_terms="on_account")
        missing = services.remittance_expect(
            reference="GB-LATE", channel=group, amount=Decimal("500.00"), due_date=DAY
        )
    return {
        MismatchKind.SHIPPED_NOT_INVOICED: not_invoiced.number,
        MismatchKind.INVOICED_NOT_SHIPPED: not_shipped.number,
        MismatchKind.PAID_AMOUNT: short_paid.number,
        MismatchKind.PAYMENT_WITHOUT_ORDER: orphan.reference,
        MismatchKind.DUPLICATE_PAYMENT: doubled.number,
        MismatchKind.REFUND_WITHOUT_RED_LETTER: refund.number,
        MismatchKind.RED_LETTER_WITHOUT_REFUND: red.number,
        MismatchKind.REMITTANCE_MISSING: missing.reference,
    }


def reconcile() -> Any:
    with time_machine.travel(NEXT_MORNING, tick=False):
        return services.reconcile(day=DAY)


def found(run: Any) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for kind, reference in run.mismatches.order_by("kind", "reference").values_list(
        "kind", "reference"
    ):
        result.setdefault(kind, []).append(reference)
    return result


def test_a_clean_day_has_no_mismatch(sku, clerk, manager):
    clean_day(sku, clerk, manager)
    run = reconcile()
    assert found(run) == {}
    assert run.mismatch_count == 0
    figures = {row["channel"]: row for row in run.figures}
    assert figures["tmall"]["orders"] == {"count": 3, "amount": "430.00"}
    assert figures["tmall"]["shipped"] == {"count": 3, "amount": "430.00"}
    assert figures["tmall"]["invoiced"] == {"count": 3, "amount": "250.00"}
    assert figures["tmall"]["paid"] == {"count": 3, "amount": "430.00"}
    assert figures["tmall"]["refunded"] == {"count": 1, "amount": "80.00"}


def test_each_planted_mismatch_is_found_once(sku, clerk, manager):
    clean_day(sku, clerk, manager)
    planted = plant_mismatches(sku, clerk, manager)
    run = reconcile()
    assert found(run) == {kind: [reference] for kind, reference in planted.items()}
    assert run.mismatch_count == 8
    # One of each planted kind; the statement checks (no statements here) find nothing.
    assert {kind: run.mismatch_counts[kind] for kind in planted} == dict.fromkeys(planted, 1)
    assert sum(run.mismatch_counts.values()) == 8
    short = Mismatch.objects.get(run=run, kind=MismatchKind.PAID_AMOUNT)
    assert (short.expected, short.actual) == (Decimal("100.00"), Decimal("90.00"))
    assert short.order is not None
    assert short.get_absolute_url() == short.order.get_absolute_url()


def test_re_running_a_day_gives_the_same_output_whatever_happened_since(sku, clerk, manager):
    clean_day(sku, clerk, manager)
    planted = plant_mismatches(sku, clerk, manager)
    first = reconcile()
    first_csv = services.run_csv(first)
    first_figures = first.figures
    # The next day the missing invoice is issued and the missing remittance comes in.
    with time_machine.travel(local_datetime(DAY + timedelta(days=1), time(10)), tick=False):
        from orders.models import Order

        invoice_for(Order.objects.get(number=planted[MismatchKind.SHIPPED_NOT_INVOICED]), clerk)
    again = reconcile()
    assert again.pk == first.pk
    assert again.run_count == 2
    assert services.run_csv(again) == first_csv
    assert again.figures == first_figures
    assert Mismatch.objects.filter(run=again).count() == 8
    rows = list(csv.reader(io.StringIO(first_csv.decode("utf-8-sig"))))
    assert rows[0][:4] == ["day", "kind", "kind_label", "channel"]
    assert len(rows) == 9
    assert all(row[-1].startswith("http") for row in rows[1:])


def test_the_run_stores_csv_and_pdf_with_the_figures(sku, clerk, manager):
    clean_day(sku, clerk, manager)
    plant_mismatches(sku, clerk, manager)
    run = reconcile()
    assert run.csv_file.read().decode("utf-8-sig").count("\n") == 9
    text = "".join(page.extract_text() for page in PdfReader(run.pdf_file.open("rb")).pages)
    assert "对账报告 2026-11-20" in text
    assert "GB-LATE" in text
    assert "500.00" in text


def test_a_day_not_over_cannot_be_reconciled():
    with time_machine.travel(NOON, tick=False), pytest.raises(services.ReconciliationError):
        services.reconcile(day=DAY)


def test_the_nightly_task_reconciles_yesterday_and_emails_finance(
    sku, clerk, manager, django_capture_on_commit_callbacks
):
    plant_mismatches(sku, clerk, manager)
    with (
        time_machine.travel(NEXT_MORNING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.reconcile_yesterday()
    message = mail.outbox[-1]
    assert message.to == ["clerk@example.com"]
    assert "2026-11-20" in message.subject
    assert "8" in message.subject
    assert message.attachments[0][0] == "reconciliation-2026-11-20.csv"
    run = ReconciliationRun.objects.get(day=DAY)
    assert run.get_absolute_url() in message.body
    assert run.mismatch_count == 8
