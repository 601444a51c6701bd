"""Payments, invoice requests, invoices (fapiao), refunds, reconciliation and settlement.

All money is ``Decimal`` CNY to the fen (DESIGN §3, Finance).

- A ``Payment`` is money received: pushed by a channel's payment webhook (idempotent on
  the channel's payment reference) or keyed in from the bank statement for on-account
  customers. ``PaymentAllocation`` rows say which orders it pays: one payment may pay
  several orders, an order may be paid in parts.
- An ``InvoiceRequest`` (开票申请) asks finance for an ``Invoice`` for one order; it is
  issued the same day when it came in before 15:00.
- An ``Invoice`` (发票) has lines with the SKU's tax rate, rounded per line; a red-letter
  invoice (红字发票) is an ``Invoice`` with negative amounts that references its original.
- A ``Refund`` never takes an order's refunded total above what was paid for it.
- A ``ReconciliationRun`` holds one day's figures per channel and every ``Mismatch``.
- A ``Settlement`` is the statement with the business unit for a period.
- A ``Remittance`` is money a group-buying site owes for a deal, expected then received,
  possibly in parts (``RemittanceReceipt``) and net of what the site kept back
  (``RemittanceDifference``); settled, it is allocated to the orders it pays
  (``RemittanceOrder``).
- ``CreditTerms`` (账期) are the payment terms of a channel or a customer: the due date that
  ageing runs from, and a group-buying site's tolerance for what it keeps back.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from ecomops.accounts.fields import actor_field
from ecomops.money import MoneyField, amount_in_words
from listings.models import Sku
from orders.models import Channel, Customer, InvoiceKind, Order

USER = settings.AUTH_USER_MODEL
# The SLA policy of DESIGN §4 that runs from an invoice request to its invoice.
INVOICE_CLOCK = "invoice_issued"


# --- Payments -----------------------------------------------------------------------------


class PaymentMethod(models.TextChoices):
    CHANNEL = "channel", _("Channel payment (Alipay, WeChat Pay, card)")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    REMITTANCE = "remittance", _("Group-buying remittance")


class Payment(models.Model):
    """收款: money received, idempotent on (channel or bank, reference)."""

    reference = models.CharField(
        _("payment reference"),
        max_length=64,
        help_text=_("The payment provider's transaction number or the bank's serial number."),
    )
    reference_scope = models.CharField(
        _("reference issued by"),
        max_length=60,
        editable=False,
        help_text=_("The channel for channel payments, the bank for transfers and remittances."),
    )
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("channel"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("payer"),
    )
    payer_name = models.CharField(_("payer as on the statement"), max_length=200, blank=True)
    order_external_id = models.CharField(
        _("channel order number as sent"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("Kept when the payment names an order that is not here (yet)."),
    )
    amount = MoneyField(_("amount"), validators=[MinValueValidator(Decimal("0.01"))])
    allocated_amount = MoneyField(_("matched to orders"), default=Decimal("0.00"))
    paid_at = models.DateTimeField(_("paid"), db_index=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    payload = models.JSONField(_("notification as received"), default=dict, blank=True)
    recorded_by = actor_field(_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-paid_at", "-pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        permissions = [("match_payment", _("Can record bank payments and match them to orders"))]
        # payment_notify finds a channel's payment by (channel, reference): the unique index
        # leads with the scope, so without this one each notification read all of the
        # channel's payments. The scope is not used there: it is the channel's code as it was
        # when the payment came, and a channel's code can be changed.
        indexes = [
            models.Index(fields=["channel", "reference"], name="finance_payment_channel_ref")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reference_scope", "reference"], name="finance_payment_unique_reference"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_payment_positive"),
            models.CheckConstraint(
                condition=Q(allocated_amount__gte=0) & Q(allocated_amount__lte=models.F("amount")),
                name="finance_payment_allocated_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.reference_scope:
            self.reference_scope = self.scope_for(self.method, self.channel)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("finance:payment_detail", args=[self.pk])

    @staticmethod
    def scope_for(method: str, channel: Channel | None) -> str:
        """Who issued the reference: a channel's provider, or the bank."""
        if method == PaymentMethod.CHANNEL and channel is not None:
            return f"channel:{channel.code}"
        return "bank"

    @property
    def unallocated_amount(self) -> Decimal:
        return self.amount - self.allocated_amount


class PaymentAllocation(models.Model):
    """How much of a payment pays which order."""

    payment = models.ForeignKey(
        Payment, on_delete=models.CASCADE, related_name="allocations", verbose_name=_("payment")
    )
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="payment_allocations", verbose_name=_("order")
    )
    amount = MoneyField(_("amount"))
    matched_by = actor_field(_("matched by"))
    matched_at = models.DateTimeField(_("matched"), default=timezone.now)

    class Meta:
        ordering = ["payment", "pk"]
        verbose_name = _("payment matched to an order")
        verbose_name_plural = _("payments matched to orders")
        constraints = [
            models.UniqueConstraint(fields=["payment", "order"], name="finance_allocation_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_allocation_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payment.reference} → {self.order.number}: {self.amount}"


# --- Invoice requests ----------------------------------------------------------------------


class InvoiceRequestState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ISSUED = "issued", _("Issued")
    DELIVERED = "delivered", pgettext_lazy("invoice state", "Delivered")
    REJECTED = "rejected", _("Rejected")


class InvoiceRequestSource(models.TextChoices):
    PACKED = "packed", _("Order packed (warehouse)")
    SERVICE = "service", _("Customer's later request (service)")


class DeliveryMethod(models.TextChoices):
    PARCEL = "parcel", _("In the parcel")
    POST = "post", _("By post")
    EMAIL = "email", _("Electronic, by e-mail")


OPEN_REQUEST_STATES = (InvoiceRequestState.REQUESTED, InvoiceRequestState.ISSUED)


class InvoiceRequest(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """开票申请: one order's invoice to issue, with the buyer's tax details."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="invoice_requests", verbose_name=_("order")
    )
    state = FSMField(
        _("state"),
        default=InvoiceRequestState.REQUESTED,
        choices=InvoiceRequestState.choices,
        protected=True,
    )
    source = models.CharField(_("source"), max_length=10, choices=InvoiceRequestSource.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=InvoiceKind.choices)
    title = models.CharField(
        _("buyer (invoice title)"),
        max_length=200,
        help_text=_("Company name, or the person's name for an ordinary invoice."),
    )
    tax_id = models.CharField(_("taxpayer ID"), max_length=20, blank=True)
    address_phone = models.CharField(_("address and phone"), max_length=300, blank=True)
    bank_account = models.CharField(_("bank and account"), max_length=300, blank=True)
    delivery_method = models.CharField(
        _("delivery"), max_length=10, choices=DeliveryMethod.choices, default=DeliveryMethod.POST
    )
    email = models.EmailField(_("e-mail"), blank=True)
    postal_address = models.CharField(_("postal address"), max_length=300, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    requested_at = models.DateTimeField(_("requested"), db_index=True)
    requested_by = actor_field(_("requested by"))
    due_at = models.DateTimeField(_("issue by"))
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    delivered_at = models.DateTimeField(
        pgettext_lazy("invoice", "delivered"), null=True, blank=True
    )
    rejected_at = models.DateTimeField(pgettext_lazy("time", "rejected"), null=True, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=300, blank=True)
    platform_batch = models.ForeignKey(
        "DigitalInvoiceBatch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("batch sent to the tax platform"),
    )

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("invoice request")
        verbose_name_plural = _("invoice requests")
        permissions = [
            ("issue_invoice", _("Can issue, deliver and reject invoices")),
            ("request_invoice", _("Can request an invoice for a customer")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(state__in=["requested", "issued", "delivered"]),
                name="finance_one_live_request_per_order",
            ),
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="finance_request_queue")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("finance:request_detail", args=[self.pk])

    @property
    def is_special(self) -> bool:
        return self.kind == InvoiceKind.SPECIAL

    @transition(
        field=state,
        source=InvoiceRequestState.REQUESTED,
        target=InvoiceRequestState.ISSUED,
        permission="finance.issue_invoice",
        custom={"label": _("issue the invoice")},
    )
    def issue(self, *, at: datetime) -> None:
        self.issued_at = at

    @transition(
        field=state,
        source=InvoiceRequestState.ISSUED,
        target=InvoiceRequestState.DELIVERED,
        permission="finance.issue_invoice",
        custom={"label": pgettext_lazy("invoice", "mark delivered")},
    )
    def deliver(self, *, at: datetime) -> None:
        self.delivered_at = at

    @transition(
        field=state,
        source=InvoiceRequestState.REQUESTED,
        target=InvoiceRequestState.REJECTED,
        permission="finance.issue_invoice",
        custom={"label": _("reject")},
    )
    def reject(self, *, at: datetime, why: str) -> None:
        self.rejected_at = at
        self.rejection_reason = why

    @transition(
        field=state,
        source=InvoiceRequestState.REJECTED,
        target=InvoiceRequestState.REQUESTED,
        permission="finance.request_invoice",
        custom={"label": _("resubmit with corrected details")},
    )
    def resubmit(self, *, at: datetime, due_at: datetime) -> None:
        self.requested_at = at
        self.due_at = due_at
        self.rejected_at = None


# --- Invoices -------------------------------------------------------------------------------


class RedLetterReason(models.TextChoices):
    GOODS_RETURNED = "goods_returned", _("Goods came back")
    INVOICE_ERROR = "invoice_error", _("The invoice was wrong")


def _net_plus_tax_is_total() -> Q:
    """total = net + tax, to within half a fen (SQLite adds decimals as floats)."""
    net_plus_tax = models.F("amount_net") + models.F("tax_amount")
    half_fen = Decimal("0.005")
    return Q(total_amount__gt=net_plus_tax - half_fen) & Q(total_amount__lt=net_plus_tax + half_fen)


class Invoice(models.Model):
    """发票: an issued invoice, or a red-letter invoice (negative) reversing an original."""

    number = models.CharField(_("invoice number"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=InvoiceKind.choices)
    request = models.OneToOneField(
        InvoiceRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice",
        verbose_name=_("request"),
    )
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("order")
    )
    original = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="red_letters",
        verbose_name=_("original invoice"),
    )
    red_reason = models.CharField(
        _("red-letter reason"), max_length=20, choices=RedLetterReason.choices, blank=True
    )
    red_note = models.CharField(_("red-letter note"), max_length=300, blank=True)
    electronic = models.BooleanField(_("electronic invoice"), default=False)
    # Buyer as printed
    buyer_name = models.CharField(_("buyer"), max_length=200)
    buyer_tax_id = models.CharField(_("taxpayer ID"), max_length=20, blank=True)
    buyer_address_phone = models.CharField(_("address and phone"), max_length=300, blank=True)
    buyer_bank_account = models.CharField(_("bank and account"), max_length=300, blank=True)
    # Amounts (negative on a red-letter invoice)
    amount_net = MoneyField(_("amount without tax"))
    tax_amount = MoneyField(_("tax"))
    total_amount = MoneyField(pgettext_lazy("invoice", "total"))
    issued_at = models.DateTimeField(_("issued"), db_index=True)
    issued_by = actor_field(pgettext_lazy("invoice", "issued by"))
    # Delivery
    delivery_method = models.CharField(
        _("delivery"), max_length=10, choices=DeliveryMethod.choices, default=DeliveryMethod.POST
    )
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    parcel_number = models.CharField(pgettext_lazy("number", "parcel"), max_length=40, blank=True)
    delivered_at = models.DateTimeField(
        pgettext_lazy("invoice", "delivered"), null=True, blank=True
    )
    # Paper recovery before a red-letter invoice
    paper_recovered_at = models.DateTimeField(_("paper copy recovered"), null=True, blank=True)
    paper_recovered_by = actor_field(_("recovered by"))
    paper_recovery_note = models.CharField(_("recovery note"), max_length=300, blank=True)
    # 数电票 (fully digital e-invoice): the platform's 20-digit number is ``number``; no code.
    digital = models.BooleanField(
        _("fully digital e-invoice (数电票)"),
        default=False,
        help_text=_("Issued on the tax bureau's platform with a 20-digit number and no code."),
    )
    issuer = models.CharField(_("issued through"), max_length=20, blank=True)
    issued_file = models.FileField(
        _("issued file (PDF/OFD/XML)"), upload_to="finance/invoices/", blank=True
    )
    buyer_used = models.BooleanField(
        _("used by the buyer"),
        default=False,
        help_text=_(
            "The buyer has confirmed its use or booked it (用途确认/入账确认): a red-letter "
            "confirmation form then needs the buyer's confirmation."
        ),
    )

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        permissions = [("issue_red_letter", _("Can recover paper invoices and issue red-letter"))]
        constraints = [
            models.CheckConstraint(
                condition=_net_plus_tax_is_total(), name="finance_invoice_total_is_net_plus_tax"
            ),
            models.CheckConstraint(
                condition=(Q(original__isnull=True) & Q(total_amount__gt=0))
                | (Q(original__isnull=False) & Q(total_amount__lt=0)),
                name="finance_invoice_red_letter_negative",
            ),
        ]
        indexes = [models.Index(fields=["order", "issued_at"], name="finance_invoice_order")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("finance:invoice_detail", args=[self.pk])

    def get_pdf_url(self) -> str:
        return reverse("finance:invoice_pdf", args=[self.pk])

    @property
    def is_red_letter(self) -> bool:
        return self.original_id is not None

    @property
    def total_in_words(self) -> str:
        words = amount_in_words(abs(self.total_amount))
        return f"（负数）{words}" if self.total_amount < 0 else words

    @property
    def needs_paper_recovery(self) -> bool:
        return not self.digital and not self.electronic and self.paper_recovered_at is None

    @property
    def paper_code(self) -> str:
        """发票代码 of a paper-era invoice (its series); a 数电票 has none."""
        if self.digital:
            return ""
        series = settings.FINANCE_INVOICE_SERIES.get(self.kind, "")
        return series if series and self.number.startswith(series) else ""

    @property
    def printed_number(self) -> str:
        """发票号码 as printed: the 20 digits of a 数电票, the 8 digits after a paper code."""
        code = self.paper_code
        return self.number[len(code) :] if code else self.number


class InvoiceLine(models.Model):
    """A line of an invoice: tax-inclusive total from the order (an order line net of its
    discount share, or the freight charged), net and tax rounded here."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice")
    )
    position = models.PositiveSmallIntegerField(_("line"))
    sku = models.ForeignKey(
        Sku,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("SKU"),
        help_text=_("Empty on the freight line (运费)."),
    )
    description = models.CharField(_("goods or services"), max_length=200)
    specification = models.CharField(
        pgettext_lazy("invoice", "specification"), max_length=200, blank=True
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    quantity = models.IntegerField(_("quantity"))
    unit_price_net = models.DecimalField(
        _("unit price without tax"), max_digits=16, decimal_places=6
    )
    amount_net = MoneyField(_("amount without tax"))
    tax_rate = models.DecimalField(_("tax rate"), max_digits=4, decimal_places=3)
    tax_amount = MoneyField(_("tax"))
    total_amount = MoneyField(pgettext_lazy("invoice", "total"))

    class Meta:
        ordering = ["invoice", "position"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        constraints = [
            models.CheckConstraint(
                condition=_net_plus_tax_is_total(), name="finance_line_total_is_net_plus_tax"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice.number} {self.position}"

    @property
    def tax_rate_percent(self) -> str:
        return f"{self.tax_rate * 100:.0f}%"


class RedLetterRequestState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ISSUED = "issued", _("Issued")
    CANCELLED = "cancelled", _("Cancelled")


class RedLetterRequest(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """红字发票申请: units of an issued invoice to reverse, asked for by another department
    (a return whose goods came back); finance issues the red-letter invoice from it."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        related_name="red_letter_requests",
        verbose_name=_("original invoice"),
    )
    state = FSMField(
        _("state"),
        default=RedLetterRequestState.REQUESTED,
        choices=RedLetterRequestState.choices,
        protected=True,
    )
    reason = models.CharField(_("reason"), max_length=20, choices=RedLetterReason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    source_reference = models.CharField(_("asked for by"), max_length=40, blank=True)
    quantities = models.JSONField(
        _("units per invoice line"), default=dict, help_text=_("Line position → units")
    )
    amount = MoneyField(_("amount to reverse"))
    requested_at = models.DateTimeField(_("requested"), db_index=True)
    requested_by = actor_field(_("requested by"))
    red_invoice = models.OneToOneField(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="red_letter_request",
        verbose_name=_("red-letter invoice"),
    )
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("red-letter request")
        verbose_name_plural = _("red-letter requests")
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "source_reference"],
                condition=~Q(source_reference="") & ~Q(state="cancelled"),
                name="finance_one_red_letter_request_per_source",
            ),
            models.CheckConstraint(
                condition=Q(amount__lt=0), name="finance_red_letter_request_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("finance:red_letter_request_detail", args=[self.pk])

    @transition(
        field=state,
        source=RedLetterRequestState.REQUESTED,
        target=RedLetterRequestState.ISSUED,
        permission="finance.issue_red_letter",
        custom={"label": _("issue the red-letter invoice")},
    )
    def issue(self, *, at: datetime, red_invoice: Invoice) -> None:
        self.issued_at = at
        self.red_invoice = red_invoice

    @transition(
        field=state,
        source=RedLetterRequestState.REQUESTED,
        target=RedLetterRequestState.CANCELLED,
        permission="finance.issue_red_letter",
        custom={"label": _("cancel")},
    )
    def cancel(self, *, at: datetime, why: str) -> None:
        self.cancelled_at = at
        self.cancel_reason = why


# --- Refunds --------------------------------------------------------------------------------


class RefundState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected")


class RefundSource(models.TextChoices):
    RETURN = "return", _("Approved return")
    MANAGER = "manager", _("Manager's decision")


LIVE_REFUND_STATES = (RefundState.REQUESTED, RefundState.APPROVED, RefundState.PAID)


class Refund(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """退款: money back to the customer; an order's live refunds never exceed what was paid."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("order")
    )
    state = FSMField(
        _("state"), default=RefundState.REQUESTED, choices=RefundState.choices, protected=True
    )
    source = models.CharField(_("source"), max_length=10, choices=RefundSource.choices)
    source_reference = models.CharField(
        _("return request"), max_length=40, blank=True, db_index=True
    )
    amount = MoneyField(_("amount"), validators=[MinValueValidator(Decimal("0.01"))])
    reason = models.CharField(_("reason"), max_length=300)
    requested_at = models.DateTimeField(_("requested"))
    requested_by = actor_field(_("requested by"))
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True, db_index=True)
    paid_reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    rejected_at = models.DateTimeField(pgettext_lazy("time", "rejected"), null=True, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        permissions = [
            ("request_refund", _("Can request a refund")),
            ("approve_refund", _("Can approve or reject refunds")),
            ("pay_refund", _("Can record refunds as paid")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_refund_positive"),
            models.CheckConstraint(
                condition=~Q(state="paid") | ~Q(paid_reference=""),
                name="finance_refund_paid_has_reference",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("finance:refund_detail", args=[self.pk])

    @transition(
        field=state,
        source=RefundState.REQUESTED,
        target=RefundState.APPROVED,
        permission="finance.approve_refund",
        custom={"label": _("approve")},
    )
    def approve(self, *, at: datetime) -> None:
        self.approved_at = at

    @transition(
        field=state,
        source=RefundState.APPROVED,
        target=RefundState.PAID,
        permission="finance.pay_refund",
        custom={"label": _("record as paid")},
    )
    def pay(self, *, at: datetime, reference: str) -> None:
        self.paid_at = at
        self.paid_reference = reference

    @transition(
        field=state,
        source=[RefundState.REQUESTED, RefundState.APPROVED],
        target=RefundState.REJECTED,
        permission="finance.approve_refund",
        custom={"label": _("reject")},
    )
    def reject(self, *, at: datetime, why: str) -> None:
        self.rejected_at = at
        self.rejection_reason = why


class RefundLine(models.Model):
    """What a refund pays back for: returned units of one SKU (from a return request)."""

    refund = models.ForeignKey(
        Refund, on_delete=models.CASCADE, related_name="lines", verbose_name=_("refund")
    )
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    amount = MoneyField(_("amount"))

    class Meta:
        ordering = ["refund", "pk"]
        verbose_name = _("refund line")
        verbose_name_plural = _("refund lines")

    def __str__(self) -> str:
        return f"{self.refund.number} {self.sku.code} × {self.quantity}"


# --- Group-buying remittances ------------------------------------------------------------


class Remittance(models.Model):
    """回款: what a group-buying site owes for a deal, and when it came in."""

    reference = models.CharField(
        _("deal reference"), max_length=64, unique=True, help_text=_("e.g. the deal number")
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="remittances", verbose_name=_("channel")
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    amount_expected = MoneyField(_("amount expected"))
    due_date = models.DateField(pgettext_lazy("payment", "due"))
    amount_received = MoneyField(_("received so far"), default=Decimal("0.00"))
    amount_deducted = MoneyField(
        _("kept by the site (accepted)"),
        default=Decimal("0.00"),
        help_text=_("Commission and fees the site kept back, as accepted by finance."),
    )
    received_at = models.DateTimeField(
        pgettext_lazy("remittance", "settled"),
        null=True,
        blank=True,
        help_text=_("When what came in and the accepted differences made up the amount owed."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("remittance")
        verbose_name_plural = _("remittances")
        permissions = [
            (
                "accept_remittance_difference",
                _("Can accept or reject what a group-buying site kept back beyond its tolerance"),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_received__gte=0)
                & Q(amount_deducted__gte=0)
                # Half a fen of slack: SQLite computes with floats.
                & Q(
                    amount_received__lte=models.F("amount_expected")
                    - models.F("amount_deducted")
                    + Decimal("0.005")
                ),
                name="finance_remittance_within_expected",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount_expected}"

    def get_absolute_url(self) -> str:
        return reverse("finance:remittance_detail", args=[self.pk])

    @property
    def is_settled(self) -> bool:
        return self.received_at is not None

    @property
    def amount_open(self) -> Decimal:
        """What the site still owes: neither received nor accepted as kept back."""
        return self.amount_expected - self.amount_received - self.amount_deducted


class RemittanceOrder(models.Model):
    """An order a remittance pays for: the deal's orders, as distribution named them."""

    remittance = models.ForeignKey(
        Remittance,
        on_delete=models.CASCADE,
        related_name="order_links",
        verbose_name=_("remittance"),
    )
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="remittance_links", verbose_name=_("order")
    )

    class Meta:
        ordering = ["remittance", "order"]
        verbose_name = _("order paid by a remittance")
        verbose_name_plural = _("orders paid by remittances")
        constraints = [
            models.UniqueConstraint(
                fields=["remittance", "order"], name="finance_remittance_order_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.remittance.reference} → {self.order.number}"


class RemittanceReceipt(models.Model):
    """One transfer of the site against a remittance: a remittance may come in parts."""

    remittance = models.ForeignKey(
        Remittance, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("remittance")
    )
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        related_name="remittance_receipt",
        verbose_name=_("payment"),
    )
    recorded_by = actor_field(_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["remittance", "pk"]
        verbose_name = _("remittance receipt")
        verbose_name_plural = _("remittance receipts")

    def __str__(self) -> str:
        return f"{self.remittance.reference}: {self.payment.reference}"


class RemittanceDifferenceKind(models.TextChoices):
    COMMISSION = "commission", _("Site's commission")
    FEE = "fee", _("Service or transfer fees")
    OTHER = "other", _("Other short payment")


class RemittanceDifferenceState(models.TextChoices):
    HELD = "held", _("Held for finance")
    ACCEPTED = "accepted", pgettext_lazy("difference", "Accepted")
    REJECTED = "rejected", pgettext_lazy("difference", "Rejected")


class RemittanceDifference(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """回款差额: what a group-buying site kept back from a remittance (its commission, fees),
    booked with a reason. Within the site's tolerance it is accepted at once; beyond it is
    held until finance accepts it (with a reason) or rejects it (the site still owes it)."""

    remittance = models.ForeignKey(
        Remittance,
        on_delete=models.PROTECT,
        related_name="differences",
        verbose_name=_("remittance"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RemittanceDifferenceKind.choices)
    amount = MoneyField(_("amount"), validators=[MinValueValidator(Decimal("0.01"))])
    reason = models.CharField(_("reason"), max_length=300)
    state = FSMField(
        _("state"),
        default=RemittanceDifferenceState.HELD,
        choices=RemittanceDifferenceState.choices,
        protected=True,
    )
    automatic = models.BooleanField(
        _("accepted within the tolerance"),
        default=False,
        help_text=_("Accepted at once: within the tolerance set for the site."),
    )
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="remittance_difference",
        verbose_name=_("booked as"),
        help_text=_("The deduction that settles the orders' share of what the site kept."),
    )
    booked_by = actor_field(_("booked by"))
    booked_at = models.DateTimeField(_("booked"), default=timezone.now)
    decided_by = actor_field(_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.CharField(_("reason for the decision"), max_length=300, blank=True)

    class Meta:
        ordering = ["remittance", "pk"]
        verbose_name = _("remittance difference")
        verbose_name_plural = _("remittance differences")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="finance_remittance_difference_positive"
            ),
            models.CheckConstraint(
                condition=~Q(state="accepted") | Q(payment__isnull=False),
                name="finance_remittance_difference_accepted_booked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.remittance.reference} {self.get_kind_display()} {self.amount}"

    @transition(
        field=state,
        source=RemittanceDifferenceState.HELD,
        target=RemittanceDifferenceState.ACCEPTED,
        permission="finance.accept_remittance_difference",
        custom={"label": pgettext_lazy("difference", "accept")},
    )
    def accept(self, *, at: datetime, user: Any, why: str, payment: Payment) -> None:
        self.decided_at = at
        self.decided_by = user
        self.decision_reason = why
        self.payment = payment

    @transition(
        field=state,
        source=RemittanceDifferenceState.HELD,
        target=RemittanceDifferenceState.REJECTED,
        permission="finance.accept_remittance_difference",
        custom={"label": pgettext_lazy("difference", "reject")},
    )
    def reject(self, *, at: datetime, user: Any, why: str) -> None:
        self.decided_at = at
        self.decided_by = user
        self.decision_reason = why


class CreditTerms(models.Model):
    """账期: the payment terms of a channel or of one customer, in days after the order was
    accepted; for a group-buying site (its channel), also how much of a remittance it may
    keep back as commission or fees before finance must look at it."""

    channel = models.OneToOneField(
        Channel,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="credit_terms",
        verbose_name=_("channel"),
    )
    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="credit_terms",
        verbose_name=_("customer"),
        help_text=_("A customer's own terms win over its channel's."),
    )
    days = models.PositiveIntegerField(
        _("payment terms (days)"),
        validators=[MaxValueValidator(365)],
        help_text=_("An order is due this many days after it was accepted."),
    )
    fee_tolerance_percent = models.DecimalField(
        _("kept back accepted at once (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "A group-buying site's commission and fees up to this share of the remittance "
            "are accepted without review; more is held for finance."
        ),
    )
    fee_tolerance_amount = MoneyField(
        _("and at most (CNY)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Leave empty for no cap in yuan."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["channel", "customer", "pk"]
        verbose_name = _("payment terms")
        verbose_name_plural = _("payment terms")
        constraints = [
            models.CheckConstraint(
                condition=(Q(channel__isnull=False) & Q(customer__isnull=True))
                | (Q(channel__isnull=True) & Q(customer__isnull=False)),
                name="finance_credit_terms_channel_or_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel or self.customer}: {self.days}"

    def fee_tolerance(self, expected: Decimal) -> Decimal:
        """How much of ``expected`` the site may keep back without review, to the fen."""
        share = (expected * self.fee_tolerance_percent / 100).quantize(
            Decimal("0.01"), rounding=ROUND_DOWN
        )
        if self.fee_tolerance_amount is not None:
            share = min(share, self.fee_tolerance_amount)
        return share


# --- Reconciliation -----------------------------------------------------------------------


class MismatchKind(models.TextChoices):
    SHIPPED_NOT_INVOICED = "shipped_not_invoiced", _("Shipped but not invoiced")
    INVOICED_NOT_SHIPPED = "invoiced_not_shipped", _("Invoiced but not shipped")
    PAID_AMOUNT = "paid_amount", _("Paid amount differs from the order total")
    PAYMENT_WITHOUT_ORDER = "payment_without_order", _("Payment without an order")
    DUPLICATE_PAYMENT = "duplicate_payment", _("Duplicate payment")
    REFUND_WITHOUT_RED_LETTER = (
        "refund_without_red_letter",
        _("Refund without a red-letter invoice"),
    )
    RED_LETTER_WITHOUT_REFUND = (
        "red_letter_without_refund",
        _("Red-letter invoice without a refund"),
    )
    REMITTANCE_MISSING = "remittance_missing", _("Group-buying remittance missing")
    PAID_WITHOUT_STATEMENT = (
        "paid_without_statement",
        _("Paid on the platform, not on the statement"),
    )
    STATEMENT_INCOME_WITHOUT_ORDER = (
        "statement_income_without_order",
        _("Statement income without an order"),
    )
    STATEMENT_REFUND_UNRECORDED = (
        "statement_refund_unrecorded",
        _("Refund on the statement, not in the back office"),
    )


class ReconciliationRun(models.Model):
    """对账: one business day's figures per channel and every mismatch open at its end."""

    day = models.DateField(_("day"), unique=True)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    figures = models.JSONField(_("figures per channel"), default=list)
    mismatch_count = models.PositiveIntegerField(_("mismatches"), default=0)
    mismatch_counts = models.JSONField(_("mismatches by kind"), default=dict)
    csv_file = models.FileField(_("CSV"), upload_to="finance/reconciliation/", blank=True)
    pdf_file = models.FileField(_("PDF"), upload_to="finance/reconciliation/", blank=True)
    run_count = models.PositiveIntegerField(_("times run"), default=0)
    run_by = actor_field(_("run by"))
    # When finance was e-mailed this run's summary; a sweep sends it when still empty after
    # the run finished (the message lost in a crash or a broker outage).
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        permissions = [("run_reconciliation", _("Can run the reconciliation for a past day"))]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("finance:run_detail", args=[self.pk])


class Mismatch(models.Model):
    """One thing that does not add up, with what it concerns."""

    run = models.ForeignKey(
        ReconciliationRun,
        on_delete=models.CASCADE,
        related_name="mismatches",
        verbose_name=_("run"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=MismatchKind.choices)
    channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("channel"),
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("order"),
    )
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment"),
    )
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invoice"),
    )
    refund = models.ForeignKey(
        Refund,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refund"),
    )
    remittance = models.ForeignKey(
        Remittance,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("remittance"),
    )
    reference = models.CharField(_("reference"), max_length=64)
    expected = MoneyField(_("expected"), null=True, blank=True)
    actual = MoneyField(_("actual"), null=True, blank=True)
    statement_line = models.ForeignKey(
        "StatementLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("statement line"),
    )

    class Meta:
        ordering = ["run", "kind", "reference", "pk"]
        verbose_name = _("mismatch")
        verbose_name_plural = _("mismatches")
        indexes = [models.Index(fields=["run", "kind"], name="finance_mismatch_run_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"

    def get_absolute_url(self) -> str:
        if self.statement_line_id is not None:
            return reverse("finance:statement_line_detail", args=[self.statement_line_id])
        for obj in (self.order, self.payment, self.invoice, self.refund):
            if obj is not None:
                return str(obj.get_absolute_url())
        return reverse("finance:run_detail", args=[self.run_id])


# --- Settlement ----------------------------------------------------------------------------


class SettlementState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FINANCE_CONFIRMED = "finance_confirmed", _("Confirmed by finance")
    BU_CONFIRMED = "bu_confirmed", _("Confirmed by the business unit")
    CONFIRMED = "confirmed", _("Confirmed by both sides")


def _other_side_confirmed(settlement: Settlement, side: str) -> str:
    done = (
        settlement.business_unit_confirmed_at
        if side == "finance"
        else settlement.finance_confirmed_at
    )
    if done is not None:
        return SettlementState.CONFIRMED
    return SettlementState.FINANCE_CONFIRMED if side == "finance" else SettlementState.BU_CONFIRMED


class Settlement(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """结算单: what the business unit is owed for a period, agreed by both sides."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    state = FSMField(
        _("state"), default=SettlementState.DRAFT, choices=SettlementState.choices, protected=True
    )
    sales_amount = MoneyField(_("shipped sales"), default=Decimal("0.00"))
    returns_amount = MoneyField(_("returns"), default=Decimal("0.00"))
    subsidy_amount = MoneyField(_("subsidies"), default=Decimal("0.00"))
    amount_due = MoneyField(_("amount due to the business unit"), default=Decimal("0.00"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = actor_field(_("created by"))
    finance_confirmed_at = models.DateTimeField(_("confirmed by finance"), null=True, blank=True)
    finance_confirmed_by = actor_field(_("finance's confirmation by"))
    business_unit_confirmed_at = models.DateTimeField(
        _("confirmed by the business unit"), null=True, blank=True
    )
    business_unit_confirmed_by = actor_field(_("business unit's confirmation by"))

    class Meta:
        ordering = ["-period_end", "-pk"]
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        permissions = [
            ("confirm_settlement_finance", _("Can draw up and confirm settlements for finance")),
            ("confirm_settlement_bu", _("Can confirm settlements for the business unit")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="finance_settlement_period",
            ),
            # The company settles with its one business unit: a period is settled once.
            models.UniqueConstraint(
                fields=["period_start", "period_end"], name="finance_settlement_one_per_period"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("finance:settlement_detail", args=[self.pk])

    @transition(
        field=state,
        source=[SettlementState.DRAFT, SettlementState.BU_CONFIRMED],
        target=RETURN_VALUE(SettlementState.FINANCE_CONFIRMED, SettlementState.CONFIRMED),
        permission="finance.confirm_settlement_finance",
        custom={"label": _("confirm for finance")},
    )
    def confirm_finance(self, *, at: datetime, user: Any) -> str:
        self.finance_confirmed_at = at
        self.finance_confirmed_by = user
        return _other_side_confirmed(self, "finance")

    @transition(
        field=state,
        source=[SettlementState.DRAFT, SettlementState.FINANCE_CONFIRMED],
        target=RETURN_VALUE(SettlementState.BU_CONFIRMED, SettlementState.CONFIRMED),
        permission="finance.confirm_settlement_bu",
        custom={"label": _("confirm for the business unit")},
    )
    def confirm_business_unit(self, *, at: datetime, user: Any) -> str:
        self.business_unit_confirmed_at = at
        self.business_unit_confirmed_by = user
        return _other_side_confirmed(self, "business_unit")


class SettlementLine(models.Model):
    """One SKU's part of a settlement."""

    settlement = models.ForeignKey(
        Settlement, on_delete=models.CASCADE, related_name="lines", verbose_name=_("settlement")
    )
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    units_shipped = models.IntegerField(_("units shipped"), default=0)
    sales_amount = MoneyField(_("shipped sales"), default=Decimal("0.00"))
    units_returned = models.IntegerField(_("units returned"), default=0)
    returns_amount = MoneyField(_("returns"), default=Decimal("0.00"))
    base_subsidy_price = MoneyField(_("online base subsidy price"), null=True, blank=True)
    subsidy_amount = MoneyField(_("subsidy"), default=Decimal("0.00"))
    amount_due = MoneyField(_("amount due"), default=Decimal("0.00"))

    class Meta:
        ordering = ["settlement", "sku__code"]
        verbose_name = _("settlement line")
        verbose_name_plural = _("settlement lines")
        constraints = [
            models.UniqueConstraint(fields=["settlement", "sku"], name="finance_settlement_sku"),
        ]

    def __str__(self) -> str:
        return f"{self.settlement.number} {self.sku.code}"


# --- Fully digital e-invoices (数电票) -------------------------------------------------------


class DigitalInvoiceBatch(models.Model):
    """批量开具: requests exported together in the tax platform's batch template; the
    platform's result file attaches each one's 20-digit number."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = actor_field(_("exported by"))
    template = models.FileField(_("batch template"), upload_to="finance/batches/", blank=True)
    result_imported_at = models.DateTimeField(_("result imported"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("tax platform batch")
        verbose_name_plural = _("tax platform batches")

    def __str__(self) -> str:
        return self.number


class RedLetterConfirmationState(models.TextChoices):
    DRAFTED = "drafted", pgettext_lazy("confirmation form", "Drafted")
    SENT = "sent", _("Sent to the buyer")
    CONFIRMED = "confirmed", pgettext_lazy("confirmation form", "Confirmed")
    ISSUED = "issued", _("Red-letter invoice issued")
    CANCELLED = "cancelled", _("Cancelled")


class RedLetterConfirmation(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """红字发票信息确认单: the form through which a 数电票 is reversed. When the buyer has
    used or booked the invoice (用途确认/入账确认) the buyer must confirm it; otherwise the
    seller's own confirmation is enough. Once confirmed, the red-letter 数电票 is issued."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        related_name="red_letter_confirmations",
        verbose_name=_("original invoice"),
    )
    request = models.ForeignKey(
        RedLetterRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="confirmations",
        verbose_name=_("red-letter request"),
    )
    state = FSMField(
        _("state"),
        default=RedLetterConfirmationState.DRAFTED,
        choices=RedLetterConfirmationState.choices,
        protected=True,
    )
    reason = models.CharField(_("reason"), max_length=20, choices=RedLetterReason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    quantities = models.JSONField(
        _("units per invoice line"), default=dict, help_text=_("Line position → units")
    )
    amount = MoneyField(_("amount to reverse"))
    needs_buyer = models.BooleanField(
        _("needs the buyer's confirmation"),
        default=False,
        help_text=_("The buyer had used or booked the invoice when the form was drafted."),
    )
    drafted_at = models.DateTimeField(_("drafted"))
    drafted_by = actor_field(_("drafted by"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    confirmed_at = models.DateTimeField(pgettext_lazy("time", "confirmed"), null=True, blank=True)
    confirmed_by_buyer = models.BooleanField(_("confirmed by the buyer"), default=False)
    red_invoice = models.OneToOneField(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="red_letter_confirmation",
        verbose_name=_("red-letter invoice"),
    )
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-drafted_at", "-pk"]
        verbose_name = _("red-letter confirmation form")
        verbose_name_plural = _("red-letter confirmation forms")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__lt=0), name="finance_red_confirmation_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("finance:red_confirmation_detail", args=[self.pk])

    @transition(
        field=state,
        source=RedLetterConfirmationState.DRAFTED,
        target=RETURN_VALUE(RedLetterConfirmationState.SENT, RedLetterConfirmationState.CONFIRMED),
        permission="finance.issue_red_letter",
        custom={"label": _("submit the confirmation form")},
    )
    def submit(self, *, at: datetime) -> str:
        if self.needs_buyer:
            self.sent_at = at
            return RedLetterConfirmationState.SENT
        self.confirmed_at = at  # nobody else to ask: the seller's form confirms itself
        return RedLetterConfirmationState.CONFIRMED

    @transition(
        field=state,
        source=RedLetterConfirmationState.SENT,
        target=RedLetterConfirmationState.CONFIRMED,
        permission="finance.issue_red_letter",
        custom={"label": _("record the buyer's confirmation")},
    )
    def confirm(self, *, at: datetime) -> None:
        self.confirmed_at = at
        self.confirmed_by_buyer = True

    @transition(
        field=state,
        source=RedLetterConfirmationState.CONFIRMED,
        target=RedLetterConfirmationState.ISSUED,
        permission="finance.issue_red_letter",
        custom={"label": _("issue the red-letter invoice")},
    )
    def issue(self, *, red_invoice: Invoice) -> None:
        self.red_invoice = red_invoice

    @transition(
        field=state,
        source=[RedLetterConfirmationState.DRAFTED, RedLetterConfirmationState.SENT],
        target=RedLetterConfirmationState.CANCELLED,
        permission="finance.issue_red_letter",
        custom={"label": _("cancel")},
    )
    def cancel(self, *, at: datetime, why: str) -> None:
        self.cancelled_at = at
        self.cancel_reason = why


# --- Statements: payment accounts and their statement lines (issue 22 §1) -------------------


class PaymentAccountKind(models.TextChoices):
    ALIPAY = "alipay", _("Alipay merchant account")
    WECHAT = "wechat", _("WeChat Pay merchant account")
    BANK = "bank", _("Bank account")


class PaymentAccount(models.Model):
    """收款账户: an Alipay or WeChat Pay merchant account, or a bank account, whose statements
    finance imports; each collects for the channels it names."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=PaymentAccountKind.choices)
    channels = models.ManyToManyField(
        Channel,
        blank=True,
        related_name="payment_accounts",
        verbose_name=_("collects for channels"),
        help_text=_("Statement lines naming an order are matched among these channels' orders."),
    )
    account_number = models.CharField(_("account number"), max_length=60, blank=True)
    column_mapping = models.JSONField(
        _("bank statement columns"),
        default=dict,
        blank=True,
        help_text=_("Which column of this bank's statement holds what; asked at the first import."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("payment account")
        verbose_name_plural = _("payment accounts")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("finance:statement_list") + f"?account={self.code}"


class StatementImport(models.Model):
    """One statement file as imported: what it held and what it added."""

    account = models.ForeignKey(
        PaymentAccount,
        on_delete=models.PROTECT,
        related_name="imports",
        verbose_name=_("payment account"),
    )
    file_name = models.CharField(_("file"), max_length=200)
    file = models.FileField(_("file as uploaded"), upload_to="finance/statements/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    file_format = models.CharField(_("format"), max_length=20)
    line_count = models.PositiveIntegerField(_("lines in the file"), default=0)
    created_count = models.PositiveIntegerField(_("lines added"), default=0)
    matched_count = models.PositiveIntegerField(_("matched automatically"), default=0)
    period_start = models.DateTimeField(_("first line"), null=True, blank=True)
    period_end = models.DateTimeField(_("last line"), null=True, blank=True)
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)
    imported_by = actor_field(_("imported by"))

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = _("statement import")
        verbose_name_plural = _("statement imports")

    def __str__(self) -> str:
        return f"{self.account.code} {self.file_name}"


class StatementLineKind(models.TextChoices):
    SETTLEMENT = "settlement", _("Platform settlement for an order")
    BUYER_PAYMENT = "buyer_payment", _("Buyer's payment")
    REFUND = "refund", pgettext_lazy("statement line", "Refund")
    FEE = "fee", _("Fee or commission")
    WITHDRAWAL = "withdrawal", _("Withdrawal or transfer between own accounts")
    OTHER = "other", pgettext_lazy("statement line", "Other")


# Money for an order reaching us: what a statement line must show for a paid order.
STATEMENT_INCOME_KINDS = (StatementLineKind.SETTLEMENT, StatementLineKind.BUYER_PAYMENT)


class StatementMatchMethod(models.TextChoices):
    AUTOMATIC = "automatic", _("Automatic (the statement names the order)")
    CLERK = "clerk", _("Accepted by a clerk")


class StatementLine(models.Model):
    """账务明细: one line of an imported statement, kept once per (account, reference);
    ``amount`` is signed (+ in, - out); ``order`` is set when it is matched."""

    # No index of its own for account, order and channel: the unique (account, reference)
    # and the (order, kind) index lead with them, and every index slows the import.
    account = models.ForeignKey(
        PaymentAccount,
        on_delete=models.PROTECT,
        related_name="lines",
        verbose_name=_("payment account"),
        db_index=False,
    )
    reference = models.CharField(
        _("statement reference"),
        max_length=80,
        help_text=_("账务流水号, 微信订单号/退款单号 or the bank's serial number."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=StatementLineKind.choices)
    amount = MoneyField(_("amount (+ in, - out)"))
    occurred_at = models.DateTimeField(_("occurred"), db_index=True)
    counterparty = models.CharField(_("counterparty"), max_length=200, blank=True)
    order_number = models.CharField(_("order number on the statement"), max_length=64, blank=True)
    business_type = models.CharField(_("business type"), max_length=60, blank=True)
    memo = models.CharField(_("memo"), max_length=500, blank=True)
    raw = models.JSONField(_("line as in the file"), default=dict, blank=True)
    statement_import = models.ForeignKey(
        StatementImport,
        on_delete=models.PROTECT,
        related_name="lines",
        verbose_name=_("imported from"),
    )
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)
    channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("channel"),
        db_index=False,
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_lines",
        verbose_name=_("order"),
        db_index=False,
    )
    match_method = models.CharField(
        _("matched"), max_length=10, choices=StatementMatchMethod.choices, blank=True
    )
    matched_at = models.DateTimeField(_("matched at"), null=True, blank=True)
    matched_by = actor_field(_("matched by"))

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        permissions = [("import_statement", _("Can import statements and match their lines"))]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "reference"], name="finance_statementline_once"
            ),
            models.CheckConstraint(
                condition=Q(order__isnull=True) | Q(matched_at__isnull=False),
                name="finance_statementline_matched_when",
            ),
        ]
        indexes = [
            models.Index(fields=["order", "kind"], name="finance_stmtline_order_kind"),
            models.Index(fields=["kind", "occurred_at"], name="finance_stmtline_kind_at"),
        ]

    def __str__(self) -> str:
        return f"{self.account.code} {self.reference} {self.amount}"

    def get_absolute_url(self) -> str:
        return reverse("finance:statement_line_detail", args=[self.pk])


class StatementMatchAction(models.TextChoices):
    ACCEPTED = "accepted", _("Match accepted")
    UNDONE = "undone", _("Match undone")


class StatementMatchLog(models.Model):
    """Who matched a statement line to an order by hand, or undid a match, when and why."""

    line = models.ForeignKey(
        StatementLine,
        on_delete=models.CASCADE,
        related_name="match_log",
        verbose_name=_("statement line"),
    )
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="+", verbose_name=_("order")
    )
    action = models.CharField(_("action"), max_length=10, choices=StatementMatchAction.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    by = actor_field(_("by"))

    class Meta:
        ordering = ["line", "at", "pk"]
        verbose_name = _("statement match log entry")
        verbose_name_plural = _("statement match log")

    def __str__(self) -> str:
        return f"{self.line.reference} {self.action} {self.order.number}"
