"""Managers' views of finance: filters, search, transition buttons that run the services,
read-only lines and logs. Money records are written by services only."""

from __future__ import annotations

from django.contrib import admin

from ecomops.admin_inlines import ReadOnlyInline, StateLogInline
from ecomops.fsm_admin import ReasonForm, ServiceTransitionAdmin, ServiceWrittenAdmin

from . import services
from .models import (
    CreditTerms,
    DigitalInvoiceBatch,
    Invoice,
    InvoiceLine,
    InvoiceRequest,
    Mismatch,
    Payment,
    PaymentAccount,
    PaymentAllocation,
    ReconciliationRun,
    RedLetterConfirmation,
    RedLetterRequest,
    Refund,
    RefundLine,
    Remittance,
    RemittanceDifference,
    RemittanceOrder,
    RemittanceReceipt,
    Settlement,
    SettlementLine,
    StatementImport,
    StatementLine,
    StatementMatchLog,
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


class RemittanceReceiptInline(ReadOnlyInline, admin.TabularInline):
    model = RemittanceReceipt
    fields = ["payment", "recorded_by", "recorded_at"]


class RemittanceDifferenceInline(ReadOnlyInline, admin.TabularInline):
    model = RemittanceDifference
    fields = ["kind", "amount", "reason", "state", "automatic", "decision_reason", "decided_by"]
    show_change_link = True


class RemittanceOrderInline(ReadOnlyInline, admin.TabularInline):
    model = RemittanceOrder
    fields = ["order"]


@admin.register(Remittance)
class RemittanceAdmin(ServiceWrittenAdmin):
    list_display = [
        "reference",
        "channel",
        "amount_expected",
        "amount_received",
        "amount_deducted",
        "due_date",
        "received_at",
    ]
    list_filter = ["channel"]
    search_fields = ["reference", "description"]
    inlines = [RemittanceReceiptInline, RemittanceDifferenceInline, RemittanceOrderInline]


@admin.register(RemittanceDifference)
class RemittanceDifferenceAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = ["remittance", "kind", "amount", "state", "automatic", "booked_at"]
    list_filter = ["state", "kind", "automatic"]
    list_select_related = ["remittance"]
    search_fields = ["remittance__reference", "reason"]
    inlines = [StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"accept": ReasonForm, "reject": ReasonForm}
    fsm_services = {
        "accept": lambda obj, request, data: services.remittance_difference_accept(
            difference_id=obj.pk, reason=data.get("reason", ""), by=request.user
        ),
        "reject": lambda obj, request, data: services.remittance_difference_reject(
            difference_id=obj.pk, reason=data.get("reason", ""), by=request.user
        ),
    }


@admin.register(CreditTerms)
class CreditTermsAdmin(admin.ModelAdmin):
    """Payment terms are data managers keep: per channel (a group-buying site's is its
    channel's) or per customer."""

    list_display = [
        "channel",
        "customer",
        "days",
        "fee_tolerance_percent",
        "fee_tolerance_amount",
        "updated_at",
    ]
    list_select_related = ["channel", "customer"]
    search_fields = ["channel__name", "channel__code", "customer__name", "note"]
    autocomplete_fields = ["customer"]


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


# --- Fully digital e-invoices (数电票) ----------------------------------------------------------


@admin.register(RedLetterConfirmation)
class RedLetterConfirmationAdmin(ServiceTransitionAdmin, ServiceWrittenAdmin):
    list_display = ["number", "invoice", "amount", "needs_buyer", "state", "drafted_at"]
    list_filter = ["state", "reason", "needs_buyer"]
    list_select_related = ["invoice"]
    search_fields = ["number", "invoice__number", "invoice__order__number"]
    date_hierarchy = "drafted_at"
    inlines = [StateLogInline]
    fsm_fields = ["state"]
    fsm_forms = {"cancel": ReasonForm}
    # The red-letter invoice's number is recorded on the form's portal page.
    fsm_services = {
        "submit": lambda obj, request, data: services.red_letter_confirmation_submit(
            confirmation_id=obj.pk, by=request.user
        ),
        "confirm": lambda obj, request, data: services.red_letter_confirmation_buyer_confirmed(
            confirmation_id=obj.pk, by=request.user
        ),
        "cancel": lambda obj, request, data: services.red_letter_confirmation_cancel(
            confirmation_id=obj.pk, why=data.get("reason", ""), by=request.user
        ),
    }


@admin.register(DigitalInvoiceBatch)
class DigitalInvoiceBatchAdmin(ServiceWrittenAdmin):
    list_display = ["number", "created_at", "created_by", "result_imported_at"]
    search_fields = ["number", "requests__number"]
    date_hierarchy = "created_at"


# --- Statements (issue 22 §1) ---------------------------------------------------------------


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
