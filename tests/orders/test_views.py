"""Portal pages: permissions per role, query counts, forms that keep what was typed."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import services
from orders.models import ChannelSkuMapping, Order, OrderState
from tests.orders.factories import make_customer, order_data
from tests.timeutil import at

pytestmark = pytest.mark.django_db


def make_orders(channel: Any, count: int, start: int = 0, *, matched: bool = False) -> None:
    for n in range(start, start + count):
        customer = order_data()["customer"]
        customer["phone"] = f"1380000{n:04d}"
        customer["id_number"] = ""
        if matched:
            make_customer(phone=customer["phone"])
        services.order_intake(
            channel=channel, data=order_data(external_id=f"V{n}", customer=customer)
        )


def queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        ("sales_rep", "/orders/queue/", 200),
        ("packer", "/orders/queue/", 403),
        ("aftersales_service", "/orders/queue/", 403),
        ("sales_rep", "/orders/", 200),
        ("finance_clerk", "/orders/", 200),
        ("picker", "/orders/", 403),
        ("presales_service", "/orders/new/", 200),
        ("finance_clerk", "/orders/new/", 403),
        ("sales_rep", "/orders/import/", 200),
        ("warehouse_admin", "/orders/import/", 403),
        ("sales_rep", "/orders/customers/", 200),
        ("picker", "/orders/customers/", 403),
        ("shop_manager", "/orders/channels/", 200),
        ("manager", "/orders/figures/", 200),
    ],
)
def test_pages_per_role(client: Any, make_user: Any, role: str, url: str, status: int) -> None:
    client.force_login(make_user(role))
    assert client.get(url).status_code == status


def test_queue_query_count_does_not_grow(
    client: Any, make_user: Any, channel: Any, sku: Any
) -> None:
    client.force_login(make_user("sales_rep"))
    make_orders(channel, 3)
    make_orders(channel, 3, 100, matched=True)
    few = queries(client, "/orders/queue/")
    make_orders(channel, 6, 10)
    make_orders(channel, 6, 200, matched=True)
    assert queries(client, "/orders/queue/") == few


def test_search_query_count_does_not_grow(
    client: Any, make_user: Any, channel: Any, sku: Any
) -> None:
    client.force_login(make_user("sales_rep"))
    make_orders(channel, 3, matched=True)
    few = queries(client, "/orders/?q=&state=")
    make_orders(channel, 8, 50, matched=True)
    assert queries(client, "/orders/?q=&state=") == few


def test_search_by_phone_number_and_external_id(
    client: Any, make_user: Any, channel: Any, sku: Any
) -> None:
    client.force_login(make_user("sales_rep"))
    make_orders(channel, 3)
    order = Order.objects.get(external_id="V1")
    for q in ("13800000001", "V1", order.number):
        page = client.get("/orders/", {"q": q}).content.decode()
        assert order.number in page
        assert Order.objects.get(external_id="V2").number not in page


def test_queue_lists_identification_and_confirmation(
    client: Any, make_user: Any, channel: Any, sku: Any
) -> None:
    client.force_login(make_user("sales_rep"))
    make_orders(channel, 1)
    make_orders(channel, 1, 100, matched=True)
    page = client.get("/orders/queue/").content.decode()
    assert 'id="identify-queue"' in page
    assert 'id="confirm-queue"' in page
    assert "V0" in page
    assert "V100" in page
    partial = client.get("/orders/queue/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial
    assert "V0" in partial


def test_bulk_confirm_from_the_queue(client: Any, make_user: Any, channel: Any, sku: Any) -> None:
    client.force_login(make_user("sales_rep"))
    make_orders(channel, 3, matched=True)
    ids = list(Order.objects.values_list("pk", flat=True))
    response = client.post("/orders/queue/", {"action": "confirm", "orders": ids}, follow=True)
    assert "Done for 3 orders" in response.content.decode()
    assert set(Order.objects.values_list("state", flat=True)) == {OrderState.CONFIRMED}


def test_bulk_hold_needs_a_reason(client: Any, make_user: Any, channel: Any, sku: Any) -> None:
    client.force_login(make_user("sales_rep"))
    make_orders(channel, 1)
    ids = list(Order.objects.values_list("pk", flat=True))
    response = client.post("/orders/queue/", {"action": "hold", "orders": ids}, follow=True)
    assert "Give a reason" in response.content.decode()
    assert Order.objects.get().state == OrderState.RECEIVED


def test_rep_identifies_from_the_order_page(
    client: Any, make_user: Any, channel: Any, sku: Any
) -> None:
    client.force_login(make_user("sales_rep"))
    candidate = make_customer(name="李娜", phone="13900000000")
    make_orders(channel, 1)
    order = Order.objects.get()
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert f'data-customer="{candidate.pk}"' in page
    client.post(f"/orders/{order.pk}/identify/", {"customer": candidate.pk})
    order.refresh_from_db()
    assert order.customer == candidate
    client.post(f"/orders/{order.pk}/confirm/")
    order.refresh_from_db()
    assert order.state == OrderState.CONFIRMED


def test_refused_action_is_a_message_not_an_error(
    client: Any, make_user: Any, channel: Any, sku: Any
) -> None:
    client.force_login(make_user("sales_rep"))
    make_orders(channel, 1)
    order = Order.objects.get()
    response = client.post(f"/orders/{order.pk}/confirm/", follow=True)
    assert response.status_code == 200
    assert "cannot confirm" in response.content.decode()


def test_only_who_may_see_an_order_writes_a_note_on_it(
    client: Any, make_user: Any, channel: Any, sku: Any
) -> None:
    """The role matrix found a picker could write on any order's timeline."""
    from ecomops.audit.models import Note

    make_orders(channel, 1)
    order = Order.objects.get()
    client.force_login(make_user("picker"))
    client.post(f"/orders/{order.pk}/note/", {"text": "不该写进来"})
    assert not Note.objects.exists()
    client.force_login(make_user("sales_rep"))
    client.post(f"/orders/{order.pk}/note/", {"text": "客户要求周末送"})
    assert list(Note.objects.values_list("text", flat=True)) == ["客户要求周末送"]


@pytest.mark.clock(at(2026, 11, 23, 10))  # just after the typed order was placed
def test_manual_entry_keeps_what_was_typed(
    client: Any, make_user: Any, channel: Any, sku: Any
) -> None:
    client.force_login(make_user("presales_service"))
    form = {
        "channel": channel.pk,
        "placed_at": "2026-11-23T09:30",
        "paid_at": "2026-11-23T09:31",
        "customer_kind": "individual",
        "customer_name": "赵磊",
        "customer_phone": "13812345678",
        "customer_id_number": "110105194912310021",
        "customer_province": "北京市",
        "customer_city": "北京市",
        "customer_street_address": "长安街1号",
        "lines": "SKU-1, 2, 99.00\nNOPE, 1, 10",
    }
    response = client.post("/orders/new/", form)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Unknown SKU NOPE" in page
    assert "赵磊" in page
    assert "长安街1号" in page
    assert "NOPE, 1, 10" in page
    assert Order.objects.count() == 0
    form["customer_id_number"] = ""
    form["lines"] = "SKU-1, 2, 99.00"
    response = client.post("/orders/new/", form)
    order = Order.objects.get()
    assert response.status_code == 302
    assert (order.source, order.total_amount) == ("manual", 198)


def test_customer_correction_keeps_old_value(client: Any, make_user: Any) -> None:
    client.force_login(make_user("sales_rep"))
    customer = make_customer(phone="13900000000")
    data = {
        f"edit-{k}": getattr(customer, k)
        for k in ("kind", "name", "province", "city", "district", "street_address", "postcode")
    }
    data.update({"edit-phone": "13800000000", "edit-reason": "客户来电更正"})
    client.post(f"/orders/customers/{customer.pk}/", data)
    customer.refresh_from_db()
    assert customer.phone == "13800000000"
    change = customer.changes.get(field="phone")
    assert change.old_value == "13900000000"
    data["edit-phone"] = "123"
    page = client.post(f"/orders/customers/{customer.pk}/", data).content.decode()
    assert "mainland mobile number" in page
    assert 'value="123"' in page


def test_channel_mapping_is_kept_in_the_portal(
    client: Any, make_user: Any, channel: Any, sku: Any
) -> None:
    client.force_login(make_user("shop_manager"))
    client.post(f"/orders/channels/{channel.pk}/", {"outer_id": "TB-1", "sku_code": "SKU-1"})
    assert ChannelSkuMapping.objects.get().sku == sku
    page = client.post(
        f"/orders/channels/{channel.pk}/", {"outer_id": "TB-2", "sku_code": "NOPE"}
    ).content.decode()
    assert "Unknown SKU NOPE" in page
    assert 'value="TB-2"' in page


def test_figures_page_draws_the_chart(client: Any, make_user: Any, channel: Any, sku: Any) -> None:
    client.force_login(make_user("manager"))
    make_orders(channel, 2, matched=True)
    page = client.get("/orders/figures/").content.decode()
    assert 'id="orders-chart"' in page
    assert "<rect" in page
