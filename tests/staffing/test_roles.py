"""The HR role, department heads and who holds which staffing permission."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from ecomops.accounts.models import DepartmentHead
from ecomops.accounts.roles import ROLES, Department, RoleCode, role_label
from ecomops.accounts.selectors import department_head, departments_headed
from ecomops.staffing import selectors
from tests.staffing.factories import head_of

pytestmark = pytest.mark.django_db


def test_hr_is_a_role_of_human_resources_with_its_group() -> None:
    assert RoleCode.HR == "hr"
    assert ROLES["hr"].department == Department.HR
    assert Group.objects.filter(name="hr").exists()
    assert list(ROLES)[-1] == RoleCode.MANAGER  # the manager stays last


def test_hr_label_is_translated() -> None:
    from django.utils import translation

    with translation.override("en"):
        assert role_label("hr") == "HR specialist"


@pytest.mark.parametrize(
    ("role", "approve", "supply", "request_any", "view"),
    [
        ("hr", True, True, False, True),
        ("manager", True, True, True, True),
        ("warehouse_admin", False, False, False, False),
        ("picker", False, False, False, False),
        ("sales_rep", False, False, False, False),
    ],
)
def test_permissions_per_role(
    make_user: Any, role: str, approve: bool, supply: bool, request_any: bool, view: bool
) -> None:
    user = make_user(role)
    assert user.has_perm("staffing.approve_staffingrequest") is approve
    assert user.has_perm("staffing.supply_candidates") is supply
    assert user.has_perm("staffing.request_staff") is request_any
    assert user.has_perm("staffing.view_staffingrequest") is view


def test_heads_are_found_both_ways(make_user: Any) -> None:
    keeper = make_user("warehouse_admin")
    shop = make_user("shop_manager")
    assert departments_headed(keeper) == []
    assert department_head("warehouse") is None
    head_of("warehouse", keeper)
    head_of("finance", keeper)
    head_of("ecommerce", shop)
    assert departments_headed(keeper) == ["warehouse", "finance"]
    assert department_head("warehouse") == keeper
    assert department_head("ecommerce") == shop
    assert selectors.requestable_departments(keeper) == ["warehouse", "finance"]
    keeper.is_active = False
    keeper.save(update_fields=["is_active"])
    assert department_head("warehouse") is None
    assert departments_headed(keeper) == []


def test_one_head_per_department(make_user: Any) -> None:
    head_of("warehouse", make_user("warehouse_admin"))
    with pytest.raises(IntegrityError):
        head_of("warehouse", make_user("picker"))


def test_managers_keep_the_heads_in_the_admin(make_user: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    manager = make_user("manager")
    keeper = make_user("warehouse_admin", username="keeper")
    client.force_login(manager)
    add = reverse("admin:accounts_departmenthead_add")
    assert client.get(add).status_code == 200
    response = client.post(
        add, {"department": "warehouse", "user": keeper.pk, "since": "2026-11-01"}
    )
    assert response.status_code == 302
    assert DepartmentHead.objects.get().user == keeper
    assert client.get(reverse("admin:accounts_departmenthead_changelist")).status_code == 200
    client.force_login(make_user("hr"))
    assert client.get(add).status_code in (302, 403)
