"""Marketing: promotion campaigns run across departments."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self) -> None:
        from ecomops.accounts.roles import ROLES, RoleCode, grant, grant_manager_all_of
        from ecomops.demo import register_seeder
        from ecomops.portal.registry import NavItem, Queue, register_nav, register_queue

        from . import selectors
        from .demo import seed_marketing
        from .models import TASK_DEPARTMENT

        see = {
            "marketing.view_campaign",
            "marketing.view_campaignplan",
            "marketing.view_planline",
            "marketing.view_campaigntask",
        }
        grant(RoleCode.PROMOTION, see | {"marketing.run_campaign"})
        # The departments a campaign hands work to see what it is about: a department task
        # reaches every member of its department and links to its campaign.
        for role in ROLES.values():
            if role.department in TASK_DEPARTMENT.values():
                grant(role.code, {"marketing.view_campaign"})
        grant_manager_all_of("marketing")

        section = _("Marketing")
        register_nav(
            NavItem(
                "marketing.home",
                _("Campaign desk"),
                "marketing:home",
                (RoleCode.PROMOTION, RoleCode.MANAGER),
                section,
                70,
            )
        )
        register_nav(
            NavItem(
                "marketing.campaigns",
                _("Campaigns"),
                "marketing:campaign_list",
                (
                    RoleCode.PROMOTION,
                    RoleCode.MANAGER,
                    RoleCode.SHOP_MANAGER,
                    RoleCode.DESIGNER,
                    RoleCode.SALES_REP,
                    RoleCode.WAREHOUSE_ADMIN,
                    RoleCode.PRESALES_SERVICE,
                    RoleCode.AFTERSALES_SERVICE,
                ),
                section,
                71,
            )
        )
        register_queue(
            Queue(
                key="marketing.campaigns",
                title=_("Campaigns to move on"),
                roles=(RoleCode.PROMOTION,),
                url_name="marketing:home",
                count=lambda user: selectors.campaigns_needing_action_count(),
                description=_("Plans to choose, pre-heats, department tasks, results to review"),
                order=40,
            )
        )
        register_queue(
            Queue(
                key="marketing.waivers",
                title=_("Campaign tasks declined by a department"),
                roles=(RoleCode.MANAGER,),
                url_name="marketing:home",
                count=lambda user: selectors.waivers_pending_count(),
                description=_("Waive them or have them sent again, so the campaign can go live"),
                order=41,
            )
        )
        register_seeder("marketing", seed_marketing, order=70)
