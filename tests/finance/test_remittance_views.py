"""The remittance screens as the finance clerk: record a part, book what the site kept
back, accept a held difference with a reason, and see the allocation; refusals keep what
was typed."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from ecomops.calendar import local_datetime
from finance import services
from finance.models import CreditTerms, RemittanceDifferenceState
from orders.models import PaymentTerms
from tests.finance.factories import make_channel, priced_order

NOW = local_datetime(date(2026, 11, 16), time(10))
# Every test, and every helper it calls, reads the clock pinned here.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english"), pytest.mark.clock(NOW)]


@pytest.fixture
def remittance(sku: Any) -> Any:
    channel = make_channel(
        code="tuan", kind="group_buying", payment_terms=PaymentTerms.ON_ACCOUNT, name="美团团购"
    )
    CreditTerms.objects.create(channel=channel, days=15, fee_tolerance_percent=Decimal("3"))
    orders = [
        priced_order(
            [(sku, 1, price)], channel=channel, accepted_at=timezone.now() - timedelta(days=20)
        )
        for price in ("120.00", "80.00")
    ]
    return services.remittance_expect(
        reference="GB-77",
        channel=channel,
        amount=Decimal("200.00"),
        due_date=timezone.localdate() - timedelta(days=1),
        description="双十一团购",
        order_ids=[o.pk for o in orders],
    )


@pytest.mark.clock(NOW)
def test_the_clerk_records_parts_and_a_held_difference_then_accepts_it(client, clerk, remittance):
    client.force_login(clerk)
    detail = f"/finance/remittances/{remittance.pk}/"
    page = client.get(detail)
    assert page.status_code == 200
    assert "GB-77" in page.content.decode()
    assert "¥6.00" in page.content.decode()  # 3 % of 200 accepted without review
    listing = client.get("/finance/remittances/").content.decode()
    assert 'data-reference="GB-77"' in listing
    # A receipt larger than what is owed is refused; what was typed stays.
    refused = client.post(
        f"/finance/remittances/{remittance.pk}/receive/",
        {"bank_reference": "ICBC-9001", "amount": "250.00", "paid_at": "2026-11-16T09:30"},
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "More than is still owed." in html
    assert 'value="ICBC-9001"' in html
    assert 'value="250.00"' in html
    # A part, with what the site kept back but no reason: refused on the reason.
    no_reason = client.post(
        f"/finance/remittances/{remittance.pk}/receive/",
        {
            "bank_reference": "ICBC-9001",
            "amount": "100.00",
            "paid_at": "2026-11-16T09:30",
            "fee_amount": "4.00",
            "fee_kind": "commission",
        },
    )
    assert no_reason.status_code == 400
    assert "Give the reason the site kept money back." in no_reason.content.decode()
    done = client.post(
        f"/finance/remittances/{remittance.pk}/receive/",
        {
            "bank_reference": "ICBC-9001",
            "amount": "100.00",
            "paid_at": "2026-11-16T09:30",
            "fee_amount": "4.00",
            "fee_kind": "commission",
            "fee_reason": "佣金 2%",
        },
    )
    assert done.status_code == 302
    remittance.refresh_from_db()
    assert remittance.amount_received == Decimal("100.00")
    assert remittance.amount_deducted == Decimal("4.00")
    # 90 more and 6 kept back: 4 + 6 is beyond the 6.00 tolerance, so it is held.
    client.post(
        f"/finance/remittances/{remittance.pk}/receive/",
        {"bank_reference": "ICBC-9002", "amount": "90.00", "paid_at": "2026-11-16T09:45"},
    )
    booked = client.post(
        f"/finance/remittances/{remittance.pk}/differences/",
        {"amount": "6.00", "kind": "fee", "reason": "转账手续费"},
    )
    assert booked.status_code == 302
    held = remittance.differences.get(state=RemittanceDifferenceState.HELD)
    page = client.get(detail).content.decode()
    assert 'data-state="held"' in page
    assert "not yet: the orders are allocated when it is" in page
    # Accepting needs a reason.
    client.post(f"/finance/remittance-differences/{held.pk}/accept/", {"reason": ""})
    held.refresh_from_db()
    assert held.state == RemittanceDifferenceState.HELD
    accepted = client.post(
        f"/finance/remittance-differences/{held.pk}/accept/", {"reason": "合同约定手续费由我方承担"}
    )
    assert accepted.status_code == 302
    held.refresh_from_db()
    assert held.state == RemittanceDifferenceState.ACCEPTED
    remittance.refresh_from_db()
    assert remittance.received_at is not None
    page = client.get(detail).content.decode()
    assert "合同约定手续费由我方承担" in page
    allocation = page[page.index('id="allocation"') :]
    assert allocation.count("¥0.00") >= 2  # both orders: nothing outstanding
    assert "¥120.00" in allocation
    receivables = client.get("/finance/receivables/?status=overdue").content.decode()
    assert "No orders here." in receivables


@pytest.mark.clock(NOW)
def test_other_roles_cannot_record_or_decide(client, make_user, remittance):
    client.force_login(make_user("sales_rep", username="rep"))
    assert client.get(f"/finance/remittances/{remittance.pk}/").status_code == 403
    response = client.post(
        f"/finance/remittances/{remittance.pk}/receive/",
        {"bank_reference": "X", "amount": "200.00", "paid_at": "2026-11-16T09:30"},
    )
    assert response.status_code == 403
    remittance.refresh_from_db()
    assert remittance.amount_received == Decimal("0.00")
