"""A warehouse user signs in, sees the portal in Chinese, and switches to English."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_warehouse_user_home_in_chinese_then_english(
    live_server: Any, page: Any, login: Any, screenshot: Any
) -> None:
    UserFactory(username="wh1", first_name="军", last_name="孙", roles=["warehouse_admin"])

    login(page, "wh1", DEFAULT_PASSWORD)

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    role_section = page.locator("section.role-home[data-role=warehouse_admin]")
    assert "仓库管理员" in role_section.inner_text()
    assert "退出" in page.locator(".topbar").inner_text()
    screenshot(page, "home-zh")

    page.click("[data-testid=lang-en]")
    page.wait_for_load_state("networkidle")

    assert page.locator("html").get_attribute("lang") == "en"
    assert (
        "Warehouse admin"
        in page.locator("section.role-home[data-role=warehouse_admin]").inner_text()
    )
    assert "Log out" in page.locator(".topbar").inner_text()
    path = screenshot(page, "home-en")
    assert path.stat().st_size > 1000
