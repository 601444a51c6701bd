"""payment_notify finds an earlier payment of the same reference by an index (issue 24 §7).

It looked the payment up by (method, channel, reference) while the only index on the
reference led with the reference scope, so the database read all of the channel's payments
for each notification, slower as the day went on.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from finance import services
from finance.models import Payment, PaymentMethod
from tests.finance.factories import make_channel

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def notify(channel: Any, reference: str, amount: str = "10.00") -> services.PaymentResult:
    return services.payment_notify(
        channel=channel,
        reference=reference,
        order_external_id=f"EXT-{reference}",
        amount=Decimal(amount),
        paid_at=timezone.now(),
    )


def earlier_payments(channel: Any, count: int) -> None:
    """``count`` notified payments of ``channel`` (bulk: without the service's matching)."""
    now = timezone.now()
    scope = Payment.scope_for(PaymentMethod.CHANNEL, channel)
    Payment.objects.bulk_create(
        Payment(
            reference=f"OLD-{index}",
            reference_scope=scope,
            method=PaymentMethod.CHANNEL,
            channel=channel,
            order_external_id=f"EXT-OLD-{index}",
            amount=Decimal("10.00"),
            paid_at=now - timedelta(seconds=index),
        )
        for index in range(count)
    )


def queries_of_a_repeat(channel: Any, reference: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        again = notify(channel, reference)
    assert again.created is False
    return len(captured.captured_queries)


def test_a_repeated_notification_costs_the_same_however_many_payments_came_before() -> None:
    channel = make_channel(code="tmall")
    notify(channel, "R-1")
    few = queries_of_a_repeat(channel, "R-1")
    earlier_payments(channel, 50)
    assert queries_of_a_repeat(channel, "R-1") == few == 1


def test_a_channel_renamed_between_two_notifications_still_finds_the_payment() -> None:
    # The lookup does not go by the reference scope, which keeps the code the channel had.
    channel = make_channel(code="tmall")
    first = notify(channel, "R-1")
    channel.code = "tmall-cn"
    channel.save(update_fields=["code"])
    again = notify(channel, "R-1")
    assert (again.created, again.payment.pk) == (False, first.payment.pk)
    assert Payment.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans of PostgreSQL")
def test_the_lookup_is_planned_on_the_channel_reference_index() -> None:
    channel = make_channel(code="tmall")
    other = make_channel(code="jd")
    earlier_payments(channel, 3000)
    earlier_payments(other, 1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE finance_payment")
    with CaptureQueriesContext(connection) as captured:
        notify(channel, "OLD-1500", amount="10.00")
    lookup = captured.captured_queries[0]["sql"]
    assert lookup.lstrip().upper().startswith("SELECT")
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {lookup}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "finance_payment_channel_ref" in plan, plan
    assert "Seq Scan" not in plan, plan
