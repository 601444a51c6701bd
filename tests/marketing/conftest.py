from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.orders.factories import listed_sku


@pytest.fixture
def promoter(make_user: Any) -> Any:
    return make_user("promotion", username="promoter")


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user("manager", username="boss")


@pytest.fixture
def keeper(make_user: Any) -> Any:
    return make_user("warehouse_admin", username="keeper")


@pytest.fixture
def service_rep(make_user: Any) -> Any:
    return make_user("presales_service", username="servicerep")


@pytest.fixture
def designer(make_user: Any) -> Any:
    return make_user("designer", username="designer")


@pytest.fixture
def shop_manager(make_user: Any) -> Any:
    return make_user("shop_manager", username="shopmgr")


@pytest.fixture
def workers(keeper: Any, service_rep: Any, designer: Any, shop_manager: Any) -> dict[str, Any]:
    """Who does each campaign job (by task kind)."""
    return {"stock": keeper, "service": service_rep, "design": designer, "platform": shop_manager}


@pytest.fixture
def sku(db: None) -> Any:
    return listed_sku("CREAM-50", price="139.00")


@pytest.fixture
def sku2(db: None) -> Any:
    return listed_sku("SERUM-30", price="199.00")


@pytest.fixture
def other_sku(db: None) -> Any:
    """A listed SKU the campaign does not promote."""
    return listed_sku("TONER-100", price="89.00")


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")
