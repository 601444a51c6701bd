"""Finance demo data: payments for the demo orders, bank transfers to match, invoice
requests in each state, invoices (one red-letter), refunds, group-buying remittances, a
settlement and the last days' reconciliation, mostly through the real services. Run twice,
it adds nothing.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ecomops.errors import ApplicationError
from orders.models import Channel, ChannelKind, Order, OrderState, PaymentTerms

from . import services
from .models import (
    DeliveryMethod,
    Invoice,
    InvoiceRequest,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    ReconciliationRun,
    Refund,
    Remittance,
    Settlement,
)

SHIPPED_STATES = (OrderState.SHIPPED, OrderState.DELIVERED, OrderState.COMPLETED)


def _user(username: str) -> object:
    return get_user_model().objects.get(username=username)


def _channel_payments(rng: random.Random, log: Callable[[str], None]) -> None:
    """Every prepaid demo order was paid when accepted; two payments never arrived."""
    orders = list(
        Order.objects.filter(channel__payment_terms=PaymentTerms.PREPAID)
        .exclude(state=OrderState.CANCELLED)
        .exclude(payment_allocations__isnull=False)
        .exclude(accepted_at__isnull=True)
        .select_related("channel")
        .order_by("pk")
    )
    if not orders:
        return
    if Payment.objects.filter(method=PaymentMethod.CHANNEL).exists():
        return
    today = timezone.localdate()
    before = today - timedelta(days=1)
    past = [o for o in orders if timezone.localtime(o.accepted_at).date() < before]
    skipped = {o.pk for o in rng.sample(past, min(2, len(past)))}
    payments, allocations = [], []
    for order in orders:
        if order.pk in skipped:
            continue
        payments.append(
            Payment(
                reference=f"ALI{order.number}",
                method=PaymentMethod.CHANNEL,
                reference_scope=Payment.scope_for(PaymentMethod.CHANNEL, order.channel),
                channel=order.channel,
                order_external_id=order.external_id,
                amount=order.total_amount,
                allocated_amount=order.total_amount,
                paid_at=order.accepted_at,
                recorded_at=order.accepted_at,
                payer_name=order.receiver_name,
            )
        )
    created = Payment.objects.bulk_create(payments, batch_size=500)
    by_order = {o.external_id: o for o in orders}
    for payment in created:
        order = by_order[payment.order_external_id]
        allocations.append(
            PaymentAllocation(
                payment=payment, order=order, amount=payment.amount, matched_at=payment.paid_at
            )
        )
    PaymentAllocation.objects.bulk_create(allocations, batch_size=500)
    log(f"  {len(created)} channel payments ({len(skipped)} orders left unpaid)")


def _bank_payments(clerk: object, log: Callable[[str], None]) -> None:
    if Payment.objects.filter(method=PaymentMethod.BANK_TRANSFER).exists():
        return
    on_account = list(
        Order.objects.filter(channel__payment_terms=PaymentTerms.ON_ACCOUNT)
        .exclude(channel__kind=ChannelKind.GROUP_BUYING)
        .exclude(state=OrderState.CANCELLED)
        .order_by("accepted_at")[:4]
    )
    now = timezone.now()
    if len(on_account) >= 3:
        first, second, third = on_account[:3]
        payment = services.bank_payment_record(
            reference="ICBC20261101-0001",
            amount=first.total_amount + second.total_amount,
            paid_at=now - timedelta(days=3),
            payer_name=first.customer.name if first.customer else first.receiver_name,
            customer=first.customer,
            note="两笔订单合并付款",
            by=clerk,
        )
        services.payment_match(
            payment_id=payment.pk,
            allocations={first.pk: first.total_amount, second.pk: second.total_amount},
            by=clerk,
        )
        part = services.bank_payment_record(
            reference="ICBC20261101-0002",
            amount=(third.total_amount / 2).quantize(Decimal("0.01")),
            paid_at=now - timedelta(days=2),
            payer_name=third.customer.name if third.customer else third.receiver_name,
            customer=third.customer,
            note="首付一半",
            by=clerk,
        )
        services.payment_match(payment_id=part.pk, allocations={third.pk: part.amount}, by=clerk)
    services.bank_payment_record(
        reference="CCB20261102-0117",
        amount=Decimal("3680.00"),
        paid_at=now - timedelta(days=1),
        payer_name="杭州美妆小铺",
        note="未注明订单号",
        by=clerk,
    )
    log("  bank transfers: one for two orders, one part payment, one to match")


def _invoices(clerk: object, service: object, manager: object, log: Callable[[str], None]) -> None:
    if InvoiceRequest.objects.exists():
        return
    shipped = list(
        Order.objects.filter(state__in=SHIPPED_STATES, customer__isnull=False)
        # Invoices wait for the goods' tax classification codes: show issued ones here.
        .exclude(lines__sku__tax_code="")
        .select_related("customer")
        .order_by("-accepted_at")[:6]
    )
    if len(shipped) < 5:
        return
    # 1: electronic ordinary invoice, issued and e-mailed
    first = services.invoice_request_create(
        order=shipped[0],
        source="service",
        by=service,
        kind="ordinary",
        title=shipped[0].customer.name,
        tax_id="",
        address_phone="",
        bank_account="",
        delivery_method=DeliveryMethod.EMAIL,
        email="customer@example.com",
    )
    services.invoice_issue(request_id=first.pk, by=clerk)
    # 2: paper special VAT invoice by post, then goods came back: recovered, red-letter, refund
    company = shipped[1].customer
    second = services.invoice_request_create(
        order=shipped[1],
        source="service",
        by=service,
        kind="special",
        title=company.invoice_title or company.name,
        tax_id=company.invoice_tax_id or "91330109MA2B3C4D5Q",
        address_phone=company.invoice_address_phone or "杭州市西湖区文三路1号 0571-88880000",
        bank_account=company.invoice_bank_account or "中国工商银行杭州分行 1202020000000000001",
        delivery_method=DeliveryMethod.POST,
    )
    invoice = services.invoice_issue(request_id=second.pk, by=clerk)
    services.invoice_post(invoice_id=invoice.pk, tracking_number="EMS1234567890", by=clerk)
    services.invoice_recover_paper(
        invoice_id=invoice.pk, note="随退货寄回，发票联和抵扣联齐全", by=clerk
    )
    services.invoice_red_letter(
        invoice_id=invoice.pk, reason="goods_returned", note="客户退货", by=clerk
    )
    try:
        refund = services.refund_request(
            order_id=shipped[1].pk,
            amount=shipped[1].total_amount,
            reason="整单退货",
            by=manager,
        )
        services.refund_approve(refund_id=refund.pk, by=manager)
        services.refund_pay(refund_id=refund.pk, reference="ALIREFUND0001", by=clerk)
    except ApplicationError:
        pass  # the order was one of the two left unpaid
    # 3: waiting for finance (countdown), 4: rejected back with the reason
    services.invoice_request_create(
        order=shipped[2],
        source="service",
        by=service,
        kind="ordinary",
        title=shipped[2].customer.name,
        tax_id="",
        address_phone="",
        bank_account="",
        delivery_method=DeliveryMethod.EMAIL,
        email="buyer@example.com",
    )
    rejected = services.invoice_request_create(
        order=shipped[3],
        source="service",
        by=service,
        kind="ordinary",
        title=shipped[3].customer.name,
        tax_id="",
        address_phone="",
        bank_account="",
        delivery_method=DeliveryMethod.POST,
    )
    services.invoice_request_reject(
        request_id=rejected.pk, why="抬头与付款人不一致，请客户确认发票抬头", by=clerk
    )
    # 5: a refund waiting for the manager's approval
    with contextlib.suppress(ApplicationError):
        services.refund_request(
            order_id=shipped[4].pk,
            amount=Decimal("20.00"),
            reason="物流延误补偿",
            by=manager,
        )
    log(
        f"  {InvoiceRequest.objects.count()} invoice requests, "
        f"{Invoice.objects.count()} invoices, {Refund.objects.count()} refunds"
    )


def _past_invoices(clerk: object, log: Callable[[str], None]) -> None:
    """The shipped orders of the past days that needed an invoice got one (three did not,
    for the reconciliation to find). Issued through the services, then dated back to when
    the parcel was packed, as if the desk had run those days."""
    due = list(
        Order.objects.filter(
            needs_invoice=True, shipped_at__isnull=False, invoice_requests__isnull=True
        )
        .exclude(customer__isnull=True)
        .order_by("shipped_at")
    )
    for order in due[3:]:
        try:
            request = services.invoice_request_create(
                order=order, source="packed", by=None, delivery_method=DeliveryMethod.POST
            )
            invoice = services.invoice_issue(request_id=request.pk, by=clerk)
            services.invoice_post(
                invoice_id=invoice.pk, tracking_number=f"EMS9{order.pk:09d}", by=clerk
            )
        except (ApplicationError, ValidationError):
            continue
        packed = (order.shipped_at or timezone.now()) - timedelta(hours=1)
        InvoiceRequest.objects.filter(pk=request.pk).update(
            requested_at=packed, due_at=packed + timedelta(hours=3), issued_at=packed
        )
        Invoice.objects.filter(pk=invoice.pk).update(issued_at=packed, delivered_at=packed)
    log(f"  {max(len(due) - 3, 0)} invoices for past shipped orders")


def _remittance(clerk: object, log: Callable[[str], None]) -> None:
    """The group-buying site's orders in three remittances by when they were accepted: the
    oldest received in two parts net of its commission (within the site's 5 % tolerance,
    so settled and allocated), the next with a part in and a larger deduction held for
    finance (overdue), the newest not due yet."""
    channel = Channel.objects.filter(kind=ChannelKind.GROUP_BUYING).order_by("pk").first()
    if channel is None or Remittance.objects.exists():
        return
    services.credit_terms_set(
        channel=channel,
        days=15,
        fee_tolerance_percent=Decimal("5"),
        fee_tolerance_amount=Decimal("5000.00"),
        note="团购网站佣金 4% 至 5%，回款账期 15 天",
    )
    now = timezone.now()
    today = timezone.localdate()
    orders = list(
        Order.objects.filter(channel=channel)
        .exclude(state=OrderState.CANCELLED)
        .order_by("accepted_at", "pk")
        .values_list("pk", "accepted_at", "total_amount")
    )
    # The oldest half of the site's orders, the next quarter, the rest (by acceptance).
    half, three_quarters = len(orders) // 2, len(orders) * 3 // 4
    groups = [
        # reference, description, orders, due (days from today)
        ("GB-DEMO-001", "双十一团购回款", orders[:half], -2),
        ("GB-DEMO-002", "十一月团购回款", orders[half:three_quarters], -1),
        ("GB-DEMO-003", "十二月团购回款", orders[three_quarters:], 10),
    ]
    made = []
    for reference, description, mine, due in groups:
        amount = sum((total for _pk, _accepted, total in mine), Decimal("0.00"))
        made.append(
            services.remittance_expect(
                reference=reference,
                channel=channel,
                amount=amount if amount > 0 else Decimal("5600.00"),
                due_date=today + timedelta(days=due),
                description=description,
                order_ids=[pk for pk, _accepted, _total in mine],
            )
        )
    Remittance.objects.filter(pk__in=[r.pk for r in made]).update(
        created_at=now - timedelta(days=20)
    )
    settled, part, _later = made
    # Received in two transfers, net of the site's 4 % commission: settled and allocated.
    commission = (settled.amount_expected * Decimal("0.04")).quantize(Decimal("0.01"))
    first = (settled.amount_expected / 2).quantize(Decimal("0.01"))
    services.remittance_receive(
        remittance_id=settled.pk,
        bank_reference="DEMO-GB001-1",
        amount=first,
        paid_at=now - timedelta(days=4),
        by=clerk,
    )
    services.remittance_receive(
        remittance_id=settled.pk,
        bank_reference="DEMO-GB001-2",
        amount=settled.amount_expected - first - commission,
        paid_at=now - timedelta(days=3),
        by=clerk,
        fee_amount=commission,
        fee_kind="commission",
        fee_reason="团购网站佣金 4%",
    )
    # A part in, and a deduction of 8 % the site did not agree with us: held for finance.
    kept = (part.amount_expected * Decimal("0.08")).quantize(Decimal("0.01"))
    services.remittance_receive(
        remittance_id=part.pk,
        bank_reference="DEMO-GB002-1",
        amount=((part.amount_expected - kept) * Decimal("0.6")).quantize(Decimal("0.01")),
        paid_at=now - timedelta(days=1),
        by=clerk,
        fee_amount=kept,
        fee_kind="commission",
        fee_reason="网站按 8% 扣佣，合同约定 5%，待核",
    )
    log(
        "  three group-buying remittances: one in two parts net of commission (settled and "
        "allocated), one part-received with a deduction held for finance (overdue), one not due"
    )


def seed_finance(log: Callable[[str], None]) -> None:
    rng = random.Random(6)  # noqa: S311 (demo data)
    clerk = _user("finance_clerk")
    service = _user("aftersales_service")
    manager = _user("manager")
    with transaction.atomic():
        _channel_payments(rng, log)
        _bank_payments(clerk, log)
        _invoices(clerk, service, manager, log)
        _past_invoices(clerk, log)
        _remittance(clerk, log)
        today = timezone.localdate()
        if not Settlement.objects.exists():
            services.settlement_draw_up(
                period_start=today - timedelta(days=14),
                period_end=today - timedelta(days=1),
                by=clerk,
            )
    if not ReconciliationRun.objects.exists():
        for days in (3, 2, 1):
            run = services.reconcile(day=today - timedelta(days=days))
        log(f"  reconciliation of {run.day}: {run.mismatch_count} mismatches")
