"""Reads of the warehouse for pages, PDFs and other apps; constant query counts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from ecomops.compiled import compiled_read
from ecomops.cutoffs import CutoffBatch, batch_at
from ecomops.sla.models import SlaClock
from ecomops.sla.selectors import annotate_sla
from orders.models import Channel, Order, OrderState
from orders.selectors import DELIVERY_NOTE_CLOCK, SHIPMENT_CONFIRMATION_CLOCK

from .models import (
    Batch,
    Carrier,
    CarrierEvent,
    ConfirmationExport,
    ConfirmationMethod,
    ConfirmationStatus,
    DeliveryNote,
    DeliveryNoteLine,
    LabelSize,
    Location,
    Manifest,
    NoteCarrierChange,
    NoteState,
    PackScan,
    Parcel,
    ParcelState,
    PickLine,
    ShipmentConfirmation,
    SortingCode,
    StockBalance,
    StockHold,
    StockMove,
    Wave,
    WaybillAccount,
    WaybillNumber,
    WaybillNumberState,
    WaybillRange,
)

# --- Allocation (the parts admin) ------------------------------------------------------------


def allocation_queue() -> QuerySet[Order]:
    """Confirmed orders waiting for their delivery note, least time left first.

    Each row carries ``hold_shortfall`` (the open stock hold's shortfall, or None).
    """
    open_hold = StockHold.objects.filter(order=OuterRef("pk"), resolved_at__isnull=True)
    qs = (
        Order.objects.filter(state=OrderState.CONFIRMED)
        .select_related("channel", "customer")
        .annotate(on_stock_hold=Exists(open_hold))
        .prefetch_related(
            Prefetch(
                "stock_holds",
                queryset=StockHold.objects.filter(resolved_at__isnull=True),
                to_attr="open_holds",
            )
        )
    )
    return annotate_sla(qs, DELIVERY_NOTE_CLOCK).order_by("sla_due_at", "pk")


def allocation_queue_late_count() -> int:
    late = allocation_queue().filter(sla_due_at__lt=timezone.now())  # type: ignore[misc]
    return late.count()


def waiting_notes() -> QuerySet[DeliveryNote]:
    """Second parts of split orders, waiting for stock."""
    return (
        DeliveryNote.objects.filter(state=NoteState.WAITING)
        .select_related("order", "order__channel")
        .prefetch_related(
            Prefetch("lines", queryset=DeliveryNoteLine.objects.select_related("sku"))
        )
        .order_by("issued_at", "pk")
    )


def short_notes() -> QuerySet[DeliveryNote]:
    """Notes picked short, waiting for the parts admin."""
    return (
        DeliveryNote.objects.filter(short=True)
        .exclude(state=NoteState.CANCELLED)
        .select_related("order", "wave")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=DeliveryNoteLine.objects.filter(short_quantity__gt=0).select_related(
                    "sku"
                ),
            )
        )
        .order_by("pk")
    )


def note_list(*, q: str = "", state: str = "") -> QuerySet[DeliveryNote]:
    qs = DeliveryNote.objects.select_related("order", "order__channel", "batch", "wave", "carrier")
    q = q.strip()
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(order__number__icontains=q))
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-issued_at", "-pk")


def note_detail(pk: int) -> DeliveryNote:
    return (
        DeliveryNote.objects.select_related(
            "order",
            "order__channel",
            "order__customer",
            "warehouse",
            "carrier",
            "batch",
            "wave",
            "parcel",
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=DeliveryNoteLine.objects.select_related("sku", "location", "order_line"),
            )
        )
        .get(pk=pk)
    )


def notes_for_print(
    note_ids: list[int] | None = None, wave: Wave | None = None
) -> list[DeliveryNote]:
    """Notes with everything a printed delivery note shows, in sort order."""
    qs = DeliveryNote.objects.select_related(
        "order", "order__channel", "order__customer", "warehouse", "carrier", "batch", "wave"
    ).prefetch_related(
        Prefetch(
            "lines",
            queryset=DeliveryNoteLine.objects.select_related("sku", "location", "order_line"),
        )
    )
    if wave is not None:
        qs = qs.filter(wave=wave).exclude(state=NoteState.CANCELLED)
    if note_ids is not None:
        qs = qs.filter(pk__in=note_ids)
    return list(qs.order_by("merge_key", "pk"))


# --- Batches ---------------------------------------------------------------------------------


@dataclass
class UpcomingBatch:
    key: CutoffBatch
    counts: dict[str, int]
    batch: Batch | None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def ready(self) -> int:
        return self.counts.get(OrderState.ALLOCATED, 0)

    @property
    def by_state(self) -> list[tuple[str, str, int]]:
        """(state, its label, count) in the order's life order."""
        return [(s.value, str(s.label), self.counts[s]) for s in OrderState if s in self.counts]


def upcoming_batches(today: date | None = None) -> list[UpcomingBatch]:
    """Batches from today on with their orders by state (what the next cuts will take)."""
    today = today or timezone.localdate()
    rows = (
        Order.objects.filter(batch_date__gte=today)
        .exclude(state=OrderState.CANCELLED)
        .values("batch_date", "batch_slot", "state")
        .annotate(n=Count("pk"))
        .order_by("batch_date", "batch_slot")
    )
    grouped: dict[tuple[date, int], dict[str, int]] = {}
    for row in rows:
        grouped.setdefault((row["batch_date"], row["batch_slot"]), {})[row["state"]] = row["n"]
    batches = {(b.batch_date, b.slot): b for b in Batch.objects.filter(batch_date__gte=today)}
    return [
        UpcomingBatch(batch_at(day, slot), counts, batches.get((day, slot)))
        for (day, slot), counts in sorted(grouped.items())
    ]


def recent_batches(limit: int = 20) -> QuerySet[Batch]:
    return Batch.objects.annotate(
        wave_count=Count("waves", distinct=True),
    ).order_by("-batch_date", "-slot")[:limit]


def batch_note_counts(batch: Batch) -> dict[str, int]:
    return dict(
        batch.notes.values("state").annotate(n=Count("pk")).order_by().values_list("state", "n")
    )


def labelled_note_counts(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(state, its label, count) in the delivery note's life order."""
    return [(s.value, str(s.label), counts[s]) for s in NoteState if s in counts]


def batch_waves(batch: Batch) -> QuerySet[Wave]:
    return (
        batch.waves.select_related("carrier")
        .annotate(
            line_count=Count("pick_lines", distinct=True),
            picked_count=Count(
                "pick_lines", filter=Q(pick_lines__picked_quantity__isnull=False), distinct=True
            ),
            packed_count=Count(
                "notes",
                filter=Q(
                    notes__state__in=(NoteState.PACKED, NoteState.SHIPPED, NoteState.DELIVERED)
                ),
                distinct=True,
            ),
        )
        .order_by("number")
    )


def batch_late_notes(batch: Batch) -> QuerySet[DeliveryNote]:
    return batch.notes.filter(late=True).select_related("order", "wave").order_by("pk")


# --- Waves and picking -----------------------------------------------------------------------


def wave_detail(pk: int) -> Wave:
    return Wave.objects.select_related("batch", "carrier").get(pk=pk)


def wave_pick_lines(wave: Wave) -> QuerySet[PickLine]:
    return wave.pick_lines.select_related("sku", "location", "picked_by").order_by(
        "walk_order", "location__code", "sku__code"
    )


@dataclass
class SortSlot:
    slot: int
    notes: list[DeliveryNote]

    @property
    def merged(self) -> bool:
        return len(self.notes) > 1


def wave_sort_slots(wave: Wave) -> list[SortSlot]:
    """The put wall: one slot per parcel (a merged parcel's notes share one)."""
    slots: list[SortSlot] = []
    by_key: dict[str, SortSlot] = {}
    for note in notes_for_print(wave=wave):
        if note.merged and note.merge_key in by_key:
            by_key[note.merge_key].notes.append(note)
            continue
        slot = SortSlot(len(slots) + 1, [note])
        slots.append(slot)
        if note.merged:
            by_key[note.merge_key] = slot
    return slots


def open_waves() -> QuerySet[Wave]:
    """Waves not yet fully packed, oldest batch first."""
    return (
        Wave.objects.exclude(state="done")
        .select_related("batch", "carrier")
        .order_by("batch__batch_date", "batch__slot", "number")
    )


# --- Packing and shipping --------------------------------------------------------------------


def recent_scans(note: DeliveryNote, limit: int = 10) -> QuerySet[PackScan]:
    return PackScan.objects.filter(note=note).order_by("-scanned_at", "-pk")[:limit]


def parcel_detail(pk: int) -> Parcel:
    return (
        Parcel.objects.select_related("carrier", "manifest", "packed_by")
        .prefetch_related("notes__order", "events")
        .get(pk=pk)
    )


def parcels_for_labels(
    *, wave: Wave | None = None, parcel_ids: list[int] | None = None
) -> list[Parcel]:
    qs = Parcel.objects.select_related("carrier").prefetch_related(
        Prefetch("notes", queryset=DeliveryNote.objects.select_related("order", "warehouse")),
        Prefetch("notes__lines", queryset=DeliveryNoteLine.objects.select_related("sku")),
    )
    return list(_printable_parcels(qs, wave=wave, parcel_ids=parcel_ids).order_by("pk"))


@dataclass(frozen=True)
class WaybillLabel:
    """What one express waybill label prints: a packed parcel, its orders, from and to."""

    parcel_number: str
    waybill_number: str
    weight_grams: int
    carrier_id: int
    carrier_name: str
    warehouse_id: int
    warehouse_phone: str
    warehouse_address: str
    receiver_name: str
    receiver_phone: str
    ship_address: str
    order_numbers: tuple[str, ...]  # its delivery notes' orders, the latest note's first
    pieces: int  # units to pack over all its notes' lines
    # issue 21 §3: the e-waybill layout
    label_size: str = LabelSize.TWO_PART  # the parcel's account's size
    sort_code: str = ""  # 三段码
    big_pen: str = ""  # 大头笔
    hub: str = ""  # 集包地
    items: tuple[str, ...] = ()  # "name ×quantity" per SKU, in line order
    account_code: str = ""  # 月结账号 printed on the label
    masked: bool = True  # receiver's name and phone masked (the channel's choice)

    @property
    def merged(self) -> bool:
        return len(self.order_numbers) > 1


# 复姓: compound family names kept whole when a name is masked
COMPOUND_SURNAMES = (
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "司徒", "夏侯", "令狐", "端木", "独孤", "西门", "南宫", "轩辕", "申屠",
)  # fmt: skip


def mask_name(name: str) -> str:
    """The receiver's family name and a star for each other character, as privacy
    waybills print it: 王伟 → 王*, 张小明 → 张**, 欧阳娜娜 → 欧阳**. Names are family name
    first; a name of letters keeps its first letter."""
    name = (name or "").strip()
    if not name:
        return ""
    keep = 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:keep] + "*" * max(len(name) - keep, 1)


def mask_phone(phone: str) -> str:
    """A phone with its middle digits starred: 13800138000 → 138****8000; a landline keeps
    its area code and last four digits (0571-82880000 → 0571-****0000)."""
    phone = (phone or "").strip()
    digits = [i for i, ch in enumerate(phone) if ch.isdigit()]
    if len(digits) < 7:
        return "*" * len(phone)
    if "-" in phone:
        head = phone.index("-") + 1
        hidden = [i for i in digits if i >= head][:-4]
    else:
        hidden = digits[3:-4]
    starred = set(hidden)
    return "".join("*" if i in starred else ch for i, ch in enumerate(phone))


class SortingCodes:
    """Each carrier's sorting codes (``SortingCode``), read once per carrier per run; the
    most specific row for an address: district, then city, then province."""

    def __init__(self) -> None:
        self._codes: dict[int, dict[tuple[str, str, str], SortingCode]] = {}

    def load(self, carrier_ids: set[int]) -> None:
        missing = carrier_ids - self._codes.keys()
        if not missing:
            return
        for carrier_id in missing:
            self._codes[carrier_id] = {}
        for code in SortingCode.objects.filter(carrier_id__in=missing):
            self._codes[code.carrier_id][(code.province, code.city, code.district)] = code

    def find(self, carrier_id: int, province: str, city: str, district: str) -> SortingCode | None:
        codes = self._codes.get(carrier_id, {})
        for key in ((province, city, district), (province, city, ""), (province, "", "")):
            if key in codes:
                return codes[key]
        return None


# Order.ship_address joins these, in this order (a test holds the two together).
_SHIP_ADDRESS_PARTS = ("ship_province", "ship_city", "ship_district", "ship_street")


def waybill_labels(
    *, wave: Wave | None = None, parcel_ids: list[int] | None = None, chunk_size: int = 1000
) -> Iterator[WaybillLabel]:
    """The waybill labels of a wave's parcels (or of ``parcel_ids``), in parcel order.

    Read as plain rows ``chunk_size`` parcels at a time, two queries a chunk: no model
    objects (loading parcels with their notes, orders and lines took longer than drawing
    the labels), and a wave of 10,000 labels holds one chunk at a time, never the wave.
    """
    parcels = _printable_parcels(Parcel.objects.all(), wave=wave, parcel_ids=parcel_ids)
    sorting = SortingCodes()
    after = 0
    while True:
        chunk = list(
            parcels.filter(pk__gt=after)
            .order_by("pk")
            .values_list(
                "pk",
                "number",
                "waybill_number",
                "weight_grams",
                "carrier_id",
                "carrier__name",
                "waybill_account__label_size",
                "waybill_account__customer_code",
            )[:chunk_size]
        )
        if not chunk:
            return
        sorting.load({row[4] for row in chunk})
        items: dict[int, dict[str, int]] = {}
        for parcel_id, name, quantity in (
            DeliveryNoteLine.objects.filter(note__parcel_id__in=[row[0] for row in chunk])
            .order_by("note__parcel_id", "note_id", "pk")
            .values_list("note__parcel_id", "sku__name", F("quantity") - F("short_quantity"))
        ):
            summary = items.setdefault(parcel_id, {})
            summary[name] = summary.get(name, 0) + quantity
        notes: dict[int, list[dict[str, Any]]] = {}
        for note in (
            DeliveryNote.objects.filter(parcel_id__in=[row[0] for row in chunk])
            .values(
                "pk",
                "parcel_id",
                "warehouse_id",
                "warehouse__phone",
                "warehouse__address",
                "order__number",
                "order__receiver_name",
                "order__receiver_phone",
                "order__channel__full_receiver_on_label",
                *(f"order__{part}" for part in _SHIP_ADDRESS_PARTS),
            )
            .annotate(pieces=Sum(F("lines__quantity") - F("lines__short_quantity"), default=0))
            .order_by("parcel_id", "-issued_at", "-pk")
        ):
            notes.setdefault(note["parcel_id"], []).append(note)
        for (
            pk,
            number,
            waybill_number,
            weight_grams,
            carrier_id,
            carrier_name,
            label_size,
            account_code,
        ) in chunk:
            first, *_others = parcel_notes = notes[pk]
            full = all(note["order__channel__full_receiver_on_label"] for note in parcel_notes)
            code = sorting.find(
                carrier_id,
                first["order__ship_province"],
                first["order__ship_city"],
                first["order__ship_district"],
            )
            yield WaybillLabel(
                parcel_number=number,
                waybill_number=waybill_number,
                weight_grams=weight_grams,
                carrier_id=carrier_id,
                carrier_name=carrier_name,
                warehouse_id=first["warehouse_id"],
                warehouse_phone=first["warehouse__phone"],
                warehouse_address=first["warehouse__address"],
                receiver_name=(
                    first["order__receiver_name"]
                    if full
                    else mask_name(first["order__receiver_name"])
                ),
                receiver_phone=(
                    first["order__receiver_phone"]
                    if full
                    else mask_phone(first["order__receiver_phone"])
                ),
                ship_address="".join(first[f"order__{part}"] for part in _SHIP_ADDRESS_PARTS),
                order_numbers=tuple(note["order__number"] for note in parcel_notes),
                pieces=sum(note["pieces"] for note in parcel_notes),
                label_size=label_size or LabelSize.TWO_PART,
                sort_code=code.sort_code if code else "",
                big_pen=code.big_pen if code else "",
                hub=code.hub if code else "",
                items=tuple(f"{name} ×{qty}" for name, qty in items.get(pk, {}).items()),
                account_code=account_code or "",
                masked=not full,
            )
        after = chunk[-1][0]


def _printable_parcels(
    qs: QuerySet[Parcel], *, wave: Wave | None, parcel_ids: list[int] | None
) -> QuerySet[Parcel]:
    if wave is not None:
        qs = qs.filter(notes__wave=wave).distinct()
    if parcel_ids is not None:
        qs = qs.filter(pk__in=parcel_ids)
    return qs.exclude(state=ParcelState.CANCELLED)


@dataclass
class CarrierDesk:
    carrier: Carrier
    waiting: int
    manifest: Manifest | None


def shipping_desk() -> list[CarrierDesk]:
    """Per carrier: packed parcels not yet on a manifest, and the open manifest."""
    waiting = dict(
        Parcel.objects.filter(state=ParcelState.PACKED, manifest__isnull=True)
        .values("carrier_id")
        .annotate(n=Count("pk"))
        .values_list("carrier_id", "n")
    )
    open_manifests = {
        m.carrier_id: m
        for m in Manifest.objects.filter(state=Manifest.State.OPEN).annotate(
            parcel_count=Count("parcels")
        )
    }
    return [
        CarrierDesk(carrier, waiting.get(carrier.pk, 0), open_manifests.get(carrier.pk))
        for carrier in Carrier.objects.filter(active=True).order_by("code")
    ]


def recent_manifests(limit: int = 20) -> QuerySet[Manifest]:
    return (
        Manifest.objects.select_related("carrier")
        .annotate(parcel_count=Count("parcels"))
        .order_by("-created_at", "-pk")[:limit]
    )


def manifest_parcels(manifest: Manifest) -> list[Parcel]:
    return list(
        manifest.parcels.select_related("carrier")
        .prefetch_related(Prefetch("notes", queryset=DeliveryNote.objects.select_related("order")))
        .order_by("pk")
    )


# --- Stock -----------------------------------------------------------------------------------


def stock_search(
    *, q: str = "", location: str = "", only_available: bool = False
) -> QuerySet[StockBalance]:
    qs = StockBalance.objects.select_related("sku", "location", "location__warehouse").annotate(
        free=F("on_hand") - F("reserved")
    )
    q = q.strip()
    if q:
        qs = qs.filter(Q(sku__code__icontains=q) | Q(sku__name__icontains=q) | Q(sku__barcode=q))
    if location.strip():
        qs = qs.filter(location__code__icontains=location.strip())
    if only_available:
        qs = qs.filter(free__gt=0)
    return qs.order_by("sku__code", "location__walk_order")


def stock_totals(sku_ids: list[int]) -> dict[int, dict[str, int]]:
    """On hand, reserved and available per SKU over every location."""
    rows = (
        StockBalance.objects.filter(sku_id__in=sku_ids)
        .values("sku_id")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    )
    return {
        r["sku_id"]: {
            "on_hand": r["on_hand"],
            "reserved": r["reserved"],
            "available": r["on_hand"] - r["reserved"],
        }
        for r in rows
    }


def stock_moves(*, sku_id: int | None = None, limit: int = 100) -> QuerySet[StockMove]:
    qs = StockMove.objects.select_related("sku", "location", "created_by", "delivery_note")
    if sku_id:
        qs = qs.filter(sku_id=sku_id)
    return qs.order_by("-created_at", "-pk")[:limit]


def ledger_matches_balances() -> list[dict[str, Any]]:
    """Balances that differ from the sum of their moves (should be none)."""
    sums = {
        (r["sku_id"], r["location_id"]): (r["on_hand"], r["reserved"])
        for r in StockMove.objects.values("sku_id", "location_id").annotate(
            on_hand=Sum("on_hand_change"), reserved=Sum("reserved_change")
        )
    }
    wrong = []
    for balance in StockBalance.objects.all():
        expected = sums.get((balance.sku_id, balance.location_id), (0, 0))
        if (balance.on_hand, balance.reserved) != expected:
            wrong.append(
                {"sku": balance.sku_id, "location": balance.location_id, "expected": expected}
            )
    return wrong


def active_locations() -> QuerySet[Location]:
    return Location.objects.filter(active=True).select_related("warehouse")


# --- For returns ---------------------------------------------------------------------------

SHIPPED_NOTE_STATES = (NoteState.SHIPPED, NoteState.DELIVERED)
SHIPPED_ORDER_STATES = (OrderState.SHIPPED, OrderState.DELIVERED, OrderState.COMPLETED)


def shipped_quantities(order: Order) -> dict[int, int]:
    """Units shipped per order line (by line id): what was packed into parcels that left.

    An order shipped without delivery notes (history from before the warehouse worked in
    ecomops) counts as shipped in full.
    """
    rows = (
        DeliveryNoteLine.objects.filter(note__order=order)
        .values("order_line_id")
        .annotate(units=Sum("packed_quantity", filter=Q(note__state__in=SHIPPED_NOTE_STATES)))
    )
    shipped = {row["order_line_id"]: row["units"] or 0 for row in rows}
    if not shipped and order.state in SHIPPED_ORDER_STATES:
        return {line.pk: line.quantity for line in order.lines.all()}
    return shipped


# --- Shipment confirmation (发货回传) ------------------------------------------------------------


def not_confirmed_queue() -> QuerySet[ShipmentConfirmation]:
    """Confirmations whose last attempt failed: the warehouse admin retries or marks them
    done by hand. Oldest first, with their attempts."""
    return (
        ShipmentConfirmation.objects.filter(status=ConfirmationStatus.FAILED)
        .select_related("order", "channel", "carrier", "manifest")
        .prefetch_related("attempt_log")
        .order_by("created_at", "pk")
    )


def pending_callbacks() -> QuerySet[ShipmentConfirmation]:
    """Callbacks still being tried (a refusal, waiting for the next attempt)."""
    return (
        ShipmentConfirmation.objects.filter(
            status=ConfirmationStatus.PENDING, method=ConfirmationMethod.CALLBACK, attempts__gt=0
        )
        .select_related("order", "channel", "carrier")
        .order_by("next_attempt_at", "pk")
    )


@dataclass
class FileChannel:
    """A channel confirming by bulk-shipping file: what waits for the next download."""

    channel: Channel
    waiting: int
    exports: list[ConfirmationExport]


def file_channels(exports_each: int = 5) -> list[FileChannel]:
    """Channels with file confirmations: how many wait, and their latest files."""
    pending = Count(
        "shipment_confirmations",
        filter=Q(
            shipment_confirmations__method=ConfirmationMethod.FILE,
            shipment_confirmations__status=ConfirmationStatus.PENDING,
        ),
    )
    channels = list(
        Channel.objects.filter(
            Exists(
                ShipmentConfirmation.objects.filter(
                    channel=OuterRef("pk"), method=ConfirmationMethod.FILE
                )
            )
        )
        .annotate(waiting=pending)
        .order_by("code")
    )
    exports: dict[int, list[ConfirmationExport]] = {channel.pk: [] for channel in channels}
    for export in (
        ConfirmationExport.objects.filter(channel__in=channels)
        .defer("content")
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    ):
        if len(exports[export.channel_id]) < exports_each:
            exports[export.channel_id].append(export)
    return [FileChannel(c, c.waiting, exports[c.pk]) for c in channels]


def confirmations_at_risk() -> QuerySet[Order]:
    """Paid orders whose channel still waits for the shipment confirmation, least time left
    first (``sla_due_at``; amber from the warning point, red past the deadline)."""
    running = SlaClock.objects.filter(
        policy__code=SHIPMENT_CONFIRMATION_CLOCK,
        content_type=ContentType.objects.get_for_model(Order),
        object_id=OuterRef("pk"),
        stopped_at__isnull=True,
    )
    return annotate_sla(
        Order.objects.filter(Exists(running)).select_related("channel"),
        SHIPMENT_CONFIRMATION_CLOCK,
    ).order_by("sla_due_at", "pk")


def confirmations_at_risk_count(now: Any = None) -> int:
    """Confirmations past their warning point or deadline (the portal queue's red count)."""
    moment = now or timezone.now()
    return (
        confirmations_at_risk()
        .filter(Q(sla_warn_at__lte=moment) | Q(sla_due_at__lte=moment))
        .count()
    )


def export_detail(pk: int) -> ConfirmationExport:
    return ConfirmationExport.objects.select_related("channel").get(pk=pk)


# --- An order read back by its channel -----------------------------------------------------------


@dataclass
class OrderReadBack:
    order: Order
    parcels: list[Parcel]
    confirmed: bool


def channel_order_read_back(channel: Channel, external_id: str) -> OrderReadBack | None:
    """The order as its channel may read it: state, parcels with carrier, waybill and the
    tracking events received. Four queries, whatever the parcels and events."""
    order = Order.objects.filter(channel=channel, external_id=external_id).first()
    if order is None:
        return None
    parcels = list(
        Parcel.objects.filter(pk__in=DeliveryNote.objects.filter(order=order).values("parcel_id"))
        .exclude(state=ParcelState.CANCELLED)
        .select_related("carrier", "manifest")
        .prefetch_related(
            Prefetch("events", queryset=CarrierEvent.objects.order_by("occurred_at", "pk"))
        )
        .order_by("pk")
    )
    confirmed = ShipmentConfirmation.objects.filter(
        order=order, status=ConfirmationStatus.CONFIRMED
    ).exists()
    return OrderReadBack(order, parcels, confirmed)


# --- E-waybill accounts and carrier changes (issue 21) -----------------------------------------


def waybill_accounts() -> QuerySet[WaybillAccount]:
    """Every account with ``numbers_left`` (its ranges' rest and its available numbers)
    and ``numbers_used``, those below their warning first: a constant two subqueries."""
    ranges = (
        WaybillRange.objects.filter(account=OuterRef("pk"), next__lte=F("last"))
        .values("account")
        .annotate(left=Sum(F("last") - F("next") + 1))
        .values("left")
    )
    listed = (
        WaybillNumber.objects.filter(account=OuterRef("pk"))
        .values("account")
        .annotate(
            available=Count("pk", filter=Q(state=WaybillNumberState.AVAILABLE)),
            used=Count("pk", filter=Q(state=WaybillNumberState.USED)),
        )
    )
    return (
        WaybillAccount.objects.select_related("carrier")
        .annotate(
            numbers_left=Coalesce(Subquery(ranges), 0)
            + Coalesce(Subquery(listed.values("available")), 0),
            numbers_used=Coalesce(Subquery(listed.values("used")), 0),
        )
        .annotate(
            running_low=Case(
                When(numbers_left__lt=F("low_stock_threshold"), then=True),
                default=False,
                output_field=BooleanField(),
            )
        )
        .order_by("-running_low", "carrier__code", "code")
    )


def note_carrier_changes(note: DeliveryNote) -> QuerySet[NoteCarrierChange]:
    return note.carrier_changes.select_related("from_carrier", "to_carrier", "changed_by")


def recorded_waybill_numbers(*, carrier_id: int, numbers: list[str]) -> set[str]:
    """Those of ``numbers`` the carrier's stock has a row for (a number typed by hand at
    packing, a list number): the pack station asks on every parcel closed."""
    return {number for (number,) in _recorded.rows(carrier_id=carrier_id, numbers=numbers)}


@compiled_read(carrier_id=int)
def _recorded(*, carrier_id: int, numbers: list[str]) -> QuerySet[WaybillNumber, Any]:
    return WaybillNumber.objects.filter(carrier_id=carrier_id, number__in=numbers).values_list(
        "number"
    )
