"""The portal shell: sign-in, home page per role, queues, language switch."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from ecomops.accounts.models import DepartmentHead
from ecomops.accounts.roles import Department
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


def sidebar(html: str) -> list[tuple[str, list[str]]]:
    """The sidebar's sections in order, each with the addresses of its entries (the entries
    above the first section are under "")."""
    aside = html.split('<aside class="sidebar">', 1)[1].split("</aside>", 1)[0]
    sections: list[tuple[str, list[str]]] = [("", [])]
    for match in re.finditer(r'<div class="nav-section">(.*?)</div>|<a href="([^"]*)"', aside):
        if match.group(1) is not None:
            sections.append((match.group(1).strip(), []))
        else:
            sections[-1][1].append(match.group(2))
    return sections


def test_each_sidebar_section_shows_once_with_every_app_s_entries(
    client: Any, make_user: Any
) -> None:
    client.force_login(make_user("manager"))
    home = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en")
    sections = sidebar(home.content.decode())
    names = [name for name, _links in sections]
    assert len(names) == len(set(names)), names
    entries = dict(sections)
    assert {
        reverse("warehouse:batch_board"),
        reverse("returns:receiving_queue"),
        reverse("distribution:stock_requests"),
    } <= set(entries["Warehouse"])
    assert {reverse("returns:home"), reverse("returns:case_list")} <= set(entries["After-sales"])


def test_sections_follow_their_first_entry_and_keep_their_entries_in_order() -> None:
    items = [
        registry.NavItem("t.b1", "b1", "portal:home", ("t_role",), "B", 20),
        registry.NavItem("t.a1", "a1", "portal:home", ("t_role",), "A", 10),
        registry.NavItem("t.b2", "b2", "portal:home", ("t_role",), "B", 30),
        registry.NavItem("t.a2", "a2", "portal:home", ("t_role",), "A", 40),
    ]
    for item in items:
        registry.register_nav(item)
    try:
        mine = [i.key for i in registry.nav_for(["t_role"]) if i.key.startswith("t.")]
        assert mine == ["t.a1", "t.a2", "t.b1", "t.b2"]
    finally:
        for item in items:
            registry._NAV.pop(item.key)


@pytest.mark.parametrize(
    ("role", "catalog", "staffing"),
    [
        ("picker", False, False),
        ("packer", False, False),
        ("hr", False, True),
        ("sales_rep", True, False),
        ("manager", True, True),
    ],
)
def test_the_sidebar_offers_only_pages_the_user_may_open(
    client: Any, make_user: Any, role: str, catalog: bool, staffing: bool
) -> None:
    client.force_login(make_user(role))
    links = {href for _name, hrefs in sidebar(client.get("/").content.decode()) for href in hrefs}
    assert (reverse("listings:catalog") in links) is catalog
    assert (reverse("staffing:list") in links) is staffing
    for href in links:
        assert client.get(href).status_code == 200, href


def test_a_department_head_finds_the_staffing_requests(client: Any, make_user: Any) -> None:
    head = make_user("warehouse_admin")
    client.force_login(head)
    assert reverse("staffing:list") not in client.get("/").content.decode()
    DepartmentHead.objects.create(department=Department.WAREHOUSE, user=head)
    assert reverse("staffing:list") in client.get("/").content.decode()
    assert client.get(reverse("staffing:list")).status_code == 200
