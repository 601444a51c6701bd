"""Hand-over to carriers and their tracking events (logistics feedback).

A manifest lists a carrier's packed parcels; the courier counts them and signs with their
name. A count that differs is refused: someone counts again. Signing ships the parcels'
delivery notes, and an order whose notes have all left is shipped. Carrier events arrive
signed (``POST /api/v1/carriers/<code>/events``), once each: delivered moves the order
to delivered when all its parcels are; an exception tells after-sales service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError
from ecomops.fsm import transition
from ecomops.notifications.services import notify_role
from ecomops.numbering.services import next_number
from orders import services as order_services
from orders.models import Order

from ..models import (
    Carrier,
    CarrierEvent,
    CarrierEventKind,
    DeliveryNote,
    Manifest,
    NoteState,
    Parcel,
    ParcelState,
)
from ..signals import parcel_delivered, parcel_shipped
from .batches import batch_check_done


class ShippingError(ApplicationError):
    """A hand-over or carrier event that cannot be taken as sent."""


def manifest_open(*, carrier_id: int, by: Any) -> Manifest:
    """The carrier's open manifest, with every packed parcel not yet on one added to it."""
    with transaction.atomic():
        carrier = Carrier.objects.select_for_update().get(pk=carrier_id)
        manifest = Manifest.objects.filter(carrier=carrier, state=Manifest.State.OPEN).first()
        waiting = Parcel.objects.filter(
            carrier=carrier, state=ParcelState.PACKED, manifest__isnull=True
        )
        if manifest is None:
            if not waiting.exists():
                raise ShippingError(
                    _("No packed parcels are waiting for %(carrier)s.") % {"carrier": carrier.name}
                )
            manifest = Manifest.objects.create(
                number=next_number("HO", width=3),
                carrier=carrier,
                created_by=acting_user(by),
            )
        waiting.update(manifest=manifest)
    return manifest


def manifest_sign(*, manifest_id: int, courier_name: str, counted: int | None, by: Any) -> Manifest:
    """The courier counted the parcels and signed: they are shipped."""
    courier_name = (courier_name or "").strip()
    with transaction.atomic():
        manifest = Manifest.objects.select_for_update().get(pk=manifest_id)
        if manifest.state == Manifest.State.SIGNED:
            return manifest
        parcels = list(manifest.parcels.select_for_update().order_by("pk"))
        listed = len(parcels)
        errors: dict[str, list[str]] = {}
        if not courier_name:
            errors["courier_name"] = [_("Enter the courier's name.")]
        if counted is None:
            errors["counted"] = [_("Enter how many parcels the courier counted.")]
        elif counted != listed:
            errors["counted"] = [
                _("The courier counted %(counted)d, the manifest lists %(listed)d: count again.")
                % {"counted": counted, "listed": listed}
            ]
        if not listed:
            errors["counted"] = [_("The manifest has no parcels.")]
        if errors:
            raise ShippingError(_("The hand-over is not signed."), {"fields": errors})
        now = timezone.now()
        manifest.state = Manifest.State.SIGNED
        manifest.courier_name = courier_name
        manifest.counted_parcels = counted
        manifest.signed_at = now
        manifest.save(update_fields=["state", "courier_name", "counted_parcels", "signed_at"])
        Parcel.objects.filter(pk__in=[p.pk for p in parcels]).update(state=ParcelState.HANDED_OVER)
        notes = list(
            DeliveryNote.objects.select_for_update()
            .filter(parcel__in=parcels, state=NoteState.PACKED)
            .order_by("pk")
        )
        for note in notes:
            transition(note, "ship", by=by, update_fields=["shipped_at"], at=now)
        _orders_follow(notes, NoteState.SHIPPED, order_services.order_ship, by)
        for batch_id in {note.batch_id for note in notes if note.batch_id}:
            batch_check_done(batch_id)
        for parcel in parcels:
            _announce_on_commit(parcel_shipped, parcel)
    return manifest


def _announce_on_commit(signal: Any, parcel: Parcel) -> None:
    orders = list(Order.objects.filter(delivery_notes__parcel=parcel).distinct())
    transaction.on_commit(lambda: signal.send(sender=Parcel, parcel=parcel, orders=orders))


def _orders_follow(notes: list[DeliveryNote], done_state: str, step: Any, by: Any) -> None:
    """Move each order on once none of its notes is behind ``done_state``."""
    behind: list[str] = [
        NoteState.WAITING,
        NoteState.ALLOCATED,
        NoteState.RELEASED,
        NoteState.PICKED,
        NoteState.PACKED,
    ]
    if done_state == NoteState.DELIVERED:
        behind.append(NoteState.SHIPPED)
    for order_id in sorted({note.order_id for note in notes}):
        if not DeliveryNote.objects.filter(order_id=order_id, state__in=behind).exists():
            step(order_id=order_id, by=by)


@dataclass
class EventResult:
    event: CarrierEvent
    created: bool


def carrier_event_record(
    *,
    carrier: Carrier,
    event_id: str,
    waybill_number: str,
    kind: str,
    occurred_at: datetime,
    place: str = "",
    description: str = "",
) -> EventResult:
    """Record a carrier's tracking event once (idempotent on the carrier's event id)."""
    existing = CarrierEvent.objects.filter(carrier=carrier, event_id=event_id).first()
    if existing is not None:
        return EventResult(existing, False)
    parcel = Parcel.objects.filter(carrier=carrier, waybill_number=waybill_number).first()
    if parcel is None:
        raise ShippingError(
            _("No parcel of %(carrier)s has waybill %(waybill)s.")
            % {"carrier": carrier.name, "waybill": waybill_number},
            {"fields": {"waybill": [_("Unknown waybill number.")]}},
        )
    try:
        with transaction.atomic():
            event = CarrierEvent.objects.create(
                carrier=carrier,
                event_id=event_id,
                parcel=parcel,
                kind=kind,
                occurred_at=occurred_at,
                place=place,
                description=description,
            )
            _apply_event(event)
    except IntegrityError:
        # a concurrent push of the same event recorded it first
        return EventResult(CarrierEvent.objects.get(carrier=carrier, event_id=event_id), False)
    return EventResult(event, True)


def _apply_event(event: CarrierEvent) -> None:
    parcel = Parcel.objects.select_for_update().get(pk=event.parcel_id)
    if parcel.state == ParcelState.PACKED:
        raise ConflictError(
            _("Parcel %(number)s has not been handed over yet.") % {"number": parcel.number}
        )
    parcel.last_event = f"{event.get_kind_display()} {event.place} {event.description}".strip()
    fields = ["last_event"]
    if event.kind == CarrierEventKind.IN_TRANSIT and parcel.state == ParcelState.HANDED_OVER:
        parcel.state = ParcelState.IN_TRANSIT
        fields.append("state")
    elif event.kind == CarrierEventKind.DELIVERED and parcel.state != ParcelState.DELIVERED:
        parcel.state = ParcelState.DELIVERED
        parcel.delivered_at = event.occurred_at
        fields += ["state", "delivered_at"]
        notes = list(
            DeliveryNote.objects.select_for_update().filter(parcel=parcel, state=NoteState.SHIPPED)
        )
        for note in notes:
            transition(
                note, "deliver", by=None, update_fields=["delivered_at"], at=event.occurred_at
            )
        _orders_follow(notes, NoteState.DELIVERED, order_services.order_deliver, None)
        _announce_on_commit(parcel_delivered, parcel)
    elif event.kind == CarrierEventKind.EXCEPTION:
        parcel.state = ParcelState.EXCEPTION
        fields.append("state")
        numbers = ", ".join(
            Order.objects.filter(delivery_notes__parcel=parcel)
            .distinct()
            .values_list("number", flat=True)
        )
        notify_role(
            role=RoleCode.AFTERSALES_SERVICE,
            title=_("Delivery exception: waybill %(waybill)s") % {"waybill": parcel.waybill_number},
            body=_("%(carrier)s reports: %(description)s (%(place)s). Orders: %(orders)s.")
            % {
                "carrier": parcel.carrier.name,
                "description": event.description,
                "place": event.place,
                "orders": numbers,
            },
            url=reverse("warehouse:parcel_detail", args=[parcel.pk]),
            level="danger",
            key=f"carrier-exception-{event.pk}",
        )
    parcel.save(update_fields=fields)
