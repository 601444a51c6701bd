from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ecomops.admin_inlines import ReadOnlyInline, StateLogInline
from ecomops.fsm_admin import ReasonForm, ServiceTransitionAdmin, ServiceWrittenAdmin

from . import services
from .forms import HoldForm
from .models import (
    BlacklistEntry,
    Channel,
    ChannelSkuMapping,
    Customer,
    CustomerChange,
    OpeningDocumentType,
    OpeningProcess,
    OpeningStep,
    OpeningStepRecord,
    Order,
    OrderException,
    OrderImport,
    OrderLine,
    OrderPush,
    PlatformEvent,
    ReviewDecision,
    ShopDocument,
    ShopOpening,
)


class ChannelSkuMappingInline(admin.TabularInline[ChannelSkuMapping, Channel]):
    model = ChannelSkuMapping
    fields = ["outer_id", "sku", "created_at"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["sku"]
    extra = 0


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin[Channel]):
    list_display = [
        "code",
        "name",
        "kind",
        "payment_terms",
        "intake_policy",
        "price_tolerance_percent",
        "active",
    ]
    list_filter = ["kind", "payment_terms", "intake_policy", "active"]
    search_fields = ["code", "name"]
    inlines = [ChannelSkuMappingInline]
    # A callback URL typed without a scheme is https (Django 6's default; saying so now
    # keeps Django 5.2 from warning on every form).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


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
        "discount_share",
        "net_amount",
    ]

    @admin.display(description=_("net amount"))
    def net_amount(self, obj: OrderLine) -> Any:
        return obj.net_amount


class OrderPushInline(ReadOnlyInline, admin.TabularInline[OrderPush, Order]):
    model = OrderPush
    fields = ["received_at", "source", "outcome", "differing_fields"]


class OrderExceptionInline(ReadOnlyInline, admin.TabularInline[OrderException, Order]):
    """异常原因: why the order was parked and how each reason was resolved."""

    model = OrderException
    fields = [
        "code",
        "field",
        "message",
        "found_at",
        "resolved_at",
        "resolution",
        "resolved_by",
        "resolution_note",
    ]


class PlatformEventInline(ReadOnlyInline, admin.TabularInline[PlatformEvent, Order]):
    """平台变更: what the platform changed after the order came in, and what it did."""

    model = PlatformEvent
    fields = ["received_at", "event_id", "kind", "occurred_at", "outcome", "message"]


@admin.register(Order)
class OrderAdmin(ServiceTransitionAdmin, admin.ModelAdmin[Order]):
    list_display = [
        "number",
        "external_id",
        "channel",
        "customer",
        "state",
        "total_amount",
        "paid_amount",
        "accepted_at",
        "batch_date",
        "batch_slot",
    ]
    list_filter = ["state", "channel", "source", "batch_date", "needs_invoice"]
    list_select_related = ["channel", "customer"]
    search_fields = ["number", "external_id", "receiver_phone", "receiver_name", "customer__name"]
    date_hierarchy = "accepted_at"
    raw_id_fields = ["customer"]
    inlines = [
        OrderLineInline,
        OrderExceptionInline,
        OrderPushInline,
        PlatformEventInline,
        StateLogInline,
    ]
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
        "release_exception": lambda obj, request, data: services.order_exception_release(
            order_id=obj.pk, by=request.user
        ),
    }

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return [f.name for f in Order._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False  # orders come in through intake (API, import, keyed in)


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(admin.ModelAdmin[BlacklistEntry]):
    """黑名单: kept by service staff in the portal; managers see and correct it here."""

    list_display = ["kind", "value", "reason", "added_by", "created_at", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["value", "reason"]
    readonly_fields = ["added_by", "created_at", "removed_at", "removed_by"]

    def save_model(self, request: Any, obj: BlacklistEntry, form: Any, change: bool) -> None:
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)


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


# --- Shop opening (开店) -------------------------------------------------------------------

SMALL_TEXT: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}
}


class OpeningStepInline(admin.TabularInline[OpeningStep, OpeningProcess]):
    model = OpeningStep
    fields = ["position", "code", "name", "phase", "owner_role", "description"]
    formfield_overrides = SMALL_TEXT
    extra = 0


class OpeningDocumentTypeInline(admin.TabularInline[OpeningDocumentType, OpeningProcess]):
    model = OpeningDocumentType
    fields = ["position", "code", "name", "has_expiry", "required", "description"]
    formfield_overrides = SMALL_TEXT
    extra = 0


@admin.register(OpeningProcess)
class OpeningProcessAdmin(admin.ModelAdmin[OpeningProcess]):
    """The steps and documents of each platform's opening: data managers edit. An opening
    copies the steps when it starts, so edits apply to openings started afterwards."""

    list_display = ["name", "platform", "review_working_days", "active"]
    list_filter = ["active"]
    inlines = [OpeningStepInline, OpeningDocumentTypeInline]


class StepRecordInline(ReadOnlyInline, admin.TabularInline[OpeningStepRecord, ShopOpening]):
    model = OpeningStepRecord
    fields = ["position", "name", "phase", "owner_role", "done_at", "done_by", "note"]


class ShopDocumentInline(ReadOnlyInline, admin.TabularInline[ShopDocument, ShopOpening]):
    model = ShopDocument
    fields = [
        "document_type",
        "download",
        "licence_number",
        "expires_on",
        "long_term",
        "uploaded_at",
        "uploaded_by",
        "superseded_at",
        "expiry_notified_at",
    ]

    @admin.display(description=_("file"))
    def download(self, obj: ShopDocument) -> Any:
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.name)


class ReviewDecisionInline(ReadOnlyInline, admin.TabularInline[ReviewDecision, ShopOpening]):
    model = ReviewDecision
    fields = ["round", "step_name", "passed", "reason", "decided_at", "decided_by"]


@admin.register(ShopOpening)
class ShopOpeningAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    """Read-mostly: the steps are taken on the opening's page in the portal; here managers
    look, filter, and submit, open or abandon through the services."""

    list_display = [
        "number",
        "channel",
        "process",
        "company_name",
        "owner",
        "state",
        "submissions",
        "review_due_on",
        "created_at",
    ]
    list_filter = ["state", "process"]
    list_select_related = ["channel", "process", "owner"]
    search_fields = ["number", "channel__code", "channel__name", "company_name"]
    date_hierarchy = "created_at"
    inlines = [StepRecordInline, ShopDocumentInline, ReviewDecisionInline, StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"abandon": ReasonForm}
    fsm_services = {
        "submit": lambda obj, request, data: services.shop_documents_submit(
            opening_id=obj.pk, by=request.user
        ),
        "open": lambda obj, request, data: services.shop_open(opening_id=obj.pk, by=request.user),
        "abandon": lambda obj, request, data: services.shop_opening_abandon(
            opening_id=obj.pk, reason=data.get("reason", ""), by=request.user
        ),
    }


class ExpiryFilter(admin.SimpleListFilter):
    title = _("expiry")
    parameter_name = "expiry"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("expired", _("expired")),
            (
                "soon",
                _("within %(days)s days") % {"days": settings.SHOP_DOCUMENT_EXPIRY_NOTICE_DAYS},
            ),
            ("later", _("later")),
            ("none", _("no expiry date")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        today = timezone.localdate()
        soon = today + timedelta(days=settings.SHOP_DOCUMENT_EXPIRY_NOTICE_DAYS)
        value = self.value()
        if value == "expired":
            return queryset.filter(expires_on__lte=today)
        if value == "soon":
            return queryset.filter(expires_on__gt=today, expires_on__lte=soon)
        if value == "later":
            return queryset.filter(expires_on__gt=soon)
        if value == "none":
            return queryset.filter(expires_on__isnull=True)
        return queryset


class CurrentFilter(admin.SimpleListFilter):
    title = _("version")
    parameter_name = "current"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("current")), ("no", _("superseded"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(superseded_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(superseded_at__isnull=False)
        return queryset


@admin.register(ShopDocument)
class ShopDocumentAdmin(ServiceWrittenAdmin):
    """Every shop document, filtered by expiry; uploads go through the opening's page."""

    list_display = [
        "document_type",
        "opening",
        "download",
        "licence_number",
        "expires_on",
        "long_term",
        "uploaded_at",
        "superseded_at",
        "expiry_notified_at",
    ]
    list_filter = [ExpiryFilter, CurrentFilter, "document_type__process", "opening__state"]
    list_select_related = ["document_type", "opening", "opening__channel"]
    search_fields = ["opening__number", "opening__channel__name", "licence_number", "name"]
    ordering = ["expires_on", "pk"]
    # The file is only handed out through the portal's download, which checks permissions.
    exclude = ["file"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = super().get_readonly_fields(request, obj)
        return [f for f in fields if f != "file"] + ["download"]

    @admin.display(description=_("file"))
    def download(self, obj: ShopDocument) -> Any:
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.name)
