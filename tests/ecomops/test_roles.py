"""Departments and roles: groups from the data migration, permissions as declared."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group

from ecomops.accounts.roles import ROLES, Department, declared_permissions, grant
from ecomops.accounts.selectors import user_departments, user_role_codes, users_with_role
from ecomops.accounts.services import sync_role_permissions

pytestmark = pytest.mark.django_db

EXPECTED_ROLES = {
    "sales_rep": Department.ECOMMERCE,
    "presales_service": Department.SERVICE,
    "aftersales_service": Department.SERVICE,
    "shop_manager": Department.ECOMMERCE,
    "listing_reviewer": Department.ECOMMERCE,
    "designer": Department.ECOMMERCE,
    "promotion": Department.MARKETING,
    "network_sales": Department.DISTRIBUTION,
    "distribution_specialist": Department.DISTRIBUTION,
    "bu_applicant": Department.BUSINESS_UNIT,
    "bu_parts_admin": Department.BUSINESS_UNIT,
    "warehouse_admin": Department.WAREHOUSE,
    "picker": Department.WAREHOUSE,
    "packer": Department.WAREHOUSE,
    "finance_clerk": Department.FINANCE,
    "manager": Department.MANAGEMENT,
}


def test_every_role_is_a_group_from_the_migration() -> None:
    assert set(EXPECTED_ROLES) <= set(ROLES)
    assert set(EXPECTED_ROLES) <= set(Group.objects.values_list("name", flat=True))
    for code, department in EXPECTED_ROLES.items():
        assert ROLES[code].department == department


@pytest.mark.parametrize("code", sorted(EXPECTED_ROLES))
def test_each_role_holds_exactly_its_declared_permissions(code: str) -> None:
    group = Group.objects.get(name=code)
    held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    if code == "manager":
        assert "workcalendar.change_workcalendarday" in held
        assert "django_celery_beat.change_periodictask" in held
        assert "sla.change_slapolicy" in held
    else:
        assert held == declared_permissions(code)


def test_manager_gets_admin_access_and_several_roles_add_up(make_user: Any) -> None:
    user = make_user("manager", "sales_rep")
    user.refresh_from_db()
    assert user.is_staff
    assert user.has_perm("django_celery_beat.view_periodictask")
    assert user_role_codes(user) == ["sales_rep", "manager"]
    assert user_departments(user) == [Department.ECOMMERCE, Department.MANAGEMENT]
    assert list(users_with_role("sales_rep")) == [user]


def test_a_role_without_the_permission_is_refused(make_user: Any) -> None:
    picker = make_user("picker")
    assert not picker.has_perm("workcalendar.change_workcalendarday")
    assert not picker.is_staff


def test_sync_applies_new_grants_and_is_repeatable() -> None:
    grant("picker", ["notifications.view_notification"])
    try:
        sync_role_permissions()
        sync_role_permissions()
        perms = Group.objects.get(name="picker").permissions.values_list("codename", flat=True)
        assert "view_notification" in perms
    finally:
        declared = declared_permissions("picker")
        declared.discard("notifications.view_notification")
        from ecomops.accounts import roles

        roles._GRANTS["picker"] = declared
        sync_role_permissions()


def test_unknown_role_is_refused() -> None:
    with pytest.raises(KeyError):
        grant("astronaut", ["auth.view_user"])
