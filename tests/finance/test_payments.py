"""Payment webhook (signature, idempotency), bank transfers matched to orders, receivables."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from finance import selectors, services
from finance.models import Payment, PaymentAllocation
from orders.models import PaymentTerms
from tests.finance.factories import make_channel, priced_order, push_payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def body(order: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "reference": "2026112322001",
        "order_external_id": order.external_id,
        "amount": str(order.total_amount),
        # Within the bounds around now (ecomops.bounds), on whatever day the suite runs.
        "paid_at": timezone.localtime().replace(microsecond=0).isoformat(),
        "payer_name": "张三",
    }
    data.update(overrides)
    return data


def test_signed_notification_records_and_matches_the_payment(client, sku):
    order = priced_order([(sku, 2, "50.00")])
    response = push_payment(client, order.channel, body(order))
    assert response.status_code == 201, response.json()
    assert response.json() == {
        "reference": "2026112322001",
        "amount": "100.00",
        "order": order.number,
        "matched": True,
        "created": True,
    }
    assert services.order_paid_amount(order.pk) == Decimal("100.00")


def test_the_same_notification_again_changes_nothing(client, sku):
    order = priced_order([(sku, 1, "80.00")])
    first = push_payment(client, order.channel, body(order))
    again = push_payment(client, order.channel, body(order))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["created"] is False
    assert Payment.objects.count() == 1
    assert services.order_paid_amount(order.pk) == Decimal("80.00")


def test_a_reference_reused_for_another_amount_is_a_conflict(client, sku):
    order = priced_order([(sku, 1, "80.00")])
    push_payment(client, order.channel, body(order))
    response = push_payment(client, order.channel, body(order, amount="70.00"))
    assert response.status_code == 409
    assert "reference" in response.json()["fields"]
    assert Payment.objects.get().amount == Decimal("80.00")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"secret": "wrong-secret"},
        {"timestamp": int(time.time()) - 3600},
    ],
)
def test_a_badly_signed_notification_is_refused_and_nothing_kept(client, sku, kwargs):
    order = priced_order([(sku, 1, "80.00")])
    response = push_payment(client, order.channel, body(order), **kwargs)
    assert response.status_code == 401
    assert not Payment.objects.exists()


def test_missing_and_wrong_fields_are_named(client, sku):
    order = priced_order([(sku, 1, "80.00")])
    data = body(order, amount="-1")
    del data["reference"]
    response = push_payment(client, order.channel, data)
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"reference", "amount"}


def test_unknown_channel_is_404(client, sku):
    order = priced_order([(sku, 1, "80.00")])
    order.channel.code = "nope"
    response = push_payment(client, order.channel, body(order))
    assert response.status_code == 404


def test_a_payment_before_its_order_is_matched_when_the_order_is_here(client, sku):
    channel = make_channel(code="tmall")
    early = services.payment_notify(
        channel=channel,
        reference="EARLY-1",
        order_external_id="EXT-LATER",
        amount=Decimal("99.00"),
        paid_at=timezone.now(),
    )
    assert early.payment.allocated_amount == 0
    order = priced_order([(sku, 1, "99.00")], channel=channel, external_id="EXT-LATER")
    assert services.payments_match_waiting() == 1
    assert services.order_paid_amount(order.pk) == Decimal("99.00")


def test_one_bank_payment_pays_several_orders_and_part_of_another(clerk, sku):
    channel = make_channel(code="agent", kind="agent", payment_terms=PaymentTerms.ON_ACCOUNT)
    first = priced_order([(sku, 10, "100.00")], channel=channel)
    second = priced_order([(sku, 5, "100.00")], channel=channel)
    third = priced_order([(sku, 4, "100.00")], channel=channel)
    payment = services.bank_payment_record(
        reference="ICBC-1",
        amount=Decimal("1700.00"),
        paid_at=timezone.now() - timedelta(hours=1),
        payer_name="杭州美妆小铺",
        by=clerk,
    )
    services.payment_match(
        payment_id=payment.pk,
        allocations={
            first.pk: Decimal("1000"),
            second.pk: Decimal("500"),
            third.pk: Decimal("200"),
        },
        by=clerk,
    )
    payment.refresh_from_db()
    assert payment.unallocated_amount == 0
    assert list(selectors.receivables(status="part")) == [third]
    assert set(selectors.receivables(status="paid")) == {first, second}


def test_matching_more_than_is_left_or_owed_is_refused_and_nothing_kept(clerk, sku):
    order = priced_order([(sku, 1, "100.00")])
    payment = services.bank_payment_record(
        reference="ICBC-2",
        amount=Decimal("150.00"),
        paid_at=timezone.now(),
        payer_name="x",
        by=clerk,
    )
    with pytest.raises(services.PaymentError, match="owes only"):
        services.payment_match(
            payment_id=payment.pk, allocations={order.pk: Decimal("150.00")}, by=clerk
        )
    with pytest.raises(services.PaymentError, match="left of this payment"):
        services.payment_match(
            payment_id=payment.pk, allocations={order.pk: Decimal("200.00")}, by=clerk
        )
    assert not PaymentAllocation.objects.exists()


def test_bank_serial_numbers_are_unique(clerk):
    kwargs = {
        "reference": "ICBC-3",
        "amount": Decimal("1.00"),
        "paid_at": timezone.now(),
        "payer_name": "x",
        "by": clerk,
    }
    services.bank_payment_record(**kwargs)
    with pytest.raises(services.PaymentError, match="already recorded"):
        services.bank_payment_record(**kwargs)


def test_overdue_and_ageing_buckets(sku):
    channel = make_channel(code="agent", kind="agent", payment_terms=PaymentTerms.ON_ACCOUNT)
    now = timezone.now()
    fresh = priced_order([(sku, 1, "100.00")], channel=channel, accepted_at=now - timedelta(days=5))
    old = priced_order([(sku, 1, "200.00")], channel=channel, accepted_at=now - timedelta(days=45))
    ancient = priced_order(
        [(sku, 1, "300.00")], channel=channel, accepted_at=now - timedelta(days=120)
    )
    assert set(selectors.receivables(status="overdue")) == {old, ancient}
    assert fresh not in selectors.receivables(status="overdue")
    # On account without terms of its own: due FINANCE_PAYMENT_TERMS_DAYS (30) after
    # acceptance; the buckets count days past that due date.
    buckets = {b["key"]: (b["count"], b["amount"]) for b in selectors.ageing()}
    assert buckets["not_due"] == (1, Decimal("100.00"))
    assert buckets["1-30"] == (1, Decimal("200.00"))
    assert buckets["31-60"] == (0, Decimal("0"))
    assert buckets["61-90"] == (1, Decimal("300.00"))
    assert buckets["90+"] == (0, Decimal("0"))
