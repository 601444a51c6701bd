"""Ageing and the overdue list run from each order's due date (payment terms), not from
its acceptance: buckets not due / 1-30 / 31-60 / 61-90 / more than 90 days overdue."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from ecomops.calendar import local_datetime
from finance import selectors, services
from finance.models import CreditTerms
from orders.models import PaymentTerms
from tests.finance.factories import make_channel, make_customer, priced_order

TODAY = date(2026, 11, 16)
NOW = local_datetime(TODAY, time(10))
# Every test, and every helper it calls, reads the clock pinned here.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english"), pytest.mark.clock(NOW)]


def _accepted(days_ago: int) -> Any:
    # Company time, early in the day: the local date is exactly ``days_ago`` before today.
    return local_datetime(TODAY - timedelta(days=days_ago), time(0, 30))


def _buckets() -> dict[str, tuple[int, Decimal]]:
    return {b["key"]: (b["count"], b["amount"]) for b in selectors.ageing()}


@pytest.mark.clock(NOW)
@pytest.mark.parametrize(
    ("days_overdue", "bucket"),
    [
        (-1, "not_due"),
        (0, "not_due"),  # due today: not overdue yet
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "90+"),
    ],
)
@override_settings(FINANCE_PAYMENT_TERMS_DAYS=30)
def test_bucket_edges_count_days_past_the_due_date(sku, days_overdue, bucket):
    channel = make_channel(code="agent", kind="agent", payment_terms=PaymentTerms.ON_ACCOUNT)
    order = priced_order(
        [(sku, 1, "100.00")], channel=channel, accepted_at=_accepted(30 + days_overdue)
    )
    buckets = _buckets()
    assert buckets[bucket] == (1, Decimal("100.00"))
    assert sum(count for count, _amount in buckets.values()) == 1
    overdue = list(selectors.receivables(status="overdue"))
    assert overdue == ([order] if days_overdue > 0 else [])
    row: Any = selectors.receivables().get(pk=order.pk)
    assert row.due_date == TODAY - timedelta(days=days_overdue)
    assert selectors.days_overdue(row) == days_overdue


@pytest.mark.clock(NOW)
@override_settings(FINANCE_PAYMENT_TERMS_DAYS=30)
def test_terms_come_from_the_customer_then_the_channel_then_the_default(sku):
    channel = make_channel(code="agent", kind="agent", payment_terms=PaymentTerms.ON_ACCOUNT)
    CreditTerms.objects.create(channel=channel, days=60)
    patient = make_customer(name="杭州长账期贸易有限公司")
    CreditTerms.objects.create(customer=patient, days=90)
    by_channel = priced_order([(sku, 1, "10.00")], channel=channel, accepted_at=_accepted(70))
    by_customer = priced_order(
        [(sku, 1, "20.00")], channel=channel, customer=patient, accepted_at=_accepted(70)
    )
    other = make_channel(code="dist", kind="distributor", payment_terms=PaymentTerms.ON_ACCOUNT)
    by_default = priced_order([(sku, 1, "40.00")], channel=other, accepted_at=_accepted(70))
    prepaid = make_channel(code="tmall", kind="tmall", payment_terms=PaymentTerms.PREPAID)
    unpaid_prepaid = priced_order([(sku, 1, "80.00")], channel=prepaid, accepted_at=_accepted(2))
    rows: list[Any] = list(selectors.receivables())
    due = {row.pk: row.due_date for row in rows}
    assert due[by_channel.pk] == TODAY - timedelta(days=10)
    assert due[by_customer.pk] == TODAY + timedelta(days=20)
    assert due[by_default.pk] == TODAY - timedelta(days=40)
    assert due[unpaid_prepaid.pk] == TODAY - timedelta(days=2)  # prepaid: due when accepted
    buckets = _buckets()
    assert buckets["not_due"] == (1, Decimal("20.00"))
    assert buckets["1-30"] == (2, Decimal("90.00"))
    assert buckets["31-60"] == (1, Decimal("40.00"))
    assert set(selectors.receivables(status="overdue")) == {by_channel, by_default, unpaid_prepaid}


@pytest.mark.clock(NOW)
def test_group_buying_orders_are_due_with_their_remittance(sku, clerk):
    channel = make_channel(code="tuan", kind="group_buying", payment_terms=PaymentTerms.ON_ACCOUNT)
    old = priced_order([(sku, 1, "50.00")], channel=channel, accepted_at=_accepted(200))
    services.remittance_expect(
        reference="GB-9",
        channel=channel,
        amount=Decimal("50.00"),
        due_date=TODAY + timedelta(days=3),
        order_ids=[old.pk],
    )
    # Accepted 200 days ago, but the site owes it only in three days.
    assert _buckets()["not_due"] == (1, Decimal("50.00"))
    assert not selectors.receivables(status="overdue").exists()
    # Forty days on, it is 37 days overdue.
    assert selectors.ageing(today=TODAY + timedelta(days=40))[2]["amount"] == Decimal("50.00")
    services.remittance_receive(
        remittance_id=old.remittance_links.get().remittance_id,
        bank_reference="B-9",
        amount=Decimal("50.00"),
        paid_at=timezone.now(),
        by=clerk,
    )
    assert all(b["count"] == 0 for b in selectors.ageing(today=TODAY + timedelta(days=40)))


@pytest.mark.clock(NOW)
def test_the_receivables_page_shows_due_dates_and_days_overdue(client, clerk, sku):
    channel = make_channel(code="agent", kind="agent", payment_terms=PaymentTerms.ON_ACCOUNT)
    CreditTerms.objects.create(channel=channel, days=10)
    order = priced_order([(sku, 1, "100.00")], channel=channel, accepted_at=_accepted(25))
    client.force_login(clerk)
    html = client.get("/finance/receivables/?status=overdue").content.decode()
    assert order.number in html
    assert (TODAY - timedelta(days=15)).isoformat() in html
    assert 'data-bucket="1-30"' in html
    assert "1–30 days overdue" in html
