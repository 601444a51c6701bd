"""A channel's feed of payment notifications at once (issue 24): ``payments_notify_many``
and the signed page ``POST /api/v1/channels/<code>/payments/batch`` answer each payment as
``payment_notify`` and the single notification do, in a fixed number of statements."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from ecomops.errors import ConflictError
from finance import services
from finance.models import Payment, PaymentAllocation
from finance.services import PaymentNotification
from orders.models import Channel, Order, OrderState
from tests.finance.factories import make_channel, priced_order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PAID_AT = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


def notification(order: Order, reference: str = "", **overrides: Any) -> PaymentNotification:
    values: dict[str, Any] = {
        "reference": reference or f"PAY-{order.external_id}",
        "order_external_id": order.external_id,
        "amount": order.total_amount,
        "paid_at": PAID_AT,
        "payer_name": "张三",
        "payload": {"trade_no": reference or order.external_id},
    }
    values.update(overrides)
    return PaymentNotification(**values)


def state_of(orders: list[Order]) -> list[tuple[Any, ...]]:
    """Each order's payments and matches, as the books see them (ids left out)."""
    rows = []
    for order in orders:
        for payment in Payment.objects.filter(order_external_id=order.external_id).order_by("pk"):
            rows.append(
                (
                    payment.reference.split("-", 1)[0],
                    payment.reference_scope,
                    payment.method,
                    payment.amount,
                    payment.allocated_amount,
                    payment.payer_name,
                    payment.paid_at,
                    sorted(payment.payload),
                    [
                        (a.order.total_amount, a.amount, a.matched_by_id)
                        for a in payment.allocations.select_related("order")
                    ],
                )
            )
    return rows


def test_a_feed_leaves_the_books_as_one_notification_each_would(sku):
    channel = make_channel(code="tmall")
    singles = [priced_order([(sku, n, "10.00")], channel=channel) for n in (1, 2, 3)]
    feed = [priced_order([(sku, n, "10.00")], channel=channel) for n in (1, 2, 3)]
    for order in singles:
        n = notification(order, f"ONE-{order.external_id}")
        services.payment_notify(
            channel=channel,
            reference=n.reference,
            order_external_id=n.order_external_id,
            amount=n.amount,
            paid_at=n.paid_at,
            payer_name=n.payer_name,
            payload=n.payload,
        )
    outcomes = services.payments_notify_many(
        channel=channel,
        notifications=[notification(order, f"MANY-{order.external_id}") for order in feed],
    )
    assert [(o.index, o.status, o.created, o.error) for o in outcomes] == [
        (0, "created", True, None),
        (1, "created", True, None),
        (2, "created", True, None),
    ]
    by_reference = dict(
        Payment.objects.filter(reference__startswith="MANY-").values_list("reference", "pk")
    )
    assert [o.payment.pk for o in outcomes if o.payment] == [
        by_reference[f"MANY-{order.external_id}"] for order in feed
    ]
    many, one = state_of(feed), state_of(singles)
    assert [row[1:] for row in many] == [row[1:] for row in one]
    assert [services.order_paid_amount(o.pk) for o in feed] == [
        Decimal("10.00"),
        Decimal("20.00"),
        Decimal("30.00"),
    ]


def test_the_same_notification_twice_is_one_payment(sku):
    channel = make_channel(code="tmall")
    order = priced_order([(sku, 1, "80.00")], channel=channel)
    twice = [notification(order), notification(order)]
    first = services.payments_notify_many(channel=channel, notifications=twice)
    again = services.payments_notify_many(channel=channel, notifications=twice)
    single = services.payment_notify(
        channel=channel,
        reference=f"PAY-{order.external_id}",
        order_external_id=order.external_id,
        amount=Decimal("80.00"),
        paid_at=timezone.now(),
    )
    assert [o.status for o in first] == ["created", "repeated"]
    assert [o.status for o in again] == ["repeated", "repeated"]
    assert not single.created
    payment = Payment.objects.get()
    assert {o.payment.pk for o in [*first, *again] if o.payment} == {payment.pk}
    assert payment.allocated_amount == Decimal("80.00")
    assert PaymentAllocation.objects.get().amount == Decimal("80.00")
    assert services.order_paid_amount(order.pk) == Decimal("80.00")


def test_refused_notifications_keep_nothing_and_stop_no_other(sku):
    channel = make_channel(code="tmall")
    paid, other, cancelled = (priced_order([(sku, 1, "50.00")], channel=channel) for _ in "abc")
    Order.objects.filter(pk=cancelled.pk).update(state=OrderState.CANCELLED)
    services.payments_notify_many(channel=channel, notifications=[notification(paid)])
    outcomes = services.payments_notify_many(
        channel=channel,
        notifications=[
            notification(paid, amount=Decimal("49.00")),  # the reference again, changed
            notification(cancelled),
            notification(other, amount=Decimal("0")),
            notification(other),
            notification(other, f"PAY-{other.external_id}", order_external_id="ELSEWHERE"),
            notification(other, "EARLY-1", order_external_id="NOT-HERE-YET"),
        ],
    )
    assert [o.status for o in outcomes] == [
        "conflict",
        "refused",
        "refused",
        "created",
        "conflict",
        "created",
    ]
    assert isinstance(outcomes[0].error, ConflictError)
    assert "reference" in outcomes[0].error.extra["fields"]
    assert outcomes[1].error is not None
    assert "cancelled" in outcomes[1].error.message
    assert outcomes[2].error is not None
    assert "amount" in outcomes[2].error.extra["fields"]
    assert sorted(Payment.objects.values_list("reference", flat=True)) == sorted(
        ["EARLY-1", f"PAY-{paid.external_id}", f"PAY-{other.external_id}"]
    )
    assert services.order_paid_amount(cancelled.pk) == 0
    assert services.order_paid_amount(other.pk) == Decimal("50.00")
    early = Payment.objects.get(reference="EARLY-1")
    assert (early.allocated_amount, early.order_external_id) == (0, "NOT-HERE-YET")
    # Single notifications refuse the same ones the same way.
    with pytest.raises(ConflictError):
        services.payment_notify(
            channel=channel,
            reference=f"PAY-{paid.external_id}",
            order_external_id=paid.external_id,
            amount=Decimal("49.00"),
            paid_at=timezone.now(),
        )
    with pytest.raises(services.PaymentError, match="cancelled"):
        services.payment_notify(
            channel=channel,
            reference="LATE-1",
            order_external_id=cancelled.external_id,
            amount=Decimal("50.00"),
            paid_at=timezone.now(),
        )


def test_a_payment_waiting_for_its_order_is_matched_when_it_comes(sku):
    channel = make_channel(code="tmall")
    services.payments_notify_many(
        channel=channel,
        notifications=[
            PaymentNotification(
                reference="EARLY-2",
                order_external_id="EXT-LATER",
                amount=Decimal("99.00"),
                paid_at=timezone.now(),
            )
        ],
    )
    order = priced_order([(sku, 1, "99.00")], channel=channel, external_id="EXT-LATER")
    assert services.payments_match_waiting() == 1
    assert services.order_paid_amount(order.pk) == Decimal("99.00")


def _feed_queries(channel: Channel, orders: list[Order], prefix: str) -> list[dict[str, str]]:
    with CaptureQueriesContext(connection) as captured:
        outcomes = services.payments_notify_many(
            channel=channel,
            notifications=[notification(o, f"{prefix}-{o.external_id}") for o in orders],
        )
    assert {o.status for o in outcomes} == {"created"}
    return captured.captured_queries


def statements(queries: list[dict[str, str]]) -> int:
    """Statements run, a bulk insert counted once: Django's SQLite backend splits one
    ``bulk_create`` into inserts of at most 999 parameters (PostgreSQL does not)."""
    count = 0
    previous = ""
    for query in queries:
        sql = query["sql"]
        insert = sql.split(" (", 1)[0] if sql.startswith("INSERT INTO") else ""
        if not (insert and insert == previous and connection.vendor == "sqlite"):
            count += 1
        previous = insert
    return count


def test_the_statements_of_a_feed_do_not_grow_with_its_payments(sku):
    channel = make_channel(code="tmall")
    few = [priced_order([(sku, 1, "10.00")], channel=channel) for _ in range(5)]
    many = [priced_order([(sku, 1, "10.00")], channel=channel) for _ in range(50)]
    small = _feed_queries(channel, few, "A")
    large = _feed_queries(channel, many, "A")
    assert statements(large) == statements(small), "\n".join(q["sql"][:120] for q in large)
    if connection.vendor == "postgresql":
        assert len(large) == len(small)
    # A feed sent again reads and writes nothing more than one read.
    with CaptureQueriesContext(connection) as repeat:
        services.payments_notify_many(
            channel=channel, notifications=[notification(o, f"A-{o.external_id}") for o in many]
        )
    assert len(repeat) == 1


# --- The signed page ------------------------------------------------------------------------


def push_page(client: Client, channel: Channel, data: Any, *, secret: str | None = None) -> Any:
    body = json.dumps(data, ensure_ascii=False).encode()
    ts = str(int(time.time()))
    return client.post(
        f"/api/v1/channels/{channel.code}/payments/batch",
        data=body,
        content_type="application/json",
        headers={
            TIMESTAMP_HEADER: ts,
            SIGNATURE_HEADER: sign(secret or channel.secret, ts, body),
            "Accept-Language": "en",
        },
    )


def item(order: Order, reference: str, **overrides: Any) -> dict[str, Any]:
    data = {
        "reference": reference,
        "order_external_id": order.external_id,
        "amount": str(order.total_amount),
        # Within the bounds around now (ecomops.bounds), on whatever day the suite runs.
        "paid_at": timezone.localtime().replace(microsecond=0).isoformat(),
        "payer_name": "张三",
    }
    data.update(overrides)
    return data


def push_one(client: Client, channel: Channel, data: dict[str, Any]) -> Any:
    from tests.finance.factories import push_payment

    return push_payment(client, channel, data)


def test_a_page_answers_each_payment_as_its_own_notification_would(client, sku):
    channel = make_channel(code="tmall")
    orders = [priced_order([(sku, 1, "80.00")], channel=channel) for _ in range(3)]
    twins = [priced_order([(sku, 1, "80.00")], channel=channel) for _ in range(3)]

    def page_of(these: list[Order], prefix: str) -> list[dict[str, Any]]:
        return [
            item(these[0], f"{prefix}-1"),
            item(these[1], f"{prefix}-2"),
            item(these[0], f"{prefix}-1", amount="70.00"),  # the reference reused: conflict
            item(these[2], f"{prefix}-3", amount="-1"),  # refused: the amount
            item(these[0], f"{prefix}-1"),  # the same again: repeated
        ]

    response = push_page(client, channel, {"payments": page_of(orders, "P")})
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    singles = [push_one(client, channel, data) for data in page_of(twins, "S")]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert [r["reference"] for r in results] == ["P-1", "P-2", "P-1", "P-3", "P-1"]
    assert [r["status"] for r in results] == [
        "created",
        "created",
        "conflict",
        "refused",
        "repeated",
    ]
    assert [r["http_status"] for r in results] == [s.status_code for s in singles]
    for result, single in zip(results, singles, strict=True):
        body, expected = result["body"], single.json()
        assert body.keys() == expected.keys()
        if "fields" in expected:
            assert body["fields"].keys() == expected["fields"].keys()
        else:
            same = ("amount", "matched", "created")
            assert [body[k] for k in same] == [expected[k] for k in same]
    assert [results[i]["body"]["order"] for i in (0, 1, 4)] == [
        orders[0].number,
        orders[1].number,
        orders[0].number,
    ]
    assert set(results[3]["body"]["fields"]) == {"amount"}
    assert Payment.objects.filter(reference__startswith="P-").count() == 2


@pytest.mark.parametrize("data", [{"payments": []}, {"payments": "x"}, [1, 2], {}])
def test_a_page_that_is_not_a_list_of_payments_is_refused(client, sku, data):
    channel = make_channel(code="tmall")
    response = push_page(client, channel, data)
    assert response.status_code == 400
    assert "payments" in response.json()["fields"]


def test_a_badly_signed_page_keeps_nothing(client, sku):
    order = priced_order([(sku, 1, "80.00")])
    response = push_page(
        client, order.channel, {"payments": [item(order, "X-1")]}, secret="wrong-secret"
    )
    assert response.status_code == 401
    assert not Payment.objects.exists()


def test_the_page_is_in_the_api_schema(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/channels/{code}/payments/batch"]["post"]
    assert operation["operationId"] == "channel_payment_batch_push"
    assert {"200", "400", "401"} <= set(operation["responses"])


def test_the_statements_of_a_page_do_not_grow_with_its_payments(client, sku):
    channel = make_channel(code="tmall")
    few = [priced_order([(sku, 1, "10.00")], channel=channel) for _ in range(5)]
    many = [priced_order([(sku, 1, "10.00")], channel=channel) for _ in range(50)]
    counts = []
    for orders in (few, many):
        page = {"payments": [item(o, f"Q-{o.external_id}") for o in orders]}
        with CaptureQueriesContext(connection) as captured:
            response = push_page(client, channel, page)
        statuses = Counter(r["status"] for r in response.json()["results"])
        assert statuses == {"created": len(orders)}
        counts.append(statements(captured.captured_queries))
    assert counts[0] == counts[1]


# --- Concurrency ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent inserts need PostgreSQL (.ci/run)"
)
def test_two_feeds_of_the_same_payments_at_once_record_each_once(sku):
    channel = make_channel(code="tmall")
    orders = [priced_order([(sku, 1, "10.00")], channel=channel) for _ in range(20)]
    feed = [notification(o) for o in orders]
    results: list[list[str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run(part: list[PaymentNotification]) -> None:
        try:
            barrier.wait()
            outcomes = services.payments_notify_many(channel=channel, notifications=part)
            results.append([o.status for o in outcomes])
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(feed,)),
        threading.Thread(target=run, args=(list(reversed(feed)),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Payment.objects.count() == 20
    assert PaymentAllocation.objects.count() == 20
    assert (
        sorted(s for statuses in results for s in statuses) == ["created"] * 20 + ["repeated"] * 20
    )
