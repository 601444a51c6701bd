"""Allocation: the business-unit parts admin checks stock and issues delivery notes.

DESIGN §4: the delivery-note clock runs from confirmation (1 hour); issuing the note stops
it. Stock is reserved bin by bin in walking order, under row locks on the balances, so two
parts admins allocating the last unit at once cannot both get it. Short of stock, the
order goes on a stock hold with the shortfall; the parts admin can split it: ship what is
there now, the rest later on a second delivery note.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError
from ecomops.fsm import transition
from ecomops.notifications.services import notify_role
from ecomops.numbering.services import next_number
from ecomops.sla.services import sla_clock_stop
from orders import services as order_services
from orders.models import Order, OrderLine, OrderState
from orders.selectors import DELIVERY_NOTE_CLOCK

from ..models import (
    Carrier,
    DeliveryNote,
    DeliveryNoteLine,
    MoveKind,
    NoteState,
    StockBalance,
    StockHold,
    Warehouse,
)
from .stock import stock_move


class AllocationError(ApplicationError):
    """The order or note cannot be allocated as asked."""


@dataclass
class Shortfall:
    sku_code: str
    sku_name: str
    needed: int
    available: int

    @property
    def missing(self) -> int:
        return self.needed - self.available

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku_code,
            "name": self.sku_name,
            "needed": self.needed,
            "available": self.available,
            "missing": self.missing,
        }


@dataclass
class Plan:
    """Where each order line's units come from: (order line, location id, quantity)."""

    picks: list[tuple[OrderLine, int, int]] = field(default_factory=list)
    shortfall: list[Shortfall] = field(default_factory=list)
    # what could not be taken now, per order line
    missing: dict[int, int] = field(default_factory=dict)


@dataclass
class AllocationResult:
    issued: list[DeliveryNote] = field(default_factory=list)
    held: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def default_warehouse() -> Warehouse:
    warehouse = Warehouse.objects.filter(active=True).select_related("default_carrier").first()
    if warehouse is None:
        raise AllocationError(_("No warehouse is set up: add one in the admin first."))
    return warehouse


def _carrier(warehouse: Warehouse) -> Carrier:
    carrier = warehouse.default_carrier or Carrier.objects.filter(active=True).first()
    if carrier is None:
        raise AllocationError(_("No carrier is set up: add one in the admin first."))
    return carrier


def _merge_key(order: Order) -> str:
    if not order.channel.merge_parcels or order.customer_id is None:
        return ""
    address = "|".join(
        [
            order.receiver_phone,
            order.ship_province,
            order.ship_city,
            order.ship_district,
            order.ship_street,
        ]
    )
    return f"{order.customer_id}:{hashlib.sha256(address.encode()).hexdigest()[:16]}"


def _plan(
    warehouse: Warehouse, needs: Sequence[tuple[OrderLine, int]], *, partial: bool = False
) -> Plan:
    """Take each need from the balances (locked) in walking order."""
    balances = list(
        StockBalance.objects.select_for_update(of=("self",))
        .filter(
            sku_id__in={line.sku_id for line, _qty in needs},
            location__warehouse=warehouse,
            location__active=True,
        )
        .select_related("location")
        .order_by("location__walk_order", "location__code", "pk")
    )
    free = {b.pk: b.on_hand - b.reserved for b in balances}
    plan = Plan()
    by_sku: dict[int, list[StockBalance]] = defaultdict(list)
    for balance in balances:
        by_sku[balance.sku_id].append(balance)
    wanted: dict[int, int] = defaultdict(int)
    for line, quantity in needs:
        wanted[line.sku_id] += quantity
    for line, quantity in needs:
        left = quantity
        for balance in by_sku[line.sku_id]:
            take = min(left, free[balance.pk])
            if take > 0:
                plan.picks.append((line, balance.location_id, take))
                free[balance.pk] -= take
                left -= take
            if not left:
                break
        if left:
            plan.missing[line.pk] = left
    reported = set()
    for line, _quantity in needs:
        if line.pk in plan.missing and line.sku_id not in reported:
            reported.add(line.sku_id)
            have = sum(b.on_hand - b.reserved for b in by_sku[line.sku_id])
            plan.shortfall.append(
                Shortfall(line.sku.code, line.sku.name, wanted[line.sku_id], max(have, 0))
            )
    if not partial and plan.shortfall:
        plan.picks = []
    return plan


def _reserve(note: DeliveryNote, picks: Iterable[tuple[OrderLine, int, int]], by: Any) -> None:
    for order_line, location_id, quantity in picks:
        DeliveryNoteLine.objects.create(
            note=note,
            order_line=order_line,
            sku_id=order_line.sku_id,
            location_id=location_id,
            quantity=quantity,
        )
        stock_move(
            kind=MoveKind.RESERVATION,
            sku=order_line.sku_id,
            location=location_id,
            reserved=quantity,
            reference=note.number,
            note=note,
            by=by,
        )


def new_note(order: Order, warehouse: Warehouse, by: Any, *, part: int, state: str) -> DeliveryNote:
    note = DeliveryNote(
        number=next_number("DN", width=5),
        order=order,
        part=part,
        warehouse=warehouse,
        carrier=_carrier(warehouse),
        merge_key=_merge_key(order),
        issued_by=acting_user(by),
        allocated_at=timezone.now() if state == NoteState.ALLOCATED else None,
    )
    note.__dict__["state"] = state  # a new note starts in its first state, not a transition
    note.save()
    return note


def _hold(order: Order, shortfall: list[Shortfall]) -> StockHold:
    hold = StockHold.objects.filter(order=order, resolved_at__isnull=True).first()
    rows = [s.as_dict() for s in shortfall]
    if hold is None:
        return StockHold.objects.create(order=order, shortfall=rows)
    hold.shortfall = rows
    hold.save(update_fields=["shortfall"])
    return hold


def _resolve_holds(order: Order, resolution: str) -> None:
    StockHold.objects.filter(order=order, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolution=resolution
    )


def _lock_confirmed(order_id: int) -> Order | None:
    """The order, locked; None when it already has its delivery note (idempotent)."""
    order = Order.objects.select_for_update(of=("self",)).select_related("channel").get(pk=order_id)
    if order.state != OrderState.CONFIRMED:
        if order.delivery_notes.exists():
            return None
        raise ConflictError(
            _("Order %(number)s is %(state)s: only confirmed orders get a delivery note.")
            % {"number": order.number, "state": order.get_state_display()}
        )
    return order


def _needs(order: Order) -> list[tuple[OrderLine, int]]:
    return [
        (line, line.quantity) for line in order.lines.select_related("sku").order_by("position")
    ]


def _issued(order: Order, by: Any, resolution: str) -> None:
    """The order has its delivery note: holds resolved, order allocated, clock stopped."""
    _resolve_holds(order, resolution)
    order_services.order_allocate(order_id=order.pk, by=by)
    sla_clock_stop(code=DELIVERY_NOTE_CLOCK, obj=order)


def allocate_order(*, order_id: int, by: Any) -> DeliveryNote | None:
    """Reserve stock for a confirmed order and issue its delivery note.

    Returns the note, or None when stock is short: the order is then on a stock hold with
    the shortfall recorded (and the parts admin notified by ``allocation_issue``).
    """
    with transaction.atomic():
        warehouse = default_warehouse()
        order = _lock_confirmed(order_id)
        if order is None:
            return DeliveryNote.objects.filter(order_id=order_id).order_by("part").first()
        plan = _plan(warehouse, _needs(order))
        if plan.shortfall:
            _hold(order, plan.shortfall)
            return None
        note = new_note(order, warehouse, by, part=1, state=NoteState.ALLOCATED)
        _reserve(note, plan.picks, by)
        _issued(order, by, _("delivery note issued"))
    return note


def allocation_split(*, order_id: int, by: Any) -> list[DeliveryNote]:
    """Ship what is in stock now (delivery note 1) and the rest later (note 2, waiting)."""
    with transaction.atomic():
        warehouse = default_warehouse()
        order = _lock_confirmed(order_id)
        if order is None:
            raise ConflictError(_("This order already has its delivery note."))
        needs = _needs(order)
        plan = _plan(warehouse, needs, partial=True)
        if not plan.picks:
            raise AllocationError(
                _("Nothing of order %(number)s is in stock: there is nothing to ship now.")
                % {"number": order.number}
            )
        if not plan.missing:
            raise AllocationError(
                _("Everything of order %(number)s is in stock: issue its delivery note instead.")
                % {"number": order.number}
            )
        first = new_note(order, warehouse, by, part=1, state=NoteState.ALLOCATED)
        _reserve(first, plan.picks, by)
        rest = new_note(order, warehouse, by, part=2, state=NoteState.WAITING)
        for line, _quantity in needs:
            if line.pk in plan.missing:
                DeliveryNoteLine.objects.create(
                    note=rest, order_line=line, sku_id=line.sku_id, quantity=plan.missing[line.pk]
                )
        _issued(order, by, _("split: the rest ships later"))
    return [first, rest]


def note_allocate_waiting(*, note_id: int, by: Any) -> DeliveryNote:
    """Stock has come in for a waiting note (a split's second part): reserve it now."""
    with transaction.atomic():
        note = DeliveryNote.objects.select_for_update().select_related("warehouse").get(pk=note_id)
        if note.state == NoteState.ALLOCATED:
            return note
        lines = list(note.lines.select_related("order_line__sku", "sku"))
        plan = _plan(note.warehouse, [(line.order_line, line.quantity) for line in lines])
        if plan.shortfall:
            raise AllocationError(
                _("Still short of stock: %(items)s.")
                % {"items": ", ".join(f"{s.sku_code} -{s.missing}" for s in plan.shortfall)},
                {"shortfall": [s.as_dict() for s in plan.shortfall]},
            )
        for line in lines:
            line.delete()
        _reserve(note, plan.picks, by)
        transition(note, "allocate", by=by, update_fields=["allocated_at"], at=timezone.now())
    return note


def allocation_issue(*, order_ids: Iterable[int], by: Any) -> AllocationResult:
    """Issue delivery notes for several orders: the parts admin's "issue" button.

    Each order is its own transaction. The notes issued are announced to finance and the
    warehouse admin in one notification; each new stock hold to the parts admins.
    """
    result = AllocationResult()
    numbers = dict(Order.objects.filter(pk__in=list(order_ids)).values_list("pk", "number"))
    for order_id in sorted(numbers):
        try:
            note = allocate_order(order_id=order_id, by=by)
        except ApplicationError as exc:
            result.refused[numbers[order_id]] = exc.message
            continue
        if note is None:
            hold = StockHold.objects.get(order_id=order_id, resolved_at__isnull=True)
            result.held[numbers[order_id]] = hold.shortfall
            _notify_hold(numbers[order_id], hold)
        else:
            result.issued.append(note)
    if result.issued:
        announce_notes(result.issued)
    return result


def _notify_hold(order_number: str, hold: StockHold) -> None:
    items = ", ".join(f"{row['sku']} -{row['missing']}" for row in hold.shortfall)
    notify_role(
        role=RoleCode.BU_PARTS_ADMIN,
        title=_("Stock hold: order %(number)s") % {"number": order_number},
        body=_("Short of stock: %(items)s. Split the order or wait for stock.") % {"items": items},
        url=reverse("warehouse:allocation_queue"),
        level="warning",
        key=f"stock-hold-{hold.pk}",
    )


def announce_notes(notes: Sequence[DeliveryNote]) -> None:
    """Tell finance and the warehouse admin which delivery notes were issued."""
    numbers = ", ".join(note.number for note in notes)
    title = _("%(count)d delivery notes issued") % {"count": len(notes)}
    for role in (RoleCode.FINANCE_CLERK, RoleCode.WAREHOUSE_ADMIN):
        notify_role(
            role=role,
            title=title,
            body=numbers,
            url=reverse("warehouse:note_list"),
            key=f"notes-issued-{notes[0].number}-{len(notes)}",
        )
