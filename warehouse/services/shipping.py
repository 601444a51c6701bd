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
from typing import Any, cast

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed
from django_fsm_log.models import StateLog

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError
from ecomops.fsm import bulk_transition, bulk_transition_rows, transition
from ecomops.notifications.services import notify_role
from ecomops.numbering.services import next_number
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
from ..signals import parcel_delivered, parcel_shipped, parcels_shipped
from .batches import batch_check_done
from .confirmations import confirmations_write


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
    """The courier counted the parcels and signed: they are shipped.

    Set-based, as a manifest holds a whole day's parcels of a carrier: the parcels, their
    notes and the orders whose notes have all left each move by a fixed number of
    statements with their state-log rows (``ecomops.fsm``), whatever the parcel count; only
    the batches the notes came in are checked one by one (a day has two).
    """
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
        bulk_transition(
            parcels,
            "hand_over",
            by=by,
            reason=_("Hand-over %(manifest)s signed by the courier %(courier)s.")
            % {"manifest": manifest.number, "courier": courier_name},
        )
        notes = list(
            DeliveryNote.objects.filter(parcel__manifest=manifest, state=NoteState.PACKED)
            .order_by("pk")
            .values_list("pk", "order_id", "batch_id")
        )
        bulk_transition_rows(
            DeliveryNote,
            [pk for pk, _order, _batch in notes],
            "ship",
            by=by,
            update_fields=["shipped_at"],
            at=now,
        )
        _orders_follow({order_id for _pk, order_id, _batch in notes}, "ship", by=by)
        # 发货回传: the channels hear of it from an outbox written in this transaction
        confirmations_write(manifest=manifest, at=now)
        for batch_id in sorted({batch_id for _pk, _order, batch_id in notes if batch_id}):
            batch_check_done(batch_id, by=by)
        _announce_on_commit(
            parcel_shipped,
            [parcel for parcel in parcels if parcel.state == ParcelState.HANDED_OVER],
            many=parcels_shipped,
        )
    return manifest


def _announce_on_commit(signal: Any, parcels: list[Parcel], *, many: Any = None) -> None:
    """Send ``signal`` for each parcel with its orders once the transaction commits, and
    ``many`` (if given) once for every thousand parcels with all their orders; the orders
    are read then, for a thousand parcels at a time (one query each)."""
    if not parcels:
        return

    def send() -> None:
        for start in range(0, len(parcels), 1000):
            chunk = parcels[start : start + 1000]
            orders: dict[int, dict[int, Order]] = {parcel.pk: {} for parcel in chunk}
            for order in (
                Order.objects.filter(delivery_notes__parcel__in=chunk)
                .annotate(announced_parcel_id=F("delivery_notes__parcel_id"))
                .order_by("pk")
            ):
                orders[order.announced_parcel_id].setdefault(order.pk, order)
            for parcel in chunk:
                signal.send(sender=Parcel, parcel=parcel, orders=list(orders[parcel.pk].values()))
            if many is not None:
                many.send(
                    sender=Parcel,
                    parcels=chunk,
                    orders=[order for of in orders.values() for order in of.values()],
                )

    transaction.on_commit(send)


# what keeps an order from following its notes to a state: a note still behind it
_BEHIND = {
    "ship": [
        NoteState.WAITING,
        NoteState.ALLOCATED,
        NoteState.RELEASED,
        NoteState.PICKED,
        NoteState.PACKED,
    ],
}
_BEHIND["deliver"] = [*_BEHIND["ship"], NoteState.SHIPPED]
_STAMP = {"ship": "shipped_at", "deliver": "delivered_at"}


def _orders_follow(order_ids: set[int], name: str, *, by: Any) -> list[int]:
    """Move on (``Order.ship`` or ``Order.deliver``) each order none of whose notes is
    behind: one query per 5,000 orders to find them, then ``bulk_transition_rows`` (locked,
    one guarded UPDATE and one INSERT of log rows per 5,000). Orders already there are left
    as they are. The order's own transitions say what they write; the orders app's
    ``order_ship``/``order_deliver`` do the same for one order."""
    ids = sorted(order_ids)
    behind = DeliveryNote.objects.filter(order_id=OuterRef("pk"), state__in=_BEHIND[name])
    ready: list[int] = []
    for start in range(0, len(ids), 5000):
        ready.extend(
            Order.objects.filter(pk__in=ids[start : start + 5000])
            .exclude(Exists(behind))
            .values_list("pk", flat=True)
        )
    return bulk_transition_rows(
        Order, ready, name, by=by, update_fields=[_STAMP[name]], at=timezone.now()
    )


@dataclass
class EventResult:
    event: CarrierEvent
    created: bool


@dataclass
class CarrierEventIn:
    """One tracking event as a carrier pushes it."""

    event_id: str
    waybill_number: str
    kind: str
    occurred_at: datetime
    place: str = ""
    description: str = ""


@dataclass
class EventOutcome:
    """What became of one event of a batch: recorded (``result``, ``created`` false for an
    event recorded before) or refused with the error one push of it would raise."""

    event_id: str
    result: EventResult | None = None
    error: ApplicationError | None = None


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
    (outcome,) = carrier_events_record_many(
        carrier=carrier,
        events=[
            CarrierEventIn(
                event_id=event_id,
                waybill_number=waybill_number,
                kind=kind,
                occurred_at=occurred_at,
                place=place,
                description=description,
            )
        ],
    )
    if outcome.result is None:
        raise cast(ApplicationError, outcome.error)
    return outcome.result


def carrier_events_record_many(
    *, carrier: Carrier, events: list[CarrierEventIn]
) -> list[EventOutcome]:
    """Record many tracking events of one carrier, each once (idempotent on its event id),
    with what ``carrier_event_record`` does for one, answered per event in their order.

    Set-based: the parcels are locked and the events read and written by one statement
    each, and the parcels move (with their notes and orders on a delivery) by a fixed
    number of statements per round, a round taking the next event of each parcel: a
    parcel's events apply in the order given, and a batch of one event per parcel (a
    carrier's pick-up scans) is one round. Only an exception tells after-sales one
    parcel at a time. A refused event (unknown waybill, parcel not handed over) records
    nothing and does not stop the others.
    """
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _record_events(carrier, events)
        except IntegrityError:
            # a concurrent push recorded one of these first: the retry finds it recorded
            if attempt:
                raise
    raise AssertionError("unreachable")


# carrier event kind -> the parcel's transition it asks for
EVENT_TRANSITIONS = {
    CarrierEventKind.IN_TRANSIT: "transit",
    CarrierEventKind.DELIVERED: "deliver",
    CarrierEventKind.EXCEPTION: "report_exception",
}


def _record_events(carrier: Carrier, events: list[CarrierEventIn]) -> list[EventOutcome]:
    parcels: dict[str, Parcel] = {}
    for parcel in (
        Parcel.objects.select_for_update()
        .filter(carrier=carrier, waybill_number__in={event.waybill_number for event in events})
        .order_by("pk")
    ):
        parcel.carrier = carrier
        parcels[parcel.waybill_number] = parcel
    # read after the parcels are locked: a concurrent push of the same event has committed
    recorded = {
        event.event_id: event
        for event in CarrierEvent.objects.filter(
            carrier=carrier, event_id__in={event.event_id for event in events}
        )
    }
    outcomes: list[EventOutcome] = []
    new: list[CarrierEvent] = []
    for pushed in events:
        outcome = EventOutcome(pushed.event_id)
        outcomes.append(outcome)
        if pushed.event_id in recorded:
            outcome.result = EventResult(recorded[pushed.event_id], False)
            continue
        parcel = parcels.get(pushed.waybill_number)
        if parcel is None:
            outcome.error = ShippingError(
                _("No parcel of %(carrier)s has waybill %(waybill)s.")
                % {"carrier": carrier.name, "waybill": pushed.waybill_number},
                {"fields": {"waybill": [_("Unknown waybill number.")]}},
            )
            continue
        if parcel.state == ParcelState.PACKED:
            outcome.error = ConflictError(
                _("Parcel %(number)s has not been handed over yet.") % {"number": parcel.number}
            )
            continue
        event = CarrierEvent(
            carrier=carrier,
            event_id=pushed.event_id,
            parcel=parcel,
            kind=pushed.kind,
            occurred_at=pushed.occurred_at,
            place=pushed.place,
            description=pushed.description,
        )
        new.append(event)
        recorded[event.event_id] = event  # the same id again in this batch: recorded now
        outcome.result = EventResult(event, True)
    CarrierEvent.objects.bulk_create(new, batch_size=1000)
    rounds: list[list[CarrierEvent]] = []
    seen: dict[int, int] = {}
    for event in new:
        index = seen.get(event.parcel_id, 0)
        seen[event.parcel_id] = index + 1
        if index == len(rounds):
            rounds.append([])
        rounds[index].append(event)
    for round_events in rounds:
        _apply_events(round_events)
    return outcomes


def _apply_events(events: list[CarrierEvent]) -> None:
    """Move each event's parcel (one event per parcel) as the event says, when its state
    allows; otherwise only note the event on it (and tell after-sales of an exception)."""
    moves: list[_Move] = []
    noted: list[Parcel] = []
    for event in events:
        parcel = event.parcel
        summary = f"{event.get_kind_display()} {event.place} {event.description}".strip()
        name = EVENT_TRANSITIONS[CarrierEventKind(event.kind)]
        if can_proceed(getattr(parcel, name)):
            reason = _("%(carrier)s tracking event %(event)s: %(summary)s") % {
                "carrier": parcel.carrier.name,
                "event": event.event_id,
                "summary": summary,
            }
            moves.append(_Move(parcel, name, reason, summary, event.occurred_at, event.pk))
        else:
            parcel.last_event = summary[:300]
            noted.append(parcel)
            if name == "report_exception":
                _notify_exception(parcel, summary, key=f"carrier-exception-{event.pk}")
    Parcel.objects.bulk_update(noted, ["last_event"], batch_size=1000)
    for name in EVENT_TRANSITIONS.values():
        group = [move for move in moves if move.name == name]
        fields = ["last_event", "delivered_at"] if name == "deliver" else ["last_event"]
        _transition_each(
            [move.parcel for move in group],
            name,
            by=None,
            reasons=[move.reason for move in group],
            arguments=[_move_arguments(move) for move in group],
            update_fields=fields,
        )
    _moves_follow(moves, by=None)


@dataclass
class _Move:
    """A parcel's tracking transition and what it came from."""

    parcel: Parcel
    name: str
    reason: str
    event: str
    at: datetime
    key: int | str


def _move_arguments(move: _Move) -> dict[str, Any]:
    if move.name == "deliver":
        return {"event": move.event, "at": move.at}
    return {"event": move.event}


def _transition_each(
    objects: list[Any],
    name: str,
    *,
    by: Any,
    reasons: list[str],
    arguments: list[dict[str, Any]],
    update_fields: list[str],
) -> list[Any]:
    """``ecomops.fsm.bulk_transition`` for objects that each bring their own arguments and
    reason (one carrier event each): every object goes through the transition's rules in
    memory, then all are written by one ``bulk_update`` per 1,000 and logged by one INSERT
    per 2,000 with what ``transition()`` records. The caller holds the rows locked; objects
    that cannot take the transition are left out, and those moved are returned."""
    if not objects:
        return []
    model = type(objects[0])
    method = getattr(model, name)
    meta = method._django_fsm
    state_field = meta.field.attname
    actor = acting_user(by)
    content_type = ContentType.objects.get_for_model(model)
    now = timezone.now()
    moved = []
    logs = []
    for obj, reason, kwargs in zip(objects, reasons, arguments, strict=True):
        source = obj.__dict__[state_field]
        if not meta.has_transition(source) or not meta.conditions_met(obj, source):
            continue
        target = meta.next_state(source)
        result = method.__wrapped__(obj, **kwargs)
        if hasattr(target, "get_state"):
            target = target.get_state(obj, None, result, kwargs=kwargs)
        meta.field.set_state(obj, target)
        moved.append(obj)
        logs.append(
            StateLog(
                timestamp=now,
                by=actor,
                source_state=source,
                state=target,
                transition=name,
                content_type=content_type,
                object_id=obj.pk,
                description=reason or None,
            )
        )
    model._default_manager.bulk_update(moved, [state_field, *update_fields], batch_size=1000)
    StateLog.objects.bulk_create(logs, batch_size=2000)
    return moved


def _moves_follow(moves: list[_Move], *, by: Any) -> None:
    """What follows parcels' tracking transitions: a delivered parcel's shipped notes are
    delivered (with its reason and time) and their orders once all their notes are; an
    exception tells after-sales service."""
    delivered = {move.parcel.pk: move for move in moves if move.name == "deliver"}
    if delivered:
        notes = list(
            DeliveryNote.objects.select_for_update()
            .filter(parcel_id__in=list(delivered), state=NoteState.SHIPPED)
            .order_by("pk")
        )
        _transition_each(
            notes,
            "deliver",
            by=by,
            reasons=[delivered[note.parcel_id].reason for note in notes],
            arguments=[{"at": delivered[note.parcel_id].at} for note in notes],
            update_fields=["delivered_at"],
        )
        _orders_follow({note.order_id for note in notes}, "deliver", by=by)
        _announce_on_commit(parcel_delivered, [move.parcel for move in delivered.values()])
    for move in moves:
        if move.name == "report_exception":
            _notify_exception(move.parcel, move.event, key=f"carrier-exception-{move.key}")


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
    move = _Move(parcel, name, reason, event, at, key)
    transition(
        parcel,
        name,
        by=by,
        reason=reason,
        update_fields=["last_event", "delivered_at"] if name == "deliver" else ["last_event"],
        **_move_arguments(move),
    )
    _moves_follow([move], by=by)


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
        parcel = (
            Parcel.objects.select_for_update(of=("self",))
            .select_related("carrier")
            .get(pk=parcel_id)
        )
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
