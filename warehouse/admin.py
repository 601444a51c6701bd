"""Managers' views of the warehouse: filters, search, read-only ledgers and logs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ecomops.admin_inlines import ReadOnlyInline

from .models import (
    Batch,
    Carrier,
    CarrierEvent,
    DeliveryNote,
    DeliveryNoteLine,
    Location,
    Manifest,
    PackScan,
    Parcel,
    PickLine,
    StockBalance,
    StockHold,
    StockMove,
    Warehouse,
    Wave,
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
    list_display = ["code", "name", "waybill_prefix", "waybill_next", "waybill_last", "active"]
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
class DeliveryNoteAdmin(ReadOnlyAdmin):
    list_display = ["number", "order", "part", "state", "batch", "wave", "merged", "late", "short"]
    list_filter = ["state", "late", "merged", "short", "carrier"]
    list_select_related = ["order", "batch", "wave"]
    search_fields = ["number", "order__number"]
    date_hierarchy = "issued_at"
    inlines = [NoteLineInline, ScanInline]


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
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


class PickLineInline(ReadOnlyInline, admin.TabularInline):
    model = PickLine
    fields = ["location", "sku", "quantity", "picked_quantity", "short_reason", "picked_by"]


@admin.register(Wave)
class WaveAdmin(ReadOnlyAdmin):
    list_display = ["number", "batch", "carrier", "state", "note_count", "picked_at", "done_at"]
    list_filter = ["state", "carrier"]
    search_fields = ["number"]
    inlines = [PickLineInline]


@admin.register(Parcel)
class ParcelAdmin(ReadOnlyAdmin):
    list_display = ["number", "carrier", "waybill_number", "state", "weight_grams", "packed_at"]
    list_filter = ["state", "carrier"]
    search_fields = ["number", "waybill_number", "notes__order__number"]


class ParcelInline(ReadOnlyInline, admin.TabularInline):
    model = Parcel
    fields = ["number", "waybill_number", "state", "weight_grams"]


@admin.register(Manifest)
class ManifestAdmin(ReadOnlyAdmin):
    list_display = ["number", "carrier", "state", "courier_name", "counted_parcels", "signed_at"]
    list_filter = ["state", "carrier"]
    search_fields = ["number", "courier_name"]
    inlines = [ParcelInline]


@admin.register(CarrierEvent)
class CarrierEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "carrier", "event_id", "parcel", "kind", "place", "description"]
    list_filter = ["kind", "carrier"]
    search_fields = ["event_id", "parcel__waybill_number"]
