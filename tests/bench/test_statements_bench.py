"""Statement import figures (printed, never asserted): run with `make bench` on PostgreSQL.

A BENCH_STATEMENT_LINES-line (default 100,000) Alipay 账务明细 in the downloaded layout (GBK,
# lines, tab before the comma) for an account collecting for Tmall and Taobao: per order a
settlement (交易付款, T200P + the trade id) and a commission (天猫佣金{trade id}), and every
tenth line a payment naming no order of ours. ``statement_import`` reads, classifies,
inserts and matches it; the floor is plain SQL doing the same writes in the same run: the
parsed lines copied into a scratch table (COPY) and matched with one UPDATE … FROM.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecomops make bench
"""

from __future__ import annotations

import io
import os
import time
from datetime import date
from datetime import time as clock
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from ecomops.calendar import local_datetime
from finance import services
from finance.models import PaymentAccount, StatementLine
from finance.statement_formats import read_statement
from orders.models import Order
from tests.bench.measure import rss_mb, stamp
from tests.bench.test_finance_bench import _insert
from tests.orders.factories import make_channel, make_customer

pytestmark = [
    pytest.mark.bench,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="figures are for PostgreSQL"),
]

LINES = int(os.environ.get("BENCH_STATEMENT_LINES", "100000"))
DAY = date(2026, 11, 20)


def seed_orders(count: int) -> tuple[PaymentAccount, int]:
    """``count`` Tmall orders with trade ids T…, inserted with generate_series."""
    tmall = make_channel(code="tmall", kind="tmall")
    taobao = make_channel(code="taobao", kind="taobao")
    customer = make_customer()
    start = local_datetime(DAY, clock(0))
    _insert(
        Order,
        count,
        {
            "number": "'SO' || lpad(g::text, 10, '0')",
            "channel": "%(channel)s",
            "external_id": "(3299194700000000000 + g)::text",
            "source": "'import'",
            "state": "'shipped'",
            "customer": "%(customer)s",
            "placed_at": "%(start)s",
            "paid_at": "%(start)s",
            "accepted_at": "%(start)s",
            "received_at": "%(start)s",
            "batch_date": f"'{DAY.isoformat()}'::date",
            "batch_slot": "15",
            "ship_by": f"'{DAY.isoformat()}'::date",
            "batches_missed": "0",
            "total_amount": "(100 + g % 900)::numeric(14,2)",
            "paid_amount": "(100 + g % 900)::numeric(14,2)",
            "goods_amount": "(100 + g % 900)::numeric(14,2)",
            "payload_hash": "'bench'",
        },
        {"start": start, "channel": tmall.pk, "customer": customer.pk},
    )
    account = PaymentAccount.objects.create(code="alipay", name="支付宝", kind="alipay")
    account.channels.set([tmall, taobao])
    return account, count


def alipay_file(lines: int) -> bytes:
    """``lines`` lines: settlement and commission per order, every tenth line unknown."""
    out = io.StringIO()
    out.write(
        "#支付宝账务明细查询\r\n#账号：[20881234567890120156]\r\n"
        "#起始日期：[2026年11月20日 00:00:00]   终止日期：[2026年11月21日 00:00:00]\r\n"
        "#-----------------------------------------账务明细列表-----------------------------\r\n"
        "账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,"
        "账户余额（元）,交易渠道,业务类型,备注\r\n"
    )
    order = 0
    for n in range(1, lines + 1):
        at = f"2026-11-20 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}"
        if n % 10 == 0:
            out.write(
                f"{20261120000000000000 + n}\t,{n}\t,T200P88{n:017d}\t,货款\t,{at},"
                f"王* (137****2222)\t,158.00,0.00,1.00,淘宝,交易付款,\r\n"
            )
        elif n % 2 == 1:
            order += 1
            trade = 3299194700000000000 + order
            amount = Decimal(100 + order % 900)
            out.write(
                f"{20261120000000000000 + n}\t,{n}\t,T200P{trade}\t,保湿面霜\t,{at},"
                f"张* (138****0000)\t,{amount:.2f},0.00,1.00,淘宝,交易付款,\r\n"
            )
        else:
            trade = 3299194700000000000 + order
            out.write(
                f"{20261120000000000000 + n}\t,{n}\t,\t,\t,{at},"
                "天猫 (tmall***@service.taobao.com)\t,"
                f"0.00,-4.95,1.00,支付宝,收费,天猫佣金{{{trade}}}扣款\r\n"
            )
    out.write("#----------------------------------------账务明细列表结束-------------\r\n")
    return out.getvalue().encode("gbk")


def floor_seconds(content: bytes, account: PaymentAccount) -> float:
    """Plain SQL, same run: the parsed lines COPYed into a scratch table, then matched to
    their orders with one UPDATE … FROM (the parsing itself is not in the floor)."""
    parsed = read_statement(kind="alipay", content=content, file_name="floor.csv").lines
    channels = list(account.channels.values_list("pk", flat=True))
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE floor_lines (reference text PRIMARY KEY, kind text, "
            "amount numeric(14,2), occurred_at timestamptz, order_number text, order_id bigint)"
        )
        buffer = io.StringIO()
        for line in parsed:
            buffer.write(
                f"{line.reference}\t{line.kind}\t{line.amount}\t{line.occurred_at.isoformat()}\t"
                f"{line.order_number}\t\\N\n"
            )
        buffer.seek(0)
        cursor.cursor.copy_expert("COPY floor_lines FROM STDIN", buffer)  # psycopg2
        cursor.execute(
            "UPDATE floor_lines f SET order_id = o.id FROM orders_order o "
            "WHERE o.external_id = f.order_number AND o.channel_id = ANY(%s)",
            [channels],
        )
        cursor.execute("DROP TABLE floor_lines")
    return time.perf_counter() - began


def run_statement_import(lines: int) -> dict[str, Any]:
    account, orders = seed_orders(lines // 2 + 1)
    content = alipay_file(lines)
    rss = rss_mb()
    began, cpu = time.perf_counter(), time.process_time()
    outcome = services.statement_import(account=account, file_name="bench.csv", content=content)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    again_began = time.perf_counter()
    again = services.statement_import(account=account, file_name="bench.csv", content=content)
    again_seconds = time.perf_counter() - again_began
    return {
        "outcome": outcome,
        "again": again,
        "seconds": seconds,
        "cpu": cpu,
        "again_seconds": again_seconds,
        "floor": floor_seconds(content, account),
        "rss_growth": rss_mb("VmHWM") - rss,
        "bytes": len(content),
        "orders": orders,
    }


def test_a_100000_line_alipay_statement_imports_and_matches() -> None:
    figures = run_statement_import(LINES)
    outcome = figures["outcome"]
    print(
        f"\nstatement import, {outcome.lines:,} lines ({figures['bytes'] / 1e6:.1f} MB GBK), "
        f"{figures['orders']:,} orders: {figures['seconds']:.1f} s "
        f"({outcome.lines / figures['seconds']:,.0f} lines/s; this process's CPU "
        f"{figures['cpu']:.1f} s), {outcome.created:,} new, "
        f"{outcome.matched:,} matched; again (nothing new) {figures['again_seconds']:.1f} s; "
        f"plain-SQL floor {figures['floor']:.1f} s, ratio "
        f"{figures['seconds'] / figures['floor']:.1f}×; peak RSS growth "
        f"{figures['rss_growth']:.0f} MB; {stamp()}"
    )
    assert StatementLine.objects.count() == outcome.created
