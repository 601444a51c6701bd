"""Demo data: the kernel's demo users, and the extension point where apps add theirs.

Each app registers a seeder in its ``AppConfig.ready()``; ``manage.py seed_demo`` runs the
kernel seeder and then every app's, lowest layer first. Every seeder must be idempotent:
running ``seed_demo`` twice leaves the same data as running it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from ecomops.accounts.roles import ROLES, RoleCode
from ecomops.accounts.services import user_add_roles

DEMO_PASSWORD = "ecomops-demo"  # noqa: S105  (demo accounts only; printed by seed_demo)

# Chinese display names for the demo user of each role.
_DEMO_NAMES: dict[str, tuple[str, str]] = {
    RoleCode.SALES_REP: ("王", "芳"),
    RoleCode.PRESALES_SERVICE: ("李", "娜"),
    RoleCode.AFTERSALES_SERVICE: ("张", "敏"),
    RoleCode.SHOP_MANAGER: ("刘", "洋"),
    RoleCode.LISTING_REVIEWER: ("陈", "静"),
    RoleCode.DESIGNER: ("杨", "帆"),
    RoleCode.PROMOTION: ("赵", "磊"),
    RoleCode.NETWORK_SALES: ("黄", "婷"),
    RoleCode.DISTRIBUTION_SPECIALIST: ("周", "杰"),
    RoleCode.BU_APPLICANT: ("吴", "强"),
    RoleCode.BU_PARTS_ADMIN: ("徐", "丽"),
    RoleCode.WAREHOUSE_ADMIN: ("孙", "军"),
    RoleCode.PICKER: ("马", "超"),
    RoleCode.PACKER: ("朱", "琳"),
    RoleCode.FINANCE_CLERK: ("胡", "秀英"),
    RoleCode.HR: ("何", "晓燕"),
    RoleCode.MANAGER: ("郭", "建国"),
}


@dataclass(frozen=True)
class Seeder:
    name: str
    run: Callable[[Callable[[str], None]], None]  # receives a log function
    order: int


_SEEDERS: dict[str, Seeder] = {}


def register_seeder(name: str, run: Callable[[Callable[[str], None]], None], *, order: int) -> None:
    """Add an app's demo data; ``order`` follows the layers (listings 10, orders 20, ...)."""
    _SEEDERS[name] = Seeder(name, run, order)


def seeders() -> list[Seeder]:
    return sorted(_SEEDERS.values(), key=lambda s: s.order)


@transaction.atomic
def seed_users(log: Callable[[str], None]) -> list[tuple[str, str]]:
    """One demo user per role (username = role code) and a superuser ``admin``."""
    User: Any = get_user_model()
    accounts: list[tuple[str, str]] = []
    for code, role in ROLES.items():
        last, first = _DEMO_NAMES.get(code, ("", code))
        user, _created = User.objects.get_or_create(
            username=code,
            defaults={"first_name": first, "last_name": last, "email": f"{code}@ecomops.local"},
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        user_add_roles(user=user, roles=[code])
        accounts.append((code, str(role.label)))
    admin, _created = User.objects.get_or_create(
        username="admin",
        defaults={"is_staff": True, "is_superuser": True, "email": "admin@ecomops.local"},
    )
    admin.set_password(DEMO_PASSWORD)
    admin.save(update_fields=["password"])
    accounts.append(("admin", "superuser"))
    log(f"{len(accounts)} demo users")
    return accounts
