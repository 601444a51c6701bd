from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def keeper(make_user: Any) -> Any:
    """Warehouse & logistics."""
    return make_user("warehouse_admin", username="keeper")


@pytest.fixture
def picker(make_user: Any) -> Any:
    """Also warehouse & logistics."""
    return make_user("picker", username="picker")


@pytest.fixture
def shop(make_user: Any) -> Any:
    """E-commerce."""
    return make_user("shop_manager", username="shop")


@pytest.fixture
def designer(make_user: Any) -> Any:
    """E-commerce, the designer role."""
    return make_user("designer", username="designer")


@pytest.fixture
def clerk(make_user: Any) -> Any:
    """Finance."""
    return make_user("finance_clerk", username="clerk")


@pytest.fixture
def service(make_user: Any) -> Any:
    """Customer service."""
    return make_user("aftersales_service", username="service")


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user("manager", username="boss")


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")
