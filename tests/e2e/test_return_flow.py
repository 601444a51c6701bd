"""A return from the customer's call to the refund, across service, the shop manager and
the warehouse."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from finance.models import Refund
from returns.models import ReturnRequest, ReturnState
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.finance.factories import sku_with_tax
from tests.returns.factories import delivered_order
from tests.warehouse.factories import make_warehouse

pytestmark = pytest.mark.django_db(transaction=True)


def _as(page: Any, login: Any, username: str) -> None:
    page.context.clear_cookies()
    login(page, username, DEFAULT_PASSWORD)


def test_return_from_request_to_refund(
    live_server: Any, page: Any, login: Any, screenshot: Any
) -> None:
    make_warehouse()
    sku = sku_with_tax("SKU-E2E", "0.13")
    order = delivered_order([(sku, 2, "88.00")])
    UserFactory(username="service", roles=["aftersales_service"])
    UserFactory(username="shopmgr", roles=["shop_manager"])
    UserFactory(username="keeper", roles=["warehouse_admin"])
    line = order.lines.get()

    # Service: find the order, open the request for one unit, approve it.
    _as(page, login, "service")
    page.goto(f"{live_server.url}/returns/requests/new/")
    page.fill("#lookup-form input[name=order]", order.number)
    with page.expect_navigation():
        page.click("#lookup-form button[type=submit]")
    page.select_option("#id_kind", "return")
    page.select_option("#id_reason", "damaged")
    page.fill("#id_reason_detail", "外箱破损，商品有裂纹")
    page.fill(f"#id_line_{line.pk}", "1")
    screenshot(page, "01-open")
    with page.expect_navigation():
        page.click("#open-form button[type=submit]")
    request = ReturnRequest.objects.get()
    assert request.number in page.locator("h1").inner_text()
    with page.expect_navigation():
        page.click("#approve-form button[type=submit]")
    assert page.locator("#confirm-form").count() == 0  # the approver cannot confirm
    request.refresh_from_db()
    assert request.state == ReturnState.APPROVED

    # Shop manager: confirm from the queue.
    _as(page, login, "shopmgr")
    page.goto(f"{live_server.url}/returns/confirmations/")
    row = page.locator(f'#confirm-queue tr[data-request="{request.number}"]')
    screenshot(page, "02-confirm-queue")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    request.refresh_from_db()
    assert request.state == ReturnState.AWAITING_GOODS

    # Service records the customer's waybill.
    _as(page, login, "service")
    page.goto(f"{live_server.url}{request.get_absolute_url()}")
    page.fill("#waybill-form input[name=waybill]", "SF1234567890")
    with page.expect_navigation():
        page.click("#waybill-form button[type=submit]")
    assert "SF1234567890" in page.locator("#waybill").inner_text()

    # Warehouse: receive the parcel from the queue, inspect, restock into A-02.
    _as(page, login, "keeper")
    page.goto(f"{live_server.url}/returns/receiving/")
    row = page.locator('#receiving-queue tr[data-waybill="SF1234567890"]')
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    page.wait_for_url(f"**/returns/requests/{request.pk}/inspect/")
    return_line = request.lines.get()
    page.fill(f"#id_line_{return_line.pk}", "1")
    page.select_option(f"#id_line_{return_line.pk}_location", label="A-02")
    screenshot(page, "03-inspect")
    with page.expect_navigation():
        page.click("#inspect-form button[type=submit]")
    screenshot(page, "04-refund-requested")

    request.refresh_from_db()
    assert request.state == ReturnState.REFUNDING
    refund = Refund.objects.get(source_reference=request.number)
    assert refund.amount == Decimal("88.00")
    assert refund.number in page.locator("#refund").inner_text()
