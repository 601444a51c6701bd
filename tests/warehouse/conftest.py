from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from tests.orders.factories import listed_sku
from tests.warehouse.factories import MONDAY_MORNING, make_order, make_warehouse, put_stock
from warehouse import services
from warehouse.models import Wave


@pytest.fixture
def warehouse(db: None) -> Any:
    return make_warehouse()


@pytest.fixture
def sku(db: None) -> Any:
    return listed_sku("SKU-1")


@pytest.fixture
def sku2(db: None) -> Any:
    return listed_sku("SKU-2")


@pytest.fixture
def parts_admin(make_user: Any) -> Any:
    return make_user("bu_parts_admin", username="parts")


@pytest.fixture
def picker(make_user: Any) -> Any:
    return make_user("picker", username="picker")


@pytest.fixture
def packer(make_user: Any) -> Any:
    return make_user("packer", username="packer")


@pytest.fixture
def keeper(make_user: Any) -> Any:
    return make_user("warehouse_admin", username="keeper")


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user("manager", username="boss")


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def released(warehouse: Any, sku: Any, sku2: Any, parts_admin: Any) -> dict[str, Any]:
    """Two orders released in the Monday 12:00 batch, one wave."""
    put_stock(sku, 10)
    put_stock(sku2, 10, at="A-02")
    first = make_order([(sku, 2), (sku2, 1)], accepted_at=MONDAY_MORNING)
    second = make_order([(sku, 1)], accepted_at=MONDAY_MORNING)
    services.allocation_issue(order_ids=[first.pk, second.pk], by=parts_admin)
    batch = services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    wave = Wave.objects.get()
    return {"first": first, "second": second, "batch": batch, "wave": wave}
