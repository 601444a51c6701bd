"""Stopping an order in the warehouse: free its reservations, put picked goods back.

Orders cancels before release and tells us (``order_cancelled``); after release it asks
(``order_cancellation_requested``) and the warehouse decides: while no parcel of the
order has been handed to a carrier, the notes are cancelled and the order with them;
once one has left, the request is declined with the reason.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.fsm import transition
from orders import services as order_services

from ..models import (
    DeliveryNote,
    DeliveryNoteLine,
    MoveKind,
    NoteState,
    Parcel,
    ParcelState,
    PickLine,
    StockHold,
)
from .stock import stock_move
from .waybills import waybill_release

GONE_STATES = (NoteState.SHIPPED, NoteState.DELIVERED)


def _undo_stock(note: DeliveryNote, line: DeliveryNoteLine, by: Any) -> None:
    """Give back what the line holds: a reservation, or goods already picked."""
    if line.location_id is None:
        return  # a waiting note holds nothing
    pick_line = None
    if note.wave_id is not None:
        pick_line = (
            PickLine.objects.select_for_update()
            .filter(wave_id=note.wave_id, sku_id=line.sku_id, location_id=line.location_id)
            .first()
        )
    if pick_line is not None and pick_line.picked_quantity is None:
        PickLine.objects.filter(pk=pick_line.pk).update(quantity=F("quantity") - line.quantity)
        pick_line = None  # not picked yet: only the reservation to free
    if note.state == NoteState.ALLOCATED or (
        note.state == NoteState.RELEASED and pick_line is None
    ):
        stock_move(
            kind=MoveKind.RELEASE,
            sku=line.sku_id,
            location=line.location_id,
            reserved=-line.quantity,
            reference=note.number,
            note=note,
            by=by,
        )
        return
    back = line.quantity - line.short_quantity
    if back:
        stock_move(
            kind=MoveKind.RETURN,
            sku=line.sku_id,
            location=line.location_id,
            on_hand=back,
            reason=_("Order cancelled"),
            reference=note.number,
            note=note,
            by=by,
        )


def notes_cancel_for_order(*, order_id: int, reason: str, by: Any) -> list[DeliveryNote]:
    """Cancel every open note of the order and give its stock back."""
    cancelled = []
    with transaction.atomic():
        notes = list(
            DeliveryNote.objects.select_for_update()
            .filter(order_id=order_id)
            .exclude(state__in=(*GONE_STATES, NoteState.CANCELLED))
            .order_by("pk")
        )
        for note in notes:
            for line in note.lines.all():
                _undo_stock(note, line, by)
            parcel_id = note.parcel_id
            transition(
                note,
                "cancel",
                by=None,
                reason=reason,
                update_fields=["cancelled_at", "cancel_reason"],
                at=timezone.now(),
                why=reason,
            )
            if (
                parcel_id
                and not DeliveryNote.objects.filter(parcel_id=parcel_id)
                .exclude(state=NoteState.CANCELLED)
                .exists()
            ):
                parcel = Parcel.objects.select_for_update().get(pk=parcel_id)
                if parcel.state == ParcelState.PACKED:
                    transition(
                        parcel,
                        "cancel",
                        by=by,
                        reason=reason,
                        check_permission=False,
                        update_fields=["manifest"],
                    )
                    waybill_release(parcel=parcel)
            cancelled.append(note)
        StockHold.objects.filter(order_id=order_id, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolution=_("order cancelled")
        )
    return cancelled


def order_cancellation_decide(*, order_id: int, by: Any = None) -> bool:
    """Accept a cancellation request while nothing has left; returns whether accepted."""
    with transaction.atomic():
        gone = DeliveryNote.objects.filter(order_id=order_id, state__in=GONE_STATES).exists()
        if gone:
            order_services.order_cancellation_decline(
                order_id=order_id,
                by=by,
                reason=_("A parcel of the order is already with the carrier."),
            )
            return False
        notes_cancel_for_order(order_id=order_id, reason=_("Cancellation requested"), by=by)
        order_services.order_cancellation_accept(order_id=order_id, by=by)
    return True
