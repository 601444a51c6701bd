"""Picking and sorting a wave; the parts admin's answer to a short pick.

A pick line is confirmed once, with the quantity found. What was picked leaves the bin
(a pick move: on hand and reserved down). What was not found is a short pick: its
reservation is released, the bin's count is written down (it is not there), the notes
that lose the units (latest first) are marked short and the parts admin is told.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError, PermissionDeniedError
from ecomops.fsm import bulk_transition_rows, transition
from ecomops.notifications.services import notify_role

from ..models import (
    DeliveryNote,
    DeliveryNoteLine,
    MoveKind,
    NoteState,
    PickLine,
    StockBalance,
    Wave,
    WaveState,
)
from .allocation import default_warehouse, new_note
from .stock import move_values, stock_move, stock_moves_record_select


class PickError(ApplicationError):
    """A pick confirmation that does not add up."""


def pick_confirm(*, line_id: int, picked_quantity: int, by: Any, reason: str = "") -> PickLine:
    """The picker took ``picked_quantity`` of the line from its bin (less is a short pick)."""
    reason = (reason or "").strip()
    with transaction.atomic():
        line = (
            PickLine.objects.select_for_update(of=("self",))
            .select_related("wave", "sku", "location")
            .get(pk=line_id)
        )
        if line.picked_quantity is not None:
            if line.picked_quantity == picked_quantity:
                return line
            raise ConflictError(
                _("This line was already confirmed with %(count)d picked.")
                % {"count": line.picked_quantity}
            )
        if line.wave.state != WaveState.PICKING:
            raise ConflictError(
                _("Wave %(wave)s is %(state)s: picking is over.")
                % {"wave": line.wave.number, "state": line.wave.get_state_display()}
            )
        if picked_quantity is None or not 0 <= picked_quantity <= line.quantity:
            raise PickError(
                _("Enter between 0 and %(count)d.") % {"count": line.quantity},
                {
                    "fields": {
                        "picked_quantity": [
                            _("Enter between 0 and %(count)d.") % {"count": line.quantity}
                        ]
                    }
                },
            )
        short = line.quantity - picked_quantity
        if short and not reason:
            raise PickError(
                _("Say why fewer were picked (empty bin, damaged, ...)."),
                {"fields": {"reason": [_("A short pick needs a reason.")]}},
            )
        now = timezone.now()
        line.picked_quantity = picked_quantity
        line.short_reason = reason if short else ""
        line.picked_by = acting_user(by)
        line.picked_at = now
        line.save(update_fields=["picked_quantity", "short_reason", "picked_by", "picked_at"])
        if picked_quantity:
            stock_move(
                kind=MoveKind.PICK,
                sku=line.sku,
                location=line.location,
                on_hand=-picked_quantity,
                reserved=-picked_quantity,
                reference=line.wave.number,
                by=by,
            )
        if short:
            _short_pick(line, short, reason, by)
        if not line.wave.pick_lines.filter(picked_quantity__isnull=True).exists():
            wave = Wave.objects.select_for_update().get(pk=line.wave_id)
            transition(wave, "finish_picking", by=None, update_fields=["picked_at"], at=now)
    return line


def wave_pick_all(*, wave_id: int, by: Any) -> Wave:
    """Every line of the wave not confirmed yet is picked in full: ``pick_confirm`` with
    the line's quantity for each, set-based (the picker's "all found" at the end of the
    walk; a whole wave scanned by a picking device).

    Lines already confirmed (short or in full) are left as they are. The lines are
    locked by pk before the wave, as ``pick_confirm`` locks its line before the wave; the
    pick moves are written from the lines and applied to the balances by
    ``stock_moves_record_select``, the lines stamped by one UPDATE, and the wave finishes
    picking: a fixed number of statements whatever the number of lines. A wave whose
    picking is over with nothing left to pick is returned as it is (idempotent).
    """
    with transaction.atomic():
        line_ids = list(
            PickLine.objects.select_for_update()
            .filter(wave_id=wave_id, picked_quantity__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        wave = Wave.objects.select_for_update().get(pk=wave_id)
        if not line_ids and wave.state != WaveState.PICKING:
            return wave
        if wave.state != WaveState.PICKING:
            raise ConflictError(
                _("Wave %(wave)s is %(state)s: picking is over.")
                % {"wave": wave.number, "state": wave.get_state_display()}
            )
        now = timezone.now()
        lines = PickLine.objects.filter(pk__in=line_ids)
        stock_moves_record_select(
            lines.filter(quantity__gt=0).annotate(
                **move_values(
                    kind=MoveKind.PICK,
                    sku=F("sku_id"),
                    location=F("location_id"),
                    on_hand=-F("quantity"),
                    reserved=-F("quantity"),
                    reference=wave.number,
                    by=by,
                    at=now,
                )
            )
        )
        lines.update(
            picked_quantity=F("quantity"), short_reason="", picked_by=acting_user(by), picked_at=now
        )
        # every line left was locked and is picked now: the wave's picking is over
        transition(wave, "finish_picking", by=None, update_fields=["picked_at"], at=now)
    return wave


def _short_pick(line: PickLine, short: int, reason: str, by: Any) -> None:
    stock_move(
        kind=MoveKind.RELEASE,
        sku=line.sku,
        location=line.location,
        reserved=-short,
        reference=line.wave.number,
        reason=reason,
        by=by,
    )
    balance = StockBalance.objects.select_for_update().get(sku=line.sku, location=line.location)
    write_off = min(short, balance.on_hand - balance.reserved)
    if write_off > 0:
        stock_move(
            kind=MoveKind.ADJUSTMENT,
            sku=line.sku,
            location=line.location,
            on_hand=-write_off,
            reason=_("Short pick in wave %(wave)s: %(reason)s")
            % {"wave": line.wave.number, "reason": reason},
            reference=line.wave.number,
            by=by,
        )
    left = short
    affected: list[str] = []
    note_lines = (
        DeliveryNoteLine.objects.select_for_update(of=("self",))
        .filter(note__wave=line.wave, sku=line.sku, location=line.location)
        .select_related("note")
        .order_by("-note_id", "-pk")
    )
    for note_line in note_lines:
        if not left:
            break
        take = min(left, note_line.quantity - note_line.short_quantity)
        if take <= 0:
            continue
        note_line.short_quantity += take
        note_line.save(update_fields=["short_quantity"])
        DeliveryNote.objects.filter(pk=note_line.note_id).update(short=True)
        affected.append(note_line.note.number)
        left -= take
    notify_role(
        role=RoleCode.BU_PARTS_ADMIN,
        title=_("Short pick: %(sku)s in wave %(wave)s")
        % {"sku": line.sku.code, "wave": line.wave.number},
        body=_("%(short)d missing in %(location)s (%(reason)s). Delivery notes: %(notes)s.")
        % {
            "short": short,
            "location": line.location.code,
            "reason": reason,
            "notes": ", ".join(affected),
        },
        url=reverse("warehouse:allocation_queue"),
        level="warning",
        key=f"short-pick-{line.pk}",
    )


def wave_sort(*, wave_id: int, by: Any) -> Wave:
    """Everything picked is sorted into its orders: the notes are ready for packing."""
    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave_id)
        if wave.state in (WaveState.SORTED, WaveState.DONE):
            return wave
        transition(wave, "sort", by=by, update_fields=["sorted_at"], at=timezone.now())
        # every note moves alike (released → picked, stamped now): rows, not objects
        bulk_transition_rows(
            DeliveryNote,
            DeliveryNote.objects.filter(wave=wave, state=NoteState.RELEASED).values_list(
                "pk", flat=True
            ),
            "pick",
            by=by,
            update_fields=["picked_at"],
            at=timezone.now(),
        )
    return wave


def short_note_split(*, note_id: int, by: Any) -> DeliveryNote:
    """Ship what was picked of a short note; the missing units go on a new waiting note."""
    with transaction.atomic():
        note = DeliveryNote.objects.select_for_update().get(pk=note_id)
        if not note.short:
            raise ConflictError(
                _("Delivery note %(number)s is not short.") % {"number": note.number}
            )
        if by is not None and not by.has_perm("warehouse.allocate_stock"):
            raise PermissionDeniedError(_("Only the parts admin resolves short picks."))
        rest = new_note(
            note.order,
            default_warehouse(),
            by,
            part=(
                note.order.delivery_notes.order_by("-part").values_list("part", flat=True)[0] + 1
            ),
            state=NoteState.WAITING,
        )
        remaining = 0
        for line in note.lines.select_for_update():
            if line.short_quantity:
                DeliveryNoteLine.objects.create(
                    note=rest,
                    order_line_id=line.order_line_id,
                    sku_id=line.sku_id,
                    quantity=line.short_quantity,
                )
                line.quantity -= line.short_quantity
                line.short_quantity = 0
                if line.quantity:
                    line.save(update_fields=["quantity", "short_quantity"])
                else:
                    line.delete()
            remaining += line.quantity
        note.short = False
        if remaining:
            note.save(update_fields=["short"])
        else:
            transition(
                note,
                "cancel",
                by=None,
                update_fields=["short", "cancelled_at", "cancel_reason"],
                at=timezone.now(),
                why=_("Nothing was picked; moved to %(number)s.") % {"number": rest.number},
            )
    return rest
