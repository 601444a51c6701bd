"""Finance's queue issued at once (issue 24): ``invoices_issue_many`` issues each request as
``invoice_issue`` does (numbers, lines, state log, SLA clock, e-mail), refuses per request,
and runs a fixed number of statements whatever the number of requests."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_fsm_log.models import StateLog

from ecomops.calendar import local_datetime
from ecomops.errors import ConflictError, PermissionDeniedError
from ecomops.sla.models import SlaClock
from finance import services
from finance.models import Invoice, InvoiceRequest, InvoiceRequestState
from orders.models import Order
from tests.finance.factories import COMPANY, priced_order
from tests.finance.test_bulk_payments import statements
from warehouse.models import DeliveryNote, NoteState, Warehouse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

MONDAY = date(2026, 11, 23)


def requested(order: Order, *, delivery: str = "post", **details: Any) -> InvoiceRequest:
    values: dict[str, Any] = {"kind": "ordinary", "title": "张三"}
    values.update(details)
    return services.invoice_request_create(
        order=order,
        source="service",
        by=None,
        delivery_method=delivery,
        email="buyer@example.com" if delivery == "email" else None,
        **values,
    )


def orders_like(sku: Any, sku6: Any) -> list[Order]:
    """Orders that make different invoices: several rates, postage, a special VAT one."""
    return [
        priced_order([(sku, 3, "33.33"), (sku6, 7, "14.29")]),
        priced_order([(sku, 1, "99.00")], shipping_fee=Decimal("8.00")),
        priced_order([(sku6, 2, "10.00"), (sku, 1, "0.05")]),
    ]


def requests_for(orders: list[Order]) -> list[InvoiceRequest]:
    return [
        requested(orders[0]),
        requested(orders[1], delivery="email"),
        requested(orders[2], kind="special", **COMPANY),
    ]


def invoice_of(request: InvoiceRequest) -> tuple[Any, ...]:
    invoice = Invoice.objects.get(request=request)
    request.refresh_from_db()
    logs = StateLog.objects.filter(object_id=request.pk, transition="issue")
    clock = SlaClock.objects.get(object_id=request.pk, policy__code="invoice_issued")
    return (
        invoice.number[:2],
        invoice.kind,
        invoice.electronic,
        invoice.email,
        invoice.delivery_method,
        invoice.buyer_name,
        invoice.buyer_tax_id,
        invoice.amount_net,
        invoice.tax_amount,
        invoice.total_amount,
        invoice.issued_at,
        invoice.issued_by_id,
        [
            (
                line.position,
                line.sku_id is not None,
                line.description,
                line.quantity,
                line.unit_price_net,
                line.amount_net,
                line.tax_rate,
                line.tax_amount,
                line.total_amount,
            )
            for line in invoice.lines.order_by("position")
        ],
        request.state,
        request.issued_at,
        request.delivery_method,
        [(log.source_state, log.state, log.by_id, log.description) for log in logs],
        (clock.stopped_at, clock.breached_at),
    )


@pytest.mark.clock(local_datetime(MONDAY, time(11)))
def test_issued_at_once_as_one_by_one(clerk, sku, sku6, clock, django_capture_on_commit_callbacks):
    one_by_one = requests_for(orders_like(sku, sku6))
    at_once = requests_for(orders_like(sku, sku6))
    clock.move_to(local_datetime(MONDAY, time(13)))
    with django_capture_on_commit_callbacks(execute=True):
        for request in one_by_one:
            services.invoice_issue(request_id=request.pk, by=clerk)
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = services.invoices_issue_many(request_ids=[r.pk for r in at_once], by=clerk)
    assert [(o.request_id, o.error) for o in outcomes] == [(r.pk, None) for r in at_once]
    assert [invoice_of(r) for r in at_once] == [invoice_of(r) for r in one_by_one]
    assert [o.invoice.pk for o in outcomes if o.invoice] == [
        Invoice.objects.get(request=r).pk for r in at_once
    ]
    # The electronic one is e-mailed with its PDF, and so counts as delivered.
    assert len(mail.outbox) == sent + 1
    electronic = Invoice.objects.get(request=at_once[1])
    assert mail.outbox[-1].attachments[0][0] == f"{electronic.number}.pdf"
    assert electronic.delivered_at is not None


def test_numbers_follow_on_in_each_kinds_series(clerk, sku, sku6):
    first = services.invoice_issue(
        request_id=requested(priced_order([(sku, 1, "10.00")])).pk, by=clerk
    )
    requests = [
        requested(
            priced_order([(sku, 1, "10.00")]), **({"kind": "special", **COMPANY} if n % 2 else {})
        )
        for n in range(4)
    ]
    outcomes = services.invoices_issue_many(request_ids=[r.pk for r in requests], by=clerk)
    numbers = [o.invoice.number for o in outcomes if o.invoice]
    ordinary = int(first.number[-8:])
    assert [int(n[-8:]) for n in numbers[::2]] == [ordinary + 1, ordinary + 2]
    special = [int(n[-8:]) for n in numbers[1::2]]
    assert special == [special[0], special[0] + 1]
    assert numbers[0][:-8] == first.number[:-8] != numbers[1][:-8]
    assert len(set(numbers)) == 4


def test_refusals_are_per_request_and_keep_nothing(clerk, sku):
    issued, good, parcel_gone, no_lines, no_email, also_good = (
        priced_order([(sku, 1, "10.00")]) for _ in range(6)
    )
    done = requested(issued)
    services.invoice_issue(request_id=done.pk, by=clerk)
    parcel = requested(parcel_gone)
    InvoiceRequest.objects.filter(pk=parcel.pk).update(delivery_method="parcel")
    empty = requested(no_lines)
    no_lines.lines.all().delete()
    email = requested(no_email, delivery="email")
    InvoiceRequest.objects.filter(pk=email.pk).update(email="")
    ids = [
        done.pk,
        requested(good).pk,
        parcel.pk,
        empty.pk,
        email.pk,
        999_999,
        requested(also_good).pk,
    ]
    outcomes = services.invoices_issue_many(request_ids=ids, by=clerk)
    errors = [o.error for o in outcomes]
    assert isinstance(errors[0], ConflictError)
    assert "cannot issue the invoice while it is Issued" in errors[0].message
    assert errors[1] is None
    assert isinstance(errors[2], services.InvoiceError)
    assert "delivery_method" in errors[2].extra["fields"]
    assert isinstance(errors[3], services.InvoiceError)
    assert "has no lines" in errors[3].message
    assert isinstance(errors[4], ValidationError)
    assert "email" in errors[4].message_dict
    assert isinstance(errors[5], services.InvoiceError)
    assert errors[6] is None
    states = dict(InvoiceRequest.objects.filter(pk__in=ids).values_list("pk", "state"))
    assert [states.get(pk) for pk in ids] == [
        "issued",
        "issued",
        "requested",
        "requested",
        "requested",
        None,
        "issued",
    ]
    assert Invoice.objects.count() == 3
    assert not StateLog.objects.filter(object_id__in=[parcel.pk, empty.pk, email.pk]).exists()
    # One by one, the same requests are refused the same way.
    for request_id, kind in zip(
        ids[2:5], [services.InvoiceError, services.InvoiceError, ValidationError], strict=True
    ):
        with pytest.raises(kind):
            services.invoice_issue(request_id=request_id, by=clerk)


def test_a_parcel_invoice_is_issued_while_a_note_is_not_packed(clerk, sku):
    order = priced_order([(sku, 1, "10.00")], state="released")
    home = Warehouse.objects.get()  # made with the sku fixture
    DeliveryNote.objects.create(
        number="DN-B1",
        order=order,
        warehouse=home,
        carrier=home.default_carrier,
        state=NoteState.PICKED,
    )
    request = requested(order)
    (outcome,) = services.invoices_issue_many(
        request_ids=[request.pk], by=clerk, delivery_method="parcel"
    )
    assert outcome.error is None
    assert outcome.invoice is not None
    request.refresh_from_db()
    assert request.delivery_method == outcome.invoice.delivery_method == "parcel"


def test_the_same_request_twice_is_issued_once(clerk, sku):
    request = requested(priced_order([(sku, 1, "10.00")]))
    first, second = services.invoices_issue_many(request_ids=[request.pk, request.pk], by=clerk)
    assert first.error is None
    assert isinstance(second.error, ConflictError)
    assert Invoice.objects.filter(request=request).count() == 1


def test_someone_not_allowed_to_issue_is_refused_for_each(make_user, sku):
    service = make_user("aftersales_service", username="svc")
    request = requested(priced_order([(sku, 1, "10.00")]))
    (outcome,) = services.invoices_issue_many(request_ids=[request.pk], by=service)
    assert isinstance(outcome.error, PermissionDeniedError)
    with pytest.raises(PermissionDeniedError):
        services.invoice_issue(request_id=request.pk, by=service)
    request.refresh_from_db()
    assert request.state == InvoiceRequestState.REQUESTED


@pytest.mark.clock(local_datetime(MONDAY, time(11)))
def test_a_late_issue_records_the_breach_as_one_would(clerk, sku, clock):
    request = requested(priced_order([(sku, 1, "10.00")]))
    clock.move_to(local_datetime(MONDAY, time(19)))
    services.invoices_issue_many(request_ids=[request.pk], by=clerk)
    sla = SlaClock.objects.get(object_id=request.pk, policy__code="invoice_issued")
    assert sla.stopped_at == local_datetime(MONDAY, time(19))
    assert sla.breached_at == local_datetime(MONDAY, time(18))


def _issue_queries(requests: list[InvoiceRequest], clerk: Any) -> list[dict[str, str]]:
    with CaptureQueriesContext(connection) as captured:
        outcomes = services.invoices_issue_many(request_ids=[r.pk for r in requests], by=clerk)
    assert [o.error for o in outcomes] == [None] * len(requests)
    return captured.captured_queries


def test_the_statements_do_not_grow_with_the_requests(clerk, sku, sku6):
    def some(count: int) -> list[InvoiceRequest]:
        return [
            requested(
                priced_order([(sku, 1, "10.00"), (sku6, 2, "5.00")], shipping_fee=Decimal("6")),
                **({"kind": "special", **COMPANY} if n % 2 else {}),
            )
            for n in range(count)
        ]

    few, many = some(5), some(50)
    # the first call warms what every process caches (permissions, content types, policies)
    _issue_queries(some(2), clerk)
    small = _issue_queries(few, clerk)
    large = _issue_queries(many, clerk)
    assert statements(large) == statements(small), "\n".join(q["sql"][:120] for q in large)
    if connection.vendor == "postgresql":
        assert len(large) == len(small)
