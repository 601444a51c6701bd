"""The sales order's life after intake: confirm, holds, cancellation, the warehouse states.

Each service locks the order, runs one transition through ``ecomops.fsm.transition`` (who
and why go to django-fsm-log), moves the SLA clocks and tells the layers above by signal
once the transaction commits. Already in the target state: nothing happens (idempotent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.audit.services import note_add
from ecomops.cutoffs import CutoffBatch
from ecomops.errors import (
    ApplicationError,
    ConflictError,
    PermissionDeniedError,
    require_permission,
)
from ecomops.fsm import bulk_transition_rows, transition
from ecomops.fsm import cannot_message as refusal_of

from ..models import HoldKind, Order, OrderState
from ..signals import order_cancellation_requested, order_cancelled, order_confirmed
from .clocks import clocks_on_cancelled, clocks_on_confirmed, clocks_on_confirmed_many

# Ids per statement in the set-based services: their statements are fixed up to this many
# orders (and grow by one per step beyond it), the IN lists stay far below SQLite's limit.
ROWS_PER_STATEMENT = 5000


class OrderError(ApplicationError):
    """A request about an order that breaks a rule (a missing reason, an unknown hold)."""


def _lock(order_id: int) -> Order:
    return Order.objects.select_for_update().get(pk=order_id)


def _send_on_commit(signal: Any, order: Order) -> None:
    transaction.on_commit(lambda: signal.send(sender=Order, order=order))


def _send_many_on_commit(signal: Any, order_ids: list[int]) -> None:
    """``_send_on_commit`` for many orders: the orders are loaded (one query per 5,000) only
    when a receiver listens, so the bulk services cost no query per order for a signal."""

    def send() -> None:
        if not signal.has_listeners(Order):
            return
        for start in range(0, len(order_ids), ROWS_PER_STATEMENT):
            part = order_ids[start : start + ROWS_PER_STATEMENT]
            for order in Order.objects.filter(pk__in=part).order_by("pk"):
                signal.send(sender=Order, order=order)

    if order_ids:
        transaction.on_commit(send)


def locked_orders(order_ids: Iterable[int], *fields: str) -> list[tuple[Any, ...]]:
    """(pk, number, state, *fields) of the orders among ``order_ids``, locked in pk order
    (one query per 5,000): the start of every set-based order service."""
    ids = sorted(set(order_ids))
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), ROWS_PER_STATEMENT):
        rows.extend(
            Order.objects.select_for_update()
            .filter(pk__in=ids[start : start + ROWS_PER_STATEMENT])
            .order_by("pk")
            .values_list("pk", "number", "state", *fields)
        )
    return rows


def cannot_message(name: str, number: str, state: str) -> str:
    """The refusal ``transition()`` gives for order ``number`` in ``state`` (not loaded)."""
    return refusal_of(Order(number=number, state=state), name, "state")


def _reason(reason: str, field_name: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise OrderError(
            _("Give a reason."), {"fields": {field_name: [_("This field is required.")]}}
        )
    return reason


def order_confirm(*, order_id: int, by: Any) -> Order:
    """销售订单: the rep has checked lines, prices and invoice needs; the order is confirmed."""
    with transaction.atomic():
        order = _lock(order_id)
        if order.state == OrderState.CONFIRMED:
            return order
        now = timezone.now()
        transition(order, "confirm", by=by, update_fields=["confirmed_at"], at=now)
        clocks_on_confirmed(order, at=now)
        _send_on_commit(order_confirmed, order)
    return order


def order_hold(*, order_id: int, by: Any, kind: str, reason: str) -> Order:
    """Stop an order before the warehouse (missing information, price query, customer)."""
    if kind not in HoldKind.values:
        raise OrderError(
            _("Choose why the order is held."),
            {"fields": {"kind": [_("Choose one of the listed holds.")]}},
        )
    reason = _reason(reason)
    with transaction.atomic():
        order = _lock(order_id)
        if order.state == OrderState.ON_HOLD:
            return order
        transition(
            order,
            "hold",
            by=by,
            reason=reason,
            update_fields=["state_before_hold", "hold_kind", "hold_reason"],
            kind=kind,
            why=reason,
        )
    return order


def order_release_hold(*, order_id: int, by: Any, reason: str = "") -> Order:
    """The hold is cleared: the order goes back to where it was."""
    with transaction.atomic():
        order = _lock(order_id)
        if order.state != OrderState.ON_HOLD:
            return order
        transition(
            order,
            "release_hold",
            by=by,
            reason=reason,
            update_fields=["state_before_hold", "hold_kind", "hold_reason"],
        )
    return order


def order_cancel(*, order_id: int, by: Any, reason: str) -> Order:
    """Cancel an order the warehouse has not released yet, with a reason."""
    reason = _reason(reason)
    with transaction.atomic():
        order = _lock(order_id)
        if order.state == OrderState.CANCELLED:
            return order
        if order.state == OrderState.RELEASED:
            raise ConflictError(
                _(
                    "Order %(number)s is already released to the warehouse: request the "
                    "cancellation instead."
                )
                % {"number": order.number}
            )
        now = timezone.now()
        transition(
            order,
            "cancel",
            by=by,
            reason=reason,
            update_fields=["cancelled_at", "cancel_reason"],
            at=now,
            why=reason,
        )
        clocks_on_cancelled(order, at=now)
        _send_on_commit(order_cancelled, order)
    return order


def order_cancellation_request(*, order_id: int, by: Any, reason: str) -> Order:
    """After release only the warehouse can stop the parcel: ask it to (a signal)."""
    reason = _reason(reason)
    if by is not None and not by.has_perm("orders.confirm_order"):
        raise PermissionDeniedError(_("You are not allowed to cancel orders."))
    with transaction.atomic():
        order = _lock(order_id)
        if order.state in (OrderState.SHIPPED, OrderState.DELIVERED, OrderState.COMPLETED):
            raise ConflictError(
                _("Order %(number)s has already shipped: open a return instead.")
                % {"number": order.number}
            )
        if order.state != OrderState.RELEASED:
            raise ConflictError(
                _("Order %(number)s is not with the warehouse: cancel it directly.")
                % {"number": order.number}
            )
        if order.cancellation_requested_at is not None:
            return order
        order.cancellation_requested_at = timezone.now()
        order.cancellation_request_reason = reason
        order.cancellation_declined_reason = ""
        order.save(
            update_fields=[
                "cancellation_requested_at",
                "cancellation_request_reason",
                "cancellation_declined_reason",
            ]
        )
        note_add(
            obj=order,
            text=_("Cancellation requested: %(reason)s") % {"reason": reason},
            by=by,
        )
        _send_on_commit(order_cancellation_requested, order)
    return order


def order_cancellation_accept(*, order_id: int, by: Any) -> Order:
    """The warehouse stopped the parcel: the order is cancelled."""
    with transaction.atomic():
        order = _lock(order_id)
        if order.state == OrderState.CANCELLED:
            return order
        if order.cancellation_requested_at is None:
            raise ConflictError(
                _("No cancellation was requested for order %(number)s.") % {"number": order.number}
            )
        now = timezone.now()
        transition(
            order,
            "accept_cancellation",
            by=by,
            reason=order.cancellation_request_reason,
            update_fields=["cancelled_at", "cancel_reason"],
            at=now,
        )
        clocks_on_cancelled(order, at=now)
    return order


def order_cancellation_decline(*, order_id: int, by: Any, reason: str) -> Order:
    """The warehouse could not stop the parcel (already handed over): it ships."""
    reason = _reason(reason)
    with transaction.atomic():
        order = _lock(order_id)
        if order.cancellation_requested_at is None:
            return order
        order.cancellation_requested_at = None
        order.cancellation_declined_reason = reason
        order.save(update_fields=["cancellation_requested_at", "cancellation_declined_reason"])
        note_add(
            obj=order,
            text=_("Cancellation declined by the warehouse: %(reason)s") % {"reason": reason},
            by=by,
        )
    return order


def _warehouse_step(name: str, target: str, stamp: str) -> Callable[..., Order]:
    def step(*, order_id: int, by: Any = None) -> Order:
        with transaction.atomic():
            order = _lock(order_id)
            if order.state == target:
                return order
            transition(order, name, by=by, update_fields=[stamp], at=timezone.now())
        return order

    step.__name__ = f"order_{name}"
    step.__doc__ = f"Warehouse step: the order becomes {target} (idempotent)."
    return step


# The warehouse moves orders on through these (DESIGN §1: a direct call into orders).
order_allocate = _warehouse_step("allocate", OrderState.ALLOCATED, "allocated_at")
order_release = _warehouse_step("release", OrderState.RELEASED, "released_at")
order_ship = _warehouse_step("ship", OrderState.SHIPPED, "shipped_at")
order_deliver = _warehouse_step("deliver", OrderState.DELIVERED, "delivered_at")
order_complete = _warehouse_step("complete", OrderState.COMPLETED, "completed_at")


def order_note_add(*, order_id: int, by: Any, text: str) -> None:
    """A note on the order's timeline, by whoever may see the order (the role matrix found
    any signed-in colleague could write one, a picker or HR included)."""
    require_permission(by, "orders.view_order")
    text = (text or "").strip()
    if not text:
        raise OrderError(_("Write the note first."), {"fields": {"text": [_("Empty note.")]}})
    note_add(obj=Order.objects.get(pk=order_id), text=text, by=by)


@dataclass
class BulkResult:
    """What a bulk action did: orders done, and the refusal of each one that was not."""

    done: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def orders_bulk(
    *, order_ids: Iterable[int], action: Callable[..., Order], by: Any, **kwargs: Any
) -> BulkResult:
    """Run one order service for many orders; each is its own transaction.

    Confirmation has a set-based twin with the same outcome per order
    (``orders_confirm_many``): it is used instead, in one transaction.
    """
    if action is order_confirm and not kwargs:
        return orders_confirm_many(order_ids=order_ids, by=by)
    result = BulkResult()
    numbers = dict(Order.objects.filter(pk__in=list(order_ids)).values_list("pk", "number"))
    for order_id in sorted(numbers):
        try:
            action(order_id=order_id, by=by, **kwargs)
        except ApplicationError as exc:
            result.refused[numbers[order_id]] = exc.message
        else:
            result.done.append(numbers[order_id])
    return result


def orders_confirm_many(*, order_ids: Iterable[int], by: Any) -> BulkResult:
    """``order_confirm`` for many orders (the rep's bulk confirmation), set-based.

    Each order gets what the single service gives it: an identified order is confirmed
    (state log row with who, the sales-order clock stopped and the delivery-note clock
    started at the same instant, ``order_confirmed`` sent once committed); one already
    confirmed counts as done and is left alone; any other is refused with the single
    service's message, and the others go on. One transaction, and a fixed number of
    statements up to 5,000 orders: the lock, ``bulk_transition_rows``' guarded UPDATE and
    state-log INSERT … SELECT, and the clocks. Orders that do not exist are ignored.
    """
    result = BulkResult()
    denied = ""
    with transaction.atomic():
        rows = locked_orders(order_ids)
        movable = [pk for pk, _number, state in rows if state == OrderState.IDENTIFIED]
        now = timezone.now()
        moved: list[int] = []
        try:
            moved = bulk_transition_rows(
                Order, movable, "confirm", by=by, update_fields=["confirmed_at"], at=now
            )
        except PermissionDeniedError as exc:
            denied = exc.message
        clocks_on_confirmed_many(moved, at=now)
        _send_many_on_commit(order_confirmed, moved)
    confirmed = set(moved)
    for pk, number, state in rows:
        if pk in confirmed or state == OrderState.CONFIRMED:
            result.done.append(number)
        elif state == OrderState.IDENTIFIED and denied:
            result.refused[number] = denied
        else:
            result.refused[number] = cannot_message("confirm", number, state)
    return result


def orders_release_many(*, order_ids: Iterable[int], by: Any = None) -> list[int]:
    """A cutoff batch hands many allocated orders to the warehouse at once.

    ``Order.release`` is the same for every order (allocated → released, stamped now), so
    the rows move without being loaded as objects (``ecomops.fsm.bulk_transition_rows``:
    locked, one guarded UPDATE and one INSERT … SELECT of state-log rows per 5,000): a
    100,000-order batch cannot afford an object, let alone a query, an order. Orders already
    released (a split order's second part) are skipped. Returns the ids released now.
    """
    with transaction.atomic():
        return bulk_transition_rows(
            Order,
            order_ids,
            "release",
            by=by,
            update_fields=["released_at"],
            at=timezone.now(),
        )


def orders_roll_over(*, order_ids: Iterable[int], into: CutoffBatch) -> int:
    """Orders not ready by their batch's cut move to ``into`` and count one batch missed.

    Only orders whose batch is earlier than ``into`` move, so running it twice for the same
    cut changes nothing the second time. Returns how many moved.
    """
    earlier = Q(batch_date__lt=into.batch_date) | Q(
        batch_date=into.batch_date, batch_slot__lt=into.slot
    )
    return (
        Order.objects.filter(pk__in=list(order_ids))
        .filter(earlier)
        .update(
            batch_date=into.batch_date,
            batch_slot=into.slot,
            ship_by=into.ship_by,
            batches_missed=F("batches_missed") + 1,
        )
    )
