"""Staffing requests (招聘需求 → 人才输送): departments ask HR for people."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffingConfig(AppConfig):
    name = "ecomops.staffing"
    label = "staffing"
    verbose_name = _("Staffing requests")

    def ready(self) -> None:
        from ecomops.accounts.roles import RoleCode, grant, grant_manager_all_of
        from ecomops.demo import register_seeder
        from ecomops.portal.registry import NavItem, Queue, register_nav, register_queue

        from . import selectors
        from .demo import seed_staffing

        # Department heads are no role: the services let them ask for their departments
        # (accounts.DepartmentHead). Managers hold every permission of the app.
        grant(
            RoleCode.HR,
            {
                "staffing.view_staffingrequest",
                "staffing.view_candidate",
                "staffing.approve_staffingrequest",
                "staffing.supply_candidates",
            },
        )
        grant_manager_all_of("staffing")

        # HR, managers, department heads and whoever asked for staff: no role says who
        # heads a department, so the page's own rule decides who sees the entry.
        register_nav(
            NavItem(
                key="staffing.requests",
                label=_("Staffing requests"),
                url_name="staffing:list",
                roles=(),
                section=_("Human resources"),
                order=90,
                allowed=selectors.has_access,
            )
        )
        register_queue(
            Queue(
                key="staffing.handle",
                title=_("Staffing requests to handle"),
                roles=(RoleCode.HR,),
                url_name="staffing:list",
                count=selectors.to_handle_count,
                late_count=selectors.to_handle_late_count,
                description=_("Requested, approved and in progress; red when past the date wanted"),
                order=40,
            )
        )
        register_queue(
            Queue(
                key="staffing.approve",
                title=_("Staffing requests to approve"),
                roles=(RoleCode.MANAGER,),
                url_name="staffing:list",
                count=selectors.to_approve_count,
                late_count=selectors.to_approve_late_count,
                order=41,
            )
        )
        register_seeder("staffing", seed_staffing, order=16)
