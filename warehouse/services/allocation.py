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
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple, TypeAlias

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import has_transition_perm

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import acting_user
from ecomops.db import BusyError, retry_on_deadlock, with_retry_on_deadlock
from ecomops.errors import ApplicationError, ConflictError, PermissionDeniedError
from ecomops.fsm import bulk_transition_rows, transition, transition_label
from ecomops.gcpause import collector_paused
from ecomops.notifications.services import notify_role
from ecomops.numbering.services import next_number, next_numbers
from ecomops.sla.services import sla_clock_stop, sla_clocks_stop_many
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
from .carrier_rules import CarrierChooser, Shipment
from .stock import move_values, stock_moves_record_select


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


class Need(NamedTuple):
    """What one order line asks of the stock."""

    line_id: int
    sku_id: int
    sku_code: str
    sku_name: str
    quantity: int


def needs_of(lines: Iterable[tuple[OrderLine, int]]) -> list[Need]:
    return [
        Need(line.pk, line.sku_id, line.sku.code, line.sku.name, quantity)
        for line, quantity in lines
    ]


@dataclass
class Plan:
    """Where each need's units come from: (need, location id, quantity)."""

    picks: list[tuple[Need, int, int]] = field(default_factory=list)
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


# the order's fields its parcel-merge key is made of, after the channel's merge_parcels
MERGE_FIELDS = (
    "customer_id",
    "receiver_phone",
    "ship_province",
    "ship_city",
    "ship_district",
    "ship_street",
)


def _merge_key_of(merge_parcels: bool, customer_id: int | None, *address: str) -> str:
    if not merge_parcels or customer_id is None:
        return ""
    digest = hashlib.sha256("|".join(address).encode()).hexdigest()[:16]
    return f"{customer_id}:{digest}"


def _merge_key(order: Order) -> str:
    return _merge_key_of(
        order.channel.merge_parcels, *(getattr(order, name) for name in MERGE_FIELDS)
    )


class _Stock:
    """The free stock of some SKUs in one warehouse, as its locked balances say, with each
    SKU's bins in walking order. Plans take from it in memory, one order after the other,
    so many orders are planned against one read of the balances."""

    def __init__(self, balances: Iterable[tuple[int, int, int, int]]) -> None:
        """``balances``: (sku, location, on hand, reserved), in walking order."""
        self.free: dict[tuple[int, int], int] = {}
        self.bins: dict[int, list[int]] = defaultdict(list)
        for sku_id, location_id, on_hand, reserved in balances:
            self.free[(sku_id, location_id)] = on_hand - reserved
            self.bins[sku_id].append(location_id)

    def plan(self, needs: Sequence[Need], *, partial: bool = False) -> Plan:
        """Take each need from the bins in walking order; nothing is taken until ``take``.
        Short of anything and not ``partial``: the plan has the shortfall and no picks."""
        plan = Plan()
        used: dict[tuple[int, int], int] = defaultdict(int)
        wanted: dict[int, int] = defaultdict(int)
        for need in needs:
            wanted[need.sku_id] += need.quantity
        for need in needs:
            left = need.quantity
            for location_id in self.bins[need.sku_id]:
                key = (need.sku_id, location_id)
                take = min(left, self.free[key] - used[key])
                if take > 0:
                    plan.picks.append((need, location_id, take))
                    used[key] += take
                    left -= take
                if not left:
                    break
            if left:
                plan.missing[need.line_id] = left
        reported = set()
        for need in needs:
            if need.line_id in plan.missing and need.sku_id not in reported:
                reported.add(need.sku_id)
                have = sum(self.free[(need.sku_id, loc)] for loc in self.bins[need.sku_id])
                plan.shortfall.append(
                    Shortfall(need.sku_code, need.sku_name, wanted[need.sku_id], max(have, 0))
                )
        if not partial and plan.shortfall:
            plan.picks = []
        return plan

    def take(self, plan: Plan) -> None:
        for need, location_id, quantity in plan.picks:
            self.free[(need.sku_id, location_id)] -= quantity


def _lock_stock(warehouse: Warehouse, sku_ids: Iterable[int]) -> _Stock:
    """The balances of these SKUs in the warehouse's bins in use, locked by primary key:
    every allocation locks balances in that one order, so concurrent ones (one order or a
    thousand) wait for each other instead of deadlocking."""
    rows = list(
        StockBalance.objects.select_for_update(of=("self",))
        .filter(sku_id__in=set(sku_ids), location__warehouse=warehouse, location__active=True)
        .order_by("pk")
        .values_list(
            "sku_id",
            "location_id",
            "on_hand",
            "reserved",
            "location__walk_order",
            "location__code",
            "pk",
        )
    )
    rows.sort(key=lambda row: row[4:])  # walking order, then the bin's code
    return _Stock(row[:4] for row in rows)


def _plan(
    warehouse: Warehouse, needs: Sequence[tuple[OrderLine, int]], *, partial: bool = False
) -> Plan:
    """Take each need from the balances (locked) in walking order."""
    return _lock_stock(warehouse, {line.sku_id for line, _qty in needs}).plan(
        needs_of(needs), partial=partial
    )


def _reserve_many(reservations: Iterable[tuple[DeliveryNote, Plan]], by: Any) -> None:
    """Each note's lines from its plan, and the stock reserved for them: one reservation
    move per line, written from the lines by the database."""
    lines: list[DeliveryNoteLine] = []
    for note, plan in reservations:
        for need, location_id, quantity in plan.picks:
            lines.append(
                DeliveryNoteLine(
                    note=note,
                    order_line_id=need.line_id,
                    sku_id=need.sku_id,
                    location_id=location_id,
                    quantity=quantity,
                )
            )
    DeliveryNoteLine.objects.bulk_create(lines, batch_size=2000)
    stock_moves_record_select(
        DeliveryNoteLine.objects.filter(
            note_id__in={line.note_id for line in lines}, location__isnull=False
        ).annotate(
            **move_values(
                kind=MoveKind.RESERVATION,
                sku=F("sku_id"),
                location=F("location_id"),
                reserved=F("quantity"),
                reference=F("note__number"),
                note=F("note_id"),
                by=by,
                at=timezone.now(),
            )
        )
    )


def _reserve(note: DeliveryNote, plan: Plan, by: Any) -> None:
    _reserve_many([(note, plan)], by)


def _note(
    order_id: int,
    merge_key: str,
    warehouse: Warehouse,
    carrier: Carrier,
    by: Any,
    *,
    number: str,
    part: int,
    state: str,
    at: datetime,
) -> DeliveryNote:
    note = DeliveryNote(
        number=number,
        order_id=order_id,
        part=part,
        warehouse=warehouse,
        carrier=carrier,
        merge_key=merge_key,
        issued_by=acting_user(by),
        allocated_at=at if state == NoteState.ALLOCATED else None,
    )
    note.__dict__["state"] = state  # a new note starts in its first state, not a transition
    return note


def _shipment_of(
    rule_values: Sequence[Any], province: str, city: str, district: str, weight: int = 0
) -> Shipment:
    channel_id, requested_carrier, cash_on_delivery = rule_values
    return Shipment(
        province=province,
        city=city,
        district=district,
        weight_grams=weight,
        channel_id=channel_id,
        requested_carrier=requested_carrier or "",
        cash_on_delivery=bool(cash_on_delivery),
    )


def order_carrier(order: Order, warehouse: Warehouse) -> Carrier:
    """The carrier the rules choose for one order (all its lines' weight)."""
    weight = sum(
        quantity * (grams or 0)
        for quantity, grams in order.lines.values_list("quantity", "sku__weight_grams")
    )
    shipment = _shipment_of(
        [getattr(order, name) for name in RULE_FIELDS],
        order.ship_province,
        order.ship_city,
        order.ship_district,
        weight,
    )
    return CarrierChooser(warehouse, _carrier(warehouse)).choose(shipment)


def new_note(order: Order, warehouse: Warehouse, by: Any, *, part: int, state: str) -> DeliveryNote:
    note = _note(
        order.pk,
        _merge_key(order),
        warehouse,
        order_carrier(order, warehouse),
        by,
        number=next_number("DN", width=5),
        part=part,
        state=state,
        at=timezone.now(),
    )
    note.order = order
    note.save()
    return note


def _resolve_holds(order_ids: Iterable[int], resolution: str) -> None:
    StockHold.objects.filter(order_id__in=list(order_ids), resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolution=resolution
    )


def _lock_confirmed(order_id: int) -> Order | None:
    """The order, locked; None when it already has its delivery note (idempotent)."""
    order = Order.objects.select_for_update(of=("self",)).select_related("channel").get(pk=order_id)
    if order.state != OrderState.CONFIRMED:
        if order.delivery_notes.exists():
            return None
        raise _not_confirmed(order.number, order.state)
    return order


def _not_confirmed(number: str, state: str) -> ConflictError:
    return ConflictError(
        _("Order %(number)s is %(state)s: only confirmed orders get a delivery note.")
        % {"number": number, "state": OrderState(state).label}
    )


def _needs(order: Order) -> list[tuple[OrderLine, int]]:
    return [
        (line, line.quantity) for line in order.lines.select_related("sku").order_by("position")
    ]


def _issued(order: Order, by: Any, resolution: str) -> None:
    """The order has its delivery note: holds resolved, order allocated, clock stopped."""
    _resolve_holds([order.pk], resolution)
    order_services.order_allocate(order_id=order.pk, by=by)
    sla_clock_stop(code=DELIVERY_NOTE_CLOCK, obj=order)


# What allocating one order came to: its delivery note (new, or the one it already had),
# the stock hold it went on, or the refusal.
Outcome: TypeAlias = DeliveryNote | StockHold | ApplicationError

# orders allocated in one transaction by ``allocation_issue``
ALLOCATION_CHUNK = 1000


class _OrderRow(NamedTuple):
    pk: int
    number: str
    state: str
    merge_key: str
    shipment: Shipment | None = None  # what the carrier rules look at (weight added later)


# the order's fields the carrier rules look at, after the merge fields
RULE_FIELDS = ("channel_id", "requested_carrier", "cash_on_delivery")


def _allocate(order_ids: Sequence[int], by: Any) -> dict[int, tuple[str, Outcome]]:
    """``allocate_order`` for many orders at once, in the caller's transaction, with the
    outcome of each as if they had been allocated one by one in the order of their ids.

    Orders, order lines and stock balances are read (and locked, by pk) once for all, as
    rows, not objects; what each order takes is planned in memory against what the orders
    before it took; holds, notes and their lines are written by ``bulk_create``, the
    reservations from the lines by ``stock_moves_record_select``, the orders move to
    allocated by ``bulk_transition_rows`` (one guarded UPDATE and the state logs by one
    INSERT … SELECT) and their delivery-note clocks stop in one go. The statements do not
    grow with the number of orders. Returns (order number, outcome) per order id found.
    """
    try:
        warehouse = default_warehouse()
    except ApplicationError as exc:
        return {
            pk: (number, exc)
            for pk, number in Order.objects.filter(pk__in=list(order_ids)).values_list(
                "pk", "number"
            )
        }
    orders = [
        _OrderRow(
            pk,
            number,
            state,
            _merge_key_of(*row[: len(MERGE_FIELDS) + 1]),
            _shipment_of(row[len(MERGE_FIELDS) + 1 :], *row[3:6]),
        )
        for pk, number, state, *row in Order.objects.select_for_update(of=("self",))
        .filter(pk__in=list(order_ids))
        .order_by("pk")
        .values_list("pk", "number", "state", "channel__merge_parcels", *MERGE_FIELDS, *RULE_FIELDS)
    ]
    outcomes: dict[int, Outcome] = {}
    confirmed = [order for order in orders if order.state == OrderState.CONFIRMED]
    others = [order for order in orders if order.state != OrderState.CONFIRMED]
    if others:
        existing: dict[int, DeliveryNote] = {}
        for note in DeliveryNote.objects.filter(order_id__in=[o.pk for o in others]).order_by(
            "order_id", "-part"
        ):
            existing[note.order_id] = note  # the first part wins
        for order in others:
            outcomes[order.pk] = existing.get(order.pk) or _not_confirmed(order.number, order.state)
    if not confirmed:
        return _numbered(orders, outcomes)
    needs: dict[int, list[Need]] = defaultdict(list)
    weights: dict[int, int] = defaultdict(int)
    for order_id, line_id, sku_id, code, name, quantity, grams in (
        OrderLine.objects.filter(order_id__in=[o.pk for o in confirmed])
        .order_by("order_id", "position", "pk")
        .values_list(
            "order_id", "pk", "sku_id", "sku__code", "sku__name", "quantity", "sku__weight_grams"
        )
    ):
        needs[order_id].append(Need(line_id, sku_id, code, name, quantity))
        weights[order_id] += quantity * (grams or 0)
    confirmed = [
        order._replace(shipment=replace(order.shipment, weight_grams=weights[order.pk]))
        if order.shipment is not None
        else order
        for order in confirmed
    ]
    stock = _lock_stock(warehouse, {need.sku_id for lines in needs.values() for need in lines})
    refusal = _issue_refusal(warehouse, by)
    issue: list[tuple[_OrderRow, Plan]] = []
    held: dict[int, list[Shortfall]] = {}
    for order in confirmed:
        plan = stock.plan(needs[order.pk])
        if plan.shortfall:
            held[order.pk] = plan.shortfall
        elif refusal is not None:
            outcomes[order.pk] = refusal
        else:
            stock.take(plan)
            issue.append((order, plan))
    if held:
        for order_id, hold in _hold_many(held).items():
            outcomes[order_id] = hold
    if issue:
        for order_id, note in _issue_many(issue, warehouse, by).items():
            outcomes[order_id] = note
    return _numbered(orders, outcomes)


def _numbered(
    orders: list[_OrderRow], outcomes: dict[int, Outcome]
) -> dict[int, tuple[str, Outcome]]:
    return {order.pk: (order.number, outcomes[order.pk]) for order in orders}


def _issue_refusal(warehouse: Warehouse, by: Any) -> ApplicationError | None:
    """Why no note can be issued now whatever the stock (no carrier, not allowed to move
    orders on), as issuing one would refuse it."""
    try:
        _carrier(warehouse)
    except ApplicationError as exc:
        return exc
    confirmed = Order(state=OrderState.CONFIRMED)
    if by is not None and not has_transition_perm(confirmed.allocate, by):
        return PermissionDeniedError(
            _("You are not allowed to do this: %(action)s.")
            % {"action": transition_label(Order, "allocate")}
        )
    return None


def _hold_many(shortfalls: dict[int, list[Shortfall]]) -> dict[int, StockHold]:
    """Each order on a stock hold with its shortfall: its open hold updated, or a new one."""
    holds = {
        hold.order_id: hold
        for hold in StockHold.objects.filter(
            order_id__in=list(shortfalls), resolved_at__isnull=True
        )
    }
    new: list[StockHold] = []
    for order_id, shortfall in shortfalls.items():
        rows = [s.as_dict() for s in shortfall]
        if order_id in holds:
            holds[order_id].shortfall = rows
        else:
            new.append(StockHold(order_id=order_id, shortfall=rows))
    if holds:
        StockHold.objects.bulk_update(list(holds.values()), ["shortfall"], batch_size=1000)
    StockHold.objects.bulk_create(new, batch_size=1000)
    holds.update((hold.order_id, hold) for hold in new)
    return holds


def _issue_many(
    issue: list[tuple[_OrderRow, Plan]], warehouse: Warehouse, by: Any
) -> dict[int, DeliveryNote]:
    """The notes of orders whose stock is planned: holds resolved, orders allocated,
    clocks stopped, then the numbers taken (last: the series stays locked until commit),
    the notes, their lines and the reservations written."""
    order_ids = [order.pk for order, _plan in issue]
    now = timezone.now()
    _resolve_holds(order_ids, _("delivery note issued"))
    bulk_transition_rows(
        Order, order_ids, "allocate", by=by, update_fields=["allocated_at"], at=now
    )
    sla_clocks_stop_many(
        code=DELIVERY_NOTE_CLOCK, model=Order, object_ids=order_ids, stopped_at=now
    )
    chooser = CarrierChooser(warehouse, _carrier(warehouse))
    numbers = next_numbers("DN", len(issue), width=5)
    notes = [
        _note(
            order.pk,
            order.merge_key,
            warehouse,
            chooser.choose(order.shipment) if order.shipment else chooser.default,
            by,
            number=number,
            part=1,
            state=NoteState.ALLOCATED,
            at=now,
        )
        for (order, _plan), number in zip(issue, numbers, strict=True)
    ]
    DeliveryNote.objects.bulk_create(notes, batch_size=1000)
    _reserve_many(zip(notes, (plan for _order, plan in issue), strict=True), by)
    return {note.order_id: note for note in notes}


@retry_on_deadlock
def allocate_order(*, order_id: int, by: Any) -> DeliveryNote | None:
    """Reserve stock for a confirmed order and issue its delivery note.

    Returns the note, or None when stock is short: the order is then on a stock hold with
    the shortfall recorded (and the parts admin notified by ``allocation_issue``).
    """
    with transaction.atomic():
        allocated = _allocate([order_id], by)
        if order_id not in allocated:
            raise Order.DoesNotExist(f"Order {order_id} does not exist.")
        _number, outcome = allocated[order_id]
        if isinstance(outcome, ApplicationError):
            raise outcome
    return outcome if isinstance(outcome, DeliveryNote) else None


@retry_on_deadlock
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
        _reserve(first, plan, by)
        rest = new_note(order, warehouse, by, part=2, state=NoteState.WAITING)
        for line, _quantity in needs:
            if line.pk in plan.missing:
                DeliveryNoteLine.objects.create(
                    note=rest, order_line=line, sku_id=line.sku_id, quantity=plan.missing[line.pk]
                )
        _issued(order, by, _("split: the rest ships later"))
    return [first, rest]


@retry_on_deadlock
def note_allocate_waiting(*, note_id: int, by: Any) -> DeliveryNote:
    """Stock has come in for a waiting note (a split's second part): reserve it now."""
    with transaction.atomic():
        note = (
            DeliveryNote.objects.select_for_update(of=("self",))
            .select_related("warehouse")
            .get(pk=note_id)
        )
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
        _reserve(note, plan, by)
        transition(note, "allocate", by=by, update_fields=["allocated_at"], at=timezone.now())
    return note


def _allocate_chunk(order_ids: Sequence[int], by: Any) -> dict[int, tuple[str, Outcome]]:
    with collector_paused(), transaction.atomic():
        return _allocate(order_ids, by)


def allocation_issue(*, order_ids: Iterable[int], by: Any) -> AllocationResult:
    """Issue delivery notes for several orders: the parts admin's "issue" button.

    The orders are allocated as one by one in the order of their ids (each takes what the
    ones before it left), set-based, one transaction per ``ALLOCATION_CHUNK`` orders: an
    order short of stock goes on a stock hold, the others get their notes. The notes issued
    are announced to finance and the warehouse admin in one notification; each new stock
    hold to the parts admins.
    """
    result = AllocationResult()
    ids = sorted(set(order_ids))
    for start in range(0, len(ids), ALLOCATION_CHUNK):
        chunk = ids[start : start + ALLOCATION_CHUNK]
        try:
            allocated = with_retry_on_deadlock(_allocate_chunk, chunk, by)
        except BusyError as exc:
            # Twice aborted by the database: nothing of this chunk was kept; its orders
            # are refused with the message and stay in the queue for the next click.
            for number in Order.objects.filter(pk__in=chunk).values_list("number", flat=True):
                result.refused[number] = exc.message
            continue
        for order_id in sorted(allocated):
            number, outcome = allocated[order_id]
            if isinstance(outcome, ApplicationError):
                result.refused[number] = outcome.message
            elif isinstance(outcome, StockHold):
                result.held[number] = outcome.shortfall
                _notify_hold(number, outcome)
            else:
                result.issued.append(outcome)
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
