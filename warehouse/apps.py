from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarehouseConfig(AppConfig):
    name = "warehouse"
    verbose_name = _("Warehouse")

    def ready(self) -> None:
        from ecomops.accounts.roles import RoleCode, grant, grant_manager_all_of
        from ecomops.demo import register_seeder
        from ecomops.portal.registry import NavItem, Queue, register_nav, register_queue
        from orders.signals import order_cancellation_requested, order_cancelled

        from . import receivers, selectors
        from .demo import seed_warehouse, seed_warehouse_history

        order_cancelled.connect(receivers.on_order_cancelled, dispatch_uid="warehouse.cancelled")
        order_cancellation_requested.connect(
            receivers.on_cancellation_requested, dispatch_uid="warehouse.cancellation_requested"
        )

        view = {
            "warehouse.view_deliverynote",
            "warehouse.view_stockbalance",
            "warehouse.view_wave",
            "warehouse.view_batch",
            "warehouse.view_parcel",
        }
        grant(RoleCode.BU_PARTS_ADMIN, view | {"warehouse.allocate_stock"})
        grant(
            RoleCode.WAREHOUSE_ADMIN,
            view
            | {
                "warehouse.receive_stock",
                "warehouse.adjust_stock",
                "warehouse.ship_parcel",
                "warehouse.view_manifest",
                "warehouse.view_stockmove",
                "warehouse.pick_wave",
                "warehouse.pack_parcel",
            },
        )
        # 发货回传: the warehouse admin sees what the channels have not heard, and acts on it
        grant(
            RoleCode.WAREHOUSE_ADMIN,
            {
                "warehouse.view_shipmentconfirmation",
                "warehouse.confirm_shipment",
                "warehouse.view_confirmationexport",
            },
        )
        grant(RoleCode.PICKER, view | {"warehouse.pick_wave"})
        grant(RoleCode.PACKER, view | {"warehouse.pack_parcel"})
        grant(RoleCode.FINANCE_CLERK, {"warehouse.view_deliverynote", "warehouse.view_parcel"})
        grant(RoleCode.AFTERSALES_SERVICE, {"warehouse.view_deliverynote", "warehouse.view_parcel"})
        grant_manager_all_of("warehouse")
        # issue 21: e-waybill stock (warehouse admin), a note's carrier before packing
        grant(RoleCode.BU_PARTS_ADMIN, {"warehouse.change_note_carrier"})
        grant(
            RoleCode.WAREHOUSE_ADMIN,
            {"warehouse.change_note_carrier", "warehouse.manage_waybill_stock"},
        )

        section = _("Warehouse")
        everyone = (
            RoleCode.BU_PARTS_ADMIN,
            RoleCode.WAREHOUSE_ADMIN,
            RoleCode.PICKER,
            RoleCode.PACKER,
            RoleCode.MANAGER,
        )
        for item in (
            NavItem(
                "warehouse.allocation",
                _("Allocation queue"),
                "warehouse:allocation_queue",
                (RoleCode.BU_PARTS_ADMIN, RoleCode.MANAGER),
                section,
                30,
            ),
            NavItem(
                "warehouse.batches",
                _("Batch board"),
                "warehouse:batch_board",
                (RoleCode.WAREHOUSE_ADMIN, RoleCode.BU_PARTS_ADMIN, RoleCode.MANAGER),
                section,
                31,
            ),
            NavItem(
                "warehouse.waves",
                _("Waves to pick"),
                "warehouse:wave_list",
                (RoleCode.PICKER, RoleCode.WAREHOUSE_ADMIN, RoleCode.MANAGER),
                section,
                32,
            ),
            NavItem(
                "warehouse.pack",
                _("Pack station"),
                "warehouse:pack_station",
                (RoleCode.PACKER, RoleCode.WAREHOUSE_ADMIN, RoleCode.MANAGER),
                section,
                33,
            ),
            NavItem(
                "warehouse.shipping",
                _("Shipping"),
                "warehouse:shipping",
                (RoleCode.WAREHOUSE_ADMIN, RoleCode.MANAGER),
                section,
                34,
            ),
            NavItem(
                "warehouse.notes",
                _("Delivery notes"),
                "warehouse:note_list",
                (*everyone, RoleCode.FINANCE_CLERK),
                section,
                35,
            ),
            NavItem(
                "warehouse.confirmations",
                _("Shipment confirmations"),
                "warehouse:confirmation_queue",
                (RoleCode.WAREHOUSE_ADMIN, RoleCode.MANAGER),
                section,
                37,
            ),
            NavItem(
                "warehouse.stock",
                _("Stock"),
                "warehouse:stock",
                everyone,
                section,
                36,
            ),
            NavItem(
                "warehouse.waybills",
                _("E-waybill accounts"),
                "warehouse:waybill_accounts",
                (RoleCode.WAREHOUSE_ADMIN, RoleCode.MANAGER),
                section,
                37,
            ),
        ):
            register_nav(item)
        register_queue(
            Queue(
                key="warehouse.allocation",
                title=_("Orders waiting for their delivery note"),
                roles=(RoleCode.BU_PARTS_ADMIN,),
                url_name="warehouse:allocation_queue",
                count=lambda user: selectors.allocation_queue().count(),
                late_count=lambda user: selectors.allocation_queue_late_count(),
                description=_("1 hour from confirmation"),
                order=7,
            )
        )
        register_queue(
            Queue(
                key="warehouse.waves",
                title=_("Waves to pick and pack"),
                roles=(RoleCode.WAREHOUSE_ADMIN, RoleCode.PICKER, RoleCode.PACKER),
                url_name="warehouse:wave_list",
                count=lambda user: selectors.open_waves().count(),
                description=_("Released batches"),
                order=8,
            )
        )
        register_queue(
            Queue(
                key="warehouse.confirmations",
                title=_("Shipments the channels have not heard of"),
                roles=(RoleCode.WAREHOUSE_ADMIN,),
                url_name="warehouse:confirmation_queue",
                count=lambda user: selectors.not_confirmed_queue().count(),
                late_count=lambda user: selectors.confirmations_at_risk_count(),
                description=_("Not confirmed after the last retry; deadlines at risk"),
                order=9,
            )
        )
        register_seeder("warehouse", seed_warehouse, order=30)
        # after the apps that write past orders as history (distribution 60, marketing 70)
        register_seeder("warehouse_history", seed_warehouse_history, order=90)
