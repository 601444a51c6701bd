"""The invoice requests opened when the warehouse packs orders that need an invoice: one
for each such order of the parcel, in a fixed number of statements."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ecomops.calendar import local_datetime
from ecomops.notifications.models import Notification
from ecomops.sla.models import SlaClock
from finance import services
from finance.models import InvoiceRequest, InvoiceRequestState
from orders.models import Order, OrderState
from tests.finance.factories import COMPANY, priced_order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

MONDAY = date(2026, 11, 23)
PACKED_AT = local_datetime(MONDAY, time(14, 30))


def packed(sku, count: int, **fields) -> list[Order]:
    return [
        priced_order([(sku, 1, "10.00")], state=OrderState.RELEASED, **fields) for _ in range(count)
    ]


@pytest.mark.clock(PACKED_AT)
def test_each_order_that_needs_an_invoice_gets_its_request_and_clock(sku):
    wanting = packed(
        sku, 2, invoice_details={"kind": "ordinary", "title": "李四", "email": "li@example.com"}
    )
    company = priced_order(
        [(sku, 1, "10.00")],
        state=OrderState.RELEASED,
        invoice_kind="special",
        invoice_details={"kind": "special", **COMPANY},
    )
    (not_wanting,) = packed(sku, 1, needs_invoice=False)

    created = services.invoice_requests_for_packed(orders=[*wanting, not_wanting, company])

    assert [request.order for request in created] == [*wanting, company]
    assert not InvoiceRequest.objects.filter(order=not_wanting).exists()
    requests = list(InvoiceRequest.objects.order_by("number"))
    assert [r.number for r in requests] == [f"IR20261123000{n}" for n in (1, 2, 3)]
    first, _, special = requests
    assert (first.source, first.kind, first.title, first.delivery_method, first.email) == (
        "packed",
        "ordinary",
        "李四",
        "email",
        "li@example.com",
    )
    assert (special.kind, special.title, special.tax_id) == (
        "special",
        COMPANY["title"],
        COMPANY["tax_id"],
    )
    assert special.bank_account == COMPANY["bank_account"]
    for request in requests:
        assert request.state == InvoiceRequestState.REQUESTED
        assert request.requested_at == PACKED_AT
        assert request.due_at == local_datetime(MONDAY, time(18))  # before 15:00: today
        clock = SlaClock.objects.get(object_id=request.pk, policy__code="invoice_issued")
        assert (clock.started_at, clock.due_at, clock.stopped_at) == (
            PACKED_AT,
            request.due_at,
            None,
        )


@pytest.mark.clock(local_datetime(MONDAY, time(15, 30)))
def test_after_the_invoice_cut_the_request_is_due_the_next_working_day(sku):
    (order,) = packed(sku, 1)
    (request,) = services.invoice_requests_for_packed(orders=[order])
    assert request.due_at == local_datetime(date(2026, 11, 24), time(18))


@pytest.mark.clock(PACKED_AT)
def test_an_order_with_a_request_already_or_cancelled_gets_none(sku, clerk):
    requested, rejected, cancelled, fresh = packed(sku, 4)
    services.invoice_request_create(order=requested, source="service", by=None)
    refused = services.invoice_request_create(order=rejected, source="service", by=None)
    services.invoice_request_reject(request_id=refused.pk, why="抬头有误", by=clerk)
    Order.objects.filter(pk=cancelled.pk).update(state=OrderState.CANCELLED)

    created = services.invoice_requests_for_packed(orders=[requested, rejected, cancelled, fresh])

    assert [request.order for request in created] == [fresh]
    assert InvoiceRequest.objects.filter(order=requested).count() == 1
    assert InvoiceRequest.objects.filter(order=rejected).count() == 1
    assert not InvoiceRequest.objects.filter(order=cancelled).exists()
    assert services.invoice_requests_for_packed(orders=[fresh]) == []  # idempotent
    assert InvoiceRequest.objects.filter(order=fresh).count() == 1


@pytest.mark.clock(PACKED_AT)
def test_wrong_tax_details_tell_finance_and_do_not_hold_up_the_others(sku, clerk):
    (good,) = packed(sku, 1)
    wrong = priced_order(
        [(sku, 1, "10.00")],
        state=OrderState.RELEASED,
        invoice_kind="special",
        invoice_details={"kind": "special", **COMPANY, "tax_id": ""},
    )

    created = services.invoice_requests_for_packed(orders=[wrong, good])

    assert [request.order for request in created] == [good]
    assert not InvoiceRequest.objects.filter(order=wrong).exists()
    note = Notification.objects.get(recipient=clerk, key=f"invoice-details-{wrong.pk}")
    assert wrong.number in note.title
    assert "taxpayer ID" in note.body
    assert note.url == wrong.get_absolute_url()


@pytest.mark.clock(PACKED_AT)
def test_the_statements_do_not_grow_with_the_orders_of_the_parcel(sku):
    first, one, many = packed(sku, 1), packed(sku, 1), packed(sku, 6)
    services.invoice_requests_for_packed(orders=first)  # the day's first number: its row made
    with CaptureQueriesContext(connection) as alone:
        assert len(services.invoice_requests_for_packed(orders=one)) == 1
    with CaptureQueriesContext(connection) as together:
        assert len(services.invoice_requests_for_packed(orders=many)) == 6
    assert len(together.captured_queries) == len(alone.captured_queries)
    assert SlaClock.objects.filter(policy__code="invoice_issued").count() == 8
