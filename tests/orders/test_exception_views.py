"""The exception queue's pages: the queue with reasons and clock, one view per action on
the detail page, bulk actions, the blacklist page, the channel setting, who may open what."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ecomops.audit.models import Note
from ecomops.portal.registry import queues_for_role
from orders.models import (
    BlacklistEntry,
    ChannelSkuMapping,
    IntakePolicy,
    Order,
    OrderState,
)
from tests.orders.factories import SHOP_MORNING, make_channel, order_data, push

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.clock(SHOP_MORNING),
    pytest.mark.usefixtures("english"),
]


@pytest.fixture
def tmall(db: None) -> Any:
    return make_channel(code="tmall", kind="tmall", intake_policy=IntakePolicy.PARK)


@pytest.fixture
def staff(client: Any, make_user: Any) -> Any:
    user = make_user("presales_service", username="kefu")
    client.force_login(user)
    return user


def park(client: Any, channel: Any, external_id: str, **overrides: Any) -> Order:
    response = push(client, channel, order_data(external_id=external_id, **overrides))
    assert response.json()["state"] == "exception", response.json()
    return Order.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        ("presales_service", "/orders/exceptions/", 200),
        ("aftersales_service", "/orders/exceptions/", 200),
        ("sales_rep", "/orders/exceptions/", 200),
        ("manager", "/orders/exceptions/", 200),
        ("picker", "/orders/exceptions/", 403),
        ("finance_clerk", "/orders/exceptions/", 403),
        ("presales_service", "/orders/blacklist/", 200),
        ("sales_rep", "/orders/blacklist/", 200),
        ("packer", "/orders/blacklist/", 403),
    ],
)
def test_pages_per_role(client: Any, make_user: Any, role: str, url: str, status: int) -> None:
    client.force_login(make_user(role))
    assert client.get(url).status_code == status


def test_the_queue_lists_reasons_owner_and_clock_and_pins_its_queries(
    client: Any, tmall: Any, sku: Any, staff: Any
) -> None:
    park(client, tmall, "A", sku="NOPE")
    page = client.get("/orders/exceptions/").content.decode()
    assert "Unknown SKU NOPE" in page
    assert "Pre-sales" in page or "pre-sales" in page.lower()
    assert 'class="sla' in page or "sla-" in page

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/orders/exceptions/").status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for n in range(4):
        park(client, tmall, f"B{n}", sku=f"NOPE{n}")
    assert count() == before


def test_the_home_page_counts_the_queue_for_its_roles(
    client: Any, tmall: Any, sku: Any, staff: Any
) -> None:
    park(client, tmall, "A", sku="NOPE")
    keys = {q.key: q for q in queues_for_role("presales_service")}
    assert keys["orders.exceptions"].count(staff) == 1
    assert "orders.exceptions" not in {q.key for q in queues_for_role("picker")}
    assert "Parked orders to fix" in client.get("/").content.decode()


def test_mapping_the_code_on_the_page_releases_the_order(
    client: Any, tmall: Any, sku: Any, staff: Any
) -> None:
    order = park(client, tmall, "A", sku="TB-1")
    page = client.get(f"/orders/exceptions/{order.pk}/").content.decode()
    assert 'data-action="map"' in page
    response = client.post(
        f"/orders/exceptions/{order.pk}/map/", {"line": 0, "sku_code": "SKU-1"}, follow=True
    )
    assert "Released" in response.content.decode()
    order.refresh_from_db()
    assert order.state == OrderState.RECEIVED
    assert ChannelSkuMapping.objects.get(channel=tmall, outer_id="TB-1").sku == sku


def test_release_refused_names_the_reasons(client: Any, tmall: Any, sku: Any, staff: Any) -> None:
    order = park(client, tmall, "A", sku="NOPE")
    response = client.post(f"/orders/exceptions/{order.pk}/release/", follow=True)
    assert "cannot be released yet" in response.content.decode()
    assert "Unknown SKU NOPE" in response.content.decode()


def test_address_edit_approve_and_release_through_the_pages(
    client: Any, tmall: Any, sku: Any, staff: Any
) -> None:
    data = order_data(
        external_id="A", lines=[{"sku": "SKU-1", "quantity": 1, "unit_price": "10.00"}]
    )
    data["customer"]["phone"] = "138****8000"
    order = park(client, tmall, **data)
    address = {
        "receiver_name": "李娜",
        "receiver_phone": "13911112222",
        "ship_province": "北京市",
        "ship_city": "北京市",
        "ship_district": "朝阳区",
        "ship_street": "建国路88号",
        "ship_postcode": "100020",
        "reason": "买家旺旺确认",
    }
    client.post(f"/orders/exceptions/{order.pk}/address/", address)
    assert "13911112222" in Note.objects.get().text
    price = order.exceptions.get(code="price", resolved_at=None)
    client.post(f"/orders/exceptions/reasons/{price.pk}/approve/", {"note": "秒杀价"})
    response = client.post(f"/orders/exceptions/{order.pk}/release/", follow=True)
    assert response.redirect_chain[-1][0] == "/orders/exceptions/"
    order.refresh_from_db()
    assert order.state == OrderState.RECEIVED
    assert order.lines.get().unit_price == 10


def test_cancel_on_the_page_needs_a_reason(client: Any, tmall: Any, sku: Any, staff: Any) -> None:
    order = park(client, tmall, "A", sku="NOPE")
    client.post(f"/orders/exceptions/{order.pk}/cancel/", {"reason": ""})
    assert Order.objects.get(pk=order.pk).state == OrderState.EXCEPTION
    client.post(f"/orders/exceptions/{order.pk}/cancel/", {"reason": "无货"})
    assert Order.objects.get(pk=order.pk).state == OrderState.CANCELLED


def test_bulk_actions_on_the_queue(client: Any, tmall: Any, sku: Any, staff: Any) -> None:
    a = park(client, tmall, "A", sku="TB-9")
    b = park(client, tmall, "B", sku="NOPE")
    ChannelSkuMapping.objects.create(channel=tmall, outer_id="TB-9", sku=sku)
    client.post("/orders/exceptions/", {"action": "recheck", "orders": [a.pk, b.pk]})
    response = client.post(
        "/orders/exceptions/", {"action": "release", "orders": [a.pk, b.pk]}, follow=True
    )
    assert f"{b.number}: " in response.content.decode()
    assert Order.objects.get(pk=a.pk).state == OrderState.RECEIVED
    client.post("/orders/exceptions/", {"action": "cancel", "orders": [b.pk], "reason": ""})
    assert Order.objects.get(pk=b.pk).state == OrderState.EXCEPTION
    client.post("/orders/exceptions/", {"action": "cancel", "orders": [b.pk], "reason": "重复"})
    assert Order.objects.get(pk=b.pk).state == OrderState.CANCELLED


def test_a_picker_cannot_act_on_a_parked_order(
    client: Any, tmall: Any, sku: Any, make_user: Any
) -> None:
    order = park(client, tmall, "A", sku="NOPE")
    client.force_login(make_user("picker"))
    assert client.post(f"/orders/exceptions/{order.pk}/release/").status_code == 403
    assert client.post(f"/orders/exceptions/{order.pk}/cancel/", {"reason": "x"}).status_code == 403
    assert Order.objects.get(pk=order.pk).state == OrderState.EXCEPTION


def test_the_blacklist_page_adds_and_removes_entries(client: Any, staff: Any) -> None:
    client.post("/orders/blacklist/", {"kind": "phone", "value": "13800138000", "reason": "拒收"})
    entry = BlacklistEntry.objects.get()
    assert (entry.value, entry.added_by, entry.active) == ("13800138000", staff, True)
    assert "拒收" in client.get("/orders/blacklist/").content.decode()
    client.post(f"/orders/blacklist/{entry.pk}/remove/", {"reason": "误加"})
    entry.refresh_from_db()
    assert (entry.active, entry.removal_reason, entry.removed_by) == (False, "误加", staff)


def test_the_channel_page_changes_the_intake_policy(
    client: Any, channel: Any, make_user: Any
) -> None:
    client.force_login(make_user("shop_manager"))
    assert (
        "Orders breaking a rule" in client.get(f"/orders/channels/{channel.pk}/").content.decode()
    )
    client.post(f"/orders/channels/{channel.pk}/intake-policy/", {"intake_policy": "park"})
    channel.refresh_from_db()
    assert channel.intake_policy == IntakePolicy.PARK
    client.force_login(make_user("presales_service"))
    assert (
        client.post(
            f"/orders/channels/{channel.pk}/intake-policy/", {"intake_policy": "refuse"}
        ).status_code
        == 403
    )
