from collections.abc import Callable
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from ecomops.accounts.roles import RoleCode, grant, grant_manager_all_of
        from ecomops.demo import register_seeder
        from ecomops.portal.registry import NavItem, Queue, register_nav, register_queue

        from . import selectors
        from .demo import seed_orders
        from .demo_shops import seed_shops

        view = {
            "orders.view_order",
            "orders.view_orderline",
            "orders.view_customer",
            "orders.view_channel",
        }
        grant(
            RoleCode.SALES_REP,
            view
            | {
                "orders.identify_customer",
                "orders.confirm_order",
                "orders.key_in_order",
                "orders.change_customer",
                "orders.add_customer",
            },
        )
        for role in (RoleCode.PRESALES_SERVICE, RoleCode.AFTERSALES_SERVICE):
            grant(role, view | {"orders.key_in_order"})
        # The exception queue (异常订单): owned by pre-sales service (its SLA policy's owner),
        # worked by after-sales service and sales reps too; service staff keep the blacklist.
        exception_queue = {"orders.resolve_exception", "orders.view_orderexception"}
        for role in (RoleCode.PRESALES_SERVICE, RoleCode.AFTERSALES_SERVICE):
            grant(
                role,
                exception_queue
                | {
                    "orders.view_blacklistentry",
                    "orders.add_blacklistentry",
                    "orders.change_blacklistentry",
                },
            )
        grant(RoleCode.SALES_REP, exception_queue | {"orders.view_blacklistentry"})
        grant(
            RoleCode.SHOP_MANAGER, view | {"orders.manage_channel", "orders.view_channelskumapping"}
        )
        for role in (RoleCode.BU_PARTS_ADMIN, RoleCode.WAREHOUSE_ADMIN):
            grant(role, view | {"orders.fulfil_order"})
        for role in (
            RoleCode.FINANCE_CLERK,
            RoleCode.DISTRIBUTION_SPECIALIST,
            RoleCode.NETWORK_SALES,
            RoleCode.PROMOTION,
        ):
            grant(role, view)
        # Shop opening (开店): shop managers run it; designers and listing reviewers see it
        # and tick their own set-up items (the service checks their role).
        see_openings = {
            "orders.view_shopopening",
            "orders.view_openingsteprecord",
            "orders.view_reviewdecision",
            "orders.view_shopdocument",
        }
        grant(
            RoleCode.SHOP_MANAGER,
            see_openings
            | {
                "orders.view_openingprocess",
                "orders.view_openingstep",
                "orders.view_openingdocumenttype",
                "orders.run_shop_opening",
            },
        )
        for role in (RoleCode.DESIGNER, RoleCode.LISTING_REVIEWER):
            grant(role, see_openings)
        grant_manager_all_of("orders")

        section = _("Orders")
        for item in (
            NavItem(
                "orders.queue",
                _("Sales rep queue"),
                "orders:queue",
                (RoleCode.SALES_REP,),
                section,
                20,
            ),
            NavItem(
                "orders.search",
                _("Orders"),
                "orders:order_list",
                (
                    RoleCode.SALES_REP,
                    RoleCode.PRESALES_SERVICE,
                    RoleCode.AFTERSALES_SERVICE,
                    RoleCode.SHOP_MANAGER,
                    RoleCode.BU_PARTS_ADMIN,
                    RoleCode.WAREHOUSE_ADMIN,
                    RoleCode.FINANCE_CLERK,
                    RoleCode.MANAGER,
                ),
                section,
                21,
            ),
            NavItem(
                "orders.new",
                _("Key in an order"),
                "orders:order_new",
                (
                    RoleCode.SALES_REP,
                    RoleCode.PRESALES_SERVICE,
                    RoleCode.AFTERSALES_SERVICE,
                ),
                section,
                22,
            ),
            NavItem(
                "orders.import",
                _("Import orders"),
                "orders:import_new",
                (RoleCode.SALES_REP,),
                section,
                23,
            ),
            NavItem(
                "orders.customers",
                _("Customers"),
                "orders:customer_list",
                (
                    RoleCode.SALES_REP,
                    RoleCode.PRESALES_SERVICE,
                    RoleCode.AFTERSALES_SERVICE,
                    RoleCode.FINANCE_CLERK,
                    RoleCode.MANAGER,
                ),
                section,
                24,
            ),
            NavItem(
                "orders.channels",
                _("Channels"),
                "orders:channel_list",
                (
                    RoleCode.SHOP_MANAGER,
                    RoleCode.SALES_REP,
                    RoleCode.MANAGER,
                ),
                section,
                25,
            ),
            NavItem(
                "orders.figures",
                _("Order figures"),
                "orders:stats",
                (
                    RoleCode.SALES_REP,
                    RoleCode.SHOP_MANAGER,
                    RoleCode.MANAGER,
                ),
                section,
                26,
            ),
            NavItem(
                "orders.shops",
                _("Shop openings"),
                "orders:shop_list",
                (
                    RoleCode.SHOP_MANAGER,
                    RoleCode.DESIGNER,
                    RoleCode.LISTING_REVIEWER,
                    RoleCode.MANAGER,
                ),
                section,
                27,
            ),
            NavItem(
                "orders.exceptions",
                _("Exception queue"),
                "orders:exception_queue",
                (
                    RoleCode.PRESALES_SERVICE,
                    RoleCode.AFTERSALES_SERVICE,
                    RoleCode.SALES_REP,
                    RoleCode.MANAGER,
                ),
                section,
                22,
                permission="orders.resolve_exception",
            ),
            NavItem(
                "orders.blacklist",
                _("Blacklist"),
                "orders:blacklist",
                (
                    RoleCode.PRESALES_SERVICE,
                    RoleCode.AFTERSALES_SERVICE,
                    RoleCode.SALES_REP,
                    RoleCode.MANAGER,
                ),
                section,
                24,
                permission="orders.view_blacklistentry",
            ),
        ):
            register_nav(item)
        register_queue(
            Queue(
                key="orders.exceptions",
                title=_("Parked orders to fix"),
                roles=(RoleCode.PRESALES_SERVICE, RoleCode.AFTERSALES_SERVICE, RoleCode.SALES_REP),
                url_name="orders:exception_queue",
                count=lambda user: selectors.exception_queue_count(),
                late_count=lambda user: selectors.exception_queue_late_count(),
                description=_("Paid marketplace orders that break a rule; 2 working hours"),
                order=4,
            )
        )
        register_queue(
            Queue(
                key="orders.identify",
                title=_("Orders waiting for their customer"),
                roles=(RoleCode.SALES_REP,),
                url_name="orders:queue",
                count=lambda user: selectors.identification_queue().count(),
                late_count=lambda user: selectors.queue_late_count(),
                description=_("15 minutes from acceptance"),
                order=5,
            )
        )
        register_queue(
            Queue(
                key="orders.confirm",
                title=_("Sales orders to confirm"),
                roles=(RoleCode.SALES_REP,),
                url_name="orders:queue",
                count=lambda user: selectors.confirmation_queue().count(),
                late_count=lambda user: selectors.queue_late_count(selectors.SALES_ORDER_CLOCK),
                description=_("30 minutes from identification"),
                order=6,
            )
        )
        register_queue(
            Queue(
                key="orders.shop_openings",
                title=_("Shop openings to move on"),
                roles=(RoleCode.SHOP_MANAGER,),
                url_name="orders:shop_list",
                count=lambda user: selectors.shop_openings_to_move_on_count(),
                late_count=lambda user: selectors.shop_reviews_overdue_count(),
                description=_("Preparation, documents, the platform's answers, set-up"),
                order=30,
            )
        )

        def setup_items_of(role: str) -> Callable[[Any], int]:
            return lambda user: selectors.setup_items_count(role)

        for role in (RoleCode.DESIGNER, RoleCode.LISTING_REVIEWER):
            register_queue(
                Queue(
                    key=f"orders.shop_setup.{role}",
                    title=_("Shop set-up items"),
                    roles=(role,),
                    url_name="orders:shop_list",
                    count=setup_items_of(role),
                    description=_("Your items on the set-up checklist of approved shops"),
                    order=31,
                )
            )
        register_seeder("orders", seed_orders, order=20)
        register_seeder("shops", seed_shops, order=25)
