"""Pre-sales service fixes a parked marketplace order (maps its unknown code) and the order
is released into the normal flow; a second one is released by hand after an approval."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from orders.models import IntakePolicy, Order, OrderState
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.orders.factories import listed_sku, make_channel, order_data, push

pytestmark = pytest.mark.django_db(transaction=True)


def test_service_staff_map_the_code_and_release_the_parked_order(
    live_server: Any, page: Any, login: Any, screenshot: Any
) -> None:
    UserFactory(username="kefu", roles=["presales_service"])
    channel = make_channel(code="tmall", kind="tmall", intake_policy=IntakePolicy.PARK)
    listed_sku("SKU-1", "99.00")
    response = push(Client(), channel, order_data(external_id="TM-E2E-EXC", sku="TM-NEW-1"))
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "exception"
    order = Order.objects.get()
    price = push(
        Client(),
        channel,
        order_data(
            external_id="TM-E2E-PRICE",
            lines=[{"sku": "SKU-1", "quantity": 1, "unit_price": "9.90"}],
        ),
    ).json()
    priced = Order.objects.get(pk=price["id"])

    login(page, "kefu", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/orders/exceptions/")
    row = page.locator(f'#exception-queue tr[data-order="{order.number}"]')
    assert row.count() == 1
    assert "TM-NEW-1" in row.inner_text()
    screenshot(page, "01-queue")

    row.locator("a").first.click()
    page.wait_for_load_state("networkidle")
    line = page.locator('#payload-lines tr[data-line="1"]')
    line.locator("input[name=sku_code]").fill("SKU-1")
    screenshot(page, "02-map")
    line.locator("button[data-action=map]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(f'#exception-queue tr[data-order="{order.number}"]').count() == 0
    screenshot(page, "03-released")
    order.refresh_from_db()
    assert order.state in (OrderState.RECEIVED, OrderState.IDENTIFIED)
    assert order.lines.get().sku.code == "SKU-1"

    page.locator(f'#exception-queue tr[data-order="{priced.number}"] a').first.click()
    page.wait_for_load_state("networkidle")
    page.click("button[data-action=release]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".messages, .alert, [role=alert]").count() >= 1
    assert Order.objects.get(pk=priced.pk).state == OrderState.EXCEPTION
    reason = page.locator('#reasons .reason[data-reason="price"]')
    reason.locator("input[name=note]").fill("店铺秒杀价，已与运营确认")
    reason.locator("button[data-action=approve]").click()
    page.wait_for_load_state("networkidle")
    page.click("button[data-action=release]")
    page.wait_for_load_state("networkidle")
    screenshot(page, "04-approved-and-released")
    assert Order.objects.get(pk=priced.pk).state in (OrderState.RECEIVED, OrderState.IDENTIFIED)
