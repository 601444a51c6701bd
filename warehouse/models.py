"""Stock, delivery notes, cutoff batches, waves, parcels and carriers (DESIGN §5, Fulfilment).

Stock is a ledger: every change is a ``StockMove``; ``StockBalance`` holds on-hand and
reserved per SKU and location, updated in the same transaction as the move, and the
database refuses a balance below zero or more reserved than on hand.

An order's way through the warehouse: the parts admin issues its ``DeliveryNote`` (stock
reserved) → a cutoff ``Batch`` releases it into a ``Wave`` with a pick list → picked and
sorted → packed into a ``Parcel`` (scan-checked) → handed to the carrier on a ``Manifest``
→ ``CarrierEvent`` pushes until delivered.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from listings.models import Sku
from orders.models import Order, OrderLine, new_channel_secret


class Carrier(models.Model):
    """快递公司: a carrier with its e-waybill accounts (``WaybillAccount``) and its signing
    secret."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    secret = models.CharField(
        _("signing secret"),
        max_length=128,
        default=new_channel_secret,
        help_text=_("Shared with the carrier; its event pushes are signed with HMAC-SHA256."),
    )
    tracking_url = models.CharField(
        _("tracking URL"),
        max_length=200,
        blank=True,
        help_text=_("With {waybill} where the waybill number goes."),
    )
    pickup_time = models.TimeField(_("pick-up time"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    cancelled_waybills = models.CharField(
        _("numbers of cancelled parcels"),
        max_length=10,
        choices=[("return", _("returned to stock")), ("void", _("voided"))],
        default="return",  # CancelledWaybills, declared below with the accounts
        help_text=_(
            "What the carrier does with the waybill number of a parcel cancelled before "
            "hand-over: back into the account's stock, or voided for good."
        ),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")

    def __str__(self) -> str:
        return self.name


class Warehouse(models.Model):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=300)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    default_carrier = models.ForeignKey(
        Carrier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default carrier"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    """库位: a bin; pickers walk the bins in ``walk_order``."""

    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="locations", verbose_name=_("warehouse")
    )
    code = models.CharField(_("code"), max_length=20)
    zone = models.CharField(_("zone"), max_length=20, blank=True)
    walk_order = models.PositiveIntegerField(_("walking order"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["warehouse", "walk_order", "code"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "code"], name="warehouse_location_code")
        ]

    def __str__(self) -> str:
        return self.code


class StockBalance(models.Model):
    """On hand and reserved of one SKU in one location: kept by the ledger, never edited."""

    sku = models.ForeignKey(
        Sku, on_delete=models.PROTECT, related_name="stock_balances", verbose_name=_("SKU")
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="balances", verbose_name=_("location")
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)

    class Meta:
        ordering = ["sku", "location"]
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        constraints = [
            models.UniqueConstraint(fields=["sku", "location"], name="warehouse_balance_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="warehouse_on_hand_gte_0"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="warehouse_reserved_gte_0"),
            models.CheckConstraint(
                condition=Q(reserved__lte=models.F("on_hand")),
                name="warehouse_reserved_lte_on_hand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}@{self.location_id}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class MoveKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    RESERVATION = "reservation", _("Reservation")
    RELEASE = "release", _("Reservation released")
    PICK = "pick", _("Pick")
    RETURN = "return", _("Return to stock")
    ADJUSTMENT = "adjustment", _("Adjustment")
    WRITE_OFF = "write_off", _("Write-off")


class StockMove(models.Model):
    """库存流水: one line of the stock ledger."""

    kind = models.CharField(_("kind"), max_length=20, choices=MoveKind.choices)
    sku = models.ForeignKey(
        Sku, on_delete=models.PROTECT, related_name="stock_moves", verbose_name=_("SKU")
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="moves", verbose_name=_("location")
    )
    on_hand_change = models.IntegerField(_("on hand change"), default=0)
    reserved_change = models.IntegerField(_("reserved change"), default=0)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    delivery_note = models.ForeignKey(
        "DeliveryNote",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_moves",
        verbose_name=_("delivery note"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        permissions = [
            ("receive_stock", _("Can receive stock")),
            ("adjust_stock", _("Can adjust stock with a reason")),
        ]
        indexes = [models.Index(fields=["sku", "location"], name="warehouse_move_sku_loc")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | ~Q(reason=""),
                name="warehouse_adjustment_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(kind="write_off") | ~Q(reason=""),
                name="warehouse_write_off_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.sku_id} {self.on_hand_change:+d}"


class StockHold(models.Model):
    """缺货: an order the parts admin could not allocate, with what is missing."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="stock_holds", verbose_name=_("order")
    )
    shortfall = models.JSONField(_("shortfall"), default=list)
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=200, blank=True)

    class Meta:
        ordering = ["opened_at"]
        verbose_name = _("stock hold")
        verbose_name_plural = _("stock holds")
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(resolved_at__isnull=True),
                name="warehouse_one_open_stock_hold",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id}"


class BatchState(models.TextChoices):
    RELEASING = "releasing", _("Releasing")
    RELEASED = "released", _("Released")
    DONE = "done", _("Handed over")


class Batch(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """截单批次: a cutoff batch, identified by (date, slot); released once.

    Cut (the row exists, its notes are being released) → released (waves and pick lists
    out, the batch-processed clock running) → handed over (every note shipped or cancelled).
    """

    batch_date = models.DateField(_("batch date"))
    slot = models.PositiveSmallIntegerField(_("slot"))
    state = FSMField(
        _("state"),
        max_length=20,
        choices=BatchState.choices,
        default=BatchState.RELEASING,
        protected=True,
    )
    cut_at = models.DateTimeField(_("cut at"))
    started_at = models.DateTimeField(_("release started"), auto_now_add=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    note_count = models.PositiveIntegerField(_("delivery notes"), default=0)
    late_count = models.PositiveIntegerField(_("late"), default=0)
    rolled_over_count = models.PositiveIntegerField(_("rolled over"), default=0)
    done_at = models.DateTimeField(_("handed over"), null=True, blank=True)

    class Meta:
        ordering = ["-batch_date", "-slot"]
        verbose_name = _("cutoff batch")
        verbose_name_plural = _("cutoff batches")
        permissions = [("release_batch", _("Can release a cutoff batch by hand"))]
        constraints = [
            models.UniqueConstraint(fields=["batch_date", "slot"], name="warehouse_batch_unique")
        ]

    def __str__(self) -> str:
        return f"{self.batch_date:%Y-%m-%d} {self.slot:02d}:00"

    def get_absolute_url(self) -> str:
        return reverse("warehouse:batch_detail", args=[self.pk])

    @transition(
        field=state,
        source=BatchState.RELEASING,
        target=BatchState.RELEASED,
        permission="warehouse.release_batch",
        custom={"label": _("release")},
    )
    def release(self, *, at: datetime, released_by: Any, note_count: int) -> None:
        self.released_at = at
        self.released_by = released_by
        self.note_count = note_count

    @transition(
        field=state,
        source=BatchState.RELEASED,
        target=BatchState.DONE,
        permission="warehouse.release_batch",
        custom={"label": _("close as handed over")},
    )
    def hand_over(self, *, at: datetime) -> None:
        self.done_at = at


class WaveState(models.TextChoices):
    PICKING = "picking", _("Picking")
    PICKED = "picked", _("Picked")
    SORTED = "sorted", _("Sorted")
    DONE = "done", _("Packed")


class Wave(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """波次: part of a batch for one carrier, picked from one pick list."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, related_name="waves", verbose_name=_("batch")
    )
    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="waves", verbose_name=_("carrier")
    )
    state = FSMField(
        _("state"), default=WaveState.PICKING, choices=WaveState.choices, protected=True
    )
    note_count = models.PositiveIntegerField(_("delivery notes"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    picked_at = models.DateTimeField(_("picked"), null=True, blank=True)
    sorted_at = models.DateTimeField(_("sorted"), null=True, blank=True)
    done_at = models.DateTimeField(_("packed"), null=True, blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("wave")
        verbose_name_plural = _("waves")
        permissions = [("pick_wave", _("Can pick and sort waves"))]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("warehouse:wave_detail", args=[self.pk])

    @transition(
        field=state,
        source=WaveState.PICKING,
        target=WaveState.PICKED,
        permission="warehouse.pick_wave",
        custom={"label": _("finish picking")},
    )
    def finish_picking(self, *, at: datetime) -> None:
        self.picked_at = at

    @transition(
        field=state,
        source=WaveState.PICKED,
        target=WaveState.SORTED,
        permission="warehouse.pick_wave",
        custom={"label": _("finish sorting")},
    )
    def sort(self, *, at: datetime) -> None:
        self.sorted_at = at

    @transition(
        field=state,
        source=WaveState.SORTED,
        target=WaveState.DONE,
        custom={"label": _("finish packing")},
    )
    def finish(self, *, at: datetime) -> None:
        self.done_at = at


class PickLine(models.Model):
    """拣货单行: one SKU from one bin for a whole wave, confirmed by the picker."""

    wave = models.ForeignKey(
        Wave, on_delete=models.CASCADE, related_name="pick_lines", verbose_name=_("wave")
    )
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("location")
    )
    walk_order = models.PositiveIntegerField(_("walking order"))
    quantity = models.PositiveIntegerField(_("to pick"))
    picked_quantity = models.PositiveIntegerField(_("picked"), null=True, blank=True)
    short_reason = models.CharField(_("short pick reason"), max_length=200, blank=True)
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("picked by"),
    )
    picked_at = models.DateTimeField(_("picked"), null=True, blank=True)

    class Meta:
        ordering = ["wave", "walk_order", "location__code", "sku__code"]
        verbose_name = _("pick line")
        verbose_name_plural = _("pick lines")
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "sku", "location"], name="warehouse_pickline_unique"
            ),
            models.CheckConstraint(
                condition=Q(picked_quantity__isnull=True)
                | Q(picked_quantity__lte=models.F("quantity")),
                name="warehouse_pickline_not_over",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.wave_id} {self.sku_id}@{self.location_id}"

    @property
    def short_quantity(self) -> int:
        if self.picked_quantity is None:
            return 0
        return self.quantity - self.picked_quantity


class NoteState(models.TextChoices):
    WAITING = "waiting", _("Waiting for stock")
    ALLOCATED = "allocated", _("Allocated")
    RELEASED = "released", _("Released")
    PICKED = "picked", _("Picked and sorted")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


NOTE_OPEN_STATES = (
    NoteState.WAITING,
    NoteState.ALLOCATED,
    NoteState.RELEASED,
    NoteState.PICKED,
    NoteState.PACKED,
)


class DeliveryNote(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """出库单: what the warehouse ships for an order; a split order has two."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="delivery_notes", verbose_name=_("order")
    )
    part = models.PositiveSmallIntegerField(_("part"), default=1)
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="notes", verbose_name=_("warehouse")
    )
    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="notes", verbose_name=_("carrier")
    )
    state = FSMField(
        _("state"), default=NoteState.ALLOCATED, choices=NoteState.choices, protected=True
    )
    batch = models.ForeignKey(
        Batch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notes",
        verbose_name=_("batch"),
    )
    wave = models.ForeignKey(
        Wave,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notes",
        verbose_name=_("wave"),
        db_index=False,  # led by warehouse_note_wave_state
    )
    parcel = models.ForeignKey(
        "Parcel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notes",
        verbose_name=_("parcel"),
    )
    merge_key = models.CharField(_("merge key"), max_length=80, blank=True, db_index=True)
    merged = models.BooleanField(_("merged parcel"), default=False)
    late = models.BooleanField(_("late"), default=False)
    short = models.BooleanField(
        _("short picked"),
        default=False,
        help_text=_("Picked short; waits for the parts admin before packing."),
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    allocated_at = models.DateTimeField(_("allocated"), null=True, blank=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    picked_at = models.DateTimeField(_("picked"), null=True, blank=True)
    packed_at = models.DateTimeField(_("packed"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("delivery note")
        verbose_name_plural = _("delivery notes")
        permissions = [("allocate_stock", _("Can allocate stock and issue delivery notes"))]
        indexes = [
            models.Index(fields=["state", "batch"], name="warehouse_note_state_batch"),
            # A parcel's close asks whether its wave has notes still open: one index scan
            # however many notes the day has in those states.
            models.Index(fields=["wave", "state"], name="warehouse_note_wave_state"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["order", "part"], name="warehouse_note_order_part")
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("warehouse:note_detail", args=[self.pk])

    @transition(
        field=state,
        source=NoteState.WAITING,
        target=NoteState.ALLOCATED,
        permission="warehouse.allocate_stock",
        custom={"label": _("allocate")},
    )
    def allocate(self, *, at: datetime) -> None:
        self.allocated_at = at

    @transition(
        field=state,
        source=NoteState.ALLOCATED,
        target=NoteState.RELEASED,
        custom={"label": _("release")},
    )
    def release(self, *, at: datetime, batch_id: int, late: bool) -> None:
        self.released_at = at
        self.batch_id = batch_id
        self.late = late

    @transition(
        field=state,
        source=NoteState.RELEASED,
        target=NoteState.PICKED,
        permission="warehouse.pick_wave",
        custom={"label": _("sort")},
    )
    def pick(self, *, at: datetime) -> None:
        self.picked_at = at

    @transition(
        field=state,
        source=NoteState.PICKED,
        target=NoteState.PACKED,
        permission="warehouse.pack_parcel",
        custom={"label": _("pack")},
    )
    def pack(self, *, at: datetime, parcel: Parcel) -> None:
        self.packed_at = at
        self.parcel = parcel

    @transition(
        field=state,
        source=NoteState.PACKED,
        target=NoteState.SHIPPED,
        permission="warehouse.ship_parcel",
        custom={"label": _("ship")},
    )
    def ship(self, *, at: datetime) -> None:
        self.shipped_at = at

    @transition(
        field=state,
        source=NoteState.SHIPPED,
        target=NoteState.DELIVERED,
        custom={"label": _("mark delivered")},
    )
    def deliver(self, *, at: datetime) -> None:
        self.delivered_at = at

    @transition(
        field=state,
        source=list(NOTE_OPEN_STATES),
        target=NoteState.CANCELLED,
        custom={"label": _("cancel")},
    )
    def cancel(self, *, at: datetime, why: str) -> None:
        self.cancelled_at = at
        self.cancel_reason = why


class DeliveryNoteLine(models.Model):
    note = models.ForeignKey(
        DeliveryNote,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=pgettext_lazy("delivery note", "note"),
    )
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="+", verbose_name=_("order line")
    )
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("location"),
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    short_quantity = models.PositiveIntegerField(_("short"), default=0)
    packed_quantity = models.PositiveIntegerField(_("packed"), default=0)

    class Meta:
        ordering = ["note", "order_line__position", "pk"]
        verbose_name = _("delivery note line")
        verbose_name_plural = _("delivery note lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="warehouse_noteline_qty"),
            models.CheckConstraint(
                condition=Q(packed_quantity__lte=models.F("quantity") - models.F("short_quantity")),
                name="warehouse_noteline_not_overpacked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.note_id} {self.sku_id} x{self.quantity}"

    @property
    def to_pack(self) -> int:
        return self.quantity - self.short_quantity


class ParcelState(models.TextChoices):
    PACKED = "packed", _("Packed")
    HANDED_OVER = "handed_over", _("Handed to the carrier")
    IN_TRANSIT = "in_transit", _("In transit")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Delivery exception")
    CANCELLED = "cancelled", _("Cancelled")


def _on_manifest(parcel: models.Model) -> bool:
    """A parcel is handed over on a manifest the courier signs, never on its own."""
    return getattr(parcel, "manifest_id", None) is not None


class Parcel(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """包裹: what the packer closed, with its waybill; may hold merged orders.

    Packed → handed over (on a signed manifest) → in transit → delivered, or a delivery
    exception on the way (which may go on in transit or be delivered after all); a packed
    parcel whose orders are cancelled is cancelled.
    """

    number = models.CharField(_("number"), max_length=30, unique=True)
    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="parcels", verbose_name=_("carrier")
    )
    waybill_number = models.CharField(_("waybill number"), max_length=40)
    weight_grams = models.PositiveIntegerField(_("weight (g)"), validators=[MinValueValidator(1)])
    state = FSMField(
        _("state"),
        max_length=20,
        choices=ParcelState.choices,
        default=ParcelState.PACKED,
        protected=True,
    )
    manifest = models.ForeignKey(
        "Manifest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parcels",
        verbose_name=_("manifest"),
    )
    inserts = models.JSONField(_("documents put in"), default=list, blank=True)
    packed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("packed by"),
    )
    packed_at = models.DateTimeField(_("packed"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_event = models.CharField(_("last event"), max_length=300, blank=True)
    waybill_account = models.ForeignKey(
        "WaybillAccount",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parcels",
        verbose_name=_("e-waybill account"),
    )

    class Meta:
        ordering = ["-packed_at", "-pk"]
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")
        permissions = [
            ("pack_parcel", _("Can pack parcels")),
            ("ship_parcel", _("Can hand parcels to carriers")),
            ("track_parcel", _("Can record a parcel's transit, delivery or exception by hand")),
        ]
        constraints = [
            # a cancelled parcel's number may go back into stock and onto another parcel
            models.UniqueConstraint(
                fields=["carrier", "waybill_number"],
                condition=~Q(state="cancelled"),
                name="warehouse_parcel_waybill_live",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.waybill_number})"

    def tracking_url(self) -> str:
        template = self.carrier.tracking_url
        return template.replace("{waybill}", self.waybill_number) if template else ""

    @transition(
        field=state,
        source=ParcelState.PACKED,
        target=ParcelState.HANDED_OVER,
        conditions=[_on_manifest],
        permission="warehouse.ship_parcel",
        custom={"label": _("hand over")},
    )
    def hand_over(self) -> None:
        pass

    @transition(
        field=state,
        source=[ParcelState.HANDED_OVER, ParcelState.EXCEPTION],
        target=ParcelState.IN_TRANSIT,
        permission="warehouse.track_parcel",
        custom={"label": _("mark in transit")},
    )
    def transit(self, *, event: str) -> None:
        self.last_event = event[:300]

    @transition(
        field=state,
        source=[ParcelState.HANDED_OVER, ParcelState.IN_TRANSIT, ParcelState.EXCEPTION],
        target=ParcelState.DELIVERED,
        permission="warehouse.track_parcel",
        custom={"label": _("mark delivered")},
    )
    def deliver(self, *, at: datetime, event: str) -> None:
        self.delivered_at = at
        self.last_event = event[:300]

    @transition(
        field=state,
        source=[ParcelState.HANDED_OVER, ParcelState.IN_TRANSIT, ParcelState.EXCEPTION],
        target=ParcelState.EXCEPTION,
        permission="warehouse.track_parcel",
        custom={"label": _("report a delivery exception")},
    )
    def report_exception(self, *, event: str) -> None:
        self.last_event = event[:300]

    @transition(
        field=state,
        source=ParcelState.PACKED,
        target=ParcelState.CANCELLED,
        custom={"label": _("cancel")},
    )
    def cancel(self) -> None:
        self.manifest = None


class PackScan(models.Model):
    """One scan at the pack station, accepted or refused."""

    note = models.ForeignKey(
        DeliveryNote,
        on_delete=models.CASCADE,
        related_name="scans",
        verbose_name=pgettext_lazy("delivery note", "note"),
    )
    code = models.CharField(_("scanned"), max_length=64)
    sku = models.ForeignKey(
        Sku, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("SKU")
    )
    accepted = models.BooleanField(pgettext_lazy("scan", "accepted"))
    message = models.CharField(pgettext_lazy("scan", "message"), max_length=300, blank=True)
    scanned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    scanned_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-scanned_at", "-pk"]
        verbose_name = _("pack scan")
        verbose_name_plural = _("pack scans")

    def __str__(self) -> str:
        return self.code


class ManifestState(models.TextChoices):
    OPEN = "open", pgettext_lazy("manifest state", "Open")
    SIGNED = "signed", _("Handed over")


class Manifest(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """交接单: the parcels one carrier's courier takes, counted and signed for.

    Open (packed parcels join it) → handed over (the courier counted and signed).
    """

    State = ManifestState

    number = models.CharField(_("number"), max_length=30, unique=True)
    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="manifests", verbose_name=_("carrier")
    )
    state = FSMField(
        _("state"),
        max_length=10,
        choices=ManifestState.choices,
        default=ManifestState.OPEN,
        protected=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    courier_name = models.CharField(_("courier"), max_length=100, blank=True)
    counted_parcels = models.PositiveIntegerField(_("parcels counted"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("hand-over manifest")
        verbose_name_plural = _("hand-over manifests")
        constraints = [
            models.UniqueConstraint(
                fields=["carrier"], condition=Q(state="open"), name="warehouse_one_open_manifest"
            )
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("warehouse:manifest_detail", args=[self.pk])

    @transition(
        field=state,
        source=ManifestState.OPEN,
        target=ManifestState.SIGNED,
        permission="warehouse.ship_parcel",
        custom={"label": _("sign the hand-over")},
    )
    def sign(self, *, at: datetime, courier_name: str, counted: int) -> None:
        self.courier_name = courier_name
        self.counted_parcels = counted
        self.signed_at = at


class CarrierEventKind(models.TextChoices):
    IN_TRANSIT = "in_transit", _("In transit")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Exception")


class CarrierEvent(models.Model):
    """物流反馈: one tracking event pushed by a carrier, recorded once."""

    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="events", verbose_name=_("carrier")
    )
    event_id = models.CharField(_("event id"), max_length=64)
    parcel = models.ForeignKey(
        Parcel, on_delete=models.PROTECT, related_name="events", verbose_name=_("parcel")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CarrierEventKind.choices)
    occurred_at = models.DateTimeField(_("occurred"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("carrier event")
        verbose_name_plural = _("carrier events")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "event_id"], name="warehouse_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.carrier_id}:{self.event_id}"


def batch_key_before(batch_date: date, slot: int, prefix: str = "") -> Q:
    """Rows whose (batch date, slot) is at or before the given batch."""
    return Q(**{f"{prefix}batch_date__lt": batch_date}) | Q(
        **{f"{prefix}batch_date": batch_date, f"{prefix}batch_slot__lte": slot}
    )


# --- Shipment confirmation (发货回传) ------------------------------------------------------------


class ConfirmationPlatform(models.TextChoices):
    """Whose bulk-shipping file (批量发货) a channel without a callback URL gets."""

    TAOBAO = "taobao", _("Taobao / Tmall")
    JD = "jd", _("JD")
    PINDUODUO = "pinduoduo", _("Pinduoduo")
    DOUYIN = "douyin", _("Douyin shop")


class PlatformCarrierName(models.Model):
    """平台物流公司名称: what a platform calls one of our carriers in its bulk-shipping file
    (Taobao's 物流公司 column takes its own list of names, not our codes)."""

    platform = models.CharField(_("platform"), max_length=20, choices=ConfirmationPlatform.choices)
    carrier_code = models.SlugField(
        _("carrier code"), max_length=20, help_text=_("Our carrier's code, e.g. ZTO.")
    )
    name = models.CharField(_("name on the platform"), max_length=100)

    class Meta:
        ordering = ["platform", "carrier_code"]
        verbose_name = _("platform carrier name")
        verbose_name_plural = _("platform carrier names")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "carrier_code"], name="warehouse_platform_carrier_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()}: {self.name}"


class ConfirmationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be confirmed")
    FAILED = "failed", _("Not confirmed")
    CONFIRMED = "confirmed", pgettext_lazy("shipment confirmation", "Confirmed")


class ConfirmationMethod(models.TextChoices):
    CALLBACK = "callback", _("Signed callback")
    FILE = "file", _("Bulk-shipping file")


class ConfirmationExport(models.Model):
    """One bulk-shipping file downloaded for a channel: what it held, kept to download again."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    channel = models.ForeignKey(
        "orders.Channel",
        on_delete=models.PROTECT,
        related_name="confirmation_exports",
        verbose_name=_("channel"),
    )
    platform = models.CharField(_("platform"), max_length=20, choices=ConfirmationPlatform.choices)
    filename = models.CharField(_("file name"), max_length=100)
    content_type = models.CharField(_("content type"), max_length=100)
    content = models.BinaryField(_("content"))
    row_count = models.PositiveIntegerField(_("rows"))
    created_at = models.DateTimeField(_("downloaded"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("downloaded by"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("bulk-shipping file")
        verbose_name_plural = _("bulk-shipping files")

    def __str__(self) -> str:
        return self.number


class ShipmentConfirmation(models.Model):
    """发货回传: an outbox row telling an order's channel that it shipped, with the carrier
    and waybill numbers of its parcels on one signed manifest.

    Written with the hand-over in its transaction; delivered by Celery (a signed POST to
    the channel's callback URL, retried with backoff) or by the channel's bulk-shipping file
    downloaded from the portal. ``status`` is the outbox's delivery status, not a business
    process: pending → confirmed, or failed after the last retry (the not-confirmed queue),
    from where a person retries or marks it done by hand.
    """

    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        related_name="shipment_confirmations",
        verbose_name=_("order"),
    )
    channel = models.ForeignKey(
        "orders.Channel",
        on_delete=models.PROTECT,
        related_name="shipment_confirmations",
        verbose_name=_("channel"),
    )
    manifest = models.ForeignKey(
        Manifest,
        on_delete=models.PROTECT,
        related_name="confirmations",
        verbose_name=_("manifest"),
    )
    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="+", verbose_name=_("carrier")
    )
    method = models.CharField(_("method"), max_length=10, choices=ConfirmationMethod.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ConfirmationStatus.choices,
        default=ConfirmationStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    by_hand_reason = models.CharField(_("marked done by hand because"), max_length=300, blank=True)
    export = models.ForeignKey(
        ConfirmationExport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="confirmations",
        verbose_name=_("bulk-shipping file"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("shipment confirmation")
        verbose_name_plural = _("shipment confirmations")
        permissions = [
            ("confirm_shipment", _("Can retry, mark done and download shipment confirmations"))
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "manifest"], name="warehouse_confirmation_once_per_manifest"
            )
        ]
        indexes = [
            # The sweep: pending callbacks by due attempt.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending", method="callback"),
                name="warehouse_confirmation_due",
            ),
            models.Index(fields=["channel", "status"], name="warehouse_confirmation_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}@{self.manifest_id}"


class ConfirmationAttempt(models.Model):
    """One delivery attempt of a confirmation: when, the channel's HTTP status, the error."""

    confirmation = models.ForeignKey(
        ShipmentConfirmation,
        on_delete=models.CASCADE,
        related_name="attempt_log",
        verbose_name=_("shipment confirmation"),
    )
    attempted_at = models.DateTimeField(_("when"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    ok = models.BooleanField(_("accepted"))
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        ordering = ["attempted_at", "pk"]
        verbose_name = _("confirmation attempt")
        verbose_name_plural = _("confirmation attempts")

    def __str__(self) -> str:
        return f"{self.confirmation_id} {self.attempted_at:%Y-%m-%d %H:%M:%S}"


# -- e-waybill accounts, number stock, carrier rules, sorting codes (issue 21 §2, §3) --


class CancelledWaybills(models.TextChoices):
    """What a carrier does with the number of a parcel cancelled before hand-over."""

    RETURN = "return", _("returned to stock")
    VOID = "void", _("voided")


class LabelSize(models.TextChoices):
    """The carriers' standard e-waybill sizes (docs/warehouse.md, "Labels")."""

    TWO_PART = "100x180", _("100×180 mm, two-part")
    ONE_PART = "76x130", _("76×130 mm, one-part")


class WaybillAccount(models.Model):
    """电子面单账号: a carrier account (网点 / 月结账号) with its own stock of waybill numbers.

    The stock is ranges (``WaybillRange``) and numbers loaded one by one or returned from a
    cancelled parcel (``WaybillNumber``, available). Every number handed out is a
    ``WaybillNumber`` row, unique per carrier: the database refuses a number twice.
    """

    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("carrier")
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    site_name = models.CharField(_("branch (网点)"), max_length=100, blank=True)
    customer_code = models.CharField(_("monthly account (月结账号)"), max_length=40, blank=True)
    label_size = models.CharField(
        _("label size"), max_length=10, choices=LabelSize.choices, default=LabelSize.TWO_PART
    )
    low_stock_threshold = models.PositiveIntegerField(
        _("warn below"),
        default=500,
        help_text=_("The warehouse admin is warned once when fewer numbers than this remain."),
    )
    low_stock_warned_at = models.DateTimeField(
        _("low stock warned"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when the warning went out; cleared when stock is loaded again."),
    )
    is_default = models.BooleanField(
        _("default account"),
        default=False,
        help_text=_("Packing takes numbers from the carrier's default account."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["carrier", "code"]
        verbose_name = _("e-waybill account")
        verbose_name_plural = _("e-waybill accounts")
        permissions = [("manage_waybill_stock", _("Can load waybill numbers into accounts"))]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "code"], name="warehouse_account_code"),
            models.UniqueConstraint(
                fields=["carrier"],
                condition=Q(is_default=True),
                name="warehouse_one_default_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} · {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("warehouse:waybill_account_detail", args=[self.pk])


class WaybillRange(models.Model):
    """号段: a range of waybill numbers the carrier gave the account, used from ``next``."""

    account = models.ForeignKey(
        WaybillAccount, on_delete=models.PROTECT, related_name="ranges", verbose_name=_("account")
    )
    prefix = models.CharField(_("prefix"), max_length=10, blank=True)
    first = models.PositiveBigIntegerField(_("first number"))
    last = models.PositiveBigIntegerField(_("last number"))
    next = models.PositiveBigIntegerField(_("next number"))
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("loaded by"),
    )
    loaded_at = models.DateTimeField(_("loaded"), auto_now_add=True)

    class Meta:
        ordering = ["account", "pk"]
        verbose_name = _("waybill number range")
        verbose_name_plural = _("waybill number ranges")
        constraints = [
            models.CheckConstraint(
                condition=Q(first__lte=models.F("last")), name="warehouse_range_first_lte_last"
            ),
            models.CheckConstraint(
                condition=Q(next__gte=models.F("first")) & Q(next__lte=models.F("last") + 1),
                name="warehouse_range_next_inside",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}{self.first}–{self.prefix}{self.last}"

    @property
    def remaining(self) -> int:
        return self.last - self.next + 1


class WaybillNumberState(models.TextChoices):
    AVAILABLE = "available", _("Available")
    USED = "used", _("Used")
    VOIDED = "voided", _("Voided")


class WaybillNumber(models.Model):
    """One waybill number: loaded from a list (available), or handed to a parcel (used),
    or voided. Unique per carrier, whichever account or range it came from."""

    account = models.ForeignKey(
        WaybillAccount, on_delete=models.PROTECT, related_name="numbers", verbose_name=_("account")
    )
    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="+", verbose_name=_("carrier")
    )
    number = models.CharField(_("waybill number"), max_length=40)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=WaybillNumberState.choices,
        default=WaybillNumberState.AVAILABLE,
    )
    parcel = models.ForeignKey(
        Parcel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("parcel"),
    )
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    loaded_at = models.DateTimeField(_("loaded"), auto_now_add=True)

    class Meta:
        ordering = ["account", "pk"]
        verbose_name = _("waybill number")
        verbose_name_plural = _("waybill numbers")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "number"], name="warehouse_waybill_once")
        ]
        indexes = [models.Index(fields=["account", "state"], name="warehouse_waybill_stock")]

    def __str__(self) -> str:
        return self.number


class CarrierRule(models.Model):
    """发货规则: which carrier ships an order, tried by priority (lowest first) when its
    delivery note is issued; an empty condition matches every order. No rule matching:
    the warehouse's default carrier."""

    priority = models.PositiveIntegerField(_("priority"), help_text=_("Lowest is tried first."))
    name = models.CharField(_("name"), max_length=100)
    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="rules", verbose_name=_("carrier")
    )
    warehouse = models.ForeignKey(
        Warehouse,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carrier_rules",
        verbose_name=_("warehouse"),
        help_text=_("Empty: every warehouse."),
    )
    provinces = models.JSONField(
        _("provinces"),
        default=list,
        blank=True,
        help_text=_('Provinces shipped to, e.g. ["浙江", "上海"]; empty: any.'),
    )
    weight_min_grams = models.PositiveIntegerField(_("from weight (g)"), null=True, blank=True)
    weight_max_grams = models.PositiveIntegerField(_("up to weight (g)"), null=True, blank=True)
    channel = models.ForeignKey(
        "orders.Channel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("channel"),
    )
    requested_carrier = models.CharField(
        _("buyer asked for"),
        max_length=20,
        blank=True,
        help_text=_("The carrier code the buyer asked for; empty: any."),
    )
    cash_on_delivery = models.BooleanField(
        _("cash on delivery"), null=True, blank=True, help_text=_("Empty: either.")
    )
    excluded_regions = models.JSONField(
        _("excluded regions"),
        default=list,
        blank=True,
        help_text=_(
            "Where this rule never applies (the carrier does not deliver there): "
            '"省", "省/市" or "省/市/区", e.g. ["新疆", "四川/甘孜"].'
        ),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["priority", "pk"]
        verbose_name = _("carrier rule")
        verbose_name_plural = _("carrier rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_min_grams__isnull=True)
                | Q(weight_max_grams__isnull=True)
                | Q(weight_min_grams__lte=models.F("weight_max_grams")),
                name="warehouse_rule_weight_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.priority}: {self.name} → {self.carrier}"


class SortingCode(models.Model):
    """三段码 / 大头笔: a carrier's sorting code for a destination, printed large on the label
    so the sorting centres route the parcel; the most specific row (district, then city,
    then province) wins."""

    carrier = models.ForeignKey(
        Carrier, on_delete=models.CASCADE, related_name="sorting_codes", verbose_name=_("carrier")
    )
    province = models.CharField(_("province"), max_length=50)
    city = models.CharField(_("city"), max_length=50, blank=True)
    district = models.CharField(_("district"), max_length=50, blank=True)
    sort_code = models.CharField(_("sorting code (三段码)"), max_length=30)
    big_pen = models.CharField(_("destination mark (大头笔)"), max_length=30, blank=True)
    hub = models.CharField(_("consolidation hub (集包地)"), max_length=40, blank=True)

    class Meta:
        ordering = ["carrier", "province", "city", "district"]
        verbose_name = _("sorting code")
        verbose_name_plural = _("sorting codes")
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "province", "city", "district"], name="warehouse_sorting_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.province}{self.city}{self.district}: {self.sort_code}"


class NoteCarrierChange(models.Model):
    """The carrier of a delivery note changed by hand before packing: who, when, why."""

    note = models.ForeignKey(
        DeliveryNote,
        on_delete=models.CASCADE,
        related_name="carrier_changes",
        verbose_name=pgettext_lazy("delivery note", "note"),
    )
    from_carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="+", verbose_name=_("from carrier")
    )
    to_carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="+", verbose_name=_("to carrier")
    )
    reason = models.CharField(_("reason"), max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    changed_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("carrier change")
        verbose_name_plural = _("carrier changes")
        permissions = [
            ("change_note_carrier", _("Can change the carrier of a delivery note before packing"))
        ]

    def __str__(self) -> str:
        return f"{self.note_id}: {self.from_carrier_id} → {self.to_carrier_id}"
