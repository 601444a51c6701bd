"""Finance figures (printed, never asserted): run with `make bench` on PostgreSQL.

The nightly reconciliation over BENCH_RECON_ORDERS orders (default 1,000,000) accepted and
shipped on one day, each paid; 20 % need an invoice (issued for all but 0.1 %), 1 % are
refunded (half of them with a red-letter invoice), and a few of each mismatch planted.
Prints the seconds of ``reconcile`` and the peak RSS growth of the process.

The data is inserted with ``INSERT … SELECT generate_series`` (minutes with the ORM).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecomops make bench
"""

from __future__ import annotations

import os
import re
import time
from datetime import date, timedelta
from datetime import time as clock
from typing import Any

import pytest
import time_machine
from django.db import connection, models

from ecomops.calendar import local_datetime
from finance import services
from finance.models import Invoice, Payment, PaymentAllocation, Refund
from orders.models import Order
from tests.bench.measure import rss_mb, stamp
from tests.orders.factories import make_channel, make_customer

pytestmark = [
    pytest.mark.bench,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="figures are for PostgreSQL"),
]

ORDERS = int(os.environ.get("BENCH_RECON_ORDERS", "1000000"))
DAY = date(2026, 11, 20)
# What each order is paid: its total, except every 1,000th order, 1 fen short.
SHORT_PAID = "(100 + g % 900)::numeric(14,2) - CASE WHEN g % 1000 = 7 THEN 0.01 ELSE 0 END"


def _insert(
    model: type[models.Model], count: int, values: dict[str, str], params: dict[str, Any]
) -> None:
    """``INSERT INTO <model> SELECT … FROM generate_series(1, count) g``; ``g`` numbers rows.

    Columns not in ``values`` get NULL when nullable, else an empty value of their type.
    """
    columns, selects = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.name in values:
            # A bare % (modulo) is doubled for the driver; %(name)s stays a parameter.
            selects.append(re.sub(r"%(?![(%])", "%%", values[field.name]))
        elif field.null:
            selects.append("NULL")
        elif isinstance(field, models.JSONField):
            selects.append("'{}'::jsonb")
        elif isinstance(field, models.BooleanField):
            selects.append("false")
        elif isinstance(field, models.CharField | models.TextField):
            selects.append("''")
        elif isinstance(field, models.DateTimeField):
            selects.append("%(start)s")
        else:
            selects.append("0")
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(selects)} FROM generate_series(1, %(count)s) g"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "count": count})


def seed(orders: int) -> dict[str, int]:
    channel = make_channel(code="tmall")
    customer = make_customer()
    start = local_datetime(DAY, clock(0))
    params = {
        "start": start,
        "channel": channel.pk,
        "customer": customer.pk,
        "shipped": local_datetime(DAY, clock(16)),
        "noon": local_datetime(DAY, clock(12)),
    }
    _insert(
        Order,
        orders,
        {
            "number": "'SO' || lpad(g::text, 10, '0')",
            "channel": "%(channel)s",
            "external_id": "'E' || g",
            "source": "'api'",
            "state": "'shipped'",
            "customer": "%(customer)s",
            "placed_at": "%(start)s + (g % 86000) * interval '1 second'",
            "paid_at": "%(start)s + (g % 86000) * interval '1 second'",
            "accepted_at": "%(start)s + (g % 86000) * interval '1 second'",
            "received_at": "%(start)s",
            "batch_date": f"'{DAY.isoformat()}'::date",
            "batch_slot": "15",
            "ship_by": f"'{DAY.isoformat()}'::date",
            "batches_missed": "0",
            "needs_invoice": "(g % 5 = 0)",
            "invoice_kind": "CASE WHEN g % 5 = 0 THEN 'ordinary' ELSE '' END",
            "shipped_at": "%(shipped)s",
            "total_amount": "(100 + g % 900)::numeric(14,2)",
            "payload_hash": "'bench'",
        },
        params,
    )
    first = Order.objects.order_by("pk").values_list("pk", flat=True).first()
    params["first"] = first
    # One channel payment per order (every 1,000th pays 1 fen short; every 5,000th twice).
    _insert(
        Payment,
        orders,
        {
            "reference": "'P' || g",
            "reference_scope": "'channel:tmall'",
            "method": "'channel'",
            "channel": "%(channel)s",
            "order_external_id": "'E' || g",
            "amount": SHORT_PAID,
            "allocated_amount": SHORT_PAID,
            "paid_at": "%(noon)s",
            "recorded_at": "%(noon)s",
        },
        params,
    )
    first_payment = Payment.objects.order_by("pk").values_list("pk", flat=True).first()
    params["first_payment"] = first_payment
    _insert(
        PaymentAllocation,
        orders,
        {
            "payment": "%(first_payment)s + g - 1",
            "order": "%(first)s + g - 1",
            "amount": SHORT_PAID,
            "matched_at": "%(noon)s",
        },
        params,
    )
    duplicates = orders // 5000
    _insert(
        Payment,
        duplicates,
        {
            "reference": "'D' || g",
            "reference_scope": "'channel:tmall'",
            "method": "'channel'",
            "channel": "%(channel)s",
            "order_external_id": "'E' || (g * 5000)",
            "amount": "(100 + (g * 5000) % 900)::numeric(14,2)",
            "allocated_amount": "(100 + (g * 5000) % 900)::numeric(14,2)",
            "paid_at": "%(noon)s",
            "recorded_at": "%(noon)s",
        },
        params,
    )
    first_duplicate = Payment.objects.filter(reference="D1").values_list("pk", flat=True).get()
    params["first_duplicate"] = first_duplicate
    _insert(
        PaymentAllocation,
        duplicates,
        {
            "payment": "%(first_duplicate)s + g - 1",
            "order": "%(first)s + g * 5000 - 1",
            "amount": "(100 + (g * 5000) % 900)::numeric(14,2)",
            "matched_at": "%(noon)s",
        },
        params,
    )
    # Invoices for the orders that need one (g % 5 = 0), except every 1,000th of them.
    invoices = orders // 5
    _insert(
        Invoice,
        invoices,
        {
            "number": "'FP' || lpad(g::text, 10, '0')",
            "kind": "'ordinary'",
            "order": "%(first)s + g * 5 - 1",
            "buyer_name": "'买方'",
            "amount_net": "round((100 + (g * 5) % 900) / 1.13, 2)",
            "tax_amount": "(100 + (g * 5) % 900) - round((100 + (g * 5) % 900) / 1.13, 2)",
            "total_amount": "(100 + (g * 5) % 900)::numeric(14,2)",
            "issued_at": "%(noon)s",
            "delivery_method": "'email'",
            "electronic": "true",
        },
        params,
    )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM finance_invoice WHERE id %% 1000 = 3", [])
    # Refunds for 1 % of the orders, paid; red-letter invoices for half of the invoiced ones.
    refunds = orders // 100
    _insert(
        Refund,
        refunds,
        {
            "number": "'RF' || g",
            "order": "%(first)s + g * 100 - 1",
            "state": "'paid'",
            "source": "'manager'",
            "amount": "10.00",
            "reason": "'bench'",
            "requested_at": "%(noon)s",
            "paid_at": "%(noon)s",
            "paid_reference": "'R' || g",
        },
        params,
    )
    return {
        "orders": Order.objects.count(),
        "payments": Payment.objects.count(),
        "invoices": Invoice.objects.count(),
        "refunds": Refund.objects.count(),
    }


def plain_sql_floor(day: date) -> float:
    """Seconds for one plain SQL pass over the day's orders comparing each total with what
    its payments allocated (the heart of what the reconciliation checks)."""
    order, allocation = Order._meta.db_table, PaymentAllocation._meta.db_table
    start = local_datetime(day, clock(0))
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT count(*) FROM {order} o
                LEFT JOIN (SELECT order_id, sum(amount) AS paid FROM {allocation}
                           GROUP BY order_id) a ON a.order_id = o.id
                WHERE o.accepted_at >= %s AND o.accepted_at < %s
                  AND coalesce(a.paid, 0) <> o.total_amount""",  # noqa: S608
            [start, start + timedelta(days=1)],
        )
        cursor.fetchone()
    return time.perf_counter() - began


def run_reconciliation(orders: int) -> dict[str, Any]:
    """Seed ``orders`` orders of DAY with their payments, invoices and refunds, reconcile
    the day twice, and measure plain SQL's floor; returns the figures."""
    started = time.perf_counter()
    counts = seed(orders)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seeded = time.perf_counter() - started
    rss_before = rss_mb("VmHWM")
    with time_machine.travel(local_datetime(date(2026, 11, 21), clock(2)), tick=True):
        began = time.perf_counter()
        run = services.reconcile(day=DAY)
        seconds = time.perf_counter() - began
        again_began = time.perf_counter()
        again = services.reconcile(day=DAY)
        again_seconds = time.perf_counter() - again_began
    floor = plain_sql_floor(DAY)
    return {
        "counts": counts,
        "seeded": seeded,
        "seconds": seconds,
        "again_seconds": again_seconds,
        "floor": floor,
        "run": run,
        "again": again,
        "rss_growth": rss_mb("VmHWM") - rss_before,
    }


def test_nightly_reconciliation_of_a_million_orders() -> None:
    figures = run_reconciliation(ORDERS)
    counts, run = figures["counts"], figures["run"]
    found = {kind: n for kind, n in run.mismatch_counts.items() if n}
    print(
        f"\n[{stamp()}] reconciliation of {counts['orders']:,} orders "
        f"({counts['payments']:,} payments, {counts['invoices']:,} invoices, "
        f"{counts['refunds']:,} refunds; seeded in {figures['seeded']:.1f} s): "
        f"{figures['seconds']:.1f} s, re-run {figures['again_seconds']:.1f} s; "
        f"plain SQL pass {figures['floor']:.2f} s; "
        f"{figures['seconds'] / figures['floor']:.1f}× the floor; "
        f"{run.mismatch_count:,} mismatches {found}, "
        f"peak RSS growth {figures['rss_growth']:.0f} MB (peak {rss_mb('VmHWM'):.0f} MB)"
    )
    assert figures["again"].mismatch_count == run.mismatch_count
