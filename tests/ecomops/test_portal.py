"""The portal shell: sign-in, home page per role, queues, language switch."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ecomops.portal import registry
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_home_needs_sign_in(client: Any) -> None:
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_sign_in_lands_on_home_in_chinese(client: Any, make_user: Any) -> None:
    make_user("warehouse_admin", username="wh")
    response = client.post(
        reverse("login"), {"username": "wh", "password": DEFAULT_PASSWORD}, follow=True
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'lang="zh-hans"' in html
    assert "仓库管理员" in html


def test_wrong_password_keeps_the_username(client: Any, make_user: Any) -> None:
    make_user("picker", username="pk")
    response = client.post(reverse("login"), {"username": "pk", "password": "nope"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="pk"' in html
    assert 'role="alert"' in html


def test_language_switch_to_english(client: Any, make_user: Any) -> None:
    client.force_login(make_user("packer"))
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("portal:home")}, follow=True
    )
    html = response.content.decode()
    assert 'lang="en"' in html
    assert "Packer" in html


def test_home_lists_each_held_role_with_its_queues(client: Any, make_user: Any) -> None:
    registry.register_queue(
        registry.Queue(
            key="test-queue",
            title="待拣货",
            roles=("picker",),
            url_name="portal:home",
            count=lambda user: 7,
            late_count=lambda user: 2,
        )
    )
    try:
        client.force_login(make_user("picker", "packer"))
        html = client.get(reverse("portal:home")).content.decode()
        assert 'data-role="picker"' in html
        assert 'data-role="packer"' in html
        assert 'data-queue="test-queue"' in html
        assert ">7<" in html
        partial = client.get(reverse("portal:queues"), {"role": "picker"}).content.decode()
        assert 'data-queue="test-queue"' in partial
        assert 'data-role="packer"' not in partial
    finally:
        registry._QUEUES.pop("test-queue")


def test_role_home_only_for_held_roles(client: Any, make_user: Any) -> None:
    client.force_login(make_user("picker"))
    assert client.get(reverse("portal:role_home", args=["picker"])).status_code == 200
    assert client.get(reverse("portal:role_home", args=["finance_clerk"])).status_code == 404
    assert client.get(reverse("portal:role_home", args=["astronaut"])).status_code == 404


def test_admin_open_to_managers_only(client: Any, make_user: Any) -> None:
    client.force_login(make_user("manager"))
    assert client.get(reverse("admin:index")).status_code == 200
    response = client.get(reverse("admin:django_celery_beat_periodictask_changelist"))
    assert response.status_code == 200
    client.force_login(make_user("picker"))
    assert client.get(reverse("admin:index")).status_code == 302
