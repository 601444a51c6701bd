"""The pack station: scan the delivery note, scan every item, weigh, close the parcel.

A scan that is not an item of the parcel (a wrong SKU) or one too many (an extra unit) is
refused and recorded, and the packer sees why. Notes of one merged parcel are packed
together: scanning any of them brings up all. Closing takes the waybill number (typed,
checked against the accounts' stock, or the next of the carrier's default e-waybill
account, ``services.waybills``) and tells
finance by ``parcel_packed``.

A scanner that buffers a parcel's scans sends them at once (``pack_scans``): each code is
checked as one scan would be, in one transaction of a fixed number of statements.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops import rows
from ecomops.accounts.selectors import acting_user
from ecomops.bulk import insert_rows, update_column
from ecomops.compiled import execute
from ecomops.errors import ApplicationError, ConflictError
from ecomops.fsm import bulk_transition, transition
from ecomops.numbering.services import next_number
from listings.models import Sku
from orders.models import Order

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
from .waybills import (
    Taken,
    WaybillError,
    default_account,
    waybill_given,
    waybill_record,
    waybill_take,
)


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
    note = _packable(note, code)
    if note.merged and note.merge_key:
        return list(
            DeliveryNote.objects.filter(
                wave_id=note.wave_id, merge_key=note.merge_key, state=NoteState.PICKED, short=False
            )
            .select_related("order")
            .order_by("pk")
        )
    return [note]


def _packable(note: DeliveryNote | None, code: str) -> DeliveryNote:
    """``note`` if it can be packed, else why not; ``code`` is what was scanned."""
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
    return note


def _pack_group_of(note_id: int) -> list[DeliveryNote]:
    """The group of the note the packer has open (by id: no number lookup on every scan)."""
    note = DeliveryNote.objects.select_related("order").get(pk=note_id)
    return _pack_group(note, note.number)


def _group_ids(note_id: int) -> RawSQL:
    """The ids of ``note_id``'s parcel group, for ``pk__in``/``note_id__in``: the note
    itself, and when it is merged the picked, complete notes of its wave under its merge
    key (``_pack_group``'s rule). Read in the same statement as the rows, so a scan or a
    close reads the note once instead of once for itself and once for its group; each arm
    is served by an index (the primary key; the wave's notes). Written as SQL because the
    ORM's two correlated subqueries for it cost more to build on every scan than to run."""
    return RawSQL(_group_sql(), _group_params(note_id))  # noqa: S611 (bound)


def _group_params(note_id: int) -> list[Any]:
    return [note_id, note_id, NoteState.PICKED]


@functools.cache
def _group_sql() -> str:
    quote = connection.ops.quote_name
    meta = DeliveryNote._meta

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)

    table = quote(meta.db_table)
    pk, wave, key = column("id"), column("wave"), column("merge_key")
    return (
        f"SELECT n.{pk} FROM {table} n WHERE n.{pk} = %s "  # noqa: S608 (names from the model)
        f"UNION ALL SELECT n.{pk} FROM {table} n JOIN {table} a "
        f"ON a.{pk} = %s AND a.{column('merged')} AND a.{key} <> '' "
        f"AND n.{wave} = a.{wave} AND n.{key} = a.{key} AND n.{pk} <> a.{pk} "
        f"WHERE n.{column('state')} = %s AND NOT n.{column('short')}"
    )


def _group_checked(notes: list[DeliveryNote], note_id: int) -> list[DeliveryNote]:
    """``notes`` (read by ``_group_ids``, pk order) once the note opened passes
    ``_pack_group``'s checks; the note missing: its own lookup says why."""
    anchor = next((note for note in notes if note.pk == note_id), None)
    if anchor is None:
        return _pack_group_of(note_id)
    _packable(anchor, anchor.number)
    if anchor.merged and anchor.merge_key:
        return notes
    return [anchor]


def pack_lines(notes: list[DeliveryNote]) -> list[DeliveryNoteLine]:
    return list(
        DeliveryNoteLine.objects.filter(note__in=notes)
        .select_related("sku", "note")
        .order_by("note_id", "order_line__position", "pk")
    )


def _skus_for(codes: set[str], lines: list[DeliveryNoteLine]) -> dict[str, Sku]:
    """The SKU of each scanned code (its barcode or its SKU code). A code of an item in the
    parcel is known from its lines; only the others (wrong items) are looked up, all in one
    query, the first SKU in SKU order for a code as ``_sku_for`` takes it."""
    found: dict[str, Sku] = {}
    for line in lines:
        for key in (line.sku.barcode, line.sku.code):
            if key in codes:
                found.setdefault(key, line.sku)
    rest = codes - found.keys()
    if rest:
        for sku in Sku.objects.filter(Q(barcode__in=rest) | Q(code__in=rest)).order_by("code"):
            for key in (sku.barcode, sku.code):
                if key in rest:
                    found.setdefault(key, sku)
    return found


def pack_scan(*, note_id: int, code: str, by: Any) -> ScanResult:
    """One item scanned into the parcel of ``note_id``'s group: counted or refused."""
    return pack_scans(note_id=note_id, codes=[code], by=by)[0]


def pack_scans(*, note_id: int, codes: list[str], by: Any) -> list[ScanResult]:
    """Scans of a parcel sent at once (a scanner that buffers them): each code counted or
    refused as ``pack_scan`` would have, in the order scanned, in one transaction.

    A fixed number of statements however many codes and lines: the group's lines locked
    with their notes and SKUs (one SELECT), the wrong codes' SKUs (one SELECT, only when a
    code is not an item of the parcel), the counts written (one UPDATE) and every scan
    recorded (one INSERT).
    """
    codes = [(code or "").strip() for code in codes]
    actor = acting_user(by)
    with transaction.atomic():
        lines = _group_lines(note_id)
        notes = _group_checked(_notes_of(lines), note_id)
        if len(notes) < len({line.note_id for line in lines}):
            wanted = {note.pk for note in notes}
            lines = [line for line in lines if line.note_id in wanted]
        skus = _skus_for({code for code in codes if code}, lines)
        results = []
        changed: dict[int, DeliveryNoteLine] = {}
        for code in codes:
            result, counted = _scan_one(code, skus.get(code) if code else None, lines)
            if counted is not None:
                changed[counted.pk] = counted
            results.append(result)
        if changed:
            update_column(
                DeliveryNoteLine,
                "packed_quantity",
                {pk: line.packed_quantity for pk, line in changed.items()},
            )
        scanned_at = timezone.now()
        scans = [
            (
                notes[0].pk,
                code[:64],
                sku.pk if (sku := skus.get(code) if code else None) else None,
                result.accepted,
                result.message,
                actor.pk if actor else None,
                scanned_at,
            )
            for code, result in zip(codes, results, strict=True)
        ]
        if len(scans) <= _FEW_SCANS:  # a parcel's scans: SQL kept per row count
            insert_rows(PackScan, _SCAN_FIELDS, scans)
        else:
            PackScan.objects.bulk_create(
                [PackScan(**dict(zip(_SCAN_FIELDS, scan, strict=True))) for scan in scans],
                batch_size=500,
            )
    for result in results:
        result.lines = lines
    return results


def _group_lines(note_id: int) -> list[DeliveryNoteLine]:
    """The lines of ``note_id``'s parcel group locked, each with its SKU and note, in note
    and line order: ``select_related("sku", "note")`` with ``select_for_update(of=self)``,
    as one statement written once (``_group_lines_sql``)."""
    with connection.cursor() as cursor:
        execute(cursor, _group_lines_sql(), _group_params(note_id))
        fetched = cursor.fetchall()
    sku_at = rows.width(DeliveryNoteLine)
    note_at = sku_at + rows.width(Sku)
    lines = []
    for row in fetched:
        line = rows.instance(DeliveryNoteLine, row, 0)
        rows.relate(line, "sku", rows.instance(Sku, row, sku_at))
        rows.relate(line, "note", rows.instance(DeliveryNote, row, note_at))
        lines.append(line)
    return lines


@functools.cache
def _group_lines_sql() -> str:
    quote = connection.ops.quote_name
    line, note, sku = DeliveryNoteLine._meta, DeliveryNote._meta, Sku._meta
    line_note = quote(line.get_field("note").column)
    return (
        f"SELECT {rows.columns(DeliveryNoteLine, 'l')}, {rows.columns(Sku, 's')}, "  # noqa: S608
        f"{rows.columns(DeliveryNote, 'd')} FROM {quote(line.db_table)} l "
        f"JOIN {quote(sku.db_table)} s "
        f"ON s.{quote(sku.pk.column)} = l.{quote(line.get_field('sku').column)} "
        f"JOIN {quote(note.db_table)} d ON d.{quote(note.pk.column)} = l.{line_note} "
        f"WHERE l.{line_note} IN ({_group_sql()}) "
        f"ORDER BY l.{line_note}, l.{quote(line.pk.column)}{_lock_of('l')}"
    )


def _lock_of(alias: str = "") -> str:
    """`` FOR UPDATE`` (``OF alias`` when given) where the database locks rows (SQLite:
    nothing)."""
    features = connection.features
    if not features.has_select_for_update:
        return ""
    of = (alias,) if alias and features.has_select_for_update_of else ()
    return " " + connection.ops.for_update_sql(of=of)


_FEW_SCANS = 20
_SCAN_FIELDS = ("note_id", "code", "sku_id", "accepted", "message", "scanned_by_id", "scanned_at")


def _notes_of(lines: list[DeliveryNoteLine]) -> list[DeliveryNote]:
    notes: dict[int, DeliveryNote] = {}
    for line in lines:
        notes.setdefault(line.note_id, line.note)
    return sorted(notes.values(), key=lambda note: note.pk)


def _scan_one(
    code: str, sku: Sku | None, lines: list[DeliveryNoteLine]
) -> tuple[ScanResult, DeliveryNoteLine | None]:
    """One code against the parcel's lines: the packer's answer, and the line it counted
    (in memory: the caller writes the lines)."""
    if sku is None:
        return ScanResult(
            False, _("Wrong item: %(code)s is not an item of this parcel.") % {"code": code}
        ), None
    open_line = next(
        (line for line in lines if line.sku_id == sku.pk and line.packed_quantity < line.to_pack),
        None,
    )
    if open_line is not None:
        open_line.packed_quantity += 1
        return ScanResult(
            True,
            _("%(sku)s: %(packed)d of %(total)d")
            % {"sku": sku.name, "packed": open_line.packed_quantity, "total": open_line.to_pack},
            sku.code,
        ), open_line
    if any(line.sku_id == sku.pk for line in lines):
        total = sum(line.to_pack for line in lines if line.sku_id == sku.pk)
        return ScanResult(
            False,
            _("Extra item: all %(total)d of %(sku)s are already in the parcel.")
            % {"total": total, "sku": sku.code},
            sku.code,
        ), None
    return ScanResult(
        False,
        _("Wrong item: %(sku)s %(name)s is not in this parcel.")
        % {"sku": sku.code, "name": sku.name},
        sku.code,
    ), None


def carrier_next_waybill(carrier: Carrier) -> str | None:
    """The next number of the carrier's default e-waybill account, used outside a parcel
    (recorded as used); None if the carrier has no account."""
    account = default_account(carrier.pk)
    if account is None:
        return None
    try:
        taken = waybill_take(account=account, count=1)
    except WaybillError as exc:
        raise PackError(exc.message) from exc
    waybill_record(taken=taken, parcels=[])
    return taken.numbers[0]


def pack_close(
    *, note_id: int, weight_grams: int | None, by: Any, waybill_number: str = ""
) -> Parcel:
    """Close the parcel: every item scanned, weighed, with a waybill number.

    A fixed number of statements however many notes the parcel merges: the group's notes
    read and locked by one statement with their orders and carrier (written once as SQL,
    like the account's read), the invoices to put in asked of finance, the e-waybill account
    read with its stock in one query, the parcel inserted under a stand-in number, the notes
    packed by one UPDATE and one INSERT of their log rows; then the waybill number taken by
    one ``UPDATE … RETURNING``, the parcel number by another, both written on the parcel by
    one UPDATE and the waybill recorded by one INSERT; last the wave locked and checked by
    two (``_wave_done``). The shared numbers are taken last because their rows stay locked
    until the commit; the wave comes after them in every close, so locks are always taken
    in one order (range, series, wave) and two closes cannot wait on each other.
    """
    waybill_number = (waybill_number or "").strip()
    with transaction.atomic():
        notes = _group_checked(_group_notes(note_id), note_id)
        errors: dict[str, list[str]] = {}
        if any(getattr(note, "unscanned", True) for note in notes):
            missing = [
                f"{line.sku.code} ×{line.to_pack - line.packed_quantity}"
                for line in pack_lines(notes)
                if line.packed_quantity < line.to_pack
            ]
            if missing:
                errors["items"] = [_("Still to scan: %(items)s.") % {"items": ", ".join(missing)}]
        if not weight_grams or weight_grams <= 0:
            errors["weight_grams"] = [_("Weigh the parcel and enter its weight in grams.")]
        carrier = notes[0].carrier
        if errors or weight_grams is None:
            raise PackError(_("The parcel cannot be closed yet."), {"fields": errors})
        orders = [note.order for note in notes]
        # Asked before any number is taken: the waybill range's and the parcel series' rows
        # stay locked from their taking to the commit, and other packers queue on them.
        inserts = [insert.as_dict() for insert in parcel_inserts(orders)]
        taken: Taken | None = None
        account = default_account(carrier.pk)
        if waybill_number:
            # given by hand: from an account's stock it is marked used (never twice), and
            # the parcel belongs to that account; in no stock only for a carrier without one
            try:
                taken = waybill_given(carrier_id=carrier.pk, number=waybill_number)
            except WaybillError as exc:
                raise PackError(exc.message, exc.extra) from exc
            if taken is not None:
                waybill_number, account = taken.numbers[0], taken.account
        elif account is None:
            raise PackError(
                _("Enter the waybill number: %(carrier)s has no e-waybill account here.")
                % {"carrier": carrier.name},
                {"fields": {"waybill_number": [_("This field is required.")]}},
            )
        # The parcel is written and the notes packed under a stand-in number, so that the
        # rows every packer shares (the waybill range, the day's parcel series) are taken
        # last: each stays locked from its taking to the commit, and the other stations
        # queue on it for only the few statements after.
        stand_in = f"~{notes[0].pk}"
        parcel = Parcel.objects.create(
            number=stand_in,
            carrier=carrier,
            waybill_number=stand_in,
            weight_grams=weight_grams,
            inserts=inserts,
            packed_by=acting_user(by),
            waybill_account=account,
        )
        bulk_transition(
            notes,
            "pack",
            by=by,
            update_fields=["packed_at", "parcel_id"],
            at=timezone.now(),
            parcel=parcel,
        )
        if not waybill_number and account is not None:
            try:
                taken = waybill_take(account=account, count=1)
            except WaybillError as exc:
                raise PackError(
                    exc.message, {"fields": {"waybill_number": [_("No numbers left.")]}}
                ) from exc
            waybill_number = taken.numbers[0]
        parcel.number, parcel.waybill_number = next_number("PK", width=5), waybill_number
        try:
            # No savepoint of its own: a waybill number on another parcel ends the whole
            # close, and leaving this block by the exception rolls it back.
            Parcel.objects.filter(pk=parcel.pk).update(
                number=parcel.number, waybill_number=waybill_number
            )
        except IntegrityError as exc:
            raise PackError(
                _("Waybill %(number)s is already on another parcel.") % {"number": waybill_number},
                {"fields": {"waybill_number": [_("Already used.")]}},
            ) from exc
        if taken is not None:
            try:
                # a number used before ends the whole close: no savepoint of its own
                waybill_record(taken=taken, parcels=[parcel], savepoint=False)
            except WaybillError as exc:
                raise PackError(exc.message) from exc
        _wave_done(notes[0].wave_id)
        transaction.on_commit(
            lambda: parcel_packed.send(sender=Parcel, parcel=parcel, orders=orders)
        )
    return parcel


def _group_notes(note_id: int) -> list[DeliveryNote]:
    """The notes of ``note_id``'s parcel group locked, in pk order, each with its order and
    carrier and whether any item is still to scan (``unscanned``: the lines are read only
    to say which): one statement, written once (``_group_notes_sql``)."""
    with connection.cursor() as cursor:
        execute(cursor, _group_notes_sql(), _group_params(note_id))
        fetched = cursor.fetchall()
    order_at = rows.width(DeliveryNote)
    carrier_at = order_at + rows.width(Order)
    unscanned_at = carrier_at + rows.width(Carrier)
    notes = []
    for row in fetched:
        note = rows.instance(DeliveryNote, row, 0)
        rows.relate(note, "order", rows.instance(Order, row, order_at))
        rows.relate(note, "carrier", rows.instance(Carrier, row, carrier_at))
        note.unscanned = bool(row[unscanned_at])
        notes.append(note)
    return notes


@functools.cache
def _group_notes_sql() -> str:
    quote = connection.ops.quote_name
    note, order, carrier, line = (
        DeliveryNote._meta,
        Order._meta,
        Carrier._meta,
        DeliveryNoteLine._meta,
    )

    def column(meta: Any, name: str) -> str:
        return quote(meta.get_field(name).column)

    note_pk = f"d.{quote(note.pk.column)}"
    unscanned = (
        f"EXISTS(SELECT 1 FROM {quote(line.db_table)} l "  # noqa: S608 (names from the models)
        f"WHERE l.{column(line, 'note')} = {note_pk} "
        f"AND l.{column(line, 'packed_quantity')} < "
        f"l.{column(line, 'quantity')} - l.{column(line, 'short_quantity')})"
    )
    return (
        f"SELECT {rows.columns(DeliveryNote, 'd')}, {rows.columns(Order, 'o')}, "  # noqa: S608
        f"{rows.columns(Carrier, 'c')}, {unscanned} FROM {quote(note.db_table)} d "
        f"JOIN {quote(order.db_table)} o ON o.{quote(order.pk.column)} = d.{column(note, 'order')} "
        f"JOIN {quote(carrier.db_table)} c "
        f"ON c.{quote(carrier.pk.column)} = d.{column(note, 'carrier')} "
        f"WHERE {note_pk} IN ({_group_sql()}) ORDER BY {note_pk}{_lock_of('d')}"
    )


def _wave_done(wave_id: int | None) -> None:
    """Finish the wave when this close packed its last open notes. The wave's row is locked
    first and the open notes counted by a later statement: in READ COMMITTED that statement
    sees what a packer who held the lock before committed, so of two parcels closing the
    wave's last notes at once, the second finishes it, exactly once."""
    if wave_id is None:
        return
    wave_sql, open_sql = _wave_sql()
    with connection.cursor() as cursor:
        execute(cursor, wave_sql, [wave_id])
        row = cursor.fetchone()
        if row is None or row[0] != WaveState.SORTED:
            return
        execute(cursor, open_sql, [wave_id, NoteState.RELEASED, NoteState.PICKED])
        if cursor.fetchone() is not None:
            return
    wave = Wave.objects.get(pk=wave_id)
    transition(wave, "finish", by=None, update_fields=["done_at"], at=timezone.now())


@functools.cache
def _wave_sql() -> tuple[str, str]:
    quote = connection.ops.quote_name
    wave, note = Wave._meta, DeliveryNote._meta
    lock = _lock_of()
    return (
        f"SELECT w.{quote(wave.get_field('state').column)} FROM {quote(wave.db_table)} w "  # noqa: S608
        f"WHERE w.{quote(wave.pk.column)} = %s{lock}",
        f"SELECT 1 FROM {quote(note.db_table)} d "  # noqa: S608
        f"WHERE d.{quote(note.get_field('wave').column)} = %s "
        f"AND d.{quote(note.get_field('state').column)} IN (%s, %s) LIMIT 1",
    )
