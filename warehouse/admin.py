"""Managers' views of the warehouse: filters, search, read-only ledgers and logs.

Delivery notes, waves, batches, parcels and manifests are written by the services only; a
manager sees each one's state log and moves it on with the buttons of its next steps, which
run the same services as the portal (a refusal comes back as a message).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ecomops.admin_inlines import ReadOnlyInline, StateLogInline
from ecomops.fsm_admin import ReasonForm, ServiceTransitionAdmin, ServiceWrittenAdmin

from . import services
from .forms import SignManifestForm
from .models import (
    Batch,
    Carrier,
    CarrierEvent,
    CarrierRule,
    ConfirmationAttempt,
    ConfirmationExport,
    DeliveryNote,
    DeliveryNoteLine,
    Location,
    Manifest,
    NoteCarrierChange,
    PackScan,
    Parcel,
    PickLine,
    PlatformCarrierName,
    ShipmentConfirmation,
    SortingCode,
    StockBalance,
    StockHold,
    StockMove,
    Warehouse,
    Wave,
    WaybillAccount,
    WaybillNumber,
    WaybillRange,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledgers and records written by services only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "cancelled_waybills", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0
    fields = ["code", "zone", "walk_order", "active"]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "default_carrier", "active"]
    inlines = [LocationInline]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["code", "warehouse", "zone", "walk_order", "active"]
    list_filter = ["warehouse", "zone", "active"]
    search_fields = ["code"]
    ordering = ["warehouse", "walk_order"]


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdmin):
    list_display = ["sku", "location", "on_hand", "reserved", "available"]
    list_select_related = ["sku", "location"]
    search_fields = ["sku__code", "sku__name", "location__code"]
    list_filter = ["location__warehouse", "location__zone"]

    @admin.display(description="available")
    def available(self, obj: StockBalance) -> int:
        return obj.available


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "sku",
        "location",
        "on_hand_change",
        "reserved_change",
        "reference",
        "reason",
        "created_by",
    ]
    list_filter = ["kind", "location__warehouse"]
    list_select_related = ["sku", "location", "created_by"]
    search_fields = ["sku__code", "reference", "reason"]
    date_hierarchy = "created_at"


@admin.register(StockHold)
class StockHoldAdmin(ReadOnlyAdmin):
    list_display = ["order", "opened_at", "resolved_at", "resolution"]
    list_select_related = ["order"]
    list_filter = ["resolved_at"]
    search_fields = ["order__number"]


class NoteLineInline(ReadOnlyInline, admin.TabularInline):
    model = DeliveryNoteLine
    fields = ["sku", "location", "quantity", "short_quantity", "packed_quantity"]


class ScanInline(ReadOnlyInline, admin.TabularInline):
    model = PackScan
    fields = ["scanned_at", "code", "accepted", "message", "scanned_by"]


@admin.register(DeliveryNote)
class DeliveryNoteAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = ["number", "order", "part", "state", "batch", "wave", "merged", "late", "short"]
    list_filter = ["state", "late", "merged", "short", "carrier"]
    list_select_related = ["order", "batch", "wave"]
    search_fields = ["number", "order__number"]
    date_hierarchy = "issued_at"
    inlines = [NoteLineInline, ScanInline, StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"deliver": ReasonForm}
    fsm_services = {
        "allocate": lambda obj, request, data: services.note_allocate_waiting(
            note_id=obj.pk, by=request.user
        ),
        "deliver": lambda obj, request, data: services.note_mark_delivered(
            note_id=obj.pk, reason=data.get("reason", ""), by=request.user
        ),
    }


@admin.register(Batch)
class BatchAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = [
        "__str__",
        "state",
        "note_count",
        "late_count",
        "rolled_over_count",
        "released_at",
        "released_by",
        "done_at",
    ]
    list_filter = ["state"]
    date_hierarchy = "batch_date"
    inlines = [StateLogInline]
    fsm_fields = ["state"]
    fsm_services = {
        # a batch left half-released (a worker stopped) is released to the end
        "release": lambda obj, request, data: services.batch_release(
            batch_date=obj.batch_date, slot=obj.slot, by=request.user
        ),
        "hand_over": lambda obj, request, data: services.batch_hand_over(
            batch_id=obj.pk, by=request.user
        ),
    }


class PickLineInline(ReadOnlyInline, admin.TabularInline):
    model = PickLine
    fields = ["location", "sku", "quantity", "picked_quantity", "short_reason", "picked_by"]


@admin.register(Wave)
class WaveAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = ["number", "batch", "carrier", "state", "note_count", "picked_at", "done_at"]
    list_filter = ["state", "carrier"]
    search_fields = ["number"]
    inlines = [PickLineInline, StateLogInline]
    fsm_fields = ["state"]
    fsm_services = {
        "sort": lambda obj, request, data: services.wave_sort(wave_id=obj.pk, by=request.user),
    }


@admin.register(Parcel)
class ParcelAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = ["number", "carrier", "waybill_number", "state", "weight_grams", "packed_at"]
    list_filter = ["state", "carrier"]
    list_select_related = ["carrier"]
    search_fields = ["number", "waybill_number", "notes__order__number"]
    inlines = [StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"transit": ReasonForm, "deliver": ReasonForm, "report_exception": ReasonForm}
    fsm_services = {
        "transit": lambda obj, request, data: services.parcel_mark_in_transit(
            parcel_id=obj.pk, reason=data.get("reason", ""), by=request.user
        ),
        "deliver": lambda obj, request, data: services.parcel_mark_delivered(
            parcel_id=obj.pk, reason=data.get("reason", ""), by=request.user
        ),
        "report_exception": lambda obj, request, data: services.parcel_report_exception(
            parcel_id=obj.pk, reason=data.get("reason", ""), by=request.user
        ),
    }


class ParcelInline(ReadOnlyInline, admin.TabularInline):
    model = Parcel
    fields = ["number", "waybill_number", "state", "weight_grams"]


@admin.register(Manifest)
class ManifestAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = ["number", "carrier", "state", "courier_name", "counted_parcels", "signed_at"]
    list_filter = ["state", "carrier"]
    list_select_related = ["carrier"]
    search_fields = ["number", "courier_name"]
    inlines = [ParcelInline, StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"sign": SignManifestForm}
    fsm_services = {
        "sign": lambda obj, request, data: services.manifest_sign(
            manifest_id=obj.pk,
            courier_name=data.get("courier_name", ""),
            counted=data.get("counted"),
            by=request.user,
        ),
    }


@admin.register(CarrierEvent)
class CarrierEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "carrier", "event_id", "parcel", "kind", "place", "description"]
    list_filter = ["kind", "carrier"]
    search_fields = ["event_id", "parcel__waybill_number"]


# --- Shipment confirmation (发货回传) ------------------------------------------------------------


@admin.register(PlatformCarrierName)
class PlatformCarrierNameAdmin(admin.ModelAdmin):
    """Data: what each platform's bulk-shipping file calls our carriers."""

    list_display = ["platform", "carrier_code", "name"]
    list_filter = ["platform"]
    search_fields = ["carrier_code", "name"]


class ConfirmationAttemptInline(ReadOnlyInline, admin.TabularInline):
    model = ConfirmationAttempt
    fields = ["attempted_at", "status_code", "ok", "error"]


@admin.register(ShipmentConfirmation)
class ShipmentConfirmationAdmin(ReadOnlyAdmin):
    """The outbox, read-only: the warehouse portal retries and marks done."""

    list_display = [
        "order",
        "channel",
        "carrier",
        "method",
        "status",
        "attempts",
        "next_attempt_at",
        "confirmed_at",
    ]
    list_filter = ["status", "method", "channel"]
    search_fields = ["order__number", "order__external_id"]
    inlines = [ConfirmationAttemptInline]


@admin.register(ConfirmationExport)
class ConfirmationExportAdmin(ReadOnlyAdmin):
    list_display = ["number", "channel", "platform", "row_count", "created_at", "created_by"]
    list_filter = ["platform", "channel"]
    exclude = ["content"]


# -- e-waybill accounts, carrier rules, sorting codes (issue 21) --


class WaybillRangeInline(ReadOnlyInline, admin.TabularInline):
    model = WaybillRange
    fields = ["prefix", "first", "last", "next", "loaded_by", "loaded_at"]


@admin.register(WaybillAccount)
class WaybillAccountAdmin(admin.ModelAdmin):
    """Accounts are set up here; numbers are loaded on the portal's account page (the
    service checks overlaps and the warning)."""

    list_display = [
        "carrier",
        "code",
        "name",
        "site_name",
        "customer_code",
        "label_size",
        "low_stock_threshold",
        "is_default",
        "active",
    ]
    list_filter = ["carrier", "label_size", "is_default", "active"]
    search_fields = ["code", "name", "site_name", "customer_code"]
    readonly_fields = ["low_stock_warned_at"]
    inlines = [WaybillRangeInline]


@admin.register(WaybillNumber)
class WaybillNumberAdmin(ReadOnlyAdmin):
    list_display = ["number", "carrier", "account", "state", "parcel", "used_at"]
    list_filter = ["state", "carrier", "account"]
    search_fields = ["number", "parcel__number"]


@admin.register(CarrierRule)
class CarrierRuleAdmin(admin.ModelAdmin):
    list_display = [
        "priority",
        "name",
        "carrier",
        "warehouse",
        "provinces",
        "weight_min_grams",
        "weight_max_grams",
        "channel",
        "requested_carrier",
        "cash_on_delivery",
        "excluded_regions",
        "active",
    ]
    list_editable = ["active"]
    list_filter = ["carrier", "active"]
    ordering = ["priority", "pk"]


@admin.register(SortingCode)
class SortingCodeAdmin(admin.ModelAdmin):
    list_display = ["carrier", "province", "city", "district", "sort_code", "big_pen", "hub"]
    list_filter = ["carrier", "province"]
    search_fields = ["province", "city", "district", "sort_code", "big_pen"]


@admin.register(NoteCarrierChange)
class NoteCarrierChangeAdmin(ReadOnlyAdmin):
    list_display = ["note", "from_carrier", "to_carrier", "reason", "changed_by", "changed_at"]
    search_fields = ["note__number", "reason"]
