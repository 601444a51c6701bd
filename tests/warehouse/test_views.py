"""Portal pages per role: who sees what, forms keep input, queues have constant queries."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.timeutil import at
from tests.warehouse.factories import make_order, pack, pick_all, put_stock
from warehouse import services
from warehouse.models import Batch, DeliveryNote, StockBalance

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PAGES = {
    "/warehouse/allocation/": {"bu_parts_admin", "manager"},
    "/warehouse/": {"bu_parts_admin", "warehouse_admin", "picker", "packer", "manager"},
    "/warehouse/waves/": {"bu_parts_admin", "warehouse_admin", "picker", "packer", "manager"},
    "/warehouse/pack/": {"warehouse_admin", "packer", "manager"},
    "/warehouse/shipping/": {"warehouse_admin", "manager"},
    "/warehouse/stock/": {"bu_parts_admin", "warehouse_admin", "picker", "packer", "manager"},
    "/warehouse/stock/receive/": {"warehouse_admin", "manager"},
    "/warehouse/stock/adjust/": {"warehouse_admin", "manager"},
    "/warehouse/notes/": {
        "bu_parts_admin",
        "warehouse_admin",
        "picker",
        "packer",
        "finance_clerk",
        "aftersales_service",
        "manager",
    },
}
ROLES = [
    "sales_rep",
    "bu_parts_admin",
    "warehouse_admin",
    "picker",
    "packer",
    "finance_clerk",
    "aftersales_service",
    "manager",
]


@pytest.mark.parametrize("role", ROLES)
def test_pages_per_role(role: str, make_user: Any, warehouse: Any, client: Client) -> None:
    client.force_login(make_user(role))
    for url, allowed in PAGES.items():
        response = client.get(url)
        assert response.status_code == (200 if role in allowed else 403), (url, role)


def test_every_page_of_a_batch_in_progress_renders(
    released: dict[str, Any], client: Client, manager: Any, picker: Any, packer: Any
) -> None:
    pick_all(released["wave"], picker)
    services.wave_sort(wave_id=released["wave"].pk, by=picker)
    parcel = pack(released["first"], packer)
    manifest = services.manifest_open(carrier_id=parcel.carrier_id, by=manager)
    client.force_login(manager)
    note = DeliveryNote.objects.get(order=released["second"])
    for url in (
        f"/warehouse/batches/{released['batch'].pk}/",
        f"/warehouse/waves/{released['wave'].pk}/",
        f"/warehouse/notes/{note.pk}/",
        f"/warehouse/parcels/{parcel.pk}/",
        f"/warehouse/manifests/{manifest.pk}/",
        "/warehouse/stock/ledger/",
        "/warehouse/stock/?q=SKU&available=on",
        f"/warehouse/pack/{note.pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(f"/warehouse/batches/{released['batch'].pk}/").content.decode()
    assert released["wave"].number in page


@pytest.mark.clock(at(2026, 11, 23, 12, 30))  # the 12:00 batch is cut
def test_only_a_manager_releases_by_hand(
    warehouse: Any, sku: Any, make_user: Any, client: Client
) -> None:
    client.force_login(make_user("warehouse_admin"))
    response = client.post("/warehouse/", {"batch_date": "2026-11-23", "slot": "12"})
    assert "Only a manager" in response.content.decode()
    assert not Batch.objects.exists()
    client.force_login(make_user("manager"))
    response = client.post("/warehouse/", {"batch_date": "2026-11-23", "slot": "12"})
    assert response.status_code == 302
    assert Batch.objects.filter(batch_date=date(2026, 11, 23), slot=12).exists()


def test_a_refused_adjustment_keeps_what_was_typed(
    warehouse: Any, sku: Any, keeper: Any, client: Client
) -> None:
    put_stock(sku, 1)
    client.force_login(keeper)
    response = client.post(
        "/warehouse/stock/adjust/",
        {"sku": "SKU-1", "location": "A-01", "change": "-5", "reason": "盘亏"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Not enough stock" in body
    assert 'value="盘亏"' in body
    assert 'value="-5"' in body
    response = client.post(
        "/warehouse/stock/receive/", {"sku": sku.barcode, "location": "A-02", "quantity": "6"}
    )
    assert response.status_code == 302
    assert StockBalance.objects.get(sku=sku, location__code="A-02").on_hand == 6


def test_allocation_queue_issues_ticked_orders(
    warehouse: Any, sku: Any, parts_admin: Any, client: Client
) -> None:
    put_stock(sku, 1)
    fits, short = make_order([(sku, 1)]), make_order([(sku, 5)])
    client.force_login(parts_admin)
    response = client.post("/warehouse/allocation/", {"orders": [fits.pk, short.pk]}, follow=True)
    body = response.content.decode()
    assert "1 delivery notes issued" in body
    assert "stock hold" in body
    assert DeliveryNote.objects.filter(order=fits).exists()


def test_allocation_queue_query_count_does_not_grow(
    warehouse: Any, sku: Any, parts_admin: Any, client: Client
) -> None:
    client.force_login(parts_admin)
    put_stock(sku, 1)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/warehouse/allocation/").status_code == 200
        return len(queries)

    first = make_order([(sku, 5)])
    services.allocation_issue(order_ids=[first.pk], by=parts_admin)
    few = count()
    for _ in range(6):
        order = make_order([(sku, 5)])
        services.allocation_issue(order_ids=[order.pk], by=parts_admin)
    assert count() == few


def test_pack_station_finds_by_order_number(
    released: dict[str, Any], client: Client, packer: Any, picker: Any
) -> None:
    client.force_login(packer)
    response = client.get("/warehouse/pack/", {"code": released["first"].number})
    assert "only sorted notes are packed" in response.content.decode()
    pick_all(released["wave"], picker)
    services.wave_sort(wave_id=released["wave"].pk, by=picker)
    response = client.get("/warehouse/pack/", {"code": released["first"].number})
    note = DeliveryNote.objects.get(order=released["first"])
    assert response.status_code == 302
    assert response["Location"] == f"/warehouse/pack/{note.pk}/"
