from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "ecomops.portal"
    label = "portal"
    verbose_name = _("Staff portal")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from ecomops.accounts.roles import RoleCode
        from ecomops.accounts.selectors import user_role_codes
        from ecomops.sla.selectors import breached_running_clocks

        from .registry import NavItem, Queue, register_nav, register_queue

        register_nav(
            NavItem(
                key="portal.overview",
                label=_("Live overview"),
                url_name="portal:overview",
                roles=(RoleCode.MANAGER,),
                section=_("Management"),
                order=890,
                allowed=lambda user: (
                    bool(user.is_superuser) or RoleCode.MANAGER in user_role_codes(user)
                ),
            )
        )
        register_nav(
            NavItem(
                key="portal.overdue",
                label=_("Overdue work"),
                url_name="portal:overdue",
                roles=(RoleCode.MANAGER,),
                section=_("Management"),
                order=900,
            )
        )
        register_queue(
            Queue(
                key="portal.overdue",
                title=_("Overdue steps"),
                roles=(RoleCode.MANAGER,),
                url_name="portal:overdue",
                count=lambda user: breached_running_clocks().count(),
                late_count=lambda user: breached_running_clocks().count(),
                description=_("SLA clocks that ran out, across all departments"),
                order=900,
            )
        )
        # Each app's figures for the manager's live overview: its ``overview`` module
        # registers them when imported (the kernel names no app; see overview.py).
        autodiscover_modules("overview")
