"""A sales rep identifies a pushed order against a candidate and confirms it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from orders.models import Order, OrderState
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.orders.factories import (
    listed_sku,
    make_channel,
    make_customer,
    order_data,
    push,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_rep_identifies_a_pushed_order_and_confirms_it(
    live_server: Any, page: Any, login: Any, screenshot: Any
) -> None:
    UserFactory(username="sales_rep", roles=["sales_rep"])
    channel = make_channel(code="tmall")
    listed_sku("SKU-1", "99.00")
    customer = make_customer(name="李娜", phone="13900000000", street_address="建国路88号")
    make_customer(name="王强", phone="13700000000")
    response = push(Client(), channel, order_data(external_id="TM-E2E-1"))
    assert response.status_code == 201
    order = Order.objects.get()
    assert order.state == OrderState.RECEIVED

    login(page, "sales_rep", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/orders/queue/")
    row = page.locator(f'#identify-queue tr[data-order="{order.number}"]')
    assert row.count() == 1
    assert row.locator(".badge").count() >= 1  # the countdown
    screenshot(page, "01-queue")

    row.locator("a").first.click()
    page.wait_for_load_state("networkidle")
    candidate = page.locator(f'#candidates tr[data-customer="{customer.pk}"]')
    assert candidate.count() == 1
    screenshot(page, "02-candidates")
    candidate.locator("button[data-action=identify]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".state-identified").count() == 1

    page.click("button[data-action=confirm]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".state-confirmed").count() == 1
    screenshot(page, "03-confirmed")
    order.refresh_from_db()
    assert (order.state, order.customer_id) == (OrderState.CONFIRMED, customer.pk)
