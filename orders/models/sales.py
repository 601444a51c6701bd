"""Channels, customers and sales orders (DESIGN §5, Order).

An order arrives from a channel (signed API push, platform export import, or keyed in by
service staff), is matched to a customer (identified), checked by the sales rep
(confirmed), and then moves through the warehouse's states, which the warehouse drives
through ``orders.services``.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KT
from django.db.models.functions import Left, Right
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import (
    RETURN_VALUE,
    ConcurrentTransitionMixin,
    FSMField,
    FSMModelMixin,
    transition,
)

from ecomops.money import MoneyField
from listings.models import Sku


def new_channel_secret() -> str:
    return secrets.token_hex(32)


class ChannelKind(models.TextChoices):
    TMALL = "tmall", _("Tmall")
    TAOBAO = "taobao", _("Taobao")
    WEBSHOP = "webshop", _("Own web shop")
    GROUP_BUYING = "group_buying", _("Group-buying site")
    DISTRIBUTOR = "distributor", _("Distributor")
    AGENT = "agent", _("Agent")
    MANUAL = "manual", _("Manual entry")
    JD = "jd", _("JD")
    PINDUODUO = "pinduoduo", _("Pinduoduo")
    DOUYIN = "douyin", _("Douyin shop")


# Marketplaces: their buyers have paid before the order reaches us, so a doubtful order is
# parked in the exception queue rather than refused (docs/orders.md "Exception queue").
MARKETPLACE_KINDS = (
    ChannelKind.TMALL,
    ChannelKind.TAOBAO,
    ChannelKind.JD,
    ChannelKind.PINDUODUO,
    ChannelKind.DOUYIN,
)


class IntakePolicy(models.TextChoices):
    REFUSE = "refuse", _("Refuse the order (400)")
    PARK = "park", _("Park it in the exception queue")


class PaymentTerms(models.TextChoices):
    PREPAID = "prepaid", _("Prepaid")
    ON_ACCOUNT = "on_account", _("On account")


class Channel(models.Model):
    """销售渠道: where orders come from, with the secret its pushes are signed with."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices)
    payment_terms = models.CharField(
        _("payment terms"),
        max_length=20,
        choices=PaymentTerms.choices,
        default=PaymentTerms.PREPAID,
        help_text=_(
            "Prepaid orders are accepted when paid; on-account orders when placed, and paid "
            "later by bank transfer."
        ),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=128,
        default=new_channel_secret,
        help_text=_("Shared with the channel; its pushes are signed with HMAC-SHA256."),
    )
    price_tolerance_percent = models.DecimalField(
        _("price tolerance (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "How far a line's unit price may differ from the listed price before the order "
            "is refused, in percent of the listed price."
        ),
    )
    intake_policy = models.CharField(
        _("orders breaking a rule"),
        max_length=10,
        choices=IntakePolicy.choices,
        default=IntakePolicy.REFUSE,
        help_text=_(
            "Marketplaces park a paid order that breaks a business rule in the exception "
            "queue (异常订单); channels that push on account have it refused."
        ),
    )
    merge_parcels = models.BooleanField(
        _("merge parcels"),
        default=True,
        help_text=_("Ship orders of one customer to one address in one batch as one parcel."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    callback_url = models.URLField(
        _("shipment callback URL"),
        max_length=300,
        blank=True,
        help_text=_(
            "Where shipment confirmations (发货回传) are posted, signed with the channel's "
            "secret. Empty: the warehouse downloads the platform's bulk-shipping file instead."
        ),
    )
    confirmation_deadline_hours = models.PositiveSmallIntegerField(
        _("shipment confirmation deadline (hours after payment)"),
        null=True,
        blank=True,
        help_text=_(
            "The platform's rule, e.g. 48: shipment must be confirmed this many hours after "
            "the buyer paid. Empty: no deadline is timed."
        ),
    )
    full_receiver_on_label = models.BooleanField(
        _("full receiver data on labels"),
        default=False,
        help_text=_(
            "Print the receiver's full name and phone on waybill labels; otherwise they are "
            "masked (王*, 138****0000) as on the platforms' privacy waybills (隐私面单)."
        ),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        permissions = [("manage_channel", _("Can manage channels and their SKU mappings"))]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("orders:channel_detail", args=[self.pk])

    @property
    def is_on_account(self) -> bool:
        return self.payment_terms == PaymentTerms.ON_ACCOUNT

    @property
    def parks_orders(self) -> bool:
        return self.intake_policy == IntakePolicy.PARK


class ChannelSkuMapping(models.Model):
    """平台商家编码: a channel's own code for one of our SKUs (Taobao's outer id)."""

    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="sku_mappings", verbose_name=_("channel")
    )
    outer_id = models.CharField(_("platform SKU code"), max_length=64)
    sku = models.ForeignKey(
        Sku, on_delete=models.PROTECT, related_name="channel_mappings", verbose_name=_("SKU")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["channel", "outer_id"]
        verbose_name = _("SKU mapping")
        verbose_name_plural = _("SKU mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "outer_id"], name="orders_mapping_unique_outer_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel.code}:{self.outer_id} → {self.sku.code}"


class CustomerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    COMPANY = "company", _("Company")


class Customer(models.Model):
    """客户: an individual (name, ID number, address, phone) or a company (name, unified
    social credit code, street address, responsible person and phone, invoice details).

    A duplicate merged into another keeps its row with ``merged_into`` set, so old links
    and the history still resolve.
    """

    kind = models.CharField(_("kind"), max_length=12, choices=CustomerKind.choices)
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True, db_index=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, db_index=True
    )
    contact_person = models.CharField(_("responsible person"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=6, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    district = models.CharField(_("district"), max_length=50, blank=True)
    street_address = models.CharField(_("street address"), max_length=300, blank=True)
    invoice_title = models.CharField(_("invoice title"), max_length=200, blank=True)
    invoice_tax_id = models.CharField(_("taxpayer ID"), max_length=20, blank=True)
    invoice_address_phone = models.CharField(
        _("registered address and phone"), max_length=300, blank=True
    )
    invoice_bank_account = models.CharField(_("bank and account"), max_length=300, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_duplicates",
        verbose_name=_("merged into"),
        db_index=False,  # orders_customer_merged: only the merged ones
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [
            ("identify_customer", _("Can identify, correct and merge customers")),
        ]
        indexes = [
            models.Index(fields=["name"], name="orders_customer_name"),
            # identification_candidates: each way a customer may be found is an index, so
            # the candidates are read without scanning every customer
            models.Index(Right("phone", 4), name="orders_customer_phone_tail"),
            models.Index("city", Left("name", 2), name="orders_customer_city_name"),
            models.Index(fields=["street_address"], name="orders_customer_street"),
            # The few merged customers only: "merged_into IS NULL" (every active customer)
            # cannot be read through it, which a planner without statistics once chose.
            models.Index(
                fields=["merged_into"],
                condition=Q(merged_into__isnull=False),
                name="orders_customer_merged",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("orders:customer_detail", args=[self.pk])

    @property
    def address(self) -> str:
        return "".join(p for p in (self.province, self.city, self.district, self.street_address))


# The master-data fields a rep may correct, in the order the forms show them.
CUSTOMER_FIELDS = (
    "kind",
    "name",
    "phone",
    "email",
    "id_number",
    "credit_code",
    "contact_person",
    "postcode",
    "province",
    "city",
    "district",
    "street_address",
    "invoice_title",
    "invoice_tax_id",
    "invoice_address_phone",
    "invoice_bank_account",
)


class CustomerChange(models.Model):
    """客户资料变更: one corrected field (old and new value), or a merge, with who and why."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="changes", verbose_name=_("customer")
    )
    field = models.CharField(_("field"), max_length=50)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("customer change")
        verbose_name_plural = _("customer history")

    def __str__(self) -> str:
        return f"{self.customer}: {self.field}"


class OrderState(models.TextChoices):
    RECEIVED = "received", _("Received")
    IDENTIFIED = "identified", _("Identified")
    CONFIRMED = "confirmed", _("Confirmed")
    ALLOCATED = "allocated", _("Allocated")
    RELEASED = "released", pgettext_lazy("order state", "Released")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    ON_HOLD = "on_hold", _("On hold")
    CANCELLED = "cancelled", _("Cancelled")
    EXCEPTION = "exception", pgettext_lazy("order state", "Exception")


# States in which the sales rep still owns the order (no warehouse work has started).
PRE_WAREHOUSE_STATES = (OrderState.RECEIVED, OrderState.IDENTIFIED, OrderState.CONFIRMED)
HOLDABLE_STATES = PRE_WAREHOUSE_STATES
# Cancelled directly (with a reason) in these; after release only by the warehouse.
CANCELLABLE_STATES = (*PRE_WAREHOUSE_STATES, OrderState.ALLOCATED, OrderState.ON_HOLD)
OPEN_STATES = (*CANCELLABLE_STATES, OrderState.RELEASED)


class HoldKind(models.TextChoices):
    MISSING_INFORMATION = "missing_information", _("Missing information")
    PRICE_QUERY = "price_query", _("Price query")
    CUSTOMER_REQUEST = "customer_request", _("Customer request")
    PLATFORM_REFUND = "platform_refund", _("Refund requested on the platform")
    PLATFORM_CLOSED = "platform_closed", _("Closed on the platform")


class OrderSource(models.TextChoices):
    API = "api", _("Channel push")
    IMPORT = "import", _("Platform export import")
    MANUAL = "manual", _("Keyed in")


class InvoiceKind(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary invoice")
    SPECIAL = "special", _("Special VAT invoice")


def _may_cancel(order: models.Model, user: Any) -> bool:
    """A parked order is cancelled by whoever works the exception queue; any other by the
    sales rep."""
    if getattr(order, "state", None) == OrderState.EXCEPTION:
        return bool(user.has_perm("orders.resolve_exception"))
    return bool(user.has_perm("orders.confirm_order"))


def _cancellation_requested(order: models.Model) -> bool:
    return getattr(order, "cancellation_requested_at", None) is not None


class Order(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """销售订单: one customer order from one channel, idempotent on (channel, external id)."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    # Not indexed on its own: the (channel, external_id) constraint's index leads with it.
    channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("channel"),
        db_index=False,
    )
    external_id = models.CharField(_("channel order number"), max_length=64)
    source = models.CharField(_("source"), max_length=10, choices=OrderSource.choices)
    state = FSMField(
        _("state"), default=OrderState.RECEIVED, choices=OrderState.choices, protected=True
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("customer"),
    )
    # The customer as the channel sent it; identification compares it with the master data.
    customer_data = models.JSONField(_("customer as received"), default=dict)
    receiver_name = models.CharField(_("receiver"), max_length=100)
    receiver_phone = models.CharField(_("receiver phone"), max_length=20)
    ship_province = models.CharField(_("province"), max_length=50)
    ship_city = models.CharField(_("city"), max_length=50)
    ship_district = models.CharField(_("district"), max_length=50, blank=True)
    ship_street = models.CharField(_("street address"), max_length=300)
    ship_postcode = models.CharField(_("postcode"), max_length=6, blank=True)
    placed_at = models.DateTimeField(_("placed"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    accepted_at = models.DateTimeField(
        _("accepted"),
        db_index=True,
        help_text=_("Paid, or placed for on-account orders: decides the cutoff batch."),
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    batch_date = models.DateField(_("batch date"))  # indexed with the slot (Meta)
    batch_slot = models.PositiveSmallIntegerField(_("batch slot"))
    ship_by = models.DateField(_("ship by"))
    batches_missed = models.PositiveSmallIntegerField(
        _("batches missed"),
        default=0,
        help_text=_("How often the order was not ready by its batch's cut and rolled over."),
    )
    # Money as the platform charged it (docs/orders.md "Money"): total = goods at unit
    # prices - discount + shipping; paid may be less (platform-funded vouchers).
    goods_amount = MoneyField(
        _("goods amount"),
        default=Decimal("0.00"),
        help_text=_("The lines at their unit prices, before the discount."),
    )
    discount_amount = MoneyField(
        _("discount"),
        default=Decimal("0.00"),
        help_text=_("Shop and platform discounts and coupons, shared over the lines."),
    )
    shipping_fee = MoneyField(_("shipping fee"), default=Decimal("0.00"))
    total_amount = MoneyField(
        _("total"), help_text=_("What the buyer owes: goods - discount + shipping.")
    )
    paid_amount = MoneyField(
        _("paid amount"),
        default=Decimal("0.00"),
        help_text=_(
            "What the buyer actually paid; less than the total when the platform funds a "
            "voucher, nothing yet for an unpaid on-account order."
        ),
    )
    needs_invoice = models.BooleanField(_("needs an invoice"), default=False)
    invoice_kind = models.CharField(
        _("invoice kind"), max_length=10, choices=InvoiceKind.choices, blank=True
    )
    invoice_details = models.JSONField(_("invoice details"), default=dict, blank=True)
    buyer_note = models.TextField(_("buyer note"), blank=True)
    requested_carrier = models.CharField(
        _("carrier asked for"),
        max_length=20,
        blank=True,
        help_text=_("The code of the carrier the buyer asked for, if any."),
    )
    cash_on_delivery = models.BooleanField(_("cash on delivery"), default=False)
    payload_hash = models.CharField(_("payload hash"), max_length=64, editable=False)
    payload = models.JSONField(_("payload as accepted"), default=dict, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("keyed in by"),
    )
    identified_at = models.DateTimeField(_("identified"), null=True, blank=True)
    identified_automatically = models.BooleanField(_("identified automatically"), default=False)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    hold_kind = models.CharField(_("hold"), max_length=30, choices=HoldKind.choices, blank=True)
    hold_reason = models.CharField(_("hold reason"), max_length=300, blank=True)
    state_before_hold = models.CharField(
        _("state before hold"),
        max_length=20,
        choices=OrderState.choices,
        blank=True,
        editable=False,
    )
    state_before_exception = models.CharField(
        _("state before the exception queue"),
        max_length=20,
        choices=OrderState.choices,
        blank=True,
        editable=False,
        help_text=_("Set when a platform change parked an order already in the flow."),
    )
    cancel_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancellation_requested_at = models.DateTimeField(
        _("cancellation requested"), null=True, blank=True
    )
    cancellation_request_reason = models.CharField(
        _("cancellation request reason"), max_length=300, blank=True
    )
    cancellation_declined_reason = models.CharField(
        _("cancellation declined because"), max_length=300, blank=True
    )
    allocated_at = models.DateTimeField(_("allocated"), null=True, blank=True)
    released_at = models.DateTimeField(pgettext_lazy("order", "released"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        ordering = ["-accepted_at", "-pk"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        permissions = [
            ("confirm_order", _("Can confirm, hold and cancel orders")),
            ("key_in_order", _("Can key in and import orders")),
            ("fulfil_order", _("Can move orders through the warehouse states")),
            ("resolve_exception", _("Can fix, release and cancel parked orders")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="orders_order_unique_external_id"
            ),
            models.CheckConstraint(
                condition=Q(total_amount__gte=0), name="orders_order_total_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(goods_amount__gte=0)
                & Q(discount_amount__gte=0)
                & Q(shipping_fee__gte=0)
                & Q(paid_amount__gte=0),
                name="orders_order_money_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(discount_amount__lte=models.F("goods_amount")),
                name="orders_order_discount_within_goods",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "accepted_at"], name="orders_order_state_accepted"),
            models.Index(fields=["batch_date", "batch_slot"], name="orders_order_batch"),
            # The duplicate check finds a push's earlier orders by the platform's buyer
            # account (as well as by phone) without reading every order of the channel.
            models.Index("channel", KT("payload__buyer_account"), name="orders_order_buyer"),
            # The same check finds them by phone. Both indexes lead with or include the
            # channel, so each side of the check's OR is one index scan on two columns: the
            # planner takes them over the channel's own index even before statistics are
            # gathered (a fresh database, autovacuum off). A search by phone alone uses it.
            models.Index(fields=["receiver_phone", "channel"], name="orders_order_phone_channel"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("orders:order_detail", args=[self.pk])

    @property
    def ship_address(self) -> str:
        return "".join(
            p for p in (self.ship_province, self.ship_city, self.ship_district, self.ship_street)
        )

    @property
    def is_late(self) -> bool:
        """Rolled into a later batch than the one its acceptance promised."""
        return self.batches_missed > 0

    @property
    def batch_label(self) -> str:
        return f"{self.batch_date:%Y-%m-%d} {self.batch_slot:02d}:00"

    # --- The sales rep's part ------------------------------------------------------------

    @transition(
        field=state,
        source=OrderState.RECEIVED,
        target=OrderState.IDENTIFIED,
        permission="orders.identify_customer",
        custom={"label": _("identify the customer")},
    )
    def identify(self, *, customer: Customer, at: datetime, automatic: bool = False) -> None:
        self.customer = customer
        self.identified_at = at
        self.identified_automatically = automatic

    @transition(
        field=state,
        source=OrderState.IDENTIFIED,
        target=OrderState.CONFIRMED,
        permission="orders.confirm_order",
        custom={"label": _("confirm")},
    )
    def confirm(self, *, at: datetime) -> None:
        self.confirmed_at = at

    @transition(
        field=state,
        source=list(HOLDABLE_STATES),
        target=OrderState.ON_HOLD,
        permission="orders.confirm_order",
        custom={"label": _("put on hold")},
    )
    def hold(self, *, kind: str, why: str) -> None:
        self.state_before_hold = self.state
        self.hold_kind = kind
        self.hold_reason = why

    @transition(
        field=state,
        source=OrderState.ON_HOLD,
        target=RETURN_VALUE(*HOLDABLE_STATES),
        permission="orders.confirm_order",
        custom={"label": _("release from hold")},
    )
    def release_hold(self) -> str:
        previous = self.state_before_hold or OrderState.RECEIVED
        self.state_before_hold = ""
        self.hold_kind = ""
        self.hold_reason = ""
        return previous

    @transition(
        field=state,
        source=[*HOLDABLE_STATES, OrderState.ON_HOLD],
        target=OrderState.EXCEPTION,
        permission="orders.resolve_exception",
        custom={"label": _("park in the exception queue")},
    )
    def park(self) -> None:
        """A platform change that could not be applied (docs/orders.md "Changes from the
        platform"): the order waits in the exception queue and comes back where it was."""
        self.state_before_exception = self.state

    @transition(
        field=state,
        source=OrderState.EXCEPTION,
        target=RETURN_VALUE(*HOLDABLE_STATES, OrderState.ON_HOLD),
        permission="orders.resolve_exception",
        custom={"label": _("release from the exception queue")},
    )
    def release_exception(self, *, at: datetime) -> str:
        previous = self.state_before_exception
        if previous:
            # Parked from the flow by a platform change: back where it was.
            self.state_before_exception = ""
            return previous
        # Accepted into the normal flow now: the cutoff batch is counted from here.
        self.accepted_at = at
        return OrderState.RECEIVED

    @transition(
        field=state,
        source=[*CANCELLABLE_STATES, OrderState.EXCEPTION],
        target=OrderState.CANCELLED,
        permission=_may_cancel,
        custom={"label": _("cancel")},
    )
    def cancel(self, *, at: datetime, why: str) -> None:
        self.cancelled_at = at
        self.cancel_reason = why

    # --- The warehouse's part (driven through orders.services) ---------------------------

    @transition(
        field=state,
        source=OrderState.CONFIRMED,
        target=OrderState.ALLOCATED,
        permission="orders.fulfil_order",
        custom={"label": _("allocate")},
    )
    def allocate(self, *, at: datetime) -> None:
        self.allocated_at = at

    @transition(
        field=state,
        source=OrderState.ALLOCATED,
        target=OrderState.RELEASED,
        permission="orders.fulfil_order",
        custom={"label": _("release to the warehouse")},
    )
    def release(self, *, at: datetime) -> None:
        self.released_at = at

    @transition(
        field=state,
        source=OrderState.RELEASED,
        target=OrderState.SHIPPED,
        permission="orders.fulfil_order",
        custom={"label": _("ship")},
    )
    def ship(self, *, at: datetime) -> None:
        self.shipped_at = at

    @transition(
        field=state,
        source=OrderState.SHIPPED,
        target=OrderState.DELIVERED,
        permission="orders.fulfil_order",
        custom={"label": _("mark delivered")},
    )
    def deliver(self, *, at: datetime) -> None:
        self.delivered_at = at

    @transition(
        field=state,
        source=OrderState.DELIVERED,
        target=OrderState.COMPLETED,
        permission="orders.fulfil_order",
        custom={"label": _("complete")},
    )
    def complete(self, *, at: datetime) -> None:
        self.completed_at = at

    @transition(
        field=state,
        source=OrderState.RELEASED,
        target=OrderState.CANCELLED,
        permission="orders.fulfil_order",
        custom={"label": _("accept the cancellation")},
        conditions=[_cancellation_requested],
    )
    def accept_cancellation(self, *, at: datetime) -> None:
        self.cancelled_at = at
        self.cancel_reason = self.cancellation_request_reason


class OrderLine(models.Model):
    """订单行: one SKU, its quantity and the price the channel charged."""

    # Not indexed on its own: the (order, position) constraint's index leads with it.
    order = models.ForeignKey(
        Order,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=_("order"),
        db_index=False,
    )
    position = models.PositiveSmallIntegerField(_("line"))
    sku = models.ForeignKey(
        Sku, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("SKU")
    )
    channel_sku_code = models.CharField(_("code as sent"), max_length=64)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = MoneyField(_("unit price"))
    list_price = MoneyField(_("listed price"))
    amount = MoneyField(_("amount"), help_text=_("Quantity × unit price."))
    discount_share = MoneyField(
        _("discount share"),
        default=Decimal("0.00"),
        help_text=_("This line's share of the order's discount (分摊)."),
    )

    class Meta:
        ordering = ["order", "position"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="orders_line_unique_pos"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_line_quantity_pos"),
            models.CheckConstraint(
                condition=Q(discount_share__gte=0) & Q(discount_share__lte=models.F("amount")),
                name="orders_line_discount_share_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order.number}/{self.position} {self.sku.code} × {self.quantity}"

    @property
    def net_amount(self) -> Decimal:
        """What the buyer pays for this line: its amount less its share of the discount."""
        return self.amount - self.discount_share


class OrderPush(models.Model):
    """A push received for an accepted order: the first, each repeat and each conflict."""

    class Outcome(models.TextChoices):
        CREATED = "created", _("Created the order")
        REPEATED = "repeated", _("Same order again")
        CONFLICT = "conflict", _("Refused: differs from the accepted order")

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="pushes", verbose_name=_("order")
    )
    source = models.CharField(_("source"), max_length=10, choices=OrderSource.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    payload_hash = models.CharField(_("payload hash"), max_length=64)
    differing_fields = models.JSONField(_("differing fields"), default=list, blank=True)

    class Meta:
        ordering = ["received_at", "pk"]
        verbose_name = _("push received")
        verbose_name_plural = _("pushes received")

    def __str__(self) -> str:
        return f"{self.order.number} {self.get_outcome_display()}"


class OrderImport(models.Model):
    """订单导入: one uploaded platform export, previewed and then imported all or nothing."""

    class State(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        IMPORTED = "imported", _("Imported")

    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="imports", verbose_name=_("channel")
    )
    file_name = models.CharField(_("file"), max_length=200)
    file_sha256 = models.CharField(_("file checksum"), max_length=64, db_index=True)
    content = models.TextField(pgettext_lazy("file", "content"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PREVIEWED
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    order_count = models.PositiveIntegerField(_("orders in the file"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    created_count = models.PositiveIntegerField(_("orders created"), default=0)
    skipped_count = models.PositiveIntegerField(_("orders already there"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("order import")
        verbose_name_plural = _("order imports")

    def __str__(self) -> str:
        return self.file_name

    def get_absolute_url(self) -> str:
        return reverse("orders:import_detail", args=[self.pk])
