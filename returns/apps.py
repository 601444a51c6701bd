"""Returns and after-sales."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = _("Returns and after-sales")

    def ready(self) -> None:
        from django.utils import timezone

        from ecomops.accounts.roles import RoleCode, grant, grant_manager_all_of
        from ecomops.demo import register_seeder
        from ecomops.portal.registry import NavItem, Queue, register_nav, register_queue
        from finance.signals import refund_paid, refund_rejected
        from orders.extensions import register_returned_units
        from warehouse.signals import parcels_shipped

        from . import receivers
        from .demo import seed_returns
        from .demo_training import seed_training
        from .selectors import cases as case_selectors
        from .selectors import requests as selectors
        from .selectors import training as training_selectors

        refund_paid.connect(receivers.on_refund_paid, dispatch_uid="returns.refund_paid")
        refund_rejected.connect(
            receivers.on_refund_rejected, dispatch_uid="returns.refund_rejected"
        )
        parcels_shipped.connect(
            receivers.on_parcels_shipped, dispatch_uid="returns.parcels_shipped"
        )
        register_returned_units("returns", selectors.returned_units_by_sku)

        see_returns = {"returns.view_returnrequest", "returns.view_returnphoto"}
        scripts = {"returns.view_replyscript", "returns.edit_replyscript"}
        grant(
            RoleCode.AFTERSALES_SERVICE,
            see_returns
            | scripts
            | {
                "returns.handle_return",
                "returns.approve_return",
                "returns.view_aftersalescase",
                "returns.handle_case",
                "returns.view_callback",
            },
        )
        grant(
            RoleCode.PRESALES_SERVICE,
            scripts | {"returns.view_aftersalescase", "returns.view_callback"},
        )
        grant(
            RoleCode.SHOP_MANAGER,
            see_returns
            | {"returns.confirm_return", "returns.view_aftersalescase", "returns.view_replyscript"},
        )
        for role in (RoleCode.WAREHOUSE_ADMIN, RoleCode.PACKER):
            grant(role, see_returns | {"returns.receive_return"})
        # Service staff follow their own training and record the sharing sessions they hold;
        # managers (all of returns) start, follow and clear trainings.
        training = {
            "returns.view_onboarding",
            "returns.view_productreading",
            "returns.view_quizattempt",
            "returns.view_quizquestion",
            "returns.view_sharingsession",
            "returns.record_sharing_session",
        }
        for role in (RoleCode.PRESALES_SERVICE, RoleCode.AFTERSALES_SERVICE):
            grant(role, training)
        grant_manager_all_of("returns")

        section = _("After-sales")
        service = (RoleCode.AFTERSALES_SERVICE, RoleCode.MANAGER)
        for item in (
            NavItem("returns.home", _("Service desk"), "returns:home", service, section, 50),
            NavItem(
                "returns.requests",
                _("Return requests"),
                "returns:request_list",
                (*service, RoleCode.SHOP_MANAGER, RoleCode.WAREHOUSE_ADMIN),
                section,
                51,
            ),
            NavItem(
                "returns.confirmations",
                _("Returns to confirm"),
                "returns:confirm_queue",
                (RoleCode.SHOP_MANAGER, RoleCode.MANAGER),
                section,
                52,
            ),
            NavItem(
                "returns.receiving",
                _("Returned goods"),
                "returns:receiving_queue",
                (RoleCode.WAREHOUSE_ADMIN, RoleCode.PACKER, RoleCode.MANAGER),
                _("Warehouse"),
                53,
            ),
            NavItem(
                "returns.cases",
                _("After-sales cases"),
                "returns:case_list",
                (*service, RoleCode.PRESALES_SERVICE, RoleCode.SHOP_MANAGER),
                section,
                54,
            ),
            NavItem(
                "returns.callbacks",
                _("Callbacks"),
                "returns:callback_list",
                (*service, RoleCode.PRESALES_SERVICE),
                section,
                55,
            ),
            NavItem(
                "returns.repeat",
                _("Repeat customers"),
                "returns:repeat_customers",
                (*service, RoleCode.PRESALES_SERVICE, RoleCode.SHOP_MANAGER),
                section,
                56,
            ),
            NavItem(
                "returns.scripts",
                _("Reply scripts"),
                "returns:script_list",
                (*service, RoleCode.PRESALES_SERVICE, RoleCode.SHOP_MANAGER),
                section,
                57,
            ),
            NavItem(
                "returns.reasons",
                _("Return reasons"),
                "returns:reasons_chart",
                (*service, RoleCode.SHOP_MANAGER),
                section,
                58,
            ),
            NavItem(
                "returns.training",
                _("Service training"),
                "returns:training_home",
                (*service, RoleCode.PRESALES_SERVICE),
                section,
                59,
            ),
            NavItem(
                "returns.sharing_sessions",
                _("Sharing sessions"),
                "returns:sharing_sessions",
                (*service, RoleCode.PRESALES_SERVICE),
                section,
                59,
            ),
        ):
            register_nav(item)

        register_queue(
            Queue(
                key="returns.review",
                title=_("Return requests to review"),
                roles=(RoleCode.AFTERSALES_SERVICE,),
                url_name="returns:home",
                count=lambda user: selectors.review_queue_count(),
                late_count=lambda user: selectors.review_queue_late_count(),
                description=_("New, photos awaited and to approve"),
                order=20,
            )
        )
        register_queue(
            Queue(
                key="returns.callbacks",
                title=_("Callbacks due today"),
                roles=(RoleCode.AFTERSALES_SERVICE, RoleCode.PRESALES_SERVICE),
                url_name="returns:callback_list",
                count=lambda user: case_selectors.callbacks_due_count(
                    timezone.localdate(), owner=user
                ),
                description=_("Your follow-up calls"),
                order=21,
            )
        )
        register_queue(
            Queue(
                key="returns.confirm",
                title=_("Returns to confirm"),
                roles=(RoleCode.SHOP_MANAGER,),
                url_name="returns:confirm_queue",
                count=lambda user: selectors.confirm_queue().count(),
                description=_("Approved by service; someone else confirms"),
                order=22,
            )
        )
        register_queue(
            Queue(
                key="returns.receiving",
                title=_("Returned goods to receive and inspect"),
                roles=(RoleCode.WAREHOUSE_ADMIN, RoleCode.PACKER),
                url_name="returns:receiving_queue",
                count=lambda user: selectors.awaiting_goods_count() + selectors.to_inspect_count(),
                description=_("Customers' parcels expected or waiting for inspection"),
                order=23,
            )
        )
        register_queue(
            Queue(
                key="returns.trainees_to_clear",
                title=_("Trainees to clear"),
                roles=(RoleCode.MANAGER,),
                url_name="returns:training_home",
                count=lambda user: training_selectors.trainees_to_clear_count(),
                description=_("Service trainees who attended their sharing sessions"),
                order=24,
            )
        )
        register_queue(
            Queue(
                key="returns.trainees_behind",
                title=_("Trainees behind schedule"),
                roles=(RoleCode.MANAGER,),
                url_name="returns:training_home",
                count=lambda user: training_selectors.trainees_behind_count(),
                late_count=lambda user: training_selectors.trainees_behind_count(),
                description=_("Still reading the products after the day they were due"),
                order=25,
            )
        )
        register_seeder("returns", seed_returns, order=50)
        register_seeder("returns_training", seed_training, order=55)
