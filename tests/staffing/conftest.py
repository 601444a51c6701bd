from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.staffing.factories import head_of


@pytest.fixture
def hr(make_user: Any) -> Any:
    return make_user("hr", username="hr-wang")


@pytest.fixture
def hr2(make_user: Any) -> Any:
    return make_user("hr", username="hr-li")


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user("manager", username="boss")


@pytest.fixture
def head(make_user: Any) -> Any:
    """The head of the warehouse."""
    user = make_user("warehouse_admin", username="wh-head")
    head_of("warehouse", user)
    return user


@pytest.fixture
def other_head(make_user: Any) -> Any:
    """The head of e-commerce."""
    user = make_user("shop_manager", username="ec-head")
    head_of("ecommerce", user)
    return user


@pytest.fixture
def picker(make_user: Any) -> Any:
    """Warehouse staff, not its head."""
    return make_user("picker", username="picker")


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")
