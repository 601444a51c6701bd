"""The carrier the buyer asked for and cash on delivery (issue 21 §2) reach the carrier rules
from the intake: pushed through the signed API (one order, or a page of them). The platform
exports that carry them are tested in tests/orders/test_import_orders.py."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.test import Client

from orders import services as order_services
from orders.models import Order
from tests.orders.factories import make_channel, make_customer, order_data, push, signed_post
from tests.timeutil import at
from tests.warehouse.factories import CarrierFactory, put_stock
from warehouse import services
from warehouse.models import Carrier, CarrierRule, DeliveryNote

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.clock(at(2026, 11, 23, 9)),
    pytest.mark.usefixtures("english"),
]


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def rep(make_user: Any) -> Any:
    return make_user("sales_rep", username="rep")


@pytest.fixture
def carriers(warehouse: Any) -> dict[str, Carrier]:
    sf = cast(Carrier, CarrierFactory(code="SF", name="顺丰速运"))
    ems = cast(Carrier, CarrierFactory(code="EMS", name="中国邮政EMS", account=False))
    CarrierRule.objects.create(priority=10, name="指定顺丰", carrier=sf, requested_carrier="SF")
    CarrierRule.objects.create(priority=20, name="到付走邮政", carrier=ems, cash_on_delivery=True)
    return {"ZTO": warehouse.default_carrier, "SF": sf, "EMS": ems}


def _confirmed(external_ids: list[str], rep: Any) -> list[Order]:
    orders = list(Order.objects.filter(external_id__in=external_ids).order_by("external_id"))
    for order in orders:
        order_services.order_confirm(order_id=order.pk, by=rep)
    return orders


def test_pushed_carrier_wish_and_cash_on_delivery_choose_the_rules_carrier(
    client: Client, sku: Any, carriers: dict[str, Carrier], rep: Any, parts_admin: Any
) -> None:
    channel = make_channel(code="shop")
    make_customer(phone="13800138000")  # the pushes match it: identified on arrival
    put_stock(sku, 50)
    single = push(client, channel, order_data(external_id="A-SF", requested_carrier="sf"))
    assert single.status_code == 201, single.json()
    page = signed_post(
        client,
        channel,
        f"/api/v1/channels/{channel.code}/orders/batch",
        {
            "orders": [
                order_data(external_id="B-COD", paid_at=None, cash_on_delivery=True),
                order_data(external_id="C-PLAIN"),
            ]
        },
    )
    assert [item["http_status"] for item in page.json()["results"]] == [201, 201], page.json()
    stored = {
        o.external_id: (o.requested_carrier, o.cash_on_delivery, o.paid_amount)
        for o in Order.objects.all()
    }
    assert stored == {
        "A-SF": ("SF", False, 198),
        "B-COD": ("", True, 0),  # the buyer pays the courier: nothing paid yet
        "C-PLAIN": ("", False, 198),
    }
    cod = Order.objects.get(external_id="B-COD")
    assert cod.accepted_at == cod.placed_at  # accepted when placed, not when paid

    orders = _confirmed(["A-SF", "B-COD", "C-PLAIN"], rep)
    services.allocation_issue(order_ids=[o.pk for o in orders], by=parts_admin)
    chosen = dict(
        DeliveryNote.objects.filter(order__in=orders).values_list(
            "order__external_id", "carrier__code"
        )
    )
    assert chosen == {"A-SF": "SF", "B-COD": "EMS", "C-PLAIN": "ZTO"}


def test_a_wish_is_part_of_the_order_a_repeat_must_match(
    client: Client, sku: Any, carriers: dict[str, Carrier]
) -> None:
    channel = make_channel(code="shop")
    data = order_data(requested_carrier="SF")
    assert push(client, channel, data).status_code == 201
    assert push(client, channel, {**data, "requested_carrier": "sf"}).status_code == 200
    changed = push(client, channel, {**data, "requested_carrier": "JD"})
    assert changed.status_code == 409
    assert "requested_carrier" in changed.json()["fields"]
    # without a wish or cash on delivery the payload (and its hash) is what it always was
    plain = order_data(external_id="TB1002")
    push(client, channel, plain)
    assert push(client, channel, {**plain, "requested_carrier": "", "cash_on_delivery": False})
    assert "requested_carrier" not in Order.objects.get(external_id="TB1002").payload


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("requested_carrier", "顺丰"),
        ("requested_carrier", "X" * 21),
        ("requested_carrier", "SF\x00"),
        ("cash_on_delivery", "maybe"),
    ],
)
def test_a_malformed_wish_is_refused_with_its_field(
    client: Client, sku: Any, field: str, value: Any
) -> None:
    channel = make_channel(code="shop")
    response = push(client, channel, order_data(**{field: value}))
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert Order.objects.count() == 0


def test_without_cash_on_delivery_an_unpaid_order_of_a_prepaid_channel_is_refused(
    client: Client, sku: Any
) -> None:
    channel = make_channel(code="shop")
    response = push(client, channel, order_data(paid_at=None))
    assert response.status_code == 400
    assert "paid_at" in response.json()["fields"]


def test_the_schema_documents_both_fields(client: Client) -> None:
    schema = client.get("/api/schema/", {"format": "json"}).json()
    fields = schema["components"]["schemas"]["OrderIn"]["properties"]
    code, blank = fields["requested_carrier"]["oneOf"]
    assert (code["maxLength"], code["pattern"]) == (20, "^[A-Za-z0-9_-]{1,20}$")
    assert blank["maxLength"] == 0
    assert "指定快递" in fields["requested_carrier"]["description"]
    assert fields["cash_on_delivery"]["type"] == "boolean"
    assert "货到付款" in fields["cash_on_delivery"]["description"]
