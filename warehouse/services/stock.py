"""The stock ledger: every change to stock is a move, applied to the balance at once.

``stock_move`` is the only writer of ``StockBalance``. It updates the balance with
``F()`` expressions in the caller's transaction; the database's check constraints refuse
a balance that would go negative or reserve more than is on hand, and that refusal becomes
``InsufficientStockError`` (nothing of the transaction is kept).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BigIntegerField,
    CharField,
    DateTimeField,
    F,
    Field,
    IntegerField,
    QuerySet,
    Sum,
    Value,
)
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.bulk import insert_select
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


# StockMove's columns a set-based caller gives, in this order, as ``move_values`` names them
MOVE_FIELDS = (
    "kind",
    "sku_id",
    "location_id",
    "on_hand_change",
    "reserved_change",
    "reason",
    "reference",
    "delivery_note_id",
    "created_by_id",
    "created_at",
)
# balances written by one UPDATE … CASE: 3 parameters a balance, well inside every backend's
# limit on the parameters of a statement
_BALANCES_PER_UPDATE = 500


def move_values(
    *,
    kind: str,
    sku: Any,
    location: Any,
    reference: Any,
    by: Any,
    at: datetime,
    on_hand: Any = 0,
    reserved: Any = 0,
    reason: Any = "",
    note: Any = None,
) -> dict[str, Any]:
    """The annotations that make each row of a queryset one ledger move, for
    ``stock_moves_record_select``: each argument a value (the same for every row) or an
    expression over the row (``F("sku_id")``, ``-F("quantity")``, ``F("note__number")``)."""
    actor = acting_user(by)
    given: dict[str, tuple[Any, Field[Any, Any]]] = {
        "kind": (kind, CharField()),
        "sku_id": (sku, BigIntegerField()),
        "location_id": (location, BigIntegerField()),
        "on_hand_change": (on_hand, IntegerField()),
        "reserved_change": (reserved, IntegerField()),
        "reason": (reason, CharField()),
        "reference": (reference, CharField()),
        "delivery_note_id": (note, BigIntegerField()),
        "created_by_id": (actor.pk if actor else None, BigIntegerField()),
        "created_at": (at, DateTimeField()),
    }
    return {
        f"move_{name}": value
        if hasattr(value, "resolve_expression")
        else Value(value, output_field=output)
        for name, (value, output) in given.items()
    }


def stock_moves_record_select(moves: QuerySet[Any]) -> int:
    """Record one ledger move per row of ``moves`` and apply them to their balances:
    ``stock_move`` for each row, in a few statements whatever their number, without a
    Python object per move. For moves that follow from rows already written (the lines
    of delivery notes just issued, the lines of a wave picked).

    ``moves`` is a queryset annotated with ``move_values(...)``. The database sums the
    changes per balance (one GROUP BY); they are checked against the balances (created
    when missing), so a move that would take a balance below zero or reserve more than is
    on hand is refused with ``InsufficientStockError`` before anything is written; then
    one ``UPDATE … CASE`` per 500 balances applies them and one ``INSERT … SELECT`` writes
    the moves. The caller normally holds the balances locked (``select_for_update``, pk
    order); if a concurrent move got there first, the database's check constraints refuse
    the update all the same (nothing of the caller's transaction is kept). Returns the
    number of moves recorded.
    """
    names = [f"move_{name}" for name in MOVE_FIELDS]
    change = {
        (row["move_sku_id"], row["move_location_id"]): (row["on_hand"], row["reserved"])
        for row in moves.order_by()
        .values("move_sku_id", "move_location_id")
        .annotate(on_hand=Sum("move_on_hand_change"), reserved=Sum("move_reserved_change"))
    }
    if not change:
        return 0
    try:
        with transaction.atomic():
            balances = _balances_of(set(change))
            by_pk: dict[int, tuple[int, int]] = {}
            for key, (on_hand, reserved) in change.items():
                pk, have_on_hand, have_reserved = balances[key]
                after_on_hand, after_reserved = have_on_hand + on_hand, have_reserved + reserved
                if after_on_hand < 0 or after_reserved < 0 or after_reserved > after_on_hand:
                    raise _refusal(*key)
                by_pk[pk] = (on_hand, reserved)
            _apply(connections[moves.db], by_pk)
            return insert_select(StockMove, MOVE_FIELDS, moves.order_by("pk").values_list(*names))
    except IntegrityError as exc:
        raise _refusal(*next(iter(change))) from exc


def _apply(connection: BaseDatabaseWrapper, change: dict[int, tuple[int, int]]) -> None:
    """Add (on hand, reserved) to each balance by pk: ``UPDATE … SET on_hand = on_hand +
    CASE id WHEN … END``, written out here because the ORM's ``Case(When(...))`` costs a
    millisecond of Python per balance to build."""
    quote = connection.ops.quote_name
    table = quote(StockBalance._meta.db_table)
    pk = quote(StockBalance._meta.pk.column)
    rows = sorted(change.items())
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _BALANCES_PER_UPDATE):
            part = rows[start : start + _BALANCES_PER_UPDATE]
            sets: list[str] = []
            params: list[int] = []
            for index, column in enumerate(("on_hand", "reserved")):
                whens = [(key, values[index]) for key, values in part if values[index]]
                if whens:
                    cases = " ".join("WHEN %s THEN %s" for _when in whens)
                    sets.append(f"{quote(column)} = {quote(column)} + CASE {pk} {cases} ELSE 0 END")
                    params.extend(number for when in whens for number in when)
            if sets:
                marks = ", ".join("%s" for _row in part)
                cursor.execute(
                    f"UPDATE {table} SET {', '.join(sets)} WHERE {pk} IN ({marks})",  # noqa: S608
                    [*params, *(key for key, _values in part)],
                )


def _balances_of(keys: set[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, int, int]]:
    """(sku, location) → (balance pk, on hand, reserved), creating the balances missing."""

    def read() -> dict[tuple[int, int], tuple[int, int, int]]:
        rows = StockBalance.objects.filter(
            sku_id__in={sku for sku, _loc in keys},
            location_id__in={loc for _sku, loc in keys},
        ).values_list("sku_id", "location_id", "pk", "on_hand", "reserved")
        return {(sku, loc): (pk, on_hand, reserved) for sku, loc, pk, on_hand, reserved in rows}

    found = read()
    missing = keys - set(found)
    if missing:
        StockBalance.objects.bulk_create(
            [StockBalance(sku_id=sku, location_id=loc) for sku, loc in sorted(missing)],
            ignore_conflicts=True,
        )
        found = read()
    return found


def _refusal(sku_id: int, location_id: int) -> InsufficientStockError:
    sku = Sku.objects.filter(pk=sku_id).values_list("code", flat=True).first() or str(sku_id)
    where = Location.objects.filter(pk=location_id).values_list("code", flat=True).first() or str(
        location_id
    )
    return InsufficientStockError(
        _("Not enough stock of %(sku)s in %(location)s for this move.")
        % {"sku": sku, "location": where},
        {"sku": sku, "location": where},
    )


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
