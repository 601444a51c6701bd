"""E-waybill accounts (电子面单): each carrier account's stock of waybill numbers.

The warehouse admin loads a range (号段) or a list of numbers a carrier gave the account.
Packing takes numbers from the carrier's default account: first the numbers available one
by one (loaded as a list, or returned from a cancelled parcel), then the ranges in the
order they were loaded. Every number handed out becomes a ``WaybillNumber`` row, unique per
carrier, so the database refuses a number twice whichever way it came in; two packers
never get one number:

- list numbers are claimed with ``select_for_update(skip_locked=True)``: a packer skips the
  rows another one holds and takes the next;
- a range moves on by one guarded ``UPDATE … SET next = next + k … RETURNING``, which holds
  the range's row until the packer's transaction ends; a packer who waited on it reads the
  new ``next`` and re-checks that ``k`` numbers are left.

``k`` numbers are taken by one statement (the day simulation and the demo take a wave's
numbers at once). When fewer than the account's threshold remain, the warehouse admin is
warned once: the warning is armed again when stock is loaded above it.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops import rows
from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import acting_user
from ecomops.compiled import execute
from ecomops.errors import ApplicationError, require_permission
from ecomops.notifications.services import notify_role

from ..models import (
    CancelledWaybills,
    Carrier,
    Parcel,
    WaybillAccount,
    WaybillNumber,
    WaybillNumberState,
    WaybillRange,
)
from ..selectors import recorded_waybill_numbers

MANAGE_STOCK = "warehouse.manage_waybill_stock"
# A waybill number as carriers print them: letters and digits, up to the model's 40.
_NUMBER = re.compile(r"^[A-Za-z0-9]{6,40}$")
# a range loaded at once: a carrier hands out tens of thousands, not billions
MAX_RANGE = 10_000_000
# numbers loaded as one list
MAX_LIST = 100_000
# times a packer re-reads the ranges when another packer emptied the one it aimed at
_RANGE_RETRIES = 5


class WaybillError(ApplicationError):
    """Waybill numbers cannot be loaded or taken as asked."""


@dataclass
class Taken:
    """Numbers taken from an account, not yet on parcels: ``record`` puts them there."""

    account: WaybillAccount
    numbers: list[str] = field(default_factory=list)
    from_list: set[str] = field(default_factory=set)  # rows that exist (were available)


def _stock_annotations() -> dict[str, Any]:
    ranges = (
        WaybillRange.objects.filter(account=OuterRef("pk"), next__lte=F("last"))
        .values("account")
        .annotate(left=Sum(F("last") - F("next") + 1))
        .values("left")
    )
    available = (
        WaybillNumber.objects.filter(account=OuterRef("pk"), state=WaybillNumberState.AVAILABLE)
        .values("account")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return {
        "range_left": Coalesce(Subquery(ranges), 0),
        "list_left": Coalesce(Subquery(available), 0),
        "has_list": Exists(
            WaybillNumber.objects.filter(account=OuterRef("pk"), state=WaybillNumberState.AVAILABLE)
        ),
    }


def account_stock(account: WaybillAccount) -> int:
    """How many numbers the account has left (ranges and available numbers)."""
    row = WaybillAccount.objects.filter(pk=account.pk).annotate(**_stock_annotations()).get()
    return int(row.range_left) + int(row.list_left)  # type: ignore[attr-defined]


def default_account(carrier_id: int) -> WaybillAccount | None:
    """The carrier's default active account with its carrier and what it has left (the
    attributes ``range_left``, ``list_left`` and ``has_list``, as ``_stock_annotations``
    gives them), read in one query. Read on every parcel closed: written once as SQL
    (``ecomops.rows``), where the ORM's three subqueries cost more to build than to run."""
    with connection.cursor() as cursor:
        execute(
            cursor,
            _default_account_sql(),
            [WaybillNumberState.AVAILABLE, WaybillNumberState.AVAILABLE, carrier_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    account = rows.instance(WaybillAccount, row, 0)
    carrier_at = rows.width(WaybillAccount)
    rows.relate(account, "carrier", rows.instance(Carrier, row, carrier_at))
    range_left, list_left, has_list = row[carrier_at + rows.width(Carrier) :]
    account.range_left = int(range_left or 0)  # type: ignore[attr-defined]
    account.list_left = int(list_left or 0)  # type: ignore[attr-defined]
    account.has_list = bool(has_list)  # type: ignore[attr-defined]
    return account


@functools.cache
def _default_account_sql() -> str:
    quote = connection.ops.quote_name
    account, carrier = WaybillAccount._meta, Carrier._meta
    ranges, numbers = WaybillRange._meta, WaybillNumber._meta

    def column(meta: Any, name: str) -> str:
        return quote(meta.get_field(name).column)

    last, next_ = column(ranges, "last"), column(ranges, "next")
    on_range = f"r.{column(ranges, 'account')} = a.{quote(account.pk.column)}"
    on_number = f"w.{column(numbers, 'account')} = a.{quote(account.pk.column)}"
    state = column(numbers, "state")
    return (
        f"SELECT {rows.columns(WaybillAccount, 'a')}, {rows.columns(Carrier, 'c')}, "  # noqa: S608
        f"(SELECT SUM(r.{last} - r.{next_} + 1) FROM {quote(ranges.db_table)} r "
        f"WHERE {on_range} AND r.{next_} <= r.{last}), "
        f"(SELECT COUNT(*) FROM {quote(numbers.db_table)} w WHERE {on_number} AND w.{state} = %s), "
        f"EXISTS(SELECT 1 FROM {quote(numbers.db_table)} w WHERE {on_number} AND w.{state} = %s) "
        f"FROM {quote(account.db_table)} a JOIN {quote(carrier.db_table)} c "
        f"ON c.{quote(carrier.pk.column)} = a.{column(account, 'carrier')} "
        f"WHERE a.{column(account, 'carrier')} = %s AND a.{column(account, 'is_default')} "
        f"AND a.{column(account, 'active')} "
        f"ORDER BY c.{column(carrier, 'code')}, a.{column(account, 'code')}"
    )


def waybill_take(*, account: WaybillAccount, count: int = 1) -> Taken:
    """``count`` numbers from ``account`` in the caller's transaction (``default_account``
    read it with its stock). Refused when the account has not that many left."""
    taken = Taken(account=account)
    if count <= 0:
        return taken
    now = timezone.now()
    if getattr(account, "has_list", True):
        rows = list(
            WaybillNumber.objects.select_for_update(skip_locked=True)
            .filter(account=account, state=WaybillNumberState.AVAILABLE)
            .order_by("pk")
            .values_list("pk", "number")[:count]
        )
        if rows:
            WaybillNumber.objects.filter(pk__in=[pk for pk, _n in rows]).update(
                state=WaybillNumberState.USED, used_at=now
            )
            taken.numbers += [number for _pk, number in rows]
            taken.from_list.update(number for _pk, number in rows)
    attempts = 0
    while len(taken.numbers) < count:
        want = count - len(taken.numbers)
        got = _take_from_range(account.pk, want)
        if got is None:
            got = _take_rest_of_a_range(account.pk, want)
        if got is not None:
            got = _not_used_yet(account.carrier_id, got)
            if not got:
                continue  # every one of them was typed by hand before: the range moved on
        if got is None:
            attempts += 1
            if attempts > _RANGE_RETRIES or not _has_range_left(account.pk):
                raise WaybillError(
                    _(
                        "The e-waybill account %(account)s of %(carrier)s has no waybill "
                        "numbers left: load a new range or list of numbers."
                    )
                    % {"account": account.name, "carrier": account.carrier.name}
                )
            continue
        taken.numbers += got
    _warn_if_low(account, len(taken.numbers))
    return taken


def _not_used_yet(carrier_id: int, numbers: list[str]) -> list[str]:
    """``numbers`` just taken from a range, less those typed by hand at packing before the
    range reached them (``waybill_given``): those have their row already."""
    used = recorded_waybill_numbers(carrier_id=carrier_id, numbers=numbers)
    return [number for number in numbers if number not in used] if used else numbers


def _range_sql(*, exact: bool) -> str:
    """Take ``k`` numbers from the account's first range with ``k`` left (``exact``) or
    from a given range; the guard is in the UPDATE's own WHERE, so a packer who waited on
    another one's lock re-checks it against the range as the other left it."""
    quote = connection.ops.quote_name
    meta = WaybillRange._meta
    table = quote(meta.db_table)
    pk = quote(meta.pk.column)
    account = quote(meta.get_field("account").column)
    next_ = quote(meta.get_field("next").column)
    last = quote(meta.get_field("last").column)
    prefix = quote(meta.get_field("prefix").column)
    target = (
        f"(SELECT r.{pk} FROM {table} r WHERE r.{account} = %(account)s "  # noqa: S608
        f"AND r.{next_} + %(k)s - 1 <= r.{last} ORDER BY r.{pk} LIMIT 1)"
        if exact
        else "%(range)s"
    )
    return (
        f"UPDATE {table} SET {next_} = {next_} + %(k)s "  # noqa: S608 (names from the model)
        f"WHERE {pk} = {target} AND {account} = %(account)s "
        f"AND {next_} + %(k)s - 1 <= {last} "
        f"RETURNING {prefix}, {next_} - %(k)s"
    )


def _numbers(prefix: str, first: int, count: int) -> list[str]:
    return [f"{prefix}{first + n}" for n in range(count)]


def _take_from_range(account_id: int, k: int) -> list[str] | None:
    with connection.cursor() as cursor:
        execute(cursor, _range_sql(exact=True), {"account": account_id, "k": k})
        row = cursor.fetchone()
    return _numbers(row[0], row[1], k) if row else None


def _take_rest_of_a_range(account_id: int, want: int) -> list[str] | None:
    """No range has ``want`` left: what is left of the first range that has any."""
    left = (
        WaybillRange.objects.filter(account_id=account_id, next__lte=F("last"))
        .order_by("pk")
        .values_list("pk", "next", "last")
        .first()
    )
    if left is None:
        return None
    pk, next_, last = left
    k = min(want, last - next_ + 1)
    with connection.cursor() as cursor:
        execute(cursor, _range_sql(exact=False), {"account": account_id, "k": k, "range": pk})
        row = cursor.fetchone()
    return _numbers(row[0], row[1], k) if row else None


def _has_range_left(account_id: int) -> bool:
    return WaybillRange.objects.filter(account_id=account_id, next__lte=F("last")).exists()


def _warn_if_low(account: WaybillAccount, used: int) -> None:
    """Warn the warehouse admin once when the account falls below its threshold."""
    if account.low_stock_warned_at is not None:
        return
    before = getattr(account, "range_left", None)
    if before is None:
        left = account_stock(account)
    else:
        left = int(before) + int(getattr(account, "list_left", 0)) - used
    if left >= account.low_stock_threshold:
        return
    now = timezone.now()
    armed = WaybillAccount.objects.filter(pk=account.pk, low_stock_warned_at__isnull=True).update(
        low_stock_warned_at=now
    )
    account.low_stock_warned_at = now
    if not armed:
        return  # another packer's close crossed the line first and warned
    notify_role(
        role=RoleCode.WAREHOUSE_ADMIN,
        title=_("Waybill numbers running low: %(account)s")
        % {"account": f"{account.carrier.name} {account.name}"},
        body=_(
            "%(left)d waybill numbers left (warning below %(threshold)d). Ask the carrier's "
            "branch for a new range and load it."
        )
        % {"left": max(left, 0), "threshold": account.low_stock_threshold},
        url=reverse("warehouse:waybill_account_detail", args=[account.pk]),
        level="warning",
        # once per crossing: the stock loaded since the last one makes a new key
        key=f"waybill-low-{account.pk}-{_stock_generation(account)}",
    )


def _stock_generation(account: WaybillAccount) -> str:
    """Which loads the account's stock is made of: the newest range and number loaded."""
    newest_range = account.ranges.order_by("-pk").values_list("pk", flat=True).first()
    newest_number = account.numbers.order_by("-pk").values_list("pk", flat=True).first()
    return f"{newest_range or 0}.{newest_number or 0}"


def waybill_given(*, carrier_id: int, number: str) -> Taken | None:
    """A waybill number given rather than taken (typed or scanned at packing), checked
    against the stock of the carrier's accounts in the caller's transaction.

    - A number of an account's list: it must be available; it is marked used now and
      ``waybill_record`` points it at its parcel.
    - A number inside one of the account's ranges: it must not have been handed out (below
      the range's next number, or used by hand before); ``waybill_record`` then records it
      used, and the range passes over it when it gets there (``waybill_take``).
    - A number in no stock: refused when the carrier has an active e-waybill account (its
      numbers come from the carrier's system: load it first); accepted as it is for a
      carrier without one (a paper waybill), returning None: only the parcel holds it.

    A used or voided number is refused with the reason. Returns what to record, the number
    spelled as the stock has it (``taken.numbers[0]``).
    """
    number = (number or "").strip()
    if not _NUMBER.match(number):
        raise WaybillError(
            _("%(number)s is not a waybill number.") % {"number": number},
            {"fields": {"waybill_number": [_("A waybill number is 6 to 40 letters and digits.")]}},
        )
    row = _number_row(carrier_id, number)
    if row is not None:
        return _given_from_list(row)
    in_range = _given_range(carrier_id, number)
    if in_range is not None:
        range_, spelled = in_range
        # typed by another packer who held the range before us, and committed
        row = _number_row(carrier_id, spelled)
        if row is not None:
            return _given_from_list(row)
        if int(spelled[len(range_.prefix) :]) < range_.next:
            raise _used(
                spelled, _("Already handed out from the range %(range)s.") % {"range": str(range_)}
            )
        taken = Taken(account=range_.account, numbers=[spelled])
        _warn_if_low(range_.account, 1)
        return taken
    if WaybillAccount.objects.filter(carrier_id=carrier_id, active=True).exists():
        carrier = Carrier.objects.only("name").get(pk=carrier_id)
        raise WaybillError(
            _(
                "Waybill %(number)s is in no e-waybill account of %(carrier)s: load it into "
                "an account's numbers first, or leave the field empty to take the next number."
            )
            % {"number": number, "carrier": carrier.name},
            {"fields": {"waybill_number": [_("Not in the carrier's waybill stock.")]}},
        )
    return None


def _number_row(carrier_id: int, number: str) -> WaybillNumber | None:
    return (
        WaybillNumber.objects.select_for_update(of=("self",))
        .select_related("account__carrier", "parcel")
        # as typed or upper-case (lists are loaded upper-case): the unique index finds it
        .filter(carrier_id=carrier_id, number__in=sorted({number, number.upper()}))
        .first()
    )


def _used(number: str, detail: str) -> WaybillError:
    return WaybillError(
        _("Waybill %(number)s was used before: %(detail)s") % {"number": number, "detail": detail},
        {"fields": {"waybill_number": [_("Already used.")]}},
    )


def _given_from_list(row: WaybillNumber) -> Taken:
    if row.state == WaybillNumberState.VOIDED:
        raise WaybillError(
            _("Waybill %(number)s was voided: it cannot be used.") % {"number": row.number},
            {"fields": {"waybill_number": [_("Voided.")]}},
        )
    if row.state == WaybillNumberState.USED:
        if row.parcel is not None:
            # the words packers know from the parcels' own constraint
            raise WaybillError(
                _("Waybill %(number)s is already on another parcel (%(parcel)s).")
                % {"number": row.number, "parcel": row.parcel.number},
                {"fields": {"waybill_number": [_("Already used.")]}},
            )
        raise _used(row.number, _("taken on %(day)s.") % {"day": _day(row.used_at)})
    WaybillNumber.objects.filter(pk=row.pk).update(
        state=WaybillNumberState.USED, used_at=timezone.now()
    )
    _warn_if_low(row.account, 1)
    return Taken(account=row.account, numbers=[row.number], from_list={row.number})


def _day(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "?"


def _given_range(carrier_id: int, number: str) -> tuple[WaybillRange, str] | None:
    """The carrier's range holding ``number`` (locked, as ``waybill_take`` moves it on)
    and the number as the range spells it, or None."""
    upper = number.upper()
    for pk, prefix, first, last in WaybillRange.objects.filter(
        account__carrier_id=carrier_id
    ).values_list("pk", "prefix", "first", "last"):
        rest = upper[len(prefix) :]
        if not upper.startswith(prefix.upper()) or not rest.isdigit():
            continue
        spelled = f"{prefix}{int(rest)}"
        if spelled.upper() == upper and first <= int(rest) <= last:
            locked = (
                WaybillRange.objects.select_for_update(of=("self",))
                .select_related("account__carrier")
                .get(pk=pk)
            )
            return locked, spelled
    return None


def waybill_record(*, taken: Taken, parcels: Sequence[Parcel], savepoint: bool = True) -> None:
    """Each taken number on its parcel (``parcels[i]`` has ``taken.numbers[i]``): a new
    used row for a range number (the unique constraint refuses a number used before), the
    list row pointed at its parcel. ``savepoint=False`` when the caller's transaction ends
    on the refusal anyway (a parcel's close): two statements fewer."""
    by_number = {parcel.waybill_number: parcel for parcel in parcels}
    now = timezone.now()
    try:
        with transaction.atomic(savepoint=savepoint):
            WaybillNumber.objects.bulk_create(
                [
                    WaybillNumber(
                        account=taken.account,
                        carrier_id=taken.account.carrier_id,
                        number=number,
                        state=WaybillNumberState.USED,
                        parcel=by_number.get(number),
                        used_at=now,
                    )
                    for number in taken.numbers
                    if number not in taken.from_list
                ],
                batch_size=1000,
            )
    except IntegrityError as exc:
        raise WaybillError(
            _(
                "A waybill number of the account %(account)s was used before: its ranges "
                "overlap numbers already handed out. Check the account's stock."
            )
            % {"account": taken.account.name}
        ) from exc
    listed = [by_number[n] for n in taken.numbers if n in taken.from_list and n in by_number]
    for parcel in listed:
        WaybillNumber.objects.filter(
            carrier_id=taken.account.carrier_id, number=parcel.waybill_number
        ).update(parcel=parcel)


def waybill_release(*, parcel: Parcel) -> str:
    """The number of a parcel cancelled before hand-over: back into its account's stock or
    voided, as its carrier requires. Returns what happened (a ``CancelledWaybills``)."""
    carrier = Carrier.objects.only("cancelled_waybills").get(pk=parcel.carrier_id)
    rows = WaybillNumber.objects.filter(
        carrier_id=parcel.carrier_id, number=parcel.waybill_number, parcel=parcel
    )
    if carrier.cancelled_waybills == CancelledWaybills.VOID:
        rows.update(state=WaybillNumberState.VOIDED)
        return CancelledWaybills.VOID
    rows.update(state=WaybillNumberState.AVAILABLE, parcel=None, used_at=None)
    return CancelledWaybills.RETURN


# -- loading stock ---------------------------------------------------------------------------


def _locked_account(account_id: int, by: Any) -> WaybillAccount:
    require_permission(by, MANAGE_STOCK)
    return WaybillAccount.objects.select_for_update().select_related("carrier").get(pk=account_id)


def _in_ranges(carrier_id: int, numbers: Iterable[str]) -> list[str]:
    """Those of ``numbers`` that fall in a range of any of the carrier's accounts."""
    ranges = list(
        WaybillRange.objects.filter(account__carrier_id=carrier_id).values_list(
            "prefix", "first", "last"
        )
    )
    inside = []
    for number in numbers:
        for prefix, first, last in ranges:
            rest = number[len(prefix) :]
            if number.startswith(prefix) and rest.isdigit() and first <= int(rest) <= last:
                inside.append(number)
                break
    return inside


def _rearm(account: WaybillAccount) -> None:
    if account.low_stock_warned_at is not None and (
        account_stock(account) >= account.low_stock_threshold
    ):
        WaybillAccount.objects.filter(pk=account.pk).update(low_stock_warned_at=None)
        account.low_stock_warned_at = None


def waybill_range_load(
    *, account_id: int, prefix: str, first: int, last: int, by: Any
) -> WaybillRange:
    """A range (号段) the carrier gave the account; refused when it overlaps a range or a
    number the carrier's accounts already have."""
    prefix = (prefix or "").strip()
    errors: dict[str, list[str]] = {}
    if first is None or last is None or first > last:
        errors["last"] = [_("The last number must not be below the first.")]
    elif last - first + 1 > MAX_RANGE:
        errors["last"] = [_("At most %(max)s numbers at once.") % {"max": f"{MAX_RANGE:,}"}]
    elif not _NUMBER.match(f"{prefix}{last}"):
        errors["number_prefix"] = [_("A waybill number is 6 to 40 letters and digits.")]
    if errors:
        raise WaybillError(_("The range cannot be loaded."), {"fields": errors})
    with transaction.atomic():
        account = _locked_account(account_id, by)
        overlap = (
            WaybillRange.objects.filter(
                account__carrier_id=account.carrier_id,
                prefix=prefix,
                first__lte=last,
                last__gte=first,
            )
            .select_related("account")
            .first()
        )
        if overlap is not None:
            raise WaybillError(
                _("The range overlaps %(range)s of the account %(account)s.")
                % {"range": str(overlap), "account": overlap.account.name},
                {"fields": {"first": [_("Overlaps a range loaded before.")]}},
            )
        known = [
            number
            for number in WaybillNumber.objects.filter(
                carrier_id=account.carrier_id, number__startswith=prefix
            ).values_list("number", flat=True)
            if number[len(prefix) :].isdigit() and first <= int(number[len(prefix) :]) <= last
        ]
        if known:
            raise WaybillError(
                _("The range holds numbers already loaded or used: %(numbers)s.")
                % {"numbers": ", ".join(known[:5])},
                {"fields": {"first": [_("Overlaps numbers loaded before.")]}},
            )
        loaded = WaybillRange.objects.create(
            account=account,
            prefix=prefix,
            first=first,
            last=last,
            next=first,
            loaded_by=acting_user(by),
        )
        _rearm(account)
    return loaded


def parse_numbers(text: str) -> list[str]:
    """Waybill numbers from a pasted list or an uploaded file: one a line, the first
    column of a CSV line, blanks and a header line without digits skipped."""
    numbers = []
    for line in text.splitlines():
        cell = re.split(r"[,\t;]", line, maxsplit=1)[0].strip().strip('"').strip()
        if cell and any(ch.isdigit() for ch in cell):
            numbers.append(cell)
    return numbers


def waybill_numbers_load(*, account_id: int, numbers: Sequence[str], by: Any) -> int:
    """A list of numbers the carrier gave the account, each available once; refused whole
    when one is malformed or already known. Returns how many were loaded."""
    cleaned = [number.strip().upper() for number in numbers if number.strip()]
    if not cleaned:
        raise WaybillError(
            _("No waybill numbers found."),
            {"fields": {"numbers": [_("Enter or upload at least one number.")]}},
        )
    if len(cleaned) > MAX_LIST:
        raise WaybillError(
            _("Too many waybill numbers at once."),
            {
                "fields": {
                    "numbers": [_("At most %(max)s numbers at once.") % {"max": f"{MAX_LIST:,}"}]
                }
            },
        )
    bad = [number for number in cleaned if not _NUMBER.match(number)]
    if bad:
        raise WaybillError(
            _("Not waybill numbers: %(numbers)s.") % {"numbers": ", ".join(bad[:5])},
            {"fields": {"numbers": [_("A waybill number is 6 to 40 letters and digits.")]}},
        )
    # Counted once, not by list.count() per number (quadratic in a long list).
    twice = sorted(number for number, seen in Counter(cleaned).items() if seen > 1)
    if twice:
        raise WaybillError(
            _("Listed twice: %(numbers)s.") % {"numbers": ", ".join(twice[:5])},
            {"fields": {"numbers": [_("Each number once.")]}},
        )
    with transaction.atomic():
        account = _locked_account(account_id, by)
        known = list(
            WaybillNumber.objects.filter(
                carrier_id=account.carrier_id, number__in=cleaned
            ).values_list("number", flat=True)
        ) + _in_ranges(account.carrier_id, cleaned)
        if known:
            raise WaybillError(
                _("Already loaded or used: %(numbers)s.") % {"numbers": ", ".join(known[:5])},
                {"fields": {"numbers": [_("Remove the numbers loaded before.")]}},
            )
        WaybillNumber.objects.bulk_create(
            [
                WaybillNumber(account=account, carrier_id=account.carrier_id, number=number)
                for number in cleaned
            ],
            batch_size=1000,
        )
        _rearm(account)
    return len(cleaned)


__all__ = [
    "MANAGE_STOCK",
    "Taken",
    "WaybillError",
    "account_stock",
    "default_account",
    "parse_numbers",
    "waybill_given",
    "waybill_numbers_load",
    "waybill_range_load",
    "waybill_record",
    "waybill_release",
    "waybill_take",
]


def waybill_account_setup(
    *,
    carrier: Carrier,
    code: str,
    name: str,
    prefix: str = "",
    first: int | None = None,
    last: int | None = None,
    **fields: Any,
) -> WaybillAccount:
    """An account with its first range, for set-up code (demo data, the day simulation):
    created once, left as it is when it exists."""
    account, created = WaybillAccount.objects.get_or_create(
        carrier=carrier, code=code, defaults={"name": name, **fields}
    )
    if created and first is not None and last is not None:
        WaybillRange.objects.create(
            account=account, prefix=prefix, first=first, last=last, next=first
        )
    return account
