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
        ):
            register_nav(item)
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
        register_seeder("orders", seed_orders, order=20)
