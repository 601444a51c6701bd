"""Writes for departments and roles: keeping the groups' permissions as declared."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from .roles import ROLES, RoleCode, declared_permissions, manager_apps


@transaction.atomic
def sync_role_permissions(**_: Any) -> None:
    """Make each role's group hold exactly the permissions declared for it.

    Runs after every ``migrate`` (post_migrate), so a new model's permissions reach the
    roles as soon as its table exists. Safe to run any number of times.
    """
    for code in ROLES:
        group, _created = Group.objects.get_or_create(name=code)
        wanted = declared_permissions(code)
        query = Q(pk__in=[])
        for perm in wanted:
            app_label, codename = perm.split(".", 1)
            query |= Q(content_type__app_label=app_label, codename=codename)
        if code == RoleCode.MANAGER:
            query |= Q(content_type__app_label__in=manager_apps())
        group.permissions.set(Permission.objects.filter(query))


def user_add_roles(*, user: Any, roles: list[str]) -> None:
    """Give ``user`` these roles (groups); managers also get admin access."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise KeyError(f"unknown roles: {unknown}")
    user.groups.add(*Group.objects.filter(name__in=roles))
    if RoleCode.MANAGER in roles and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
