"""Distribution: agents, distributors and group-buying deals."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DistributionConfig(AppConfig):
    name = "distribution"
    verbose_name = _("Distribution")

    def ready(self) -> None:
        from ecomops.accounts.roles import RoleCode, grant, grant_manager_all_of
        from ecomops.demo import register_seeder
        from ecomops.portal.registry import NavItem, Queue, register_nav, register_queue
        from finance.signals import remittance_received

        from . import receivers
        from .demo import seed_distribution
        from .selectors import deals as deal_selectors
        from .selectors import partners as partner_selectors

        remittance_received.connect(
            receivers.on_remittance_received, dispatch_uid="distribution.remittance_received"
        )

        see = {
            "distribution.view_partner",
            "distribution.view_authorization",
            "distribution.view_programmeversion",
            "distribution.view_deal",
        }
        grant(
            RoleCode.DISTRIBUTION_SPECIALIST,
            see
            | {
                "distribution.handle_partner",
                "distribution.authorize_partner",
                "distribution.screen_distributor",
                "distribution.end_partner",
                "distribution.edit_programme",
                "distribution.handle_deal",
            },
        )
        grant(
            RoleCode.NETWORK_SALES,
            see | {"distribution.handle_partner", "distribution.handle_deal"},
        )
        grant(
            RoleCode.WAREHOUSE_ADMIN,
            {"distribution.view_deal", "distribution.prepare_deal_stock"},
        )
        grant(RoleCode.FINANCE_CLERK, {"distribution.view_deal", "distribution.view_partner"})
        grant_manager_all_of("distribution")

        section = _("Distribution")
        team = (RoleCode.DISTRIBUTION_SPECIALIST, RoleCode.NETWORK_SALES, RoleCode.MANAGER)
        for item in (
            NavItem(
                "distribution.home", _("Distribution desk"), "distribution:home", team, section, 60
            ),
            NavItem(
                "distribution.pipeline",
                _("Recruitment pipeline"),
                "distribution:pipeline",
                team,
                section,
                61,
            ),
            NavItem(
                "distribution.partners",
                _("Partners"),
                "distribution:partner_list",
                team,
                section,
                62,
            ),
            NavItem(
                "distribution.deals",
                _("Group-buying deals"),
                "distribution:deal_board",
                team,
                section,
                63,
            ),
            NavItem(
                "distribution.programme",
                _("Distributor programme"),
                "distribution:programme",
                (RoleCode.DISTRIBUTION_SPECIALIST, RoleCode.MANAGER),
                section,
                64,
            ),
            NavItem(
                "distribution.sales",
                _("Partner sales"),
                "distribution:sales_chart",
                team,
                section,
                65,
            ),
            NavItem(
                "distribution.stock",
                _("Stock for group-buying deals"),
                "distribution:stock_requests",
                (RoleCode.WAREHOUSE_ADMIN, RoleCode.MANAGER),
                _("Warehouse"),
                66,
            ),
        ):
            register_nav(item)

        register_queue(
            Queue(
                key="distribution.reminders",
                title=_("Partner follow-ups due"),
                roles=(RoleCode.DISTRIBUTION_SPECIALIST, RoleCode.NETWORK_SALES),
                url_name="distribution:home",
                count=lambda user: partner_selectors.reminders_count(user),
                description=_("Next steps due today and authorizations running out"),
                order=30,
            )
        )
        register_queue(
            Queue(
                key="distribution.applications",
                title=_("Distributor applications to screen"),
                roles=(RoleCode.DISTRIBUTION_SPECIALIST,),
                url_name="distribution:applications",
                count=lambda user: partner_selectors.applications_to_screen().count(),
                order=31,
            )
        )
        register_queue(
            Queue(
                key="distribution.deals",
                title=_("Group-buying deals waiting on us"),
                roles=(RoleCode.NETWORK_SALES, RoleCode.DISTRIBUTION_SPECIALIST),
                url_name="distribution:deal_board",
                count=lambda user: deal_selectors.deals_needing_action_count(),
                description=_("To propose, prepare, take live, bill or close"),
                order=32,
            )
        )
        register_queue(
            Queue(
                key="distribution.stock",
                title=_("Stock to prepare for group-buying deals"),
                roles=(RoleCode.WAREHOUSE_ADMIN,),
                url_name="distribution:stock_requests",
                count=lambda user: deal_selectors.stock_requests_open().count(),
                order=33,
            )
        )
        register_seeder("distribution", seed_distribution, order=60)
