"""Nightly reconciliation (对账), DESIGN §5 Finance; beat runs it at 02:00 for yesterday.

A run is one business day: per channel, the counts and amounts of orders accepted,
shipped, invoiced, paid and refunded that day; and every mismatch still open at the end of
that day, each with what it concerns. All of it is set-based SQL (``INSERT … SELECT`` and
grouped aggregates): no Python loop over orders, so a million orders take seconds.

Every check reads the data *as of the end of the day* (what was issued, paid, matched or
shipped before midnight), so re-running a past day gives the same figures and mismatches
however much has happened since; the run's row is replaced, not added to.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.selectors import acting_user
from ecomops.calendar import day_start
from ecomops.errors import ApplicationError
from ecomops.jobs import enqueue
from ecomops.money import ZERO, to_money
from orders.models import Channel, ChannelKind, Order, PaymentTerms

from .. import selectors
from ..models import (
    Invoice,
    MismatchKind,
    PaymentAllocation,
    ReconciliationRun,
    RedLetterReason,
    Refund,
    RefundState,
    StatementLine,
    StatementLineKind,
)
from .common import require

log = logging.getLogger(__name__)

# Amounts are compared with half a fen of slack (0.005, written into the SQL as a literal
# so both databases compare numbers): SQLite sums decimals as floats.

_COLUMNS = (
    "run_id, kind, channel_id, order_id, payment_id, invoice_id, refund_id, remittance_id, "
    "reference, expected, actual"
)

# Payments and their matches as known at the end of the day.
_ALLOCATED = """
    SELECT a.order_id, SUM(a.amount) AS paid, COUNT(*) AS payments, MAX(a.payment_id) AS last_id
    FROM finance_paymentallocation a
    JOIN finance_payment p ON p.id = a.payment_id
    WHERE a.matched_at < %(end)s AND p.recorded_at < %(end)s
    GROUP BY a.order_id
"""

# What the payments of an order should come to: on a prepaid channel the amount the buyer
# actually paid on the platform, which is less than the total when the platform funded a
# voucher (the platform may settle that part with the buyer's money or on its own, so the
# whole total is right too); on account the total (goods - discount + shipping). Never
# the sum of the lines.
_EXPECTED = "CASE WHEN c.payment_terms = %(prepaid)s THEN o.paid_amount ELSE o.total_amount END"

CHECKS: dict[str, str] = {
    MismatchKind.SHIPPED_NOT_INVOICED: """
        SELECT %(run)s, %(kind)s, o.channel_id, o.id, NULL, NULL, NULL, NULL,
               o.number, o.total_amount, NULL
        FROM orders_order o
        WHERE o.needs_invoice = %(true)s AND o.shipped_at < %(end)s
          AND NOT EXISTS (
              SELECT 1 FROM finance_invoice i
              WHERE i.order_id = o.id AND i.original_id IS NULL AND i.issued_at < %(end)s)
    """,
    MismatchKind.INVOICED_NOT_SHIPPED: """
        SELECT %(run)s, %(kind)s, o.channel_id, o.id, NULL, inv.first_id, NULL, NULL,
               o.number, NULL, inv.total
        FROM (
            SELECT i.order_id, SUM(i.total_amount) AS total,
                   MIN(CASE WHEN i.original_id IS NULL THEN i.id END) AS first_id
            FROM finance_invoice i
            WHERE i.issued_at < %(end)s
            GROUP BY i.order_id
            HAVING SUM(i.total_amount) > 0.005
        ) inv
        JOIN orders_order o ON o.id = inv.order_id
        WHERE o.shipped_at IS NULL OR o.shipped_at >= %(end)s
    """,
    MismatchKind.PAID_AMOUNT: f"""
        SELECT %(run)s, %(kind)s, o.channel_id, o.id, pay.last_id, NULL, NULL, NULL,
               o.number, {_EXPECTED}, COALESCE(pay.paid, 0)
        FROM orders_order o
        JOIN orders_channel c ON c.id = o.channel_id
        LEFT JOIN ({_ALLOCATED}) pay ON pay.order_id = o.id
        WHERE o.accepted_at < %(end)s
          AND (o.cancelled_at IS NULL OR o.cancelled_at >= %(end)s)
          AND c.kind <> %(group_buying)s
          AND (
              (c.payment_terms = %(prepaid)s
               AND ABS(COALESCE(pay.paid, 0) - o.paid_amount) > 0.005
               AND ABS(COALESCE(pay.paid, 0) - o.total_amount) > 0.005)
              OR COALESCE(pay.paid, 0) - o.total_amount > 0.005
          )
          AND NOT (COALESCE(pay.payments, 0) >= 2
                   AND COALESCE(pay.paid, 0) - o.total_amount > 0.005)
    """,  # noqa: S608 (constant SQL; every value is a parameter)
    MismatchKind.PAYMENT_WITHOUT_ORDER: """
        SELECT %(run)s, %(kind)s, p.channel_id, NULL, p.id, NULL, NULL, NULL,
               p.reference, NULL, p.amount - COALESCE(m.matched, 0)
        FROM finance_payment p
        LEFT JOIN (
            SELECT a.payment_id, SUM(a.amount) AS matched
            FROM finance_paymentallocation a
            WHERE a.matched_at < %(end)s
            GROUP BY a.payment_id
        ) m ON m.payment_id = p.id
        WHERE p.recorded_at < %(end)s AND p.method <> %(remittance)s
          AND p.amount - COALESCE(m.matched, 0) > 0.005
    """,
    MismatchKind.DUPLICATE_PAYMENT: f"""
        SELECT %(run)s, %(kind)s, o.channel_id, o.id, pay.last_id, NULL, NULL, NULL,
               o.number, o.total_amount, pay.paid
        FROM ({_ALLOCATED}) pay
        JOIN orders_order o ON o.id = pay.order_id
        WHERE pay.payments >= 2 AND pay.paid - o.total_amount > 0.005
    """,  # noqa: S608 (constant SQL; every value is a parameter)
    MismatchKind.REFUND_WITHOUT_RED_LETTER: """
        SELECT %(run)s, %(kind)s, o.channel_id, o.id, NULL, NULL, r.id, NULL,
               r.number, r.amount, NULL
        FROM finance_refund r
        JOIN orders_order o ON o.id = r.order_id
        WHERE r.state = %(paid)s AND r.paid_at < %(end)s
          AND EXISTS (
              SELECT 1 FROM finance_invoice i
              WHERE i.order_id = r.order_id AND i.original_id IS NULL AND i.issued_at < %(end)s)
          AND NOT EXISTS (
              SELECT 1 FROM finance_invoice i
              WHERE i.order_id = r.order_id AND i.original_id IS NOT NULL
                AND i.issued_at < %(end)s)
    """,
    MismatchKind.RED_LETTER_WITHOUT_REFUND: """
        SELECT %(run)s, %(kind)s, o.channel_id, o.id, NULL, i.id, NULL, NULL,
               i.number, NULL, i.total_amount
        FROM finance_invoice i
        JOIN orders_order o ON o.id = i.order_id
        WHERE i.original_id IS NOT NULL AND i.issued_at < %(end)s
          AND i.red_reason = %(goods_returned)s
          AND NOT EXISTS (
              SELECT 1 FROM finance_refund r
              WHERE r.order_id = i.order_id AND r.requested_at < %(end)s
                AND (r.state <> %(rejected)s OR r.rejected_at >= %(end)s))
    """,
    MismatchKind.REMITTANCE_MISSING: """
        SELECT %(run)s, %(kind)s, rm.channel_id, NULL, NULL, NULL, NULL, rm.id,
               rm.reference, rm.amount_expected, NULL
        FROM finance_remittance rm
        WHERE rm.due_date <= %(day)s AND rm.created_at < %(end)s
          AND (rm.received_at IS NULL OR rm.received_at >= %(end)s)
    """,
}


# Statement checks (issue 22 §1): they name the statement line, so they insert one more
# column. Income and refund kinds are written as literals of StatementLineKind.
_STATEMENT_COLUMNS = _COLUMNS + ", statement_line_id"
_INCOME_KINDS = "('settlement', 'buyer_payment')"

STATEMENT_CHECKS: dict[str, str] = {
    # A platform-paid order on a channel an account collects for, paid after that account's
    # statements began, whose money is on no statement line N days later.
    MismatchKind.PAID_WITHOUT_STATEMENT: f"""
        SELECT %(run)s, %(kind)s, o.channel_id, o.id, NULL, NULL, NULL, NULL,
               o.number, o.paid_amount, NULL, NULL
        FROM orders_order o
        JOIN (
            SELECT pac.channel_id, MIN(sl.occurred_at) AS since
            FROM finance_paymentaccount_channels pac
            JOIN finance_statementline sl ON sl.account_id = pac.paymentaccount_id
            WHERE sl.imported_at < %(end)s
            GROUP BY pac.channel_id
        ) cov ON cov.channel_id = o.channel_id
        JOIN orders_channel c ON c.id = o.channel_id
        WHERE c.payment_terms = %(prepaid)s
          AND o.paid_at >= cov.since AND o.paid_at < %(due)s
          AND (o.cancelled_at IS NULL OR o.cancelled_at >= %(end)s)
          AND NOT EXISTS (
              SELECT 1 FROM finance_statementline s
              WHERE s.order_id = o.id AND s.kind IN {_INCOME_KINDS} AND s.matched_at < %(end)s)
    """,  # noqa: S608 (constant SQL; every value is a parameter)
    MismatchKind.STATEMENT_INCOME_WITHOUT_ORDER: f"""
        SELECT %(run)s, %(kind)s, s.channel_id, NULL, NULL, NULL, NULL, NULL,
               SUBSTR(s.reference, 1, 64), NULL, s.amount, s.id
        FROM finance_statementline s
        WHERE s.kind IN {_INCOME_KINDS} AND s.amount > 0
          AND s.imported_at < %(end)s AND s.occurred_at < %(end)s
          AND (s.order_id IS NULL OR s.matched_at >= %(end)s)
    """,  # noqa: S608 (constant SQL; every value is a parameter)
    MismatchKind.STATEMENT_REFUND_UNRECORDED: """
        SELECT %(run)s, %(kind)s, s.channel_id,
               CASE WHEN s.matched_at < %(end)s THEN s.order_id END,
               NULL, NULL, NULL, NULL,
               SUBSTR(s.reference, 1, 64), NULL, -s.amount, s.id
        FROM finance_statementline s
        WHERE s.kind = 'refund' AND s.amount < 0
          AND s.imported_at < %(end)s AND s.occurred_at < %(end)s
          AND NOT EXISTS (
              SELECT 1 FROM finance_refund r
              WHERE r.state = %(paid)s AND r.paid_at < %(end)s
                AND (r.paid_reference = s.reference
                     OR (s.matched_at < %(end)s AND r.order_id = s.order_id)))
    """,
}

# The PDF lists this many mismatches; the CSV has them all.
PDF_MISMATCH_LIMIT = 500


class ReconciliationError(ApplicationError):
    """A day that cannot be reconciled (yet)."""


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The day's start and end (the next midnight), company time."""
    return day_start(day), day_start(day + timedelta(days=1))


def reconcile(*, day: date, by: Any = None) -> ReconciliationRun:
    """Reconcile ``day`` (over, i.e. before today); running it again replaces the same run."""
    require(by, "finance.run_reconciliation")
    if day >= timezone.localdate():
        raise ReconciliationError(
            _("%(day)s is not over yet: reconcile a past day.") % {"day": day.isoformat()},
            {"fields": {"day": [_("Choose a day before today.")]}},
        )
    start, end = day_bounds(day)
    run, _created = ReconciliationRun.objects.get_or_create(
        day=day, defaults={"started_at": timezone.now()}
    )
    with transaction.atomic():
        run = ReconciliationRun.objects.select_for_update().get(pk=run.pk)
        run.started_at = timezone.now()
        run.mismatches.all().delete()
        counts = _insert_mismatches(run, day, end)
        run.figures = channel_figures(start, end)
        run.mismatch_counts = counts
        run.mismatch_count = sum(counts.values())
        run.run_count += 1
        run.run_by = acting_user(by)
        _store_files(run)
        run.finished_at = timezone.now()
        run.save()
    log.info("reconciliation %s: %s mismatches", day, run.mismatch_count)
    return run


def _insert_mismatches(run: ReconciliationRun, day: date, end: datetime) -> dict[str, int]:
    # Raw SQL gets its values as the ORM would write them: SQLite stores datetimes as UTC
    # text without an offset, and an aware local midnight passed as is compares as the text
    # "…00:00:00+08:00", so events up to 08:00 next morning would count into this day.
    ops = connection.ops
    params: dict[str, Any] = {
        "run": run.pk,
        "day": ops.adapt_datefield_value(day),
        "end": ops.adapt_datetimefield_value(end),
        "true": True,
        "group_buying": ChannelKind.GROUP_BUYING,
        "prepaid": PaymentTerms.PREPAID,
        "remittance": "remittance",
        "paid": RefundState.PAID,
        "rejected": RefundState.REJECTED,
        "goods_returned": RedLetterReason.GOODS_RETURNED,
    }
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        for kind, select in CHECKS.items():
            cursor.execute(
                f"INSERT INTO finance_mismatch ({_COLUMNS}) {select}", {**params, "kind": str(kind)}
            )
            counts[str(kind)] = max(cursor.rowcount, 0)
        params["due"] = ops.adapt_datetimefield_value(
            end - timedelta(days=settings.FINANCE_STATEMENT_GRACE_DAYS)
        )
        for kind, select in STATEMENT_CHECKS.items():
            cursor.execute(
                f"INSERT INTO finance_mismatch ({_STATEMENT_COLUMNS}) {select}",
                {**params, "kind": str(kind)},
            )
            counts[str(kind)] = max(cursor.rowcount, 0)
    return counts


def channel_figures(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per channel: orders, shipped, invoiced, paid, refunded (count and amount) in [start, end)."""
    rows: dict[int | None, dict[str, Any]] = {}

    def add(channel_id: int | None, key: str, count: int, amount: Decimal | None) -> None:
        row = rows.setdefault(channel_id, {})
        row[key] = {"count": count, "amount": str(to_money(amount or ZERO))}

    for key, queryset, channel_field, amount_field, counted in (
        (
            "orders",
            Order.objects.filter(accepted_at__gte=start, accepted_at__lt=end),
            "channel_id",
            "total_amount",
            "pk",
        ),
        (
            "shipped",
            Order.objects.filter(shipped_at__gte=start, shipped_at__lt=end),
            "channel_id",
            "total_amount",
            "pk",
        ),
        (
            "invoiced",
            Invoice.objects.filter(issued_at__gte=start, issued_at__lt=end),
            "order__channel_id",
            "total_amount",
            "pk",
        ),
        (
            "paid",
            PaymentAllocation.objects.filter(payment__paid_at__gte=start, payment__paid_at__lt=end),
            "order__channel_id",
            "amount",
            "payment_id",
        ),
        (
            "refunded",
            Refund.objects.filter(state=RefundState.PAID, paid_at__gte=start, paid_at__lt=end),
            "order__channel_id",
            "amount",
            "pk",
        ),
        (
            # Fees and commissions on the statements (negative: money out), per channel.
            "fees",
            StatementLine.objects.filter(
                kind=StatementLineKind.FEE, occurred_at__gte=start, occurred_at__lt=end
            ),
            "channel_id",
            "amount",
            "pk",
        ),
    ):
        grouped = (
            queryset.values(channel_field)
            .annotate(n=Count(counted, distinct=True), total=Sum(amount_field))
            .order_by()
        )
        for row in grouped:
            add(row[channel_field], key, row["n"], row["total"])
    names = dict(Channel.objects.filter(pk__in=[k for k in rows if k]).values_list("pk", "name"))
    codes = dict(Channel.objects.filter(pk__in=[k for k in rows if k]).values_list("pk", "code"))
    empty = {"count": 0, "amount": "0.00"}
    result = []
    for channel_id in sorted(rows, key=lambda k: codes.get(k, "") if k else ""):
        row = rows[channel_id]
        result.append(
            {
                "channel_id": channel_id,
                "channel": codes.get(channel_id, "") if channel_id else "",
                "channel_name": names.get(channel_id, "") if channel_id else "",
                **{k: row.get(k, empty) for k in FIGURE_KEYS},
            }
        )
    return result


FIGURE_KEYS = ("orders", "shipped", "invoiced", "paid", "refunded", "fees")


def run_csv(run: ReconciliationRun) -> bytes:
    """Every mismatch of the run, a row each, with a link to what it concerns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["day", "kind", "kind_label", "channel", "reference", "order", "expected", "actual", "link"]
    )
    labels = dict(MismatchKind.choices)
    base = settings.PORTAL_BASE_URL.rstrip("/")
    for m in selectors.run_mismatches(run).iterator(chunk_size=5000):
        writer.writerow(
            [
                run.day.isoformat(),
                m.kind,
                str(labels[m.kind]),
                m.channel.code if m.channel else "",
                m.reference,
                m.order.number if m.order else "",
                "" if m.expected is None else f"{m.expected:.2f}",
                "" if m.actual is None else f"{m.actual:.2f}",
                base + m.get_absolute_url(),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _store_files(run: ReconciliationRun) -> None:
    from ..pdf import reconciliation_pdf

    name = f"reconciliation-{run.day:%Y-%m-%d}"
    for field, content in (
        (run.csv_file, run_csv(run)),
        (
            run.pdf_file,
            reconciliation_pdf(run, list(selectors.run_mismatches(run)[:PDF_MISMATCH_LIMIT])),
        ),
    ):
        if field:
            field.delete(save=False)
        suffix = "csv" if field is run.csv_file else "pdf"
        field.save(f"{name}.{suffix}", ContentFile(content), save=False)


def reconcile_yesterday(*, now: datetime | None = None) -> ReconciliationRun:
    """What beat runs at 02:00: match payments that waited for their order, reconcile
    yesterday, and e-mail finance the summary."""
    from .payments import payments_match_waiting

    today = timezone.localtime(now or timezone.now()).date()
    payments_match_waiting()
    run = reconcile(day=today - timedelta(days=1))
    enqueue("finance.tasks.email_reconciliation", run_id=run.pk)
    return run


def reconciliation_mark_emailed(*, run_id: int) -> None:
    ReconciliationRun.objects.filter(pk=run_id).update(emailed_at=timezone.now())


# The sweep looks this many days back: an older run left behind is a manager's to re-run.
RESUME_DAYS = 3
# A finished run's e-mail is left this long to its own task.
EMAIL_GRACE = timedelta(minutes=10)


def reconciliations_resume(*, now: datetime | None = None) -> dict[str, int]:
    """The sweep behind the nightly reconciliation (DESIGN §7): a run of the last
    ``RESUME_DAYS`` days left unfinished for longer than a task may run (its worker killed
    mid-run: the transaction rolled back, the row stayed) is run again, and a finished run
    whose summary e-mail never went out is e-mailed. Safe twice: re-running replaces the
    same run; the e-mail task sends once per finished run."""
    now = now or timezone.now()
    since = timezone.localdate(now) - timedelta(days=RESUME_DAYS)
    stale = now - timedelta(seconds=int(settings.CELERY_TASK_TIME_LIMIT))
    rerun = 0
    for day in ReconciliationRun.objects.filter(
        finished_at=None, started_at__lt=stale, day__gte=since
    ).values_list("day", flat=True):
        log.warning("reconciliation %s was left unfinished: running it again", day)
        reconcile(day=day)
        rerun += 1
    unsent = list(
        ReconciliationRun.objects.filter(
            finished_at__lt=now - EMAIL_GRACE, emailed_at=None, day__gte=since
        ).values_list("pk", flat=True)
    )
    for run_id in unsent:
        enqueue("finance.tasks.email_reconciliation", run_id=run_id)
    return {"rerun": rerun, "emailed": len(unsent)}
