from __future__ import annotations

from typing import Any

from django.contrib import admin
from django_fsm_log.admin import StateLogInline

from ecomops.admin_inlines import ReadOnlyInline
from ecomops.fsm_admin import ReasonForm, ServiceTransitionAdmin

from . import services
from .forms import HoldForm
from .models import (
    Channel,
    ChannelSkuMapping,
    Customer,
    CustomerChange,
    Order,
    OrderImport,
    OrderLine,
    OrderPush,
)


class ChannelSkuMappingInline(admin.TabularInline[ChannelSkuMapping, Channel]):
    model = ChannelSkuMapping
    fields = ["outer_id", "sku", "created_at"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["sku"]
    extra = 0


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin[Channel]):
    list_display = ["code", "name", "kind", "payment_terms", "price_tolerance_percent", "active"]
    list_filter = ["kind", "payment_terms", "active"]
    search_fields = ["code", "name"]
    inlines = [ChannelSkuMappingInline]


class CustomerChangeInline(ReadOnlyInline, admin.TabularInline[CustomerChange, Customer]):
    model = CustomerChange
    fk_name = "customer"
    fields = ["changed_at", "field", "old_value", "new_value", "reason", "changed_by"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin[Customer]):
    list_display = ["name", "kind", "phone", "id_number", "credit_code", "city", "merged_into"]
    list_filter = ["kind", "province"]
    search_fields = ["name", "phone", "id_number", "credit_code"]
    raw_id_fields = ["merged_into"]
    inlines = [CustomerChangeInline]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        # Corrections go through the portal (customer_update), which keeps the old values.
        return [f.name for f in Customer._meta.fields] if obj is not None else []


class OrderLineInline(ReadOnlyInline, admin.TabularInline[OrderLine, Order]):
    model = OrderLine
    fields = [
        "position",
        "sku",
        "channel_sku_code",
        "quantity",
        "unit_price",
        "list_price",
        "amount",
    ]


class OrderPushInline(ReadOnlyInline, admin.TabularInline[OrderPush, Order]):
    model = OrderPush
    fields = ["received_at", "source", "outcome", "differing_fields"]


@admin.register(Order)
class OrderAdmin(ServiceTransitionAdmin, admin.ModelAdmin[Order]):
    list_display = [
        "number",
        "external_id",
        "channel",
        "customer",
        "state",
        "total_amount",
        "accepted_at",
        "batch_date",
        "batch_slot",
    ]
    list_filter = ["state", "channel", "source", "batch_date", "needs_invoice"]
    list_select_related = ["channel", "customer"]
    search_fields = ["number", "external_id", "receiver_phone", "receiver_name", "customer__name"]
    date_hierarchy = "accepted_at"
    raw_id_fields = ["customer"]
    inlines = [OrderLineInline, OrderPushInline, StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"hold": HoldForm, "cancel": ReasonForm}
    fsm_services = {
        "confirm": lambda obj, request, data: services.order_confirm(
            order_id=obj.pk, by=request.user
        ),
        "hold": lambda obj, request, data: services.order_hold(
            order_id=obj.pk, by=request.user, kind=data["kind"], reason=data["reason"]
        ),
        "release_hold": lambda obj, request, data: services.order_release_hold(
            order_id=obj.pk, by=request.user
        ),
        "cancel": lambda obj, request, data: services.order_cancel(
            order_id=obj.pk, by=request.user, reason=data["reason"]
        ),
    }

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return [f.name for f in Order._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False  # orders come in through intake (API, import, keyed in)


@admin.register(OrderImport)
class OrderImportAdmin(admin.ModelAdmin[OrderImport]):
    list_display = [
        "file_name",
        "channel",
        "state",
        "order_count",
        "created_count",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["state", "channel"]
    exclude = ["content"]
    readonly_fields = [
        "channel",
        "file_name",
        "file_sha256",
        "state",
        "row_count",
        "order_count",
        "error_count",
        "created_count",
        "skipped_count",
        "uploaded_by",
        "imported_at",
    ]

    def has_add_permission(self, request: Any) -> bool:
        return False
