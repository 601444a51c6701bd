"""Reads about users' roles and departments."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from .models import DepartmentHead
from .roles import ROLES, Department


def acting_user(by: Any) -> Any | None:
    """Who to record as having done something: the user, or None for the system (a beat
    task, a signed push) and anonymous callers."""
    return by if by is not None and by.is_authenticated else None


def user_role_codes(user: Any) -> list[str]:
    """The role codes ``user`` holds, in the order of ``ROLES``; cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_ecomops_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = [code for code in ROLES if code in names]
        user._ecomops_roles = cached
    return list(cached)


def user_departments(user: Any) -> list[Department]:
    seen: list[Department] = []
    for code in user_role_codes(user):
        dept = ROLES[code].department
        if dept not in seen:
            seen.append(dept)
    return seen


def users_with_role(role: str) -> QuerySet[Any]:
    return get_user_model().objects.filter(groups__name=role, is_active=True).distinct()


def users_in_department(department: str) -> QuerySet[Any]:
    codes = [r.code for r in ROLES.values() if r.department == department]
    return get_user_model().objects.filter(groups__name__in=codes, is_active=True).distinct()


def departments_headed(user: Any) -> list[str]:
    """The departments ``user`` heads (codes, in the order of ``Department``)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    headed = set(DepartmentHead.objects.filter(user=user).values_list("department", flat=True))
    return [code for code in Department.values if code in headed]


def department_head(department: str) -> Any | None:
    """The active head of ``department``, or None when it has none."""
    head = (
        DepartmentHead.objects.select_related("user")
        .filter(department=department, user__is_active=True)
        .first()
    )
    return head.user if head is not None else None
