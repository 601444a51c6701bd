"""What the SLA clocks give the manager's live overview (``ecomops.portal.overview``): the
clocks warned and breached now, in all and by department, each linked to its list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ecomops.accounts.roles import ROLES, Department
from ecomops.portal.overview import Figure, Panel, link, register_figures, register_panel

from .selectors import clocks_at_risk_by_role

CLOCKS_URL = "portal:clocks"


@dataclass(frozen=True)
class DepartmentClocks:
    department: Department
    warned: int
    breached: int

    @property
    def warned_url(self) -> str:
        return link(CLOCKS_URL, {"risk": "warned", "department": self.department.value})

    @property
    def breached_url(self) -> str:
        return link(CLOCKS_URL, {"risk": "breached", "department": self.department.value})


def clocks_by_department(now: datetime) -> list[DepartmentClocks]:
    """Departments with clocks warned or breached at ``now``, in the departments' order."""
    totals: dict[Department, list[int]] = {}
    for role, (warned, breached) in clocks_at_risk_by_role(now).items():
        known = ROLES.get(role)
        department = known.department if known else Department.MANAGEMENT
        counts = totals.setdefault(department, [0, 0])
        counts[0] += warned
        counts[1] += breached
    return [
        DepartmentClocks(department, *totals[department])
        for department in Department
        if department in totals
    ]


def _panel(now: datetime) -> Mapping[str, Any]:
    rows = clocks_by_department(now)
    return {
        "rows": rows,
        "warned": sum(r.warned for r in rows),
        "breached": sum(r.breached for r in rows),
        "warned_url": link(CLOCKS_URL, {"risk": "warned"}),
        "breached_url": link(CLOCKS_URL, {"risk": "breached"}),
    }


def _figures(now: datetime) -> list[Figure]:
    warned = breached = 0
    for w, b in clocks_at_risk_by_role(now).values():
        warned += w
        breached += b
    return [
        Figure(
            key="sla.warned",
            label=pgettext_lazy("overview", "Clocks warned"),
            value=warned,
            url_name=CLOCKS_URL,
            query={"risk": "warned"},
            note=_("Past their warning point, not yet late"),
            tone="warn" if warned else "",
        ),
        Figure(
            key="sla.breached",
            label=pgettext_lazy("overview", "Clocks breached"),
            value=breached,
            url_name=CLOCKS_URL,
            query={"risk": "breached"},
            late=breached,
            note=_("Past their due time and still open"),
            tone="bad" if breached else "",
        ),
    ]


register_figures("sla.clocks", _figures, order=50)
register_panel(
    Panel(
        key="sla.departments",
        title=_("Clocks at risk by department"),
        template="portal/overview/_clocks.html",
        read=_panel,
        order=30,
    )
)
