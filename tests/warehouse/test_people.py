"""Warehouse pages name the colleague who did the work, family name first, not the
account's username."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.warehouse.factories import pick_all

pytestmark = [pytest.mark.django_db]


def test_the_wave_shows_who_picked_by_name(
    released: dict[str, Any], client: Client, keeper: Any, make_user: Any
) -> None:
    picker = make_user("picker", username="picker-ma", last_name="马", first_name="超")
    pick_all(released["wave"], picker)
    client.force_login(keeper)
    html = client.get(f"/warehouse/waves/{released['wave'].pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = html.content.decode()
    assert "马超 拣了 3 件" in page
    assert "picker-ma" not in page
