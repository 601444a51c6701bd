from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.finance.factories import sku_with_tax
from tests.warehouse.factories import make_warehouse


@pytest.fixture
def specialist(make_user: Any) -> Any:
    return make_user("distribution_specialist", username="specialist")


@pytest.fixture
def network_sales(make_user: Any) -> Any:
    return make_user("network_sales", username="netsales")


@pytest.fixture
def keeper(make_user: Any) -> Any:
    return make_user("warehouse_admin", username="keeper")


@pytest.fixture
def clerk(make_user: Any) -> Any:
    return make_user("finance_clerk", username="clerk")


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user("manager", username="boss")


@pytest.fixture
def sku(db: None) -> Any:
    make_warehouse()
    return sku_with_tax("SKU-A", "0.13")


@pytest.fixture
def sku2(db: None) -> Any:
    return sku_with_tax("SKU-B", "0.13")


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")
