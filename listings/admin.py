from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from ecomops.admin_inlines import ReadOnlyInline, StateLogInline
from ecomops.fsm_admin import ReasonForm, ServiceTransitionAdmin

from . import services
from .models import (
    Brand,
    Category,
    ListingApplication,
    Product,
    ReviewRound,
    Sku,
    SkuImage,
    SkuPrice,
)


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin[Brand]):
    list_display = ["name", "name_en", "owner", "active"]
    list_filter = ["active"]
    search_fields = ["name", "name_en"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["__str__", "parent"]
    list_select_related = ["parent"]
    search_fields = ["name"]


class SkuInline(admin.TabularInline[Sku, Product]):
    model = Sku
    fields = ["code", "barcode", "name", "specification", "state"]
    readonly_fields = ["state"]
    extra = 0
    show_change_link = True


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    list_display = ["name", "brand", "category", "created_at"]
    list_filter = ["brand", "category"]
    list_select_related = ["brand", "category"]
    search_fields = ["name", "brand__name"]
    inlines = [SkuInline]


class SkuImageInline(admin.TabularInline[SkuImage, Sku]):
    model = SkuImage
    fields = ["image", "kind", "position", "caption", "width", "height"]
    readonly_fields = ["width", "height"]
    extra = 0


class SkuPriceInline(ReadOnlyInline, admin.TabularInline[SkuPrice, Sku]):
    model = SkuPrice
    fields = [
        "kind",
        "price",
        "valid_from",
        "valid_until",
        "reason",
        "below_subsidy_reason",
        "changed_by",
        "created_at",
    ]


def _sku_service(name: str) -> Any:
    def run(obj: Sku, request: Any, data: Any) -> Any:
        if name == "list_online":
            return services.sku_list_online(sku_id=obj.pk, by=request.user)
        return services.sku_delist(sku_id=obj.pk, by=request.user, reason=data.get("reason", ""))

    return run


@admin.register(Sku)
class SkuAdmin(ServiceTransitionAdmin, admin.ModelAdmin[Sku]):
    list_display = [
        "code",
        "barcode",
        "name",
        "specification",
        "product",
        "state",
        "tax_rate",
        "tax_code",
    ]
    list_filter = ["state", "product__brand"]
    list_select_related = ["product", "product__brand"]
    search_fields = ["code", "barcode", "name", "product__name"]
    readonly_fields = ["listed_at", "delisted_at", "delist_reason"]
    inlines = [SkuImageInline, SkuPriceInline, StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"delist": ReasonForm}
    fsm_services = {"list_online": _sku_service("list_online"), "delist": _sku_service("delist")}


class ReviewRoundInline(ReadOnlyInline, admin.TabularInline[ReviewRound, ListingApplication]):
    model = ReviewRound
    fields = [
        "number",
        "submitted_at",
        "submitted_by",
        "decision",
        "decided_by",
        "decided_at",
        "reason",
    ]


class ListingApplicationAdminForm(forms.ModelForm):
    """A manager's correction keeps the reference prices in the order the portal demands."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        errors: dict[str, list[str]] = {}
        services.check_reference_prices(cleaned, errors)
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field, message)
        return cleaned


@admin.register(ListingApplication)
class ListingApplicationAdmin(ServiceTransitionAdmin, admin.ModelAdmin[ListingApplication]):
    form = ListingApplicationAdminForm
    list_display = [
        "number",
        "product_name",
        "brand",
        "applicant",
        "state",
        "round",
        "submitted_at",
        "updated_at",
    ]
    list_filter = ["state", "brand", "category"]
    list_select_related = ["brand", "applicant"]
    search_fields = ["number", "product_name", "applicant__username"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "number",
        "round",
        "submitted_at",
        "reviewer",
        "reviewed_at",
        "rejection_reason",
        "product",
        "sku",
        "designer",
        "designed_at",
        "priced_by",
        "priced_at",
    ]
    inlines = [ReviewRoundInline, StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"reject": ReasonForm}
    fsm_services = {
        "approve": lambda obj, request, data: services.application_approve(
            application_id=obj.pk, by=request.user
        ),
        "reject": lambda obj, request, data: services.application_reject(
            application_id=obj.pk, by=request.user, reason=data.get("reason", "")
        ),
        "publish": lambda obj, request, data: services.application_publish(
            application_id=obj.pk, by=request.user
        ),
    }


@admin.register(SkuPrice)
class SkuPriceAdmin(admin.ModelAdmin[SkuPrice]):
    """The price history is read-only: prices change through the pricing page."""

    list_display = [
        "sku",
        "kind",
        "price",
        "valid_from",
        "valid_until",
        "reason",
        "changed_by",
        "created_at",
    ]
    list_filter = ["kind"]
    list_select_related = ["sku", "changed_by"]
    search_fields = ["sku__code", "sku__name", "reason"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
