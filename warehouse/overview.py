"""What the warehouse gives the manager's live overview (``ecomops.portal.overview``): the
day's cutoff batches (截单批次) from orders in to shipped with the minutes to each cut, and
the shipments not yet confirmed by a courier (packed parcels waiting for the hand-over)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ecomops import cutoffs
from ecomops.calendar import day_start, is_working_day, local_datetime, next_working_day
from ecomops.portal.overview import Figure, Panel, link, register_figures, register_panel
from orders.models import Order, OrderState

from .models import NoteState, Parcel, ParcelState

# An order counts at a stage once it reached it (a split order: once one of its notes did).
READY_STATES = (
    OrderState.ALLOCATED,
    OrderState.RELEASED,
    OrderState.SHIPPED,
    OrderState.DELIVERED,
    OrderState.COMPLETED,
)
RELEASED_STATES = READY_STATES[1:]
SHIPPED_STATES = READY_STATES[2:]
PICKED_NOTE_STATES = (NoteState.PICKED, NoteState.PACKED, NoteState.SHIPPED, NoteState.DELIVERED)
PACKED_NOTE_STATES = PICKED_NOTE_STATES[1:]
# Not in the flow: parked and cancelled orders keep a batch but will not ship in it.
OUT_OF_FLOW = (OrderState.CANCELLED, OrderState.EXCEPTION)

STAGES = ("orders_in", "ready", "released", "picked", "packed", "shipped")


@dataclass(frozen=True)
class BatchProgress:
    batch_date: date
    slot: int
    cut_at: datetime
    minutes_to_cut: int  # 0 once cut
    orders_in: int
    ready: int
    released: int
    picked: int
    packed: int
    shipped: int

    @property
    def is_cut(self) -> bool:
        return self.minutes_to_cut == 0

    @property
    def not_ready(self) -> int:
        return self.orders_in - self.ready

    @property
    def due_soon(self) -> bool:
        """Within the hour of its cut with orders still not ready."""
        return not self.is_cut and self.minutes_to_cut <= 60 and self.not_ready > 0

    @property
    def shipped_percent(self) -> int:
        return round(self.shipped * 100 / self.orders_in) if self.orders_in else 0


# The queue behind each stage's figure (each opens for managers: they hold every warehouse
# and orders permission; the board of the day's batches shows orders in and ready by state).
STAGE_LINKS: dict[str, tuple[str, dict[str, str]]] = {
    "orders_in": ("warehouse:batch_board", {}),
    "ready": ("warehouse:batch_board", {}),
    "not_ready": ("warehouse:allocation_queue", {}),
    "released": ("warehouse:wave_list", {}),
    "picked": ("warehouse:wave_list", {}),
    "packed": ("warehouse:shipping", {}),
    "shipped": ("orders:order_list", {"state": OrderState.SHIPPED}),
}


def batch_day(now: datetime) -> date:
    """The day whose batches the overview follows: today, or the next working day."""
    today = timezone.localdate(now)
    return today if is_working_day(today) else next_working_day(today)


def batches_progress(now: datetime) -> list[BatchProgress]:
    """The batches of the batch day (12:00 and 15:00 unless the cuts moved), each with its
    orders per stage, in one query; the cut hours come from ``ecomops.cutoffs``."""
    day = batch_day(now)
    rows = {
        row["batch_slot"]: row
        for row in Order.objects.filter(batch_date=day)
        .exclude(state__in=OUT_OF_FLOW)
        .values("batch_slot")
        .annotate(
            orders_in=Count("pk", distinct=True),
            ready=Count("pk", distinct=True, filter=Q(state__in=READY_STATES)),
            released=Count("pk", distinct=True, filter=Q(state__in=RELEASED_STATES)),
            picked=Count(
                "pk", distinct=True, filter=Q(delivery_notes__state__in=PICKED_NOTE_STATES)
            ),
            packed=Count(
                "pk", distinct=True, filter=Q(delivery_notes__state__in=PACKED_NOTE_STATES)
            ),
            shipped=Count("pk", distinct=True, filter=Q(state__in=SHIPPED_STATES)),
        )
        .order_by("batch_slot")
    }
    slots = sorted(set(cutoffs.slots(day)) | set(rows))
    progress = []
    for slot in slots:
        cut_at = local_datetime(day, time(slot))
        left = (cut_at - now).total_seconds()
        row = rows.get(slot, {})
        progress.append(
            BatchProgress(
                batch_date=day,
                slot=slot,
                cut_at=cut_at,
                minutes_to_cut=max(0, math.ceil(left / 60)),
                **{stage: row.get(stage, 0) for stage in STAGES},
            )
        )
    return progress


def _batches_panel(now: datetime) -> Mapping[str, Any]:
    return {
        "batches": batches_progress(now),
        "links": {stage: link(name, query) for stage, (name, query) in STAGE_LINKS.items()},
        "day": batch_day(now),
        "today": timezone.localdate(now),
    }


def shipment_figures(now: datetime) -> list[Figure]:
    """Shipments no courier has confirmed yet: packed parcels not on a signed hand-over, and
    those among them packed before today (they should have left)."""
    counts = Parcel.objects.filter(state=ParcelState.PACKED).aggregate(
        n=Count("pk"),
        late=Count("pk", filter=Q(packed_at__lt=day_start(timezone.localdate(now)))),
    )
    return [
        Figure(
            key="warehouse.unconfirmed_shipments",
            label=pgettext_lazy("overview", "Unconfirmed shipments"),
            value=counts["n"],
            late=counts["late"],
            url_name="warehouse:shipping",
            note=_("Packed parcels no courier has signed for"),
            permission="warehouse.ship_parcel",
        )
    ]


register_figures("warehouse.shipments", shipment_figures, order=20)
register_panel(
    Panel(
        key="warehouse.batches",
        title=_("Today's batches"),
        template="warehouse/overview/_batches.html",
        read=_batches_panel,
        order=20,
        wide=True,
    )
)
