from __future__ import annotations

from typing import Any

import pytest

from tests.orders.factories import listed_sku, make_channel


@pytest.fixture
def channel(db: None) -> Any:
    return make_channel(code="taobao")


@pytest.fixture
def sku(db: None) -> Any:
    return listed_sku("SKU-1", "99.00")


@pytest.fixture
def client() -> Any:
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


# --- Shop openings (tests/orders/test_shop_*.py) ---------------------------------------------


@pytest.fixture
def manager(make_user: Any) -> Any:
    """The shop manager who runs the openings."""
    return make_user("shop_manager", username="shopmgr")


@pytest.fixture
def boss(make_user: Any) -> Any:
    """A manager (经理): may do every step and tick any set-up item."""
    return make_user("manager", username="boss")
