"""Managers' views of finance: filters, search, transition buttons that run the services,
read-only lines and logs. Money records are written by services only."""

from __future__ import annotations

from django.contrib import admin

from ecomops.admin_inlines import ReadOnlyInline, StateLogInline
from ecomops.fsm_admin import ReasonForm, ServiceTransitionAdmin, ServiceWrittenAdmin

from . import services
from .models import (
    Invoice,
    InvoiceLine,
    InvoiceRequest,
    Mismatch,
    Payment,
    PaymentAllocation,
    ReconciliationRun,
    RedLetterRequest,
    Refund,
    RefundLine,
    Remittance,
    Settlement,
    SettlementLine,
)


class AllocationInline(ReadOnlyInline, admin.TabularInline):
    model = PaymentAllocation
    fields = ["order", "amount", "matched_by", "matched_at"]


@admin.register(Payment)
class PaymentAdmin(ServiceWrittenAdmin):
    list_display = [
        "reference",
        "method",
        "channel",
        "payer_name",
        "amount",
        "allocated_amount",
        "paid_at",
    ]
    list_filter = ["method", "channel"]
    list_select_related = ["channel"]
    search_fields = ["reference", "payer_name", "order_external_id", "allocations__order__number"]
    date_hierarchy = "paid_at"
    inlines = [AllocationInline]


@admin.register(InvoiceRequest)
class InvoiceRequestAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = [
        "number",
        "order",
        "kind",
        "title",
        "state",
        "requested_at",
        "due_at",
        "issued_at",
    ]
    list_filter = ["state", "kind", "source", "delivery_method"]
    list_select_related = ["order"]
    search_fields = ["number", "order__number", "title", "tax_id"]
    date_hierarchy = "requested_at"
    inlines = [StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"reject": ReasonForm}
    fsm_services = {
        "issue": lambda obj, request, data: services.invoice_issue(
            request_id=obj.pk, by=request.user
        ),
        "reject": lambda obj, request, data: services.invoice_request_reject(
            request_id=obj.pk, why=data.get("reason", ""), by=request.user
        ),
    }


class InvoiceLineInline(ReadOnlyInline, admin.TabularInline):
    model = InvoiceLine
    fields = [
        "position",
        "description",
        "quantity",
        "amount_net",
        "tax_rate",
        "tax_amount",
        "total_amount",
    ]


@admin.register(Invoice)
class InvoiceAdmin(ServiceWrittenAdmin):
    list_display = [
        "number",
        "kind",
        "order",
        "buyer_name",
        "total_amount",
        "original",
        "delivery_method",
        "issued_at",
        "delivered_at",
    ]
    list_filter = ["kind", "delivery_method", "electronic", "red_reason"]
    list_select_related = ["order", "original"]
    search_fields = ["number", "order__number", "buyer_name", "buyer_tax_id"]
    date_hierarchy = "issued_at"
    inlines = [InvoiceLineInline]


class RefundLineInline(ReadOnlyInline, admin.TabularInline):
    model = RefundLine
    fields = ["sku", "quantity", "amount"]


@admin.register(Refund)
class RefundAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = ["number", "order", "amount", "source", "state", "requested_at", "paid_at"]
    list_filter = ["state", "source"]
    list_select_related = ["order"]
    search_fields = ["number", "order__number", "source_reference", "paid_reference"]
    date_hierarchy = "requested_at"
    inlines = [RefundLineInline, StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"reject": ReasonForm}
    fsm_services = {
        "approve": lambda obj, request, data: services.refund_approve(
            refund_id=obj.pk, by=request.user
        ),
        "reject": lambda obj, request, data: services.refund_reject(
            refund_id=obj.pk, why=data.get("reason", ""), by=request.user
        ),
    }


@admin.register(Remittance)
class RemittanceAdmin(ServiceWrittenAdmin):
    list_display = ["reference", "channel", "amount_expected", "due_date", "received_at"]
    list_filter = ["channel"]
    search_fields = ["reference", "description"]


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ServiceWrittenAdmin):
    list_display = ["day", "mismatch_count", "run_count", "finished_at"]
    date_hierarchy = "day"


@admin.register(Mismatch)
class MismatchAdmin(ServiceWrittenAdmin):
    list_display = ["run", "kind", "channel", "reference", "order", "expected", "actual"]
    list_filter = ["kind", "channel", "run__day"]
    list_select_related = ["run", "channel", "order"]
    search_fields = ["reference", "order__number"]


class SettlementLineInline(ReadOnlyInline, admin.TabularInline):
    model = SettlementLine
    fields = [
        "sku",
        "units_shipped",
        "sales_amount",
        "units_returned",
        "returns_amount",
        "subsidy_amount",
        "amount_due",
    ]


@admin.register(Settlement)
class SettlementAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = ["number", "period_start", "period_end", "amount_due", "state"]
    list_filter = ["state"]
    inlines = [SettlementLineInline, StateLogInline]
    fsm_fields = ["state"]
    fsm_services = {
        "confirm_finance": lambda obj, request, data: services.settlement_confirm(
            settlement_id=obj.pk, side="finance", by=request.user
        ),
        "confirm_business_unit": lambda obj, request, data: services.settlement_confirm(
            settlement_id=obj.pk, side="business_unit", by=request.user
        ),
    }


@admin.register(RedLetterRequest)
class RedLetterRequestAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = ["number", "invoice", "source_reference", "amount", "state", "requested_at"]
    list_filter = ["state", "reason"]
    list_select_related = ["invoice"]
    search_fields = ["number", "invoice__number", "source_reference", "invoice__order__number"]
    date_hierarchy = "requested_at"
    inlines = [StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"cancel": ReasonForm}
    fsm_services = {
        "issue": lambda obj, request, data: services.red_letter_request_issue(
            request_id=obj.pk, by=request.user
        ),
        "cancel": lambda obj, request, data: services.red_letter_request_cancel(
            request_id=obj.pk, why=data.get("reason", ""), by=request.user
        ),
    }


# --- Statements (issue 22 §1) ---------------------------------------------------------------

from .models import (  # noqa: E402
    PaymentAccount,
    StatementImport,
    StatementLine,
    StatementMatchLog,
)


@admin.register(PaymentAccount)
class PaymentAccountAdmin(admin.ModelAdmin):
    """Payment accounts are data: managers add Alipay, WeChat Pay and bank accounts and say
    which channels each collects for."""

    list_display = ["code", "name", "kind", "account_number", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name", "account_number"]
    filter_horizontal = ["channels"]


class MatchLogInline(ReadOnlyInline, admin.TabularInline):
    model = StatementMatchLog
    fields = ["at", "action", "order", "by", "reason"]


@admin.register(StatementLine)
class StatementLineAdmin(ServiceWrittenAdmin):
    list_display = [
        "reference",
        "account",
        "kind",
        "amount",
        "occurred_at",
        "counterparty",
        "order_number",
        "order",
        "match_method",
    ]
    list_filter = ["account", "kind", "match_method", "channel"]
    search_fields = ["reference", "order_number", "counterparty", "memo", "order__number"]
    date_hierarchy = "occurred_at"
    list_select_related = ["account", "order"]
    raw_id_fields = ["order", "statement_import"]
    inlines = [MatchLogInline]


@admin.register(StatementImport)
class StatementImportAdmin(ServiceWrittenAdmin):
    list_display = [
        "imported_at",
        "account",
        "file_name",
        "file_format",
        "line_count",
        "created_count",
        "matched_count",
        "imported_by",
    ]
    list_filter = ["account", "file_format"]
    search_fields = ["file_name", "sha256"]
