"""The stock ledger: every change to stock is a move, applied to the balance at once.

``stock_move`` is the only writer of ``StockBalance``. It updates the balance with
``F()`` expressions in the caller's transaction; the database's check constraints refuse
a balance that would go negative or reserve more than is on hand, and that refusal becomes
``InsufficientStockError`` (nothing of the transaction is kept).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError
from listings.models import Sku

from ..models import DeliveryNote, Location, MoveKind, StockBalance, StockMove


class StockError(ApplicationError):
    """Bad input for a stock move (quantity, reason, location)."""


class InsufficientStockError(ConflictError):
    """The move would take a balance below zero or reserve more than is on hand."""


def stock_move(
    *,
    kind: str,
    sku: Sku | int,
    location: Location | int,
    on_hand: int = 0,
    reserved: int = 0,
    reason: str = "",
    reference: str = "",
    note: DeliveryNote | None = None,
    by: Any = None,
) -> StockMove:
    """Record one ledger move and apply it to the balance of (sku, location)."""
    sku_id = sku if isinstance(sku, int) else sku.pk
    location_id = location if isinstance(location, int) else location.pk
    try:
        with transaction.atomic():
            StockBalance.objects.get_or_create(sku_id=sku_id, location_id=location_id)
            StockBalance.objects.filter(sku_id=sku_id, location_id=location_id).update(
                on_hand=F("on_hand") + on_hand, reserved=F("reserved") + reserved
            )
            return StockMove.objects.create(
                kind=kind,
                sku_id=sku_id,
                location_id=location_id,
                on_hand_change=on_hand,
                reserved_change=reserved,
                reason=reason,
                reference=reference,
                delivery_note=note,
                created_by=acting_user(by),
            )
    except IntegrityError as exc:
        sku_obj = sku if isinstance(sku, Sku) else Sku.objects.get(pk=sku_id)
        loc_obj = (
            location if isinstance(location, Location) else Location.objects.get(pk=location_id)
        )
        raise InsufficientStockError(
            _("Not enough stock of %(sku)s in %(location)s for this move.")
            % {"sku": sku_obj.code, "location": loc_obj.code},
            {"sku": sku_obj.code, "location": loc_obj.code},
        ) from exc


def _positive(quantity: int) -> int:
    if quantity is None or quantity <= 0:
        raise StockError(
            _("The quantity must be at least 1."),
            {"fields": {"quantity": [_("Enter a whole number of at least 1.")]}},
        )
    return quantity


def _in_use(location: Location) -> None:
    if not location.active:
        raise StockError(
            _("Location %(code)s is not in use.") % {"code": location.code},
            {"fields": {"location": [_("Choose a location in use.")]}},
        )


def stock_receive(
    *, sku: Sku, location: Location, quantity: int, by: Any, reference: str = ""
) -> StockMove:
    """入库: goods arrive in a bin (a purchase delivery, a transfer)."""
    _positive(quantity)
    _in_use(location)
    with transaction.atomic():
        move = stock_move(
            kind=MoveKind.RECEIPT,
            sku=sku,
            location=location,
            on_hand=quantity,
            reference=reference.strip(),
            by=by,
        )
    return move


def stock_adjust(*, sku: Sku, location: Location, change: int, reason: str, by: Any) -> StockMove:
    """盘点调整: a count found more or less than the books say; a reason is required."""
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not change:
        errors["change"] = [_("Enter how many to add (positive) or remove (negative).")]
    if not reason:
        errors["reason"] = [_("Say why the stock is adjusted.")]
    if errors:
        raise StockError(_("The adjustment is not complete."), {"fields": errors})
    with transaction.atomic():
        return stock_move(
            kind=MoveKind.ADJUSTMENT,
            sku=sku,
            location=location,
            on_hand=change,
            reason=reason,
            by=by,
        )


def stock_return(
    *, sku: Sku, location: Location, quantity: int, reference: str, by: Any
) -> StockMove:
    """退货入库: goods a customer sent back, fit to sell, go back into a bin."""
    _positive(quantity)
    _in_use(location)
    with transaction.atomic():
        return stock_move(
            kind=MoveKind.RETURN,
            sku=sku,
            location=location,
            on_hand=quantity,
            reason=_("Customer return"),
            reference=reference,
            by=by,
        )


def stock_write_off(
    *, sku: Sku, location: Location, quantity: int, reason: str, reference: str, by: Any
) -> list[StockMove]:
    """报损: returned goods not fit to sell. They are booked in and written off at once, so
    the ledger shows both that they came back and why they left."""
    _positive(quantity)
    reason = (reason or "").strip()
    if not reason:
        raise StockError(
            _("Say why the goods are written off."),
            {"fields": {"write_off_reason": [_("Enter a reason.")]}},
        )
    with transaction.atomic():
        back = stock_move(
            kind=MoveKind.RETURN,
            sku=sku,
            location=location,
            on_hand=quantity,
            reason=_("Customer return"),
            reference=reference,
            by=by,
        )
        gone = stock_move(
            kind=MoveKind.WRITE_OFF,
            sku=sku,
            location=location,
            on_hand=-quantity,
            reason=reason,
            reference=reference,
            by=by,
        )
    return [back, gone]
