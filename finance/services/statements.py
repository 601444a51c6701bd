"""Statements in, matched automatically (issue 22 §1).

``statement_import`` reads an Alipay, WeChat Pay or bank statement of a ``PaymentAccount``
(finance.statement_formats), keeps each line once per (account, reference), and matches
every new line that names an order, all in one transaction: a file with a bad line stores
nothing. Writes are set-based: per chunk of 5,000 lines one query finds the lines already there,
one query per rule finds the orders the new lines name, and one multi-row INSERT (``ON
CONFLICT DO NOTHING`` on the unique (account, reference)) writes them, matched.

A clerk accepts a suggested order for a line that named none (``statement_line_match``) or
undoes a match with a reason (``statement_line_unmatch``); both are logged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError
from orders.models import Order

from ..models import (
    PaymentAccount,
    PaymentAccountKind,
    StatementImport,
    StatementLine,
    StatementMatchAction,
    StatementMatchLog,
    StatementMatchMethod,
)
from ..statement_formats import (
    BANK_FIELDS,
    ParsedLine,
    StatementFormatError,
    bank_columns,
    guess_mapping,
    mapping_problems,
    read_statement,
)
from .common import require

# Lines inserted per statement: a 100,000-line statement is 20 inserts.
IMPORT_CHUNK = 5000


class StatementError(ApplicationError):
    """A statement that cannot be imported, or a match that cannot be made or undone."""


class StatementConflict(StatementError, ConflictError):
    """A line already matched to another order (409)."""


class MappingRequired(StatementError):
    """A bank account's first import: which column holds what must be said first.
    ``extra`` holds the file's ``columns`` and a ``guess``."""


@dataclass(frozen=True)
class StatementImportOutcome:
    statement_import: StatementImport
    lines: int
    created: int
    matched: int

    @property
    def existing(self) -> int:
        return self.lines - self.created


def statement_import(
    *,
    account: PaymentAccount,
    file_name: str,
    content: bytes,
    by: Any = None,
    mapping: Mapping[str, str] | None = None,
) -> StatementImportOutcome:
    """Import a statement file into ``account``: each line once, classified, matched.

    For a bank account, ``mapping`` (our field → the bank's column) is saved on the account
    and used again next time; without one and with none saved, ``MappingRequired`` says
    which columns the file has and proposes a mapping.
    """
    require(by, "finance.import_statement")
    clean_mapping: dict[str, str] = {}
    if account.kind == PaymentAccountKind.BANK:
        clean_mapping = {
            k: v.strip()
            for k, v in (mapping or account.column_mapping or {}).items()
            if k in BANK_FIELDS and v and v.strip()
        }
        if not clean_mapping:
            columns = [c for c in bank_columns(content, file_name) if c]
            raise MappingRequired(
                _(
                    "This is the first statement of bank account %(account)s: say which column "
                    "holds what, it is kept for the next imports."
                )
                % {"account": account.name},
                {"columns": columns, "guess": guess_mapping(columns)},
            )
        problems = mapping_problems(clean_mapping)
        if problems:
            raise StatementError(" ".join(problems), {"fields": {"__all__": problems}})
    parsed = read_statement(
        kind=account.kind, content=content, file_name=file_name, mapping=clean_mapping
    )
    lines = _unique(parsed.lines)
    with transaction.atomic():
        if account.kind == PaymentAccountKind.BANK and clean_mapping != account.column_mapping:
            PaymentAccount.objects.filter(pk=account.pk).update(column_mapping=clean_mapping)
            account.column_mapping = clean_mapping
        now = timezone.now()
        record = StatementImport.objects.create(
            account=account,
            file_name=file_name[:200],
            sha256=hashlib.sha256(content).hexdigest(),
            file_format=parsed.file_format,
            line_count=len(lines),
            period_start=min((line.occurred_at for line in lines), default=None),
            period_end=max((line.occurred_at for line in lines), default=None),
            imported_at=now,
            imported_by=acting_user(by),
        )
        record.file.save(file_name[-100:] or "statement", ContentFile(content), save=False)
        channels = list(account.channels.values_list("pk", flat=True))
        only_channel = channels[0] if len(channels) == 1 else None
        for start in range(0, len(lines), IMPORT_CHUNK):
            chunk = lines[start : start + IMPORT_CHUNK]
            # Lines of an earlier file (a re-import, an overlapping period) are not built
            # again; one that arrives meanwhile is skipped by the unique constraint.
            known = set(
                StatementLine.objects.filter(
                    account=account, reference__in=[line.reference for line in chunk]
                ).values_list("reference", flat=True)
            )
            fresh = [line for line in chunk if line.reference not in known]
            _insert_lines(
                fresh,
                account=account,
                record=record,
                now=now,
                channel_id=only_channel,
                orders=_orders_named(fresh, channels),
            )
        record.created_count = record.lines.count()
        record.matched_count = record.lines.filter(
            match_method=StatementMatchMethod.AUTOMATIC
        ).count()
        record.save()
    return StatementImportOutcome(record, len(lines), record.created_count, record.matched_count)


_LINE_COLUMNS = (
    "account_id",
    "reference",
    "kind",
    "amount",
    "occurred_at",
    "counterparty",
    "order_number",
    "business_type",
    "memo",
    "raw",
    "statement_import_id",
    "imported_at",
    "channel_id",
    "match_method",
    "order_id",
    "matched_at",
)


def _insert_lines(
    lines: list[ParsedLine],
    *,
    account: PaymentAccount,
    record: StatementImport,
    now: Any,
    channel_id: int | None,
    orders: dict[str, tuple[int, int]],
) -> None:
    """One multi-row INSERT per chunk, ``ON CONFLICT DO NOTHING`` on (account, reference),
    each line with its order (``orders``: by order number) when it names one here.

    On PostgreSQL the rows go straight to psycopg2's ``execute_values`` (building 100,000
    model instances and preparing their values in Django costs more than the insert);
    elsewhere ``bulk_create`` does the same."""
    if not lines:
        return
    if connection.vendor != "postgresql":
        StatementLine.objects.bulk_create(
            [
                StatementLine(
                    account=account,
                    reference=line.reference,
                    kind=line.kind,
                    amount=line.amount,
                    occurred_at=line.occurred_at,
                    counterparty=line.counterparty,
                    order_number=line.order_number,
                    business_type=line.business_type,
                    memo=line.memo,
                    raw=line.raw,
                    statement_import=record,
                    imported_at=now,
                    channel_id=orders[line.order_number][1]
                    if line.order_number in orders
                    else channel_id,
                    order_id=orders[line.order_number][0] if line.order_number in orders else None,
                    match_method=StatementMatchMethod.AUTOMATIC
                    if line.order_number in orders
                    else "",
                    matched_at=now if line.order_number in orders else None,
                )
                for line in lines
            ],
            batch_size=IMPORT_CHUNK,
            ignore_conflicts=True,
        )
        return
    from psycopg2.extras import execute_values

    unmatched = (None, channel_id)
    rows = [
        (
            account.pk,
            line.reference,
            line.kind,
            line.amount,
            line.occurred_at,
            line.counterparty,
            line.order_number,
            line.business_type,
            line.memo,
            json.dumps(line.raw, ensure_ascii=False),
            record.pk,
            now,
            orders.get(line.order_number, unmatched)[1],
            StatementMatchMethod.AUTOMATIC.value if line.order_number in orders else "",
            orders.get(line.order_number, unmatched)[0],
            now if line.order_number in orders else None,
        )
        for line in lines
    ]
    template = "(" + ", ".join("%s::jsonb" if c == "raw" else "%s" for c in _LINE_COLUMNS) + ")"
    with connection.cursor() as cursor:
        execute_values(
            cursor.cursor,
            f"INSERT INTO finance_statementline ({', '.join(_LINE_COLUMNS)}) VALUES %s "  # noqa: S608
            "ON CONFLICT (account_id, reference) DO NOTHING",
            rows,
            template=template,
            page_size=IMPORT_CHUNK,
        )


def _unique(lines: list[ParsedLine]) -> list[ParsedLine]:
    """A reference twice in one file is one line (the first), as it would be across files."""
    seen: set[str] = set()
    kept = []
    for line in lines:
        if line.reference not in seen:
            seen.add(line.reference)
            kept.append(line)
    return kept


def _orders_named(lines: list[ParsedLine], channels: list[int]) -> dict[str, tuple[int, int]]:
    """The orders the lines name, as (order, channel) per order number: first by the
    channel's order number (``Order.external_id`` of a channel the account collects for),
    then by our own ``Order.number``; one query each for the whole chunk. Where two orders
    fit (the same trade id on two channels) the first one is taken."""
    names = {line.order_number for line in lines if line.order_number}
    found: dict[str, tuple[int, int]] = {}
    if names and channels:
        for external_id, pk, channel_id in (
            Order.objects.filter(channel_id__in=channels, external_id__in=names)
            .order_by("-pk")
            .values_list("external_id", "pk", "channel_id")
        ):
            found[external_id] = (pk, channel_id)
    rest = names - found.keys()
    if rest:
        for number, pk, channel_id in Order.objects.filter(number__in=rest).values_list(
            "number", "pk", "channel_id"
        ):
            found[number] = (pk, channel_id)
    return found


def payment_account_set_mapping(
    *, account_id: int, mapping: Mapping[str, str], by: Any = None
) -> PaymentAccount:
    """Save (or correct) which column of a bank account's statements holds what."""
    require(by, "finance.import_statement")
    clean = {k: v.strip() for k, v in mapping.items() if k in BANK_FIELDS and v and v.strip()}
    problems = mapping_problems(clean)
    if problems:
        raise StatementError(" ".join(problems), {"fields": {"__all__": problems}})
    with transaction.atomic():
        account = PaymentAccount.objects.select_for_update().get(pk=account_id)
        if account.kind != PaymentAccountKind.BANK:
            raise StatementError(_("Only a bank account's statement columns are mapped."))
        account.column_mapping = clean
        account.save(update_fields=["column_mapping"])
    return account


def statement_line_match(
    *, line_id: int, order_id: int, by: Any = None, reason: str = ""
) -> StatementLine:
    """A clerk matches a statement line to an order (accepting a suggestion); logged."""
    require(by, "finance.import_statement")
    with transaction.atomic():
        line = StatementLine.objects.select_for_update().get(pk=line_id)
        order = Order.objects.filter(pk=order_id).first()
        if order is None:
            raise StatementError(
                _("There is no such order."), {"fields": {"order": [_("Unknown order.")]}}
            )
        if line.order_id == order.pk:
            return line
        if line.order_id is not None:
            raise StatementConflict(
                _("Line %(ref)s is already matched to another order: undo that match first.")
                % {"ref": line.reference}
            )
        now = timezone.now()
        line.order = order
        line.channel_id = order.channel_id
        line.match_method = StatementMatchMethod.CLERK
        line.matched_at = now
        line.matched_by = acting_user(by)
        line.save(update_fields=["order", "channel", "match_method", "matched_at", "matched_by"])
        StatementMatchLog.objects.create(
            line=line,
            order=order,
            action=StatementMatchAction.ACCEPTED,
            reason=reason[:300],
            at=now,
            by=acting_user(by),
        )
    return line


def statement_line_unmatch(*, line_id: int, reason: str, by: Any = None) -> StatementLine:
    """Undo a line's match (automatic or accepted), saying why; logged."""
    require(by, "finance.import_statement")
    reason = reason.strip()
    if not reason:
        raise StatementError(
            _("Say why the match is undone."),
            {"fields": {"reason": [_("This field is required.")]}},
        )
    with transaction.atomic():
        line = StatementLine.objects.select_for_update().get(pk=line_id)
        if line.order_id is None:
            return line
        StatementMatchLog.objects.create(
            line=line,
            order_id=line.order_id,
            action=StatementMatchAction.UNDONE,
            reason=reason[:300],
            at=timezone.now(),
            by=acting_user(by),
        )
        channels = list(line.account.channels.values_list("pk", flat=True))
        line.order = None
        line.channel_id = channels[0] if len(channels) == 1 else None
        line.match_method = ""
        line.matched_at = None
        line.matched_by = None
        line.save(update_fields=["order", "channel", "match_method", "matched_at", "matched_by"])
    return line


def statement_period(account: PaymentAccount) -> tuple[Any, Any]:
    """The first and last moment of the account's statements so far."""
    bounds = account.lines.aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
    return bounds["first"], bounds["last"]


__all__ = [
    "IMPORT_CHUNK",
    "MappingRequired",
    "StatementError",
    "StatementFormatError",
    "StatementImportOutcome",
    "payment_account_set_mapping",
    "statement_import",
    "statement_line_match",
    "statement_line_unmatch",
    "statement_period",
]
