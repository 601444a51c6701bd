"""Departments and roles (部门与角色).

A role is a Django group whose name is the role's code; a user may hold several roles.
The groups themselves are created by a data migration. Which permissions each role has is
declared here for the kernel and by each app in its ``AppConfig.ready()`` through
``grant()``; ``sync_role_permissions`` (run after every ``migrate``) makes the groups match.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_stubs_ext import StrOrPromise


class Department(models.TextChoices):
    ECOMMERCE = "ecommerce", _("E-commerce")
    SERVICE = "service", _("Customer service")
    MARKETING = "marketing", _("Marketing")
    DISTRIBUTION = "distribution", _("Distribution")
    BUSINESS_UNIT = "business_unit", _("Business unit")
    WAREHOUSE = "warehouse", _("Warehouse & logistics")
    FINANCE = "finance", _("Finance")
    HR = "hr", _("Human resources")
    MANAGEMENT = "management", _("Management")


@dataclass(frozen=True)
class Role:
    code: str
    label: StrOrPromise
    department: Department


class RoleCode:
    """Role codes; each is also the name of the role's Django group."""

    SALES_REP = "sales_rep"
    PRESALES_SERVICE = "presales_service"
    AFTERSALES_SERVICE = "aftersales_service"
    SHOP_MANAGER = "shop_manager"
    LISTING_REVIEWER = "listing_reviewer"
    DESIGNER = "designer"
    PROMOTION = "promotion"
    NETWORK_SALES = "network_sales"
    DISTRIBUTION_SPECIALIST = "distribution_specialist"
    BU_APPLICANT = "bu_applicant"
    BU_PARTS_ADMIN = "bu_parts_admin"
    WAREHOUSE_ADMIN = "warehouse_admin"
    PICKER = "picker"
    PACKER = "packer"
    FINANCE_CLERK = "finance_clerk"
    HR = "hr"
    MANAGER = "manager"


ROLES: dict[str, Role] = {
    r.code: r
    for r in (
        Role(
            RoleCode.SALES_REP, pgettext_lazy("role", "E-commerce sales rep"), Department.ECOMMERCE
        ),
        Role(
            RoleCode.PRESALES_SERVICE,
            pgettext_lazy("role", "Pre-sales service"),
            Department.SERVICE,
        ),
        Role(
            RoleCode.AFTERSALES_SERVICE,
            pgettext_lazy("role", "After-sales service"),
            Department.SERVICE,
        ),
        Role(RoleCode.SHOP_MANAGER, pgettext_lazy("role", "Shop manager"), Department.ECOMMERCE),
        Role(
            RoleCode.LISTING_REVIEWER,
            pgettext_lazy("role", "Listing reviewer"),
            Department.ECOMMERCE,
        ),
        Role(RoleCode.DESIGNER, pgettext_lazy("role", "Designer"), Department.ECOMMERCE),
        Role(RoleCode.PROMOTION, pgettext_lazy("role", "Promotion"), Department.MARKETING),
        Role(
            RoleCode.NETWORK_SALES,
            pgettext_lazy("role", "Network sales (group-buying)"),
            Department.DISTRIBUTION,
        ),
        Role(
            RoleCode.DISTRIBUTION_SPECIALIST,
            pgettext_lazy("role", "Distribution specialist"),
            Department.DISTRIBUTION,
        ),
        Role(
            RoleCode.BU_APPLICANT,
            pgettext_lazy("role", "Business-unit applicant"),
            Department.BUSINESS_UNIT,
        ),
        Role(
            RoleCode.BU_PARTS_ADMIN,
            pgettext_lazy("role", "Business-unit parts admin"),
            Department.BUSINESS_UNIT,
        ),
        Role(
            RoleCode.WAREHOUSE_ADMIN, pgettext_lazy("role", "Warehouse admin"), Department.WAREHOUSE
        ),
        Role(RoleCode.PICKER, pgettext_lazy("role", "Picker"), Department.WAREHOUSE),
        Role(RoleCode.PACKER, pgettext_lazy("role", "Packer"), Department.WAREHOUSE),
        Role(RoleCode.FINANCE_CLERK, pgettext_lazy("role", "Finance clerk"), Department.FINANCE),
        Role(RoleCode.HR, pgettext_lazy("role", "HR specialist"), Department.HR),
        Role(RoleCode.MANAGER, pgettext_lazy("role", "Manager"), Department.MANAGEMENT),
    )
}

# role code -> {"app_label.codename", ...}
_GRANTS: dict[str, set[str]] = defaultdict(set)
# App labels whose every permission the manager role holds.
_MANAGER_APPS: set[str] = set()


def grant(role: str, permissions: Iterable[str]) -> None:
    """Declare that ``role`` holds these permissions ("app_label.codename")."""
    if role not in ROLES:
        raise KeyError(f"unknown role {role!r}")
    _GRANTS[role].update(permissions)


def grant_manager_all_of(*app_labels: str) -> None:
    """The manager role holds every permission of these apps (admin access)."""
    _MANAGER_APPS.update(app_labels)


def declared_permissions(role: str) -> set[str]:
    return set(_GRANTS.get(role, set()))


def manager_apps() -> set[str]:
    return set(_MANAGER_APPS)


def role_label(code: str) -> str:
    role = ROLES.get(code)
    return str(role.label) if role else code
