"""Reads for the portal's home pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ecomops.accounts.roles import ROLES, Role
from ecomops.accounts.selectors import user_role_codes

from . import registry


@dataclass
class QueueCount:
    queue: registry.Queue
    count: int
    late: int


@dataclass
class RoleHome:
    role: Role
    queues: list[QueueCount]


def home_for(user: Any, *, only_role: str | None = None) -> list[RoleHome]:
    """Each role the user holds with its queues and their counts."""
    homes = []
    for code in user_role_codes(user):
        if only_role and code != only_role:
            continue
        counts = [
            QueueCount(q, q.count(user), q.late_count(user) if q.late_count else 0)
            for q in registry.queues_for_role(code)
        ]
        homes.append(RoleHome(ROLES[code], counts))
    return homes
