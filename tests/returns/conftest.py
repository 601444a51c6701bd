from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.finance.factories import sku_with_tax
from tests.warehouse.factories import make_warehouse


@pytest.fixture
def service(make_user: Any) -> Any:
    return make_user("aftersales_service", username="service")


@pytest.fixture
def colleague(make_user: Any) -> Any:
    return make_user("aftersales_service", username="colleague")


@pytest.fixture
def shop_manager(make_user: Any) -> Any:
    return make_user("shop_manager", username="shopmgr")


@pytest.fixture
def keeper(make_user: Any) -> Any:
    return make_user("warehouse_admin", username="keeper")


@pytest.fixture
def clerk(make_user: Any) -> Any:
    return make_user("finance_clerk", username="clerk", email="clerk@example.com")


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user("manager", username="boss")


@pytest.fixture
def sku(db: None) -> Any:
    make_warehouse()
    return sku_with_tax("SKU-13", "0.13")


@pytest.fixture
def sku2(db: None) -> Any:
    return sku_with_tax("SKU-B", "0.13")


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")
