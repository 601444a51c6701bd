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
