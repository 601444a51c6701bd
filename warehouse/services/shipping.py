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
from django_fsm import can_proceed

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError
from ecomops.fsm import bulk_transition, transition
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
        transition(
            manifest,
            "sign",
            by=by,
            update_fields=["courier_name", "counted_parcels", "signed_at"],
            at=now,
            courier_name=courier_name,
            counted=counted,
        )
        # set-based: a manifest holds a whole day's parcels of a carrier; one log row each
        bulk_transition(
            parcels,
            "hand_over",
            by=by,
            reason=_("Hand-over %(manifest)s signed by the courier %(courier)s.")
            % {"manifest": manifest.number, "courier": courier_name},
        )
        notes = list(
            DeliveryNote.objects.select_for_update()
            .filter(parcel__in=parcels, state=NoteState.PACKED)
            .order_by("pk")
        )
        for note in notes:
            transition(note, "ship", by=by, update_fields=["shipped_at"], at=now)
        _orders_follow(notes, NoteState.SHIPPED, order_services.order_ship, by)
        for batch_id in sorted({note.batch_id for note in notes if note.batch_id}):
            batch_check_done(batch_id, by=by)
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


# carrier event kind -> the parcel's transition it asks for
EVENT_TRANSITIONS = {
    CarrierEventKind.IN_TRANSIT: "transit",
    CarrierEventKind.DELIVERED: "deliver",
    CarrierEventKind.EXCEPTION: "report_exception",
}


def _apply_event(event: CarrierEvent) -> None:
    """Move the parcel as the event says, when its state allows; otherwise only note it."""
    parcel = Parcel.objects.select_for_update().select_related("carrier").get(pk=event.parcel_id)
    if parcel.state == ParcelState.PACKED:
        raise ConflictError(
            _("Parcel %(number)s has not been handed over yet.") % {"number": parcel.number}
        )
    summary = f"{event.get_kind_display()} {event.place} {event.description}".strip()
    name = EVENT_TRANSITIONS[CarrierEventKind(event.kind)]
    if can_proceed(getattr(parcel, name)):
        reason = _("%(carrier)s tracking event %(event)s: %(summary)s") % {
            "carrier": parcel.carrier.name,
            "event": event.event_id,
            "summary": summary,
        }
        _parcel_move(
            parcel, name, by=None, reason=reason, event=summary, at=event.occurred_at, key=event.pk
        )
    else:
        parcel.last_event = summary[:300]
        parcel.save(update_fields=["last_event"])
        if name == "report_exception":
            _notify_exception(parcel, summary, key=f"carrier-exception-{event.pk}")


def _parcel_move(
    parcel: Parcel,
    name: str,
    *,
    by: Any,
    reason: str,
    event: str,
    at: datetime,
    key: int | str,
) -> None:
    """Run the parcel's tracking transition and what follows it (notes, orders, people)."""
    kwargs: dict[str, Any] = {"event": event}
    fields = ["last_event"]
    if name == "deliver":
        kwargs["at"] = at
        fields.append("delivered_at")
    transition(parcel, name, by=by, reason=reason, update_fields=fields, **kwargs)
    if name == "deliver":
        notes = list(
            DeliveryNote.objects.select_for_update()
            .filter(parcel=parcel, state=NoteState.SHIPPED)
            .order_by("pk")
        )
        for note in notes:
            transition(
                note,
                "deliver",
                by=by,
                reason=reason,
                check_permission=False,
                update_fields=["delivered_at"],
                at=at,
            )
        _orders_follow(notes, NoteState.DELIVERED, order_services.order_deliver, by)
        _announce_on_commit(parcel_delivered, parcel)
    elif name == "report_exception":
        _notify_exception(parcel, event, key=f"carrier-exception-{key}")


def _notify_exception(parcel: Parcel, description: str, *, key: str) -> None:
    numbers = ", ".join(
        Order.objects.filter(delivery_notes__parcel=parcel)
        .distinct()
        .order_by("number")
        .values_list("number", flat=True)
    )
    notify_role(
        role=RoleCode.AFTERSALES_SERVICE,
        title=_("Delivery exception: waybill %(waybill)s") % {"waybill": parcel.waybill_number},
        body=_("%(carrier)s reports: %(description)s. Orders: %(orders)s.")
        % {"carrier": parcel.carrier.name, "description": description, "orders": numbers},
        url=reverse("warehouse:parcel_detail", args=[parcel.pk]),
        level="danger",
        key=key,
    )


# --- A manager's hand on a parcel (the carrier told by phone, a claim settled) -----------------


def _parcel_by_hand(*, parcel_id: int, name: str, reason: str, by: Any) -> Parcel:
    reason = (reason or "").strip()
    if not reason:
        raise ShippingError(
            _("Say why (who confirmed it, what the carrier said)."),
            {"fields": {"reason": [_("This field is required.")]}},
        )
    with transaction.atomic():
        parcel = Parcel.objects.select_for_update().select_related("carrier").get(pk=parcel_id)
        target = {
            "transit": ParcelState.IN_TRANSIT,
            "deliver": ParcelState.DELIVERED,
        }.get(name)
        if target is not None and parcel.state == target:
            return parcel
        now = timezone.now()
        _parcel_move(
            parcel,
            name,
            by=by,
            reason=reason,
            event=reason,
            at=now,
            key=f"{parcel.pk}-{now.timestamp():.0f}",
        )
    return parcel


def parcel_mark_in_transit(*, parcel_id: int, reason: str, by: Any) -> Parcel:
    """The parcel is on its way again (an exception cleared with the carrier)."""
    return _parcel_by_hand(parcel_id=parcel_id, name="transit", reason=reason, by=by)


def parcel_mark_delivered(*, parcel_id: int, reason: str, by: Any) -> Parcel:
    """Delivered, as the customer or the carrier confirmed outside the tracking feed: its
    notes and orders follow, as on the carrier's own delivered event."""
    return _parcel_by_hand(parcel_id=parcel_id, name="deliver", reason=reason, by=by)


def parcel_report_exception(*, parcel_id: int, reason: str, by: Any) -> Parcel:
    """A delivery exception reported by phone or by the customer: after-sales is told."""
    return _parcel_by_hand(parcel_id=parcel_id, name="report_exception", reason=reason, by=by)


def note_mark_delivered(*, note_id: int, reason: str, by: Any) -> Parcel:
    """A shipped note is delivered with its parcel: the whole parcel is marked delivered."""
    note = DeliveryNote.objects.get(pk=note_id)
    if note.parcel_id is None or note.state != NoteState.SHIPPED:
        raise ConflictError(
            _("Delivery note %(number)s is %(state)s: only a shipped note can be delivered.")
            % {"number": note.number, "state": note.get_state_display()}
        )
    return parcel_mark_delivered(parcel_id=note.parcel_id, reason=reason, by=by)
