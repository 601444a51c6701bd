"""The pack station: scan the delivery note, scan every item, weigh, close the parcel.

A scan that is not an item of the parcel (a wrong SKU) or one too many (an extra unit) is
refused and recorded, and the packer sees why. Notes of one merged parcel are packed
together: scanning any of them brings up all. Closing takes the waybill number (typed,
or the carrier's next from its range) and tells finance by ``parcel_packed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError
from ecomops.fsm import transition
from ecomops.numbering.services import next_number
from listings.models import Sku

from ..extensions import parcel_inserts
from ..models import (
    Carrier,
    DeliveryNote,
    DeliveryNoteLine,
    NoteState,
    PackScan,
    Parcel,
    Wave,
    WaveState,
)
from ..signals import parcel_packed


class PackError(ApplicationError):
    """The packer's input is refused (unknown note, parcel not complete, no weight)."""


@dataclass
class ScanResult:
    accepted: bool
    message: str
    sku_code: str = ""
    lines: list[DeliveryNoteLine] = field(default_factory=list)


def pack_find(code: str) -> list[DeliveryNote]:
    """The notes to pack for a scanned delivery-note or order number (a merged parcel: all)."""
    code = (code or "").strip()
    if not code:
        raise PackError(
            _("Scan a delivery note."), {"fields": {"code": [_("This field is required.")]}}
        )
    return _pack_group(_note_for(code), code)


def _note_for(code: str) -> DeliveryNote | None:
    """The live note of a delivery-note number, else an order's last live part.

    Two lookups, each by a unique index (the note's number; the order's number, then its
    notes by the (order, part) index), where one filter ``number = code OR order.number =
    code`` read every note joined to its order on each scan. Notes (DN…) and orders (SO…)
    are numbered in different series, so a code is never both.
    """
    live = DeliveryNote.objects.exclude(state=NoteState.CANCELLED).select_related("order")
    note = live.filter(number=code).first()
    if note is None:
        note = live.filter(order__number=code).order_by("-part").first()
    return note


def _pack_group(note: DeliveryNote | None, code: str) -> list[DeliveryNote]:
    """``note``'s parcel group, or why it cannot be packed; ``code`` is what was scanned."""
    if note is None or note.state == NoteState.CANCELLED:
        raise PackError(
            _("No delivery note or order has the number %(code)s.") % {"code": code},
            {"fields": {"code": [_("Unknown number.")]}},
        )
    if note.state != NoteState.PICKED:
        raise ConflictError(
            _("Delivery note %(number)s is %(state)s: only sorted notes are packed.")
            % {"number": note.number, "state": note.get_state_display()}
        )
    if note.short:
        raise ConflictError(
            _("Delivery note %(number)s was picked short: it waits for the parts admin.")
            % {"number": note.number}
        )
    if note.merged and note.merge_key:
        return list(
            DeliveryNote.objects.filter(
                wave_id=note.wave_id, merge_key=note.merge_key, state=NoteState.PICKED, short=False
            )
            .select_related("order")
            .order_by("pk")
        )
    return [note]


def _pack_group_of(note_id: int) -> list[DeliveryNote]:
    """The group of the note the packer has open (by id: no number lookup on every scan)."""
    note = DeliveryNote.objects.select_related("order").get(pk=note_id)
    return _pack_group(note, note.number)


def pack_lines(notes: list[DeliveryNote]) -> list[DeliveryNoteLine]:
    return list(
        DeliveryNoteLine.objects.filter(note__in=notes)
        .select_related("sku", "note")
        .order_by("note_id", "order_line__position", "pk")
    )


def _sku_for(code: str) -> Sku | None:
    return Sku.objects.filter(Q(barcode=code) | Q(code=code)).first()


def pack_scan(*, note_id: int, code: str, by: Any) -> ScanResult:
    """One item scanned into the parcel of ``note_id``'s group: counted or refused."""
    code = (code or "").strip()
    with transaction.atomic():
        notes = _pack_group_of(note_id)
        lines = list(
            DeliveryNoteLine.objects.select_for_update(of=("self",))
            .filter(note__in=notes)
            .select_related("sku", "note")
            .order_by("note_id", "pk")
        )
        sku = _sku_for(code) if code else None
        if sku is None:
            result = ScanResult(
                False, _("Wrong item: %(code)s is not an item of this parcel.") % {"code": code}
            )
        else:
            open_line = next(
                (
                    line
                    for line in lines
                    if line.sku_id == sku.pk and line.packed_quantity < line.to_pack
                ),
                None,
            )
            if open_line is not None:
                open_line.packed_quantity += 1
                open_line.save(update_fields=["packed_quantity"])
                result = ScanResult(
                    True,
                    _("%(sku)s: %(packed)d of %(total)d")
                    % {
                        "sku": sku.name,
                        "packed": open_line.packed_quantity,
                        "total": open_line.to_pack,
                    },
                    sku.code,
                )
            elif any(line.sku_id == sku.pk for line in lines):
                total = sum(line.to_pack for line in lines if line.sku_id == sku.pk)
                result = ScanResult(
                    False,
                    _("Extra item: all %(total)d of %(sku)s are already in the parcel.")
                    % {"total": total, "sku": sku.code},
                    sku.code,
                )
            else:
                result = ScanResult(
                    False,
                    _("Wrong item: %(sku)s %(name)s is not in this parcel.")
                    % {"sku": sku.code, "name": sku.name},
                    sku.code,
                )
        PackScan.objects.create(
            note=notes[0],
            code=code[:64],
            sku=sku,
            accepted=result.accepted,
            message=result.message,
            scanned_by=acting_user(by),
        )
        result.lines = lines
    return result


def carrier_next_waybill(carrier: Carrier) -> str | None:
    """The next number of the carrier's waybill range; None if it has no range."""
    with transaction.atomic():
        locked = Carrier.objects.select_for_update().get(pk=carrier.pk)
        if locked.waybill_next is None:
            return None
        if locked.waybill_last is not None and locked.waybill_next > locked.waybill_last:
            raise PackError(
                _("The waybill range of %(carrier)s is used up: ask the carrier for a new one.")
                % {"carrier": locked.name}
            )
        number = locked.waybill_next
        locked.waybill_next = number + 1
        locked.save(update_fields=["waybill_next"])
    return f"{locked.waybill_prefix}{number}"


def pack_close(
    *, note_id: int, weight_grams: int | None, by: Any, waybill_number: str = ""
) -> Parcel:
    """Close the parcel: every item scanned, weighed, with a waybill number."""
    waybill_number = (waybill_number or "").strip()
    with transaction.atomic():
        group = _pack_group_of(note_id)
        # The order and carrier come with the locked notes: no query per note below.
        notes = list(
            DeliveryNote.objects.select_for_update(of=("self",))
            .select_related("order", "carrier")
            .filter(pk__in=[n.pk for n in group])
        )
        lines = pack_lines(notes)
        errors: dict[str, list[str]] = {}
        missing = [
            f"{line.sku.code} ×{line.to_pack - line.packed_quantity}"
            for line in lines
            if line.packed_quantity < line.to_pack
        ]
        if missing:
            errors["items"] = [_("Still to scan: %(items)s.") % {"items": ", ".join(missing)}]
        if not weight_grams or weight_grams <= 0:
            errors["weight_grams"] = [_("Weigh the parcel and enter its weight in grams.")]
        carrier = notes[0].carrier
        if errors or weight_grams is None:
            raise PackError(_("The parcel cannot be closed yet."), {"fields": errors})
        if not waybill_number:
            waybill_number = carrier_next_waybill(carrier) or ""
        if not waybill_number:
            raise PackError(
                _("Enter the waybill number: %(carrier)s has no number range here.")
                % {"carrier": carrier.name},
                {"fields": {"waybill_number": [_("This field is required.")]}},
            )
        orders = [note.order for note in notes]
        try:
            with transaction.atomic():
                parcel = Parcel.objects.create(
                    number=next_number("PK", width=5),
                    carrier=carrier,
                    waybill_number=waybill_number,
                    weight_grams=weight_grams,
                    inserts=[insert.as_dict() for insert in parcel_inserts(orders)],
                    packed_by=acting_user(by),
                )
        except IntegrityError as exc:
            raise PackError(
                _("Waybill %(number)s is already on another parcel.") % {"number": waybill_number},
                {"fields": {"waybill_number": [_("Already used.")]}},
            ) from exc
        now = timezone.now()
        for note in notes:
            transition(
                note, "pack", by=by, update_fields=["packed_at", "parcel"], at=now, parcel=parcel
            )
        _wave_done(notes[0].wave_id)
        transaction.on_commit(
            lambda: parcel_packed.send(sender=Parcel, parcel=parcel, orders=orders)
        )
    return parcel


def _wave_done(wave_id: int | None) -> None:
    if wave_id is None:
        return
    wave = Wave.objects.select_for_update().get(pk=wave_id)
    if wave.state != WaveState.SORTED:
        return
    if wave.notes.filter(state__in=(NoteState.RELEASED, NoteState.PICKED)).exists():
        return
    transition(wave, "finish", by=None, update_fields=["done_at"], at=timezone.now())
