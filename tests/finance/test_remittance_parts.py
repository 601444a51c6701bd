"""Group-buying remittances in parts and net of what the site kept back, allocated to the
deal's orders to the fen so they leave the receivables and the overdue list."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from ecomops.calendar import local_datetime
from ecomops.errors import ConflictError, PermissionDeniedError
from finance import selectors, services
from finance.models import (
    CreditTerms,
    PaymentAllocation,
    Remittance,
    RemittanceDifferenceState,
)
from finance.services.remittances import remittance_targets
from finance.signals import remittance_received
from orders.models import PaymentTerms
from tests.finance.factories import make_channel, priced_order

NOW = local_datetime(date(2026, 11, 16), time(10))
# Every test, and every helper it calls, reads the clock pinned here.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english"), pytest.mark.clock(NOW)]


def _site(percent: str = "0", cap: str | None = None) -> Any:
    channel = make_channel(code="tuan", kind="group_buying", payment_terms=PaymentTerms.ON_ACCOUNT)
    CreditTerms.objects.create(
        channel=channel,
        days=15,
        fee_tolerance_percent=Decimal(percent),
        fee_tolerance_amount=Decimal(cap) if cap else None,
    )
    return channel


def _deal(sku: Any, channel: Any, prices: list[str], *, due: date | None = None) -> Remittance:
    orders = [
        priced_order(
            [(sku, 1, price)],
            channel=channel,
            accepted_at=timezone.now() - timedelta(days=40),
        )
        for price in prices
    ]
    total = sum((o.total_amount for o in orders), Decimal("0"))
    return services.remittance_expect(
        reference="GB-1",
        channel=channel,
        amount=total,
        due_date=due or timezone.localdate() - timedelta(days=5),
        order_ids=[o.pk for o in orders],
    )


def _receive(remittance: Remittance, reference: str, amount: str, by: Any, **fee: Any) -> Any:
    return services.remittance_receive(
        remittance_id=remittance.pk,
        bank_reference=reference,
        amount=Decimal(amount),
        paid_at=timezone.now(),
        by=by,
        **fee,
    )


@pytest.mark.clock(NOW)
def test_a_remittance_in_parts_allocates_nothing_until_it_is_settled(
    clerk, sku, django_capture_on_commit_callbacks
):
    channel = _site()
    remittance = _deal(sku, channel, ["100.00", "200.00", "300.00"])
    signals: list[Remittance] = []

    def heard(sender: Any, remittance: Remittance, **kwargs: Any) -> None:
        signals.append(remittance)

    remittance_received.connect(heard)
    try:
        _receive(remittance, "B-1", "250.00", clerk)
        remittance.refresh_from_db()
        assert remittance.amount_received == Decimal("250.00")
        assert remittance.amount_open == Decimal("350.00")
        assert remittance.received_at is None
        assert not PaymentAllocation.objects.exists()
        # The part is shown as received, not yet allocated, beside the ageing.
        assert selectors.remittances_received_unallocated() == {
            "amount": Decimal("250.00"),
            "count": 1,
        }
        assert selectors.receivables(status="overdue").count() == 3
        # The same transfer again changes nothing; the same serial number with another
        # amount is refused.
        _receive(remittance, "B-1", "250.00", clerk)
        with pytest.raises(services.RemittanceError, match="already recorded"):
            _receive(remittance, "B-1", "20.00", clerk)
        with pytest.raises(services.RemittanceError, match=r"owed only ¥350\.00 more"):
            _receive(remittance, "B-2", "350.01", clerk)
        with django_capture_on_commit_callbacks(execute=True):
            _receive(remittance, "B-2", "350.00", clerk)
    finally:
        remittance_received.disconnect(heard)
    remittance.refresh_from_db()
    assert remittance.received_at is not None
    assert remittance.receipts.count() == 2
    assert [r.reference for r in signals] == ["GB-1"]
    assert selectors.receivables(status="overdue").count() == 0
    assert selectors.receivables(status="paid").count() == 3
    assert sum(a.amount for a in PaymentAllocation.objects.all()) == Decimal("600.00")
    assert selectors.remittances_received_unallocated()["amount"] == Decimal("0.00")
    with pytest.raises(ConflictError, match="settled already"):
        _receive(remittance, "B-3", "1.00", clerk)


@pytest.mark.clock(NOW)
def test_net_of_commission_within_tolerance_clears_the_receivables(clerk, sku):
    channel = _site(percent="5")
    remittance = _deal(sku, channel, ["100.00", "200.00", "300.00"])
    assert selectors.ageing()[1]["amount"] == Decimal("600.00")  # 5 days overdue
    _receive(
        remittance,
        "B-1",
        "570.00",
        clerk,
        fee_amount=Decimal("30.00"),
        fee_kind="commission",
        fee_reason="团购网站佣金 5%",
    )
    remittance.refresh_from_db()
    difference = remittance.differences.get()
    assert difference.state == RemittanceDifferenceState.ACCEPTED
    assert difference.automatic
    assert difference.payment is not None
    assert difference.payment.amount == Decimal("30.00")
    assert remittance.amount_deducted == Decimal("30.00")
    assert remittance.received_at is not None
    # Every order is paid in full: 95 % from the bank, 5 % the site's commission.
    rows = {row["order"].total_amount: row for row in selectors.remittance_allocation(remittance)}
    assert rows[Decimal("100.00")]["received"] == Decimal("95.00")
    assert rows[Decimal("100.00")]["kept"] == Decimal("5.00")
    assert rows[Decimal("300.00")]["kept"] == Decimal("15.00")
    assert all(row["outstanding"] == Decimal("0.00") for row in rows.values())
    assert all(bucket["amount"] == Decimal("0.00") for bucket in selectors.ageing())
    assert not selectors.receivables(status="overdue").exists()


@pytest.mark.clock(NOW)
def test_beyond_tolerance_is_held_then_accepted_with_a_reason(clerk, manager, sku, make_user):
    channel = _site(percent="2", cap="10.00")
    remittance = _deal(sku, channel, ["300.00", "300.00"])
    _receive(remittance, "B-1", "580.00", clerk)
    # 2 % of 600 is 12.00, capped at 10.00: 20.00 is held.
    difference = services.remittance_book_difference(
        remittance_id=remittance.pk,
        amount=Decimal("20.00"),
        kind="fee",
        reason="平台服务费",
        by=clerk,
    )
    assert difference.state == RemittanceDifferenceState.HELD
    remittance.refresh_from_db()
    assert remittance.received_at is None
    assert not PaymentAllocation.objects.exists()
    assert selectors.receivables(status="overdue").count() == 2
    with pytest.raises(services.RemittanceError, match=r"owed only ¥0\.00 more"):
        services.remittance_book_difference(
            remittance_id=remittance.pk, amount=Decimal("0.01"), kind="fee", reason="x", by=clerk
        )
    outsider = make_user("sales_rep", username="rep")
    with pytest.raises(PermissionDeniedError):
        services.remittance_difference_accept(difference_id=difference.pk, reason="ok", by=outsider)
    with pytest.raises(services.RemittanceError, match="Give a reason"):
        services.remittance_difference_accept(difference_id=difference.pk, reason=" ", by=clerk)
    services.remittance_difference_accept(
        difference_id=difference.pk, reason="合同约定服务费 20 元", by=clerk
    )
    difference.refresh_from_db()
    remittance.refresh_from_db()
    assert difference.state == RemittanceDifferenceState.ACCEPTED
    assert difference.decision_reason == "合同约定服务费 20 元"
    assert difference.decided_by == clerk
    assert remittance.received_at is not None
    assert not selectors.receivables(status="overdue").exists()
    # Accepting again changes nothing.
    services.remittance_difference_accept(difference_id=difference.pk, reason="again", by=clerk)
    assert PaymentAllocation.objects.filter(payment=difference.payment).count() == 2


@pytest.mark.clock(NOW)
def test_a_rejected_difference_leaves_the_site_owing_it(clerk, sku):
    channel = _site()
    remittance = _deal(sku, channel, ["100.00"])
    _receive(remittance, "B-1", "90.00", clerk)
    difference = services.remittance_book_difference(
        remittance_id=remittance.pk, amount=Decimal("10.00"), kind="other", reason="少付", by=clerk
    )
    assert difference.state == RemittanceDifferenceState.HELD  # no tolerance set: held
    services.remittance_difference_reject(difference_id=difference.pk, reason="需补付", by=clerk)
    remittance.refresh_from_db()
    assert remittance.amount_open == Decimal("10.00")
    _receive(remittance, "B-2", "10.00", clerk)
    remittance.refresh_from_db()
    assert remittance.received_at is not None
    assert remittance.amount_deducted == Decimal("0.00")


@pytest.mark.clock(NOW)
def test_allocation_is_exact_to_the_fen_across_orders(clerk, sku):
    channel = _site(percent="10")
    prices = ["33.33", "33.33", "33.34", "0.01", "99.99", "12.35", "7.77"]
    remittance = _deal(sku, channel, prices)
    expected = remittance.amount_expected  # 220.12
    _receive(remittance, "B-1", "100.00", clerk)
    _receive(remittance, "B-2", "97.11", clerk)
    _receive(
        remittance,
        "B-3",
        "1.00",
        clerk,
        fee_amount=expected - Decimal("198.11"),
        fee_reason="佣金",
    )
    remittance.refresh_from_db()
    assert remittance.received_at is not None
    allocations = list(PaymentAllocation.objects.all())
    # Each payment is allocated in full, each order gets exactly its total.
    by_payment: dict[int, Decimal] = {}
    by_order: dict[int, Decimal] = {}
    for a in allocations:
        assert a.amount > 0
        assert a.amount == a.amount.quantize(Decimal("0.01"))
        by_payment[a.payment_id] = by_payment.get(a.payment_id, Decimal("0")) + a.amount
        by_order[a.order_id] = by_order.get(a.order_id, Decimal("0")) + a.amount
    assert sum(by_payment.values()) == expected
    for row in selectors.remittance_allocation(remittance):
        assert by_order[row["order"].pk] == row["order"].total_amount
        assert row["outstanding"] == Decimal("0.00")
    # The commission is shared in proportion: the 99.99 order bears the largest part.
    rows = {row["order"].total_amount: row for row in selectors.remittance_allocation(remittance)}
    assert rows[Decimal("99.99")]["kept"] == max(r["kept"] for r in rows.values())
    # Running it again from the same state gives the same rows (deterministic).
    assert remittance_targets(
        remittance, {1: Decimal("1.00"), 2: Decimal("1.00"), 3: Decimal("1.00")}
    ) == {1: Decimal("1.00"), 2: Decimal("1.00"), 3: Decimal("1.00")}


def test_a_remittance_for_less_than_the_orders_owe_is_shared_in_proportion():
    remittance = Remittance(amount_expected=Decimal("10.00"))
    shares = remittance_targets(
        remittance, {3: Decimal("5.00"), 1: Decimal("5.00"), 2: Decimal("5.00")}
    )
    assert shares == {1: Decimal("3.34"), 2: Decimal("3.33"), 3: Decimal("3.33")}


@pytest.mark.clock(NOW)
def test_the_same_reference_updates_the_orders_until_money_came_in(clerk, sku):
    channel = _site()
    remittance = _deal(sku, channel, ["10.00", "20.00"])
    first, second = list(remittance.order_links.values_list("order_id", flat=True))
    services.remittance_expect(
        reference="GB-1",
        channel=channel,
        amount=Decimal("10.00"),
        due_date=timezone.localdate(),
        order_ids=[first],
    )
    assert list(remittance.order_links.values_list("order_id", flat=True)) == [first]
    _receive(remittance, "B-1", "5.00", clerk)
    with pytest.raises(ConflictError, match="already come in"):
        services.remittance_expect(
            reference="GB-1",
            channel=channel,
            amount=Decimal("30.00"),
            due_date=timezone.localdate(),
            order_ids=[first, second],
        )
