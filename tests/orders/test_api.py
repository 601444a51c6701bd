"""The signed intake API: signature, idempotency, conflicts, every refusal, the answer."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ecomops.cutoffs import batch_for
from orders.models import ChannelSkuMapping, Order, OrderLine, OrderPush, PaymentTerms
from tests.orders.factories import (
    CREDIT_CODE,
    listed_sku,
    make_customer,
    order_data,
    push,
    signed_post,
)
from tests.timeutil import at

pytestmark = pytest.mark.django_db


def test_good_signature_creates_the_order_with_its_batch(
    client: Any, channel: Any, sku: Any
) -> None:
    response = push(client, channel, order_data())
    assert response.status_code == 201, response.json()
    body = response.json()
    order = Order.objects.get(pk=body["id"])
    assert body["number"] == order.number
    assert body["state"] == "received"
    expected = batch_for(order.accepted_at)
    assert body["batch"] == expected.as_dict()
    assert order.lines.get().amount == 198
    assert order.total_amount == 198


def test_wrong_signature_is_401_and_stores_nothing(client: Any, channel: Any, sku: Any) -> None:
    response = push(client, channel, order_data(), secret="not-the-secret")
    assert response.status_code == 401
    assert Order.objects.count() == 0


def test_stale_signature_is_401(client: Any, channel: Any, sku: Any) -> None:
    response = push(client, channel, order_data(), timestamp=int(time.time()) - 301)
    assert response.status_code == 401
    assert "too old" in response.json()["detail"]
    assert Order.objects.count() == 0


def test_unsigned_push_is_401(client: Any, channel: Any) -> None:
    response = client.post(
        f"/api/v1/channels/{channel.code}/orders", data={}, content_type="application/json"
    )
    assert response.status_code == 401


def test_unknown_channel_is_404(client: Any, channel: Any) -> None:
    channel.code = "nowhere"
    assert push(client, channel, order_data()).status_code == 404


def test_same_push_again_returns_the_same_order(client: Any, channel: Any, sku: Any) -> None:
    data = order_data()
    first = push(client, channel, data)
    second = push(client, channel, data)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert Order.objects.count() == 1
    outcomes = list(OrderPush.objects.values_list("outcome", flat=True))
    assert outcomes == ["created", "repeated"]


def test_same_order_spelled_differently_is_a_repeat(client: Any, channel: Any, sku: Any) -> None:
    data = order_data()
    push(client, channel, data)
    respelled = order_data(
        placed_at=data["placed_at"],
        paid_at=data["paid_at"],
        lines=[{"sku": "SKU-1", "quantity": 2, "unit_price": 99}],
    )
    respelled["customer"]["phone"] = "+86 138-0013-8000"
    assert push(client, channel, respelled).status_code == 200


def test_different_payload_for_an_accepted_id_is_409_naming_the_fields(
    client: Any, channel: Any, sku: Any
) -> None:
    data = order_data()
    push(client, channel, data)
    changed = order_data(buyer_note="改地址")
    changed["placed_at"], changed["paid_at"] = data["placed_at"], data["paid_at"]
    changed["lines"][0]["quantity"] = 3
    response = push(client, channel, changed)
    assert response.status_code == 409
    fields = response.json()["fields"]
    assert set(fields) == {"buyer_note", "lines[0].quantity"}
    assert Order.objects.get().lines.get().quantity == 2
    assert OrderPush.objects.filter(outcome="conflict").get().differing_fields == [
        "buyer_note",
        "lines[0].quantity",
    ]


def test_mapped_platform_code_is_accepted(client: Any, channel: Any, sku: Any) -> None:
    ChannelSkuMapping.objects.create(channel=channel, outer_id="TB-998877", sku=sku)
    response = push(client, channel, order_data(sku="TB-998877"))
    assert response.status_code == 201
    line = OrderLine.objects.get()
    assert (line.sku, line.channel_sku_code) == (sku, "TB-998877")


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (
            {"lines": [{"sku": "NOPE", "quantity": 1, "unit_price": "99.00"}]},
            "lines[0].sku",
            "Unknown SKU NOPE",
        ),
        (
            {"lines": [{"sku": "SKU-1", "quantity": 0, "unit_price": "99.00"}]},
            "lines[0].quantity",
            "at least 1",
        ),
        (
            {"lines": [{"sku": "SKU-1", "quantity": -2, "unit_price": "99.00"}]},
            "lines[0].quantity",
            "at least 1",
        ),
        (
            {"lines": [{"sku": "SKU-1", "quantity": 1, "unit_price": "80.00"}]},
            "lines[0].unit_price",
            "tolerance",
        ),
        ({"lines": []}, "lines", ""),
        (
            {"customer": {**order_data()["customer"], "id_number": "110105194912310021"}},
            "customer.id_number",
            "",
        ),
        (
            {
                "customer": {
                    "kind": "company",
                    "name": "华美商贸有限公司",
                    "phone": "13800138000",
                    "credit_code": "91350100M000100Y44",
                    "contact_person": "王芳",
                    "street_address": "中山路1号",
                    "province": "福建省",
                    "city": "福州市",
                }
            },
            "customer.credit_code",
            "",
        ),
        ({"customer": {**order_data()["customer"], "phone": "12345"}}, "customer.phone", "mobile"),
        ({"paid_at": None}, "paid_at", "prepaid"),
        (
            {"needs_invoice": True, "invoice": {"kind": "special", "title": "华美"}},
            "invoice.tax_id",
            "required",
        ),
    ],
)
def test_each_bad_field_is_400_with_a_reason(
    client: Any, channel: Any, sku: Any, change: dict[str, Any], path: str, words: str
) -> None:
    response = push(client, channel, order_data(**change))
    assert response.status_code == 400, response.json()
    fields = response.json()["fields"]
    assert path in fields, fields
    assert words in " ".join(fields[path])
    assert Order.objects.count() == 0
    assert OrderPush.objects.count() == 0


def test_unlisted_sku_is_refused_by_name(client: Any, channel: Any, sku: Any) -> None:
    listed_sku("SKU-OLD", state="delisted")
    response = push(client, channel, order_data(sku="SKU-OLD"))
    assert response.status_code == 400
    assert "SKU SKU-OLD is not listed" in response.json()["fields"]["lines[0].sku"][0]


def test_every_bad_field_is_listed_at_once_and_nothing_is_stored(
    client: Any, channel: Any, sku: Any
) -> None:
    data = order_data(
        lines=[
            {"sku": "NOPE", "quantity": 1, "unit_price": "99.00"},
            {"sku": "SKU-1", "quantity": 0, "unit_price": "99.00"},
            {"sku": "SKU-1", "quantity": 1, "unit_price": "10.00"},
        ]
    )
    data["customer"]["id_number"] = "110105194912310021"
    response = push(client, channel, data)
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {
        "lines[0].sku",
        "lines[1].quantity",
        "lines[2].unit_price",
        "customer.id_number",
    }
    assert (Order.objects.count(), OrderLine.objects.count()) == (0, 0)


def test_structural_and_business_errors_come_together(client: Any, channel: Any, sku: Any) -> None:
    data = order_data(lines=[{"sku": "NOPE", "quantity": "many", "unit_price": "99.00"}])
    response = push(client, channel, data)
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert "lines[0].quantity" in fields
    assert "lines[0].sku" in fields


def test_price_within_tolerance_is_accepted(client: Any, channel: Any, sku: Any) -> None:
    data = order_data(lines=[{"sku": "SKU-1", "quantity": 1, "unit_price": "94.05"}])
    assert push(client, channel, data).status_code == 201


def test_on_account_company_order_is_accepted_when_placed(
    client: Any, channel: Any, sku: Any
) -> None:
    channel.payment_terms = PaymentTerms.ON_ACCOUNT
    channel.save()
    data = order_data(
        paid_at=None,
        customer={
            "kind": "company",
            "name": "福州华美商贸有限公司",
            "phone": "0591-87654321",
            "credit_code": CREDIT_CODE,
            "contact_person": "王芳",
            "province": "福建省",
            "city": "福州市",
            "street_address": "五四路100号",
        },
        needs_invoice=True,
        invoice={
            "kind": "special",
            "title": "福州华美商贸有限公司",
            "tax_id": CREDIT_CODE,
            "address_phone": "福州市五四路100号 0591-87654321",
            "bank_account": "工商银行福州分行 6222000011112222",
        },
    )
    response = push(client, channel, data)
    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert order.accepted_at == order.placed_at
    assert order.invoice_kind == "special"


@pytest.mark.clock(at(2026, 11, 23, 15, 30))
def test_batch_follows_the_cutoff_rule(client: Any, channel: Any, sku: Any) -> None:
    # Monday 2026-11-23 14:59 paid: today's 15:00 batch; 15:00 paid: Tuesday's 12:00.
    early = order_data(
        external_id="A",
        placed_at=at(2026, 11, 23, 14, 50).isoformat(),
        paid_at=at(2026, 11, 23, 14, 59).isoformat(),
    )
    late = order_data(
        external_id="B",
        placed_at=at(2026, 11, 23, 14, 55).isoformat(),
        paid_at=at(2026, 11, 23, 15, 0).isoformat(),
    )
    first = push(client, channel, early).json()["batch"]
    second = push(client, channel, late).json()["batch"]
    assert first == {"date": "2026-11-23", "slot": 15, "ship_by": "2026-11-23"}
    assert second == {"date": "2026-11-24", "slot": 12, "ship_by": "2026-11-24"}


def test_inactive_channel_is_refused(client: Any, channel: Any, sku: Any) -> None:
    channel.active = False
    channel.save()
    response = push(client, channel, order_data())
    assert response.status_code == 409
    assert "does not accept orders" in response.json()["detail"]


def test_exact_match_identifies_automatically(client: Any, channel: Any, sku: Any) -> None:
    customer = make_customer(phone="13800138000")
    body = push(client, channel, order_data()).json()
    assert body["state"] == "identified"
    assert body["customer_identified"] is True
    assert Order.objects.get().customer == customer


def test_future_placed_time_is_refused(client: Any, channel: Any, sku: Any) -> None:
    later = (timezone.now() + timedelta(hours=2)).isoformat()
    response = push(client, channel, order_data(placed_at=later, paid_at=later))
    assert response.status_code == 400
    assert "future" in response.json()["fields"]["placed_at"][0]


def test_schema_documents_the_push(client: Any) -> None:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/channels/{code}/orders" in response.content


def test_structural_errors_use_the_same_paths_as_business_errors(
    client: Any, channel: Any, sku: Any
) -> None:
    data = order_data(lines=[{"sku": "SKU-1", "quantity": 1, "unit_price": "9.999"}])
    fields = push(client, channel, data).json()["fields"]
    assert "lines[0].unit_price" in fields
    assert not any(key.startswith("lines.") for key in fields)


def test_a_new_order_through_the_api_costs_at_most_seven_queries_on_postgresql(
    client: Any, channel: Any, sku: Any
) -> None:
    push(client, channel, order_data(external_id="WARM"))
    with CaptureQueriesContext(connection) as queries:
        response = push(client, channel, order_data(external_id="ONE"))
    assert response.status_code == 201
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    # The channel with its shop's state, then the intake's (test_batch_intake.py).
    assert len(statements) <= (7 if connection.vendor == "postgresql" else 9), "\n".join(statements)


def test_the_push_answers_json_whatever_the_caller_accepts(
    client: Any, channel: Any, sku: Any
) -> None:
    response = signed_post(
        client,
        channel,
        f"/api/v1/channels/{channel.code}/orders",
        order_data(external_id="HTML"),
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert response.json()["external_id"] == "HTML"


def test_a_body_that_is_not_json_is_still_refused_as_such(client: Any, channel: Any) -> None:
    response = signed_post(
        client,
        channel,
        f"/api/v1/channels/{channel.code}/orders",
        b"external_id=X",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"
    assert "application/x-www-form-urlencoded" in response.json()["detail"]
    assert not Order.objects.exists()
