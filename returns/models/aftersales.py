"""Returns, exchanges and after-sales service (退换货与售后).

- A ``ReturnRequest`` (退换货申请) is one customer's request about one order: a return for
  a refund, an exchange, or a refund without return. Its ``ReturnLine`` rows say which
  order lines and how many units; after inspection they also say what was restocked and
  what was written off. The state machine is DESIGN §5 (Return / exchange).
- A ``PhotoLink`` is a signed one-time link the customer opens on a phone to upload the
  ``ReturnPhoto`` pictures service asked for.
- An ``AfterSalesCase`` (售后工单) is one customer problem, with its ``Callback`` (回访)
  follow-up calls.
- A ``ReplyScript`` (话术) is a prepared answer of the service knowledge base, with its
  full history of changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from ecomops.accounts.fields import actor_field
from listings.models import Sku
from orders.models import Customer, Order, OrderLine
from warehouse.models import Location

USER = settings.AUTH_USER_MODEL
# The SLA policy of DESIGN §4 that runs from a return request to its review.
REVIEW_CLOCK = "return_review"


# --- Return requests ----------------------------------------------------------------------


class ReturnKind(models.TextChoices):
    RETURN = "return", _("Return for a refund")
    EXCHANGE = "exchange", pgettext_lazy("return kind", "Exchange")
    REFUND_ONLY = "refund_only", _("Refund without return")


class ReturnReason(models.TextChoices):
    DAMAGED = "damaged", _("Damaged in transit")
    DEFECTIVE = "defective", _("Defective or not working")
    WRONG_ITEM = "wrong_item", _("Wrong item sent")
    MISSING_PARTS = "missing_parts", _("Parts or accessories missing")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    WRONG_SIZE = "wrong_size", _("Wrong size or model ordered")
    CHANGED_MIND = "changed_mind", _("Changed mind (no reason)")
    LATE_DELIVERY = "late_delivery", _("Delivered too late")
    OTHER = "other", pgettext_lazy("return reason", "Other")


class ReturnState(models.TextChoices):
    NEW = "new", _("New")
    AWAITING_PHOTOS = "awaiting_photos", _("Photos awaited")
    IN_REVIEW = "in_review", _("To review")
    APPROVED = "approved", _("Approved, to confirm")
    AWAITING_GOODS = "awaiting_goods", _("Awaiting goods")
    RECEIVED = "received", _("Received, to inspect")
    REFUNDING = "refunding", _("Refund requested")
    REPLACING = "replacing", _("Replacement on its way")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired without goods")
    CANCELLED = "cancelled", _("Withdrawn")


# States in which a request still holds its units against the order's lines.
OPEN_RETURN_STATES = (
    ReturnState.NEW,
    ReturnState.AWAITING_PHOTOS,
    ReturnState.IN_REVIEW,
    ReturnState.APPROVED,
    ReturnState.AWAITING_GOODS,
    ReturnState.RECEIVED,
    ReturnState.REFUNDING,
    ReturnState.REPLACING,
)
REVIEW_STATES = (ReturnState.NEW, ReturnState.AWAITING_PHOTOS, ReturnState.IN_REVIEW)
WITHDRAWABLE_STATES = (*REVIEW_STATES, ReturnState.APPROVED, ReturnState.AWAITING_GOODS)


def _takes_goods_back(request: models.Model) -> bool:
    return getattr(request, "kind", None) != ReturnKind.REFUND_ONLY


def _is_refund_only(request: models.Model) -> bool:
    return getattr(request, "kind", None) == ReturnKind.REFUND_ONLY


def _is_return(request: models.Model) -> bool:
    return getattr(request, "kind", None) == ReturnKind.RETURN


def _is_exchange(request: models.Model) -> bool:
    return getattr(request, "kind", None) == ReturnKind.EXCHANGE


class ReturnRequest(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """退换货申请: what a customer wants back, exchanged or refunded, and how it went."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="return_requests", verbose_name=_("order")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="return_requests",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ReturnKind.choices)
    state = FSMField(
        _("state"), default=ReturnState.NEW, choices=ReturnState.choices, protected=True
    )
    reason = models.CharField(_("reason"), max_length=20, choices=ReturnReason.choices)
    reason_detail = models.TextField(_("in the customer's words"), blank=True)
    window_override_reason = models.CharField(
        _("why accepted after the return window"), max_length=300, blank=True
    )
    opened_at = models.DateTimeField(pgettext_lazy("returns", "opened"), db_index=True)
    opened_by = actor_field(_("opened by"))
    photos_requested_at = models.DateTimeField(_("photos asked for"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    approved_by = actor_field(_("approved by"))
    rejection_reason = models.CharField(_("rejection reason"), max_length=300, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = actor_field(_("confirmed by"))
    return_waybill = models.CharField(_("customer's return waybill"), max_length=40, blank=True)
    return_carrier = models.CharField(_("return carrier"), max_length=40, blank=True)
    waybill_recorded_at = models.DateTimeField(_("waybill recorded"), null=True, blank=True)
    goods_reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    received_at = models.DateTimeField(_("goods received"), null=True, blank=True)
    received_by = actor_field(_("received by"))
    inspected_at = models.DateTimeField(_("inspected"), null=True, blank=True)
    inspected_by = actor_field(_("inspected by"))
    refund_reference = models.CharField(
        pgettext_lazy("reference", "refund"), max_length=30, blank=True
    )
    replacement_order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replacement_for",
        verbose_name=_("replacement order"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    close_note = models.CharField(_("closing note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("return request")
        verbose_name_plural = _("return requests")
        permissions = [
            ("handle_return", _("Can open return requests and ask for photos")),
            ("approve_return", _("Can approve or reject return requests")),
            ("confirm_return", _("Can confirm approved return requests (shop manager)")),
            ("receive_return", _("Can receive and inspect returned goods")),
            ("override_return_window", _("Can accept a return after the return window")),
        ]
        indexes = [models.Index(fields=["state", "opened_at"], name="returns_request_queue")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="rejected") | ~Q(rejection_reason=""),
                name="returns_rejected_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("returns:request_detail", args=[self.pk])

    @property
    def needs_goods(self) -> bool:
        return self.kind != ReturnKind.REFUND_ONLY

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_RETURN_STATES

    # --- review by service ---

    @transition(
        field=state,
        source=ReturnState.NEW,
        target=ReturnState.AWAITING_PHOTOS,
        permission="returns.handle_return",
        custom={"label": _("ask for photos")},
    )
    def request_photos(self, *, at: datetime) -> None:
        self.photos_requested_at = at

    @transition(
        field=state,
        source=[ReturnState.NEW, ReturnState.AWAITING_PHOTOS],
        target=ReturnState.IN_REVIEW,
        custom={"label": _("photos received")},
    )
    def photos_received(self) -> None:
        """Pictures came in (from the customer's link or uploaded by staff)."""

    @transition(
        field=state,
        source=[ReturnState.NEW, ReturnState.IN_REVIEW],
        target=ReturnState.APPROVED,
        permission="returns.approve_return",
        custom={"label": _("approve")},
    )
    def approve(self, *, at: datetime, user: Any) -> None:
        self.reviewed_at = at
        self.approved_by = user

    @transition(
        field=state,
        source=list(REVIEW_STATES),
        target=ReturnState.REJECTED,
        permission="returns.approve_return",
        custom={"label": _("reject")},
    )
    def reject(self, *, at: datetime, why: str) -> None:
        self.reviewed_at = at
        self.rejection_reason = why

    # --- the shop manager's confirmation ---

    @transition(
        field=state,
        source=ReturnState.APPROVED,
        target=ReturnState.AWAITING_GOODS,
        conditions=[_takes_goods_back],
        permission="returns.confirm_return",
        custom={"label": _("confirm")},
    )
    def confirm(self, *, at: datetime, user: Any) -> None:
        self.confirmed_at = at
        self.confirmed_by = user

    @transition(
        field=state,
        source=ReturnState.APPROVED,
        target=ReturnState.REFUNDING,
        conditions=[_is_refund_only],
        permission="returns.confirm_return",
        custom={"label": _("confirm the refund")},
    )
    def confirm_refund(self, *, at: datetime, user: Any) -> None:
        self.confirmed_at = at
        self.confirmed_by = user

    # --- goods back in the warehouse ---

    @transition(
        field=state,
        source=ReturnState.AWAITING_GOODS,
        target=ReturnState.RECEIVED,
        permission="returns.receive_return",
        custom={"label": _("receive the goods")},
    )
    def receive(self, *, at: datetime, user: Any) -> None:
        self.received_at = at
        self.received_by = user

    @transition(
        field=state,
        source=ReturnState.RECEIVED,
        target=ReturnState.REFUNDING,
        conditions=[_is_return],
        permission="returns.receive_return",
        custom={"label": _("inspect")},
    )
    def inspect_for_refund(self, *, at: datetime, user: Any) -> None:
        self.inspected_at = at
        self.inspected_by = user

    @transition(
        field=state,
        source=ReturnState.RECEIVED,
        target=ReturnState.REPLACING,
        conditions=[_is_exchange],
        permission="returns.receive_return",
        custom={"label": _("inspect")},
    )
    def inspect_for_exchange(self, *, at: datetime, user: Any) -> None:
        self.inspected_at = at
        self.inspected_by = user

    @transition(
        field=state,
        source=ReturnState.RECEIVED,
        target=ReturnState.CLOSED,
        permission="returns.receive_return",
        custom={"label": _("inspect: nothing accepted")},
    )
    def inspect_nothing_accepted(self, *, at: datetime, user: Any, note: str) -> None:
        self.inspected_at = at
        self.inspected_by = user
        self.closed_at = at
        self.close_note = note

    # --- the end ---

    @transition(
        field=state,
        source=[ReturnState.REFUNDING, ReturnState.REPLACING],
        target=ReturnState.CLOSED,
        permission="returns.approve_return",
        custom={"label": _("close")},
    )
    def close(self, *, at: datetime, note: str) -> None:
        self.closed_at = at
        self.close_note = note

    @transition(
        field=state,
        source=ReturnState.AWAITING_GOODS,
        target=ReturnState.EXPIRED,
        custom={"label": _("expire")},
    )
    def expire(self, *, at: datetime, note: str) -> None:
        self.closed_at = at
        self.close_note = note

    @transition(
        field=state,
        source=list(WITHDRAWABLE_STATES),
        target=ReturnState.CANCELLED,
        permission="returns.handle_return",
        custom={"label": _("withdraw")},
    )
    def withdraw(self, *, at: datetime, note: str) -> None:
        self.closed_at = at
        self.close_note = note


class ReturnLine(models.Model):
    """Units of one order line in a return request, and what inspection made of them."""

    request = models.ForeignKey(
        ReturnRequest,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=_("return request"),
    )
    order_line = models.ForeignKey(
        OrderLine,
        on_delete=models.PROTECT,
        related_name="return_lines",
        verbose_name=pgettext_lazy("order line", "line"),
    )
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    restocked_quantity = models.PositiveIntegerField(_("restocked"), default=0)
    restock_location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("restocked into"),
    )
    written_off_quantity = models.PositiveIntegerField(_("written off"), default=0)
    write_off_reason = models.CharField(_("write-off reason"), max_length=300, blank=True)
    inspection_note = models.CharField(_("inspection note"), max_length=300, blank=True)

    class Meta:
        ordering = ["request", "order_line__position"]
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "order_line"], name="returns_one_line_per_order_line"
            ),
            models.CheckConstraint(
                condition=Q(
                    restocked_quantity__lte=models.F("quantity") - models.F("written_off_quantity")
                ),
                name="returns_inspected_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(written_off_quantity=0) | ~Q(write_off_reason=""),
                name="returns_write_off_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request.number} {self.sku.code} × {self.quantity}"

    @property
    def accepted_quantity(self) -> int:
        """Units taken back: restocked or written off (the rest were refused or never came)."""
        return self.restocked_quantity + self.written_off_quantity


def return_photo_path(photo: ReturnPhoto, filename: str) -> str:
    return f"returns/{photo.request.number}/{filename}"


class ReturnPhoto(models.Model):
    """A picture of the goods, from the customer's link or uploaded by service."""

    request = models.ForeignKey(
        ReturnRequest,
        on_delete=models.CASCADE,
        related_name="photos",
        verbose_name=_("return request"),
    )
    image = models.ImageField(
        _("picture"), upload_to=return_photo_path, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(_("width (px)"), default=0, editable=False)
    height = models.PositiveIntegerField(_("height (px)"), default=0, editable=False)
    # The type Pillow read from the bytes (the file is stored and served as that); the
    # sender's file name, cleaned, only to show. Empty on photos from before both were kept.
    content_type = models.CharField(_("file type"), max_length=50, blank=True, editable=False)
    name = models.CharField(_("file name"), max_length=200, blank=True, editable=False)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    uploaded_by = actor_field(_("uploaded by"))
    via_link = models.BooleanField(_("sent by the customer"), default=False)

    class Meta:
        ordering = ["request", "uploaded_at", "pk"]
        verbose_name = _("return photo")
        verbose_name_plural = _("return photos")

    def __str__(self) -> str:
        return f"{self.request.number} #{self.pk}"


class PhotoLink(models.Model):
    """A signed link the customer opens once to send photos; only its hash is kept."""

    request = models.ForeignKey(
        ReturnRequest,
        on_delete=models.CASCADE,
        related_name="photo_links",
        verbose_name=_("return request"),
    )
    token_hash = models.CharField(_("link token hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = actor_field(_("created by"))
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("photo link")
        verbose_name_plural = _("photo links")

    def __str__(self) -> str:
        return f"{self.request.number} {self.created_at:%Y-%m-%d %H:%M}"


# --- After-sales cases and callbacks -----------------------------------------------------


class CaseState(models.TextChoices):
    OPEN = "open", pgettext_lazy("case state", "Open")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class CaseCategory(models.TextChoices):
    QUALITY = "quality", _("Product quality")
    DELIVERY = "delivery", _("Delivery and logistics")
    INSTALLATION = "installation", _("Installation and use")
    INVOICE = "invoice", _("Invoice")
    RETURN = "return", _("Return or exchange")
    COMPLAINT = "complaint", _("Complaint about service")
    OTHER = "other", pgettext_lazy("case category", "Other")


class AfterSalesCase(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """售后工单: one customer problem, from its report to its resolution."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="cases", verbose_name=_("customer")
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("order"),
    )
    return_request = models.ForeignKey(
        ReturnRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("return request"),
    )
    category = models.CharField(
        pgettext_lazy("classification", "category"), max_length=20, choices=CaseCategory.choices
    )
    state = FSMField(_("status"), default=CaseState.OPEN, choices=CaseState.choices, protected=True)
    problem = models.TextField(_("problem"))
    cause = models.TextField(_("cause"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    owner = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        related_name="owned_cases",
        verbose_name=pgettext_lazy("case", "owner"),
    )
    opened_at = models.DateTimeField(pgettext_lazy("returns", "opened"), db_index=True)
    opened_by = actor_field(_("opened by"))
    resolved_at = models.DateTimeField(pgettext_lazy("returns", "resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("after-sales case")
        verbose_name_plural = _("after-sales cases")
        permissions = [("handle_case", _("Can open and work on after-sales cases"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="open") | ~Q(resolution=""),
                name="returns_case_resolved_has_resolution",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("returns:case_detail", args=[self.pk])

    @transition(
        field=state,
        source=CaseState.OPEN,
        target=CaseState.RESOLVED,
        permission="returns.handle_case",
        custom={"label": _("resolve")},
    )
    def resolve(self, *, at: datetime, cause: str, resolution: str) -> None:
        self.resolved_at = at
        self.cause = cause
        self.resolution = resolution

    @transition(
        field=state,
        source=CaseState.RESOLVED,
        target=CaseState.CLOSED,
        permission="returns.handle_case",
        custom={"label": _("close")},
    )
    def close(self, *, at: datetime) -> None:
        self.closed_at = at

    @transition(
        field=state,
        source=[CaseState.RESOLVED, CaseState.CLOSED],
        target=CaseState.OPEN,
        permission="returns.handle_case",
        custom={"label": _("reopen")},
    )
    def reopen(self) -> None:
        self.resolved_at = None
        self.closed_at = None


class CallbackOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("Reached: satisfied")
    NOT_SATISFIED = "not_satisfied", _("Reached: not satisfied")
    NO_ANSWER = "no_answer", _("No answer")
    WRONG_NUMBER = "wrong_number", _("Wrong number")


class Callback(models.Model):
    """回访: a follow-up call scheduled with a customer; the owner is reminded when it is due."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="callbacks", verbose_name=_("customer")
    )
    case = models.ForeignKey(
        AfterSalesCase,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="callbacks",
        verbose_name=_("case"),
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callbacks",
        verbose_name=_("order"),
    )
    purpose = models.CharField(_("purpose"), max_length=300)
    scheduled_at = models.DateTimeField(_("call at"), db_index=True)
    owner = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        related_name="callbacks",
        verbose_name=pgettext_lazy("case", "owner"),
    )
    created_by = actor_field(_("scheduled by"))
    created_at = models.DateTimeField(_("scheduled"), auto_now_add=True)
    reminded_at = models.DateTimeField(_("owner reminded"), null=True, blank=True)
    done_at = models.DateTimeField(_("called"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=CallbackOutcome.choices, blank=True
    )
    outcome_note = models.TextField(_("what the customer said"), blank=True)

    class Meta:
        ordering = ["scheduled_at", "pk"]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        indexes = [
            models.Index(fields=["done_at", "scheduled_at"], name="returns_callback_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | ~Q(outcome=""),
                name="returns_callback_done_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.scheduled_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("returns:callback_detail", args=[self.pk])

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


# --- Reply scripts -------------------------------------------------------------------------


class ScriptCategory(models.TextChoices):
    PRODUCT = "product", _("Product questions")
    PRICE = "price", _("Prices and promotions")
    ORDER = "order", _("Ordering and payment")
    SHIPPING = "shipping", _("Shipping and delivery")
    INVOICE = "invoice", _("Invoices")
    RETURN = "return", _("Returns and exchanges")
    AFTERSALES = "aftersales", _("Repairs and warranty")
    COMPLAINT = "complaint", _("Complaints")


class ScriptAudience(models.TextChoices):
    PRESALES = "presales", _("Pre-sales")
    AFTERSALES = "aftersales", _("After-sales")
    BOTH = "both", _("Pre- and after-sales")


class ReplyScript(models.Model):
    """话术: a prepared answer service staff give to a customer's question."""

    category = models.CharField(
        pgettext_lazy("classification", "category"), max_length=20, choices=ScriptCategory.choices
    )
    audience = models.CharField(
        _("for"), max_length=12, choices=ScriptAudience.choices, default=ScriptAudience.BOTH
    )
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"))
    active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(_("changed"), db_index=True)
    updated_by = actor_field(_("changed by"))
    history = HistoricalRecords(
        verbose_name=_("reply script version"), verbose_name_plural=_("reply script history")
    )

    class Meta:
        ordering = ["category", "question"]
        verbose_name = _("reply script")
        verbose_name_plural = _("reply scripts")
        permissions = [("edit_replyscript", _("Can write and change reply scripts"))]

    def __str__(self) -> str:
        return self.question

    def get_absolute_url(self) -> str:
        return reverse("returns:script_detail", args=[self.pk])
