"""The return desk through the portal: service, shop manager and warehouse pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from returns.models import ReturnRequest, ReturnState
from returns.tasks import chase_returns
from tests.returns.factories import approved, awaiting_goods, delivered_order, open_return, received
from tests.warehouse.factories import location

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def test_service_opens_a_request_from_the_order(service: Any, sku: Any, client: Client) -> None:
    order = delivered_order([(sku, 2, "50.00")])
    _login(client, service)
    page = client.get("/returns/requests/new/", {"order": order.number})
    assert page.status_code == 200
    line = order.lines.get()
    response = client.post(
        f"/returns/requests/new/?order={order.number}",
        {
            "kind": "return",
            "reason": "damaged",
            "reason_detail": "Box crushed",
            f"line_{line.pk}": "1",
        },
    )
    request = ReturnRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == request.get_absolute_url()
    assert request.lines.get().quantity == 1


def test_a_refused_request_keeps_what_was_typed(service: Any, sku: Any, client: Client) -> None:
    order = delivered_order([(sku, 1, "50.00")], days_ago=20)
    _login(client, service)
    line = order.lines.get()
    response = client.post(
        f"/returns/requests/new/?order={order.external_id}",
        {
            "kind": "exchange",
            "reason": "other",
            "reason_detail": "Customer's own words",
            f"line_{line.pk}": "1",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "return window has closed" in html
    assert "Customer&#x27;s own words" in html
    assert 'value="exchange" selected' in html
    assert not ReturnRequest.objects.exists()


def test_unknown_order_number_is_a_field_error(service: Any, client: Client, sku: Any) -> None:
    _login(client, service)
    response = client.get("/returns/requests/new/", {"order": "SO-NOPE"})
    assert "No order with this number." in response.content.decode()


def test_service_approves_and_rejects_in_the_portal(service: Any, sku: Any, client: Client) -> None:
    order = delivered_order([(sku, 2, "50.00")])
    first = open_return(order, service, quantities={1: 1})
    second = open_return(order, service, quantities={1: 1})
    _login(client, service)
    client.post(f"/returns/requests/{first.pk}/approve/")
    first.refresh_from_db()
    assert first.state == ReturnState.APPROVED
    response = client.post(f"/returns/requests/{second.pk}/", {"action": "reject", "reason": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    client.post(f"/returns/requests/{second.pk}/", {"action": "reject", "reason": "Used"})
    second.refresh_from_db()
    assert second.state == ReturnState.REJECTED


def test_shop_manager_confirms_from_the_queue_but_not_what_they_approved(
    service: Any, manager: Any, shop_manager: Any, sku: Any, client: Client
) -> None:
    order = delivered_order([(sku, 2, "50.00")])
    mine = open_return(order, service, quantities={1: 1})
    services_approved = approved(open_return(order, service, quantities={1: 1}), service)
    from returns.services import requests as services

    services.return_approve(request_id=mine.pk, by=manager)
    _login(client, manager)
    queue = client.get("/returns/confirmations/").content.decode()
    assert "you approved it" in queue
    response = client.post(f"/returns/requests/{mine.pk}/confirm/", follow=True)
    assert "another person confirms it" in response.content.decode()
    mine.refresh_from_db()
    assert mine.state == ReturnState.APPROVED
    _login(client, shop_manager)
    client.post(f"/returns/requests/{services_approved.pk}/confirm/")
    services_approved.refresh_from_db()
    assert services_approved.state == ReturnState.AWAITING_GOODS


def test_warehouse_receives_and_inspects(
    service: Any, shop_manager: Any, keeper: Any, sku: Any, client: Client
) -> None:
    order = delivered_order([(sku, 2, "50.00")])
    request = open_return(order, service)
    awaiting_goods(request, service, shop_manager)
    _login(client, keeper)
    assert request.number in client.get("/returns/receiving/").content.decode()
    response = client.post(f"/returns/requests/{request.pk}/receive/")
    assert response["Location"] == f"/returns/requests/{request.pk}/inspect/"
    line = request.lines.get()
    bad = client.post(
        f"/returns/requests/{request.pk}/inspect/",
        {f"line_{line.pk}": "2", f"line_{line.pk}_write_off": "0"},
    )
    assert bad.status_code == 200
    assert "Choose the location to restock into." in bad.content.decode()
    client.post(
        f"/returns/requests/{request.pk}/inspect/",
        {
            f"line_{line.pk}": "1",
            f"line_{line.pk}_location": location("A-02").pk,
            f"line_{line.pk}_write_off": "1",
            f"line_{line.pk}_write_off_reason": "Scratched",
        },
    )
    request.refresh_from_db()
    assert request.state == ReturnState.REFUNDING


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        ("aftersales_service", "/returns/", 200),
        ("aftersales_service", "/returns/confirmations/", 403),
        ("aftersales_service", "/returns/receiving/", 403),
        ("shop_manager", "/returns/confirmations/", 200),
        ("shop_manager", "/returns/requests/new/", 403),
        ("warehouse_admin", "/returns/receiving/", 200),
        ("warehouse_admin", "/returns/confirmations/", 403),
        ("picker", "/returns/requests/", 403),
        ("aftersales_service", "/returns/reasons/", 200),
    ],
)
def test_pages_per_role(role: str, url: str, status: int, make_user: Any, client: Client) -> None:
    _login(client, make_user(role, username=f"u-{role}"))
    assert client.get(url).status_code == status


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("url", "role"),
    [
        ("/returns/", "service"),
        ("/returns/requests/", "service"),
        ("/returns/confirmations/", "shop_manager"),
        ("/returns/receiving/", "keeper"),
    ],
)
def test_queues_have_a_constant_query_count(
    url: str,
    role: str,
    service: Any,
    shop_manager: Any,
    keeper: Any,
    sku: Any,
    client: Client,
    request: Any,
) -> None:
    users = {"service": service, "shop_manager": shop_manager, "keeper": keeper}

    def add(n: int) -> None:
        for _ in range(n):
            order = delivered_order([(sku, 1, "10.00")])
            open_return(order, service)
            approved(open_return(delivered_order([(sku, 1, "10.00")]), service), service)
            awaiting_goods(
                open_return(delivered_order([(sku, 1, "10.00")]), service), service, shop_manager
            )
            received(
                open_return(delivered_order([(sku, 1, "10.00")]), service),
                service,
                shop_manager,
                keeper,
            )

    add(2)
    _login(client, users[role])
    few = _queries(client, url)
    add(4)
    assert _queries(client, url) == few


def test_reasons_chart_counts_per_week(service: Any, sku: Any, client: Client) -> None:
    open_return(delivered_order([(sku, 1, "10.00")]), service, reason="damaged")
    open_return(delivered_order([(sku, 1, "10.00")]), service, reason="damaged")
    open_return(delivered_order([(sku, 1, "10.00")]), service, reason="wrong_item")
    _login(client, service)
    html = client.get("/returns/reasons/").content.decode()
    assert "<svg" in html
    assert "Damaged in transit: 2" in html
    assert "Wrong item sent: 1" in html


def test_chase_task_is_safe_to_run_twice(db: None) -> None:
    assert chase_returns() == {"reminded": 0, "expired": 0}
    assert chase_returns() == {"reminded": 0, "expired": 0}
