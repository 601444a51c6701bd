"""Hostile input on every signed endpoint and the payment form (issue 23 §5): quantities of
2³¹ and more, 10³⁰, a price of NaN or Infinity, 1,000-deep JSON, a NUL in a field or a search
box, a payment dated year 8297, megabytes of junk. Each answers 400 naming the field (never
500), nothing is stored, and a payment keeps only the fields we know.

Runs on SQLite and PostgreSQL alike; PostgreSQL is where a NUL or an integer of 2³¹ used to
reach the database and fail there.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from ecomops.bounds import JSON_MAX_DEPTH, QUANTITY_MAX, json_depth
from finance.models import Payment
from orders.models import Order, OrderPush, PlatformEvent
from tests.finance.factories import priced_order
from tests.orders.factories import listed_sku, make_channel, order_data
from tests.timeutil import at
from tests.warehouse.factories import CARRIER_SECRET, CarrierFactory

NOW = at(2026, 11, 23, 10)
pytestmark = [pytest.mark.django_db, pytest.mark.clock(NOW), pytest.mark.usefixtures("english")]


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def channel(db: None) -> Any:
    return make_channel(code="taobao")


@pytest.fixture
def sku(db: None) -> Any:
    return listed_sku("SKU-1", "99.00")


def post_raw(client: Client, path: str, body: bytes, secret: str) -> Any:
    """POST ``body`` as it is (no JSON encoding of ours), signed with ``secret``."""
    ts = str(int(time.time()))
    return client.post(
        path,
        data=body,
        content_type="application/json",
        headers={TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(secret, ts, body)},
    )


def post_json(client: Client, path: str, data: Any, secret: str) -> Any:
    return post_raw(client, path, json.dumps(data, ensure_ascii=False).encode(), secret)


def refused(response: Any, field: str) -> list[str]:
    """The 400's messages for ``field``, after checking the answer's shape."""
    assert response.status_code == 400, (response.status_code, response.content[:500])
    body = response.json()
    assert body["detail"]
    assert field in body["fields"], body
    return body["fields"][field]


def deep(levels: int) -> bytes:
    return b'{"a": ' * levels + b"1" + b"}" * levels


# --- Order push and page ---------------------------------------------------------------------

HOSTILE_LINES = [
    pytest.param({"quantity": 2**31}, "lines[0].quantity", id="quantity-2^31"),
    pytest.param({"quantity": 2_147_483_647}, "lines[0].quantity", id="quantity-int-max"),
    pytest.param({"quantity": 10**30}, "lines[0].quantity", id="quantity-10^30"),
    pytest.param({"quantity": QUANTITY_MAX + 1}, "lines[0].quantity", id="quantity-over-max"),
    pytest.param({"unit_price": "NaN"}, "lines[0].unit_price", id="price-NaN"),
    pytest.param({"unit_price": "Infinity"}, "lines[0].unit_price", id="price-Infinity"),
    pytest.param({"unit_price": "-Infinity"}, "lines[0].unit_price", id="price-minus-Infinity"),
    pytest.param({"unit_price": "1e30"}, "lines[0].unit_price", id="price-10^30"),
    pytest.param({"unit_price": "99.001"}, "lines[0].unit_price", id="price-beyond-fen"),
    pytest.param({"sku": "SKU\x00-1"}, "lines[0].sku", id="sku-NUL"),
    pytest.param({"discount": "NaN"}, "lines[0].discount", id="discount-NaN"),
]


@pytest.mark.parametrize(("change", "field"), HOSTILE_LINES)
def test_a_hostile_line_is_400_naming_it_and_nothing_is_stored(
    client: Client, channel: Any, sku: Any, change: dict[str, Any], field: str
) -> None:
    line = {"sku": "SKU-1", "quantity": 2, "unit_price": "99.00", **change}
    response = post_json(
        client, "/api/v1/channels/taobao/orders", order_data(lines=[line]), channel.secret
    )
    assert refused(response, field)
    assert (Order.objects.count(), OrderPush.objects.count()) == (0, 0)


HOSTILE_ORDER_FIELDS = [
    pytest.param({"placed_at": "8297-01-01T10:00:00+08:00"}, "placed_at", id="year-8297"),
    pytest.param({"placed_at": "1900-01-01T10:00:00+08:00"}, "placed_at", id="year-1900"),
    pytest.param({"paid_at": "8297-01-01T10:00:00+08:00"}, "paid_at", id="paid-year-8297"),
    pytest.param({"shipping_fee": "NaN"}, "shipping_fee", id="shipping-NaN"),
    pytest.param({"discount_amount": "Infinity"}, "discount_amount", id="discount-Infinity"),
    pytest.param({"total_amount": "1e30"}, "total_amount", id="total-10^30"),
    pytest.param({"buyer_note": "请\x00尽快"}, "buyer_note", id="note-NUL"),
    pytest.param({"external_id": "TB\x001001"}, "external_id", id="external-id-NUL"),
    pytest.param({"buyer_note": "x" * 2001}, "buyer_note", id="note-too-long"),
    pytest.param(
        {"lines": [{"sku": "SKU-1", "quantity": 1, "unit_price": "1.00"}] * 501},
        "lines",
        id="501-lines",
    ),
]


@pytest.mark.parametrize(("change", "field"), HOSTILE_ORDER_FIELDS)
def test_a_hostile_order_field_is_400_naming_it(
    client: Client, channel: Any, sku: Any, change: dict[str, Any], field: str
) -> None:
    response = post_json(
        client, "/api/v1/channels/taobao/orders", order_data(**change), channel.secret
    )
    assert refused(response, field)
    assert Order.objects.count() == 0


def test_a_nul_in_the_customer_is_400_naming_it(client: Client, channel: Any, sku: Any) -> None:
    data = order_data()
    data["customer"]["name"] = "李\x00娜"
    response = post_json(client, "/api/v1/channels/taobao/orders", data, channel.secret)
    assert refused(response, "customer.name")


def test_a_hostile_line_is_not_checked_against_the_business_rules(
    client: Client, channel: Any, sku: Any
) -> None:
    """The business checks still report what they can about the rest of the order (an
    unknown SKU on another line), and never see the refused value."""
    lines = [
        {"sku": "SKU-1", "quantity": 10**30, "unit_price": "NaN"},
        {"sku": "NOPE", "quantity": 1, "unit_price": "99.00"},
    ]
    response = post_json(
        client, "/api/v1/channels/taobao/orders", order_data(lines=lines), channel.secret
    )
    fields = response.json()["fields"]
    assert response.status_code == 400
    assert {"lines[0].quantity", "lines[0].unit_price", "lines[1].sku"} <= set(fields)
    assert "whole number" in " ".join(fields["lines[0].quantity"])


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param(deep(1000), "deeper", id="1000-deep"),
        pytest.param(b'{"external_id": NaN}', "JSON", id="NaN-literal"),
        pytest.param(b'{"external_id": Infinity}', "JSON", id="Infinity-literal"),
        pytest.param(b"\xff\xfe not utf-8", "UTF-8", id="not-utf-8"),
        pytest.param(b'{"a": ' + b"9" * 5000 + b"}", "JSON", id="5000-digit-number"),
    ],
)
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/channels/taobao/orders",
        "/api/v1/channels/taobao/orders/batch",
        "/api/v1/channels/taobao/orders/TB1001/events",
        "/api/v1/channels/taobao/payments",
        "/api/v1/channels/taobao/payments/batch",
    ],
)
def test_an_unreadable_body_is_400_naming_the_body(
    client: Client, channel: Any, path: str, body: bytes, words: str
) -> None:
    response = post_raw(client, path, body, channel.secret)
    assert words in " ".join(refused(response, "body"))


def test_json_depth_counts_only_brackets_outside_strings() -> None:
    assert json_depth('{"a": [1, {"b": "[[[{{{"}]}') == 3
    assert json_depth('"\\"[["') == 0
    assert json_depth(deep(JSON_MAX_DEPTH).decode()) == JSON_MAX_DEPTH


def test_a_page_of_orders_answers_each_hostile_order_by_its_field(
    client: Client, channel: Any, sku: Any
) -> None:
    good = order_data(external_id="TB-GOOD")
    bad = order_data(
        external_id="TB-BAD", lines=[{"sku": "SKU-1", "quantity": 2**31, "unit_price": "NaN"}]
    )
    response = post_json(
        client, "/api/v1/channels/taobao/orders/batch", {"orders": [good, bad]}, channel.secret
    )
    assert response.status_code == 200, response.json()
    first, second = response.json()["results"]
    assert (first["status"], second["status"]) == ("created", "refused")
    assert second["http_status"] == 400
    assert {"lines[0].quantity", "lines[0].unit_price"} <= set(second["body"]["fields"])
    assert list(Order.objects.values_list("external_id", flat=True)) == ["TB-GOOD"]


def test_a_body_over_the_limit_is_400_before_it_is_read(
    client: Client, channel: Any, settings: Any
) -> None:
    settings.API_MAX_BODY_BYTES = 64 * 1024
    body = json.dumps(order_data(buyer_note="x" * 100_000)).encode()
    response = post_raw(client, "/api/v1/channels/taobao/orders", body, channel.secret)
    assert "64 KB" in " ".join(refused(response, "body"))


# --- Platform events ----------------------------------------------------------------------

EVENT = {
    "event_id": "RF-1",
    "occurred_at": "2026-11-23T09:30:00+08:00",
    "type": "refund_requested",
    "data": {"amount": "10.00", "reason": "不想要了"},
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"occurred_at": "8297-01-01T10:00:00+08:00"}, "occurred_at", id="year-8297"),
        pytest.param({"event_id": "RF\x001"}, "event_id", id="event-id-NUL"),
        pytest.param(
            {"data": {"amount": "NaN", "reason": "x"}}, "data.amount", id="refund-amount-NaN"
        ),
        pytest.param(
            {"data": {"amount": "1e30", "reason": "x"}}, "data.amount", id="refund-amount-10^30"
        ),
        pytest.param(
            {"data": {"line": 2**31, "amount": "1.00", "reason": "x"}},
            "data.line",
            id="refund-line-2^31",
        ),
        pytest.param(
            {"data": {"amount": "1.00", "reason": "不\x00想要"}}, "data.reason", id="reason-NUL"
        ),
    ],
)
def test_a_hostile_event_is_400_naming_the_field(
    client: Client, channel: Any, sku: Any, change: dict[str, Any], field: str
) -> None:
    post_json(client, "/api/v1/channels/taobao/orders", order_data(), channel.secret)
    response = post_json(
        client,
        "/api/v1/channels/taobao/orders/TB1001/events",
        {**EVENT, **change},
        channel.secret,
    )
    assert refused(response, field)
    assert not PlatformEvent.objects.exists()


@pytest.mark.parametrize("external_id", ["TB%001001", "T" * 65])
def test_a_hostile_order_number_in_the_address_is_400(
    client: Client, channel: Any, external_id: str
) -> None:
    response = post_json(
        client, f"/api/v1/channels/taobao/orders/{external_id}/events", EVENT, channel.secret
    )
    assert refused(response, "external_id")


# --- Payment notifications ---------------------------------------------------------------


@pytest.fixture
def order(sku: Any, channel: Any) -> Any:
    return priced_order([(sku, 1, "80.00")], channel=channel, external_id="TB-PAY")


def payment(**overrides: Any) -> dict[str, Any]:
    return {
        "reference": "2026112322001",
        "order_external_id": "TB-PAY",
        "amount": "80.00",
        "paid_at": "2026-11-23T09:00:00+08:00",
        "payer_name": "张三",
        **overrides,
    }


HOSTILE_PAYMENTS = [
    pytest.param({"amount": "NaN"}, "amount", id="amount-NaN"),
    pytest.param({"amount": "Infinity"}, "amount", id="amount-Infinity"),
    pytest.param({"amount": "1e30"}, "amount", id="amount-10^30"),
    pytest.param({"amount": 10**30}, "amount", id="amount-int-10^30"),
    pytest.param({"amount": "1000000000000.00"}, "amount", id="amount-over-max"),
    pytest.param({"paid_at": "8297-01-01T10:00:00+08:00"}, "paid_at", id="year-8297"),
    pytest.param({"paid_at": "0001-01-01T00:00:00+14:00"}, "paid_at", id="year-1"),
    pytest.param({"payer_name": "张\x00三"}, "payer_name", id="payer-NUL"),
    pytest.param({"reference": "2026\x00"}, "reference", id="reference-NUL"),
    pytest.param({"order_external_id": "TB\x00PAY"}, "order_external_id", id="order-NUL"),
    pytest.param({"reference": "R" * 65}, "reference", id="reference-too-long"),
]


@pytest.mark.parametrize(("change", "field"), HOSTILE_PAYMENTS)
def test_a_hostile_payment_is_400_naming_the_field(
    client: Client, channel: Any, order: Any, change: dict[str, Any], field: str
) -> None:
    response = post_json(
        client, "/api/v1/channels/taobao/payments", payment(**change), channel.secret
    )
    assert refused(response, field)
    assert not Payment.objects.exists()


@pytest.mark.parametrize(("change", "field"), HOSTILE_PAYMENTS)
def test_a_page_answers_each_hostile_payment_by_its_field(
    client: Client, channel: Any, order: Any, change: dict[str, Any], field: str
) -> None:
    response = post_json(
        client,
        "/api/v1/channels/taobao/payments/batch",
        {"payments": [payment(**change)]},
        channel.secret,
    )
    assert response.status_code == 200, response.json()
    (result,) = response.json()["results"]
    assert (result["status"], result["http_status"]) == ("refused", 400)
    assert field in result["body"]["fields"]
    assert not Payment.objects.exists()


def test_two_megabytes_of_junk_with_a_payment_are_refused(
    client: Client, channel: Any, order: Any
) -> None:
    response = post_json(
        client,
        "/api/v1/channels/taobao/payments",
        payment(junk="x" * 2 * 1024 * 1024),
        channel.secret,
    )
    assert refused(response, "body")
    assert not Payment.objects.exists()


def test_a_payment_keeps_only_the_fields_we_know(client: Client, channel: Any, order: Any) -> None:
    extra = {"junk": "x" * 100_000, "nested": {"a": [1, 2, {"b": "\u0000"}]}}
    response = post_json(
        client, "/api/v1/channels/taobao/payments", payment(**extra), channel.secret
    )
    assert response.status_code == 201, response.json()
    stored = Payment.objects.get()
    assert stored.payload == payment()
    assert stored.amount == Decimal("80.00")
    page = post_json(
        client,
        "/api/v1/channels/taobao/payments/batch",
        {"payments": [payment(reference="2026112322002", **extra)]},
        channel.secret,
    )
    assert page.json()["results"][0]["http_status"] == 201
    assert Payment.objects.get(reference="2026112322002").payload == payment(
        reference="2026112322002"
    )


# --- Carrier events -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"occurred_at": "8297-01-01T10:00:00+08:00"}, "occurred_at", id="year-8297"),
        pytest.param({"waybill": "73\x0010"}, "waybill", id="waybill-NUL"),
        pytest.param({"place": "杭州\x00"}, "place", id="place-NUL"),
    ],
)
def test_a_hostile_carrier_event_is_400_naming_the_field(
    client: Client, change: dict[str, Any], field: str
) -> None:
    CarrierFactory()
    event = {
        "event_id": "ZTO-1",
        "waybill": "7310000000001",
        "kind": "in_transit",
        "occurred_at": "2026-11-23T09:30:00+08:00",
        **change,
    }
    response = post_json(client, "/api/v1/carriers/ZTO/events", event, CARRIER_SECRET)
    assert refused(response, field)


# --- The payment form in the portal -------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"amount": "1e30"}, "amount", id="amount-10^30"),
        pytest.param({"amount": "NaN"}, "amount", id="amount-NaN"),
        pytest.param({"amount": "Infinity"}, "amount", id="amount-Infinity"),
        pytest.param({"amount": "1000000000000.00"}, "amount", id="amount-over-max"),
        pytest.param({"paid_at": "8297-01-01T10:00"}, "paid_at", id="year-8297"),
        pytest.param({"reference": "BANK\x001"}, "reference", id="reference-NUL"),
        pytest.param({"payer_name": "华美\x00商贸"}, "payer_name", id="payer-NUL"),
    ],
)
def test_the_bank_payment_form_refuses_hostile_input_and_keeps_what_was_typed(
    client: Client, make_user: Any, change: dict[str, str], field: str
) -> None:
    client.force_login(make_user("finance_clerk"))
    typed = {
        "reference": "BANK-1",
        "amount": "1200.00",
        "paid_at": "2026-11-23T09:00",
        "payer_name": "华美商贸有限公司",
        "note": "",
        **change,
    }
    response = client.post(reverse("finance:payment_list"), typed)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert form.data["payer_name"] == typed["payer_name"]
    assert not Payment.objects.exists()


# --- A NUL in a search box ------------------------------------------------------------------

SEARCH_PAGES = [
    "orders:order_list",
    "orders:customer_list",
    "finance:payment_list",
    "finance:invoice_list",
    "finance:request_list",
    "finance:refund_list",
    "returns:request_list",
    "warehouse:note_list",
    "listings:catalog",
]


@pytest.mark.parametrize("name", SEARCH_PAGES)
def test_a_nul_in_a_search_box_is_dropped(client: Client, make_user: Any, name: str) -> None:
    client.force_login(make_user("manager"))
    try:
        url = reverse(name)
    except Exception:
        pytest.fail(f"no page {name}")
    response = client.get(url, {"q": "李\x00娜", "page": "1\x00"})
    assert response.status_code == 200
    assert "\x00" not in response.wsgi_request.GET["q"]
    assert response.wsgi_request.GET["q"] == "李娜"
