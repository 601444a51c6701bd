from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from tests.orders.factories import listed_sku, make_channel
from tests.timeutil import at


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
def monday_morning() -> Iterator[None]:
    """Monday 23 November 2026, 10:00 in company time: a working morning, far from any
    holiday, so the shop tests never depend on the real clock."""
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        yield


@pytest.fixture
def manager(make_user: Any) -> Any:
    """The shop manager who runs the openings."""
    return make_user("shop_manager", username="shopmgr")


@pytest.fixture
def boss(make_user: Any) -> Any:
    """A manager (经理): may do every step and tick any set-up item."""
    return make_user("manager", username="boss")
