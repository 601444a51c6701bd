"""Order intake figures (printed, never asserted): run with `make bench` on PostgreSQL.

- API intake through a real gunicorn with 2 workers, pushed by 4 client threads:
  sustained orders per second over BENCH_API_ORDERS orders (default 10,000);
- the same orders inserted by raw SQL (order + lines, one transaction each), and the ratio;
- a platform export of BENCH_IMPORT_ROWS rows (default 100,000) previewed and imported.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecomops make bench
"""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from orders import services
from orders.models import Order
from tests.factories import UserFactory
from tests.orders.export_generator import taobao_pair
from tests.orders.factories import listed_sku, make_channel, order_data

pytestmark = [
    pytest.mark.bench,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="figures are for PostgreSQL"),
]

ROOT = Path(__file__).resolve().parents[2]
API_ORDERS = int(os.environ.get("BENCH_API_ORDERS", "10000"))
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
CLIENT_THREADS = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _payload(n: int) -> dict[str, Any]:
    data = order_data(external_id=f"BENCH-{n}")
    data["customer"]["phone"] = f"13{n:09d}"
    data["customer"]["id_number"] = ""
    return data


def _gunicorn(port: int) -> subprocess.Popen[bytes]:
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ecomops.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ecomops.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def test_api_intake_throughput_vs_raw_sql() -> None:
    channel = make_channel(
        code="bench", secret="bench-secret", price_tolerance_percent=Decimal("0")
    )
    listed_sku("SKU-1", "99.00")
    bodies = [json.dumps(_payload(n), ensure_ascii=False).encode() for n in range(API_ORDERS)]
    port = _free_port()
    server = _gunicorn(port)
    statuses: list[int] = []
    lock = threading.Lock()
    cursor = iter(range(API_ORDERS))

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                n = next(cursor, None)
            if n is None:
                break
            ts = str(int(time.time()))
            conn.request(
                "POST",
                f"/api/v1/channels/{channel.code}/orders",
                body=bodies[n],
                headers={
                    "Content-Type": "application/json",
                    TIMESTAMP_HEADER: ts,
                    SIGNATURE_HEADER: sign(channel.secret, ts, bodies[n]),
                },
            )
            response = conn.getresponse()
            response.read()
            with lock:
                statuses.append(response.status)
        conn.close()

    try:
        start = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(CLIENT_THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        api_seconds = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=10)
    created = Order.objects.filter(channel=channel).count()
    print(
        f"\nAPI intake, gunicorn 2 workers, {CLIENT_THREADS} clients: {API_ORDERS} orders in "
        f"{api_seconds:.1f} s = {API_ORDERS / api_seconds:.0f} orders/s "
        f"(201: {statuses.count(201)}, other: {len(statuses) - statuses.count(201)}, "
        f"stored: {created})"
    )
    raw_seconds = _raw_sql_insert(channel.pk, API_ORDERS)
    print(
        f"raw SQL insert of order + line, one transaction each: {API_ORDERS} in "
        f"{raw_seconds:.1f} s = {API_ORDERS / raw_seconds:.0f} orders/s; "
        f"API is {raw_seconds / api_seconds:.2f}× raw SQL speed"
    )


def _raw_sql_insert(channel_id: int, count: int) -> float:
    sku_id = listed_sku("SKU-RAW", "99.00").pk
    now = timezone.now()
    today = timezone.localdate()
    start = time.perf_counter()
    with connection.cursor() as cur:
        for n in range(count):
            cur.execute("BEGIN")
            cur.execute(
                """INSERT INTO orders_order (number, channel_id, external_id, source, state,
                customer_data, receiver_name, receiver_phone, ship_province, ship_city,
                ship_district, ship_street, ship_postcode, placed_at, paid_at, accepted_at,
                received_at, batch_date, batch_slot, ship_by, total_amount, needs_invoice,
                invoice_kind, invoice_details, buyer_note, payload_hash, payload,
                identified_automatically, hold_kind, hold_reason, state_before_hold,
                cancel_reason, cancellation_request_reason, cancellation_declined_reason)
                VALUES (%s, %s, %s, 'api', 'received', '{}', '李娜', '13800138000', '北京市',
                '北京市', '朝阳区', '建国路88号', '100020', %s, %s, %s, %s, %s, 12, %s,
                198.00, false, '', '{}', '', '', '{}', false, '', '', '', '', '', '')
                RETURNING id""",
                [f"RAW{n:08d}", channel_id, f"RAW-{n}", now, now, now, now, today, today],
            )
            order_id = cur.fetchone()[0]
            cur.execute(
                """INSERT INTO orders_orderline (order_id, position, sku_id, channel_sku_code,
                quantity, unit_price, list_price, amount)
                VALUES (%s, 1, %s, 'SKU-RAW', 2, 99.00, 99.00, 198.00)""",
                [order_id, sku_id],
            )
            cur.execute("COMMIT")
    return time.perf_counter() - start


def test_csv_import_of_a_large_export() -> None:
    """A Taobao order report + item report pair of IMPORT_ROWS item rows, uploaded (read and
    planned) and imported (planned again, each new order through the intake once)."""
    channel = make_channel(code="bench-import", kind="tmall", price_tolerance_percent=Decimal("0"))
    listed_sku("SKU00001", "99.00")
    listed_sku("SKU00002", "59.00")
    user = UserFactory(username="bench-rep", roles=["sales_rep"])
    files = taobao_pair(IMPORT_ROWS)
    size = sum(len(data) for _name, data in files)
    start = time.perf_counter()
    upload = services.import_upload(
        channel=channel, uploads=[(name, io.BytesIO(data)) for name, data in files], by=user
    )
    preview_seconds = time.perf_counter() - start
    done = services.import_run(import_id=upload.pk, by=user).order_import
    total = time.perf_counter() - start
    created = done.created_count if done else 0
    print(
        f"\nTaobao export import, {IMPORT_ROWS} item rows ({size / 1e6:.1f} MB): upload + "
        f"preview {preview_seconds:.1f} s, import {total - preview_seconds:.1f} s, "
        f"total {total:.1f} s = {IMPORT_ROWS / total:.0f} rows/s; created {created}"
    )
