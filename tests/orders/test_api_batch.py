"""The signed page endpoint: each order answered as its own push would be, idempotent per
order, in the schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from orders.models import IntakePolicy, Order, OrderPush
from tests.orders.factories import SHOP_MORNING, make_channel, order_data, push, signed_post

pytestmark = [pytest.mark.django_db, pytest.mark.clock(SHOP_MORNING)]


def push_page(client: Client, channel: Any, body: Any, *, secret: str | None = None) -> Any:
    path = f"/api/v1/channels/{channel.code}/orders/batch"
    return signed_post(client, channel, path, body, secret=secret)


def _page() -> list[dict[str, Any]]:
    good = order_data(external_id="P-1")
    unknown = order_data(external_id="P-2", sku="NOPE")
    unknown["customer"]["phone"] = "13600136000"
    malformed = order_data(external_id="P-3")
    malformed["lines"][0]["quantity"] = "two"
    bad_rule = order_data(external_id="P-4")
    bad_rule["customer"]["id_number"] = "123"
    return [good, unknown, malformed, bad_rule]


def test_each_order_is_answered_as_its_own_push(client: Client, sku: Any) -> None:
    singly = make_channel(code="tmall-a", kind="tmall", intake_policy=IntakePolicy.PARK)
    paged = make_channel(code="tmall-b", kind="tmall", intake_policy=IntakePolicy.PARK)
    expected = [push(client, singly, data) for data in _page()]

    response = push_page(client, paged, {"orders": _page()})

    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert [r["http_status"] for r in results] == [e.status_code for e in expected]
    assert [r["status"] for r in results] == ["created", "parked", "refused", "refused"]

    def comparable(body: dict[str, Any]) -> Any:
        # The two channels' codes appear in the messages; ids and numbers differ.
        kept = {k: v for k, v in body.items() if k not in ("id", "number")}
        return json.loads(json.dumps(kept).replace("tmall-a", "tmall-b"))

    assert [comparable(r["body"]) for r in results] == [comparable(e.json()) for e in expected]
    assert "lines[0].quantity" in results[2]["body"]["fields"]
    assert "customer.id_number" in results[3]["body"]["fields"]
    assert [r["code"] for r in results[1]["body"]["reasons"]] == ["sku_unknown"]


def test_a_page_sent_again_answers_each_order_as_a_repeat(client: Client, sku: Any) -> None:
    channel = make_channel(code="tmall", kind="tmall", intake_policy=IntakePolicy.PARK)
    first = push_page(client, channel, {"orders": _page()}).json()["results"]
    again = push_page(client, channel, {"orders": _page()}).json()["results"]
    assert [r["http_status"] for r in again] == [200, 200, 400, 400]
    assert [r["status"] for r in again] == ["repeated", "repeated", "refused", "refused"]
    assert again[0]["body"] == first[0]["body"]
    assert again[1]["body"]["reasons"] == first[1]["body"]["reasons"]
    assert Order.objects.count() == 2
    assert OrderPush.objects.filter(outcome="repeated").count() == 2


def test_a_changed_order_in_a_page_is_a_conflict(client: Client, channel: Any, sku: Any) -> None:
    push(client, channel, order_data(external_id="C-1"))
    changed = order_data(external_id="C-1", buyer_note="改地址")
    result = push_page(client, channel, {"orders": [changed]}).json()["results"][0]
    assert (result["status"], result["http_status"]) == ("conflict", 409)
    assert "buyer_note" in result["body"]["fields"]


@pytest.mark.parametrize(
    "body", [{}, {"orders": []}, {"orders": "x"}, [], {"orders": [order_data()] * 501}]
)
def test_a_request_that_is_no_page_is_400(client: Client, channel: Any, body: Any) -> None:
    response = push_page(client, channel, body)
    assert response.status_code == 400
    assert "orders" in response.json()["fields"]
    assert Order.objects.count() == 0


def test_a_bad_signature_is_401_and_stores_nothing(client: Client, channel: Any, sku: Any) -> None:
    response = push_page(client, channel, {"orders": [order_data()]}, secret="wrong")
    assert response.status_code == 401
    assert Order.objects.count() == 0


def test_a_closed_channel_refuses_the_page(client: Client, sku: Any) -> None:
    closed = make_channel(code="closed", active=False)
    response = push_page(client, closed, {"orders": [order_data()]})
    assert response.status_code == 409
    assert Order.objects.count() == 0


def test_the_page_endpoint_is_in_the_schema(client: Client) -> None:
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/channels/{code}/orders/batch"]["post"]
    assert operation["operationId"] == "channel_order_batch_push"
    assert "200" in operation["responses"]


def _fresh_page(count: int, first_phone: int) -> list[dict[str, Any]]:
    orders = []
    for n in range(count):
        data = order_data(external_id=f"Q{first_phone}-{n}")
        data["customer"]["phone"] = f"135{first_phone + n:08d}"
        data["customer"]["id_number"] = ""
        orders.append(data)
    return orders


def test_the_queries_of_a_page_do_not_grow_with_its_orders(client: Client, sku: Any) -> None:
    channel = make_channel(code="tmall", kind="tmall", intake_policy=IntakePolicy.PARK)
    push_page(client, channel, {"orders": _fresh_page(1, 0)})
    counts = []
    # SQLite splits a bulk insert of orders every 19 rows (999 values a statement).
    sizes = (4, 200) if connection.vendor == "postgresql" else (4, 15)
    for size, first_phone in zip(sizes, (100, 1000), strict=True):
        with CaptureQueriesContext(connection) as queries:
            response = push_page(client, channel, {"orders": _fresh_page(size, first_phone)})
        assert [r["status"] for r in response.json()["results"]] == ["created"] * size
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
