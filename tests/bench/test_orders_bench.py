"""Order intake figures (printed, never asserted): run with `make bench` on PostgreSQL.

- the worker's CPU per single push, through Django's handler in the bench's own process,
  beside plain SQL inserting the same rows;
- single signed pushes through gunicorn with 2 workers, BENCH_API_ORDERS orders (default
  10,000) from 4 client threads, beside plain SQL inserting the same rows one transaction
  per order: once from threads of this process, once from a client process of its own
  (with the CPU the workers and PostgreSQL spent a push);
- the same pushes to a channel that does not exist, answered 404 after the channel's read:
  what gunicorn, the middleware and DRF cost a push, beside plain SQL reading the channel;
- the page endpoint, the same number of orders in pages of 500, beside plain SQL inserting
  them one transaction per page;
- a Taobao export of BENCH_IMPORT_ROWS item rows (default 100,000) uploaded and imported,
  beside plain SQL inserting its orders and lines in one transaction.

gunicorn listens on BENCH_PORT (default 8765). The drivers are tests/bench/orders_drivers.py,
run at a tiny size in the normal suite by tests/orders/test_bench_drivers.py.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecomops make bench
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from tests.bench.measure import stamp
from tests.bench.orders_drivers import (
    Post,
    channel_read_floor,
    in_process_post,
    intake_channel,
    plain_sql_floor,
    run_import,
    run_pages,
    run_pushes_from_a_client_process,
    run_pushes_in_process,
    run_single_pushes,
    unknown_channel,
)

pytestmark = [
    pytest.mark.bench,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="figures are for PostgreSQL"),
]

ROOT = Path(__file__).resolve().parents[2]
API_ORDERS = int(os.environ.get("BENCH_API_ORDERS", "10000"))
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
PORT = int(os.environ.get("BENCH_PORT", "8765"))
CLIENT_THREADS = 4


@pytest.fixture
def gunicorn() -> Iterator[int]:
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
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"gunicorn did not start on port {PORT}")
        yield PORT
    finally:
        process.terminate()
        process.wait(timeout=10)


def _http(port: int) -> Post:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None

    return post


def test_single_pushes_through_gunicorn(gunicorn: int) -> None:
    channel = intake_channel("bench-single")
    figure = run_single_pushes(lambda: _http(gunicorn), channel, API_ORDERS, threads=CLIENT_THREADS)
    figure.floor_seconds = plain_sql_floor(channel, API_ORDERS, per_transaction=1)
    print(f"\n[{stamp()}] {figure.line()}")


def test_single_pushes_clients_apart(gunicorn: int, tmp_path: Path) -> None:
    """The same pushes from a client process of its own (tests/bench/push_client.py), as
    the platforms' connectors would send them, with the CPU gunicorn's workers and
    PostgreSQL spent a push."""
    channel = intake_channel("bench-apart")
    figure = run_pushes_from_a_client_process(
        gunicorn, channel, API_ORDERS, threads=CLIENT_THREADS, workdir=tmp_path
    )
    figure.floor_seconds = plain_sql_floor(channel, API_ORDERS, per_transaction=1)
    print(f"\n[{stamp()}] {figure.line()}")


def test_the_signed_endpoint_before_the_intake(gunicorn: int, tmp_path: Path) -> None:
    """The same pushes from a client process to a channel that does not exist: each goes
    through gunicorn, the middleware, DRF and the channel's read and is answered 404,
    beside plain SQL reading the channel as often. What a push costs before the intake."""
    unknown = unknown_channel(intake_channel("bench-endpoint"))
    figure = run_pushes_from_a_client_process(
        gunicorn, unknown, API_ORDERS, threads=CLIENT_THREADS, workdir=tmp_path
    )
    figure.label = "the signed endpoint alone (unknown channel, 404)"
    figure.floor_seconds = channel_read_floor(unknown.code, API_ORDERS)
    print(f"\n[{stamp()}] {figure.line()}")


def test_worker_cpu_per_push() -> None:
    """What a push costs the worker's CPU (gunicorn's two workers share two cores with
    PostgreSQL and the clients: 300/s needs well under 6 ms)."""
    channel = intake_channel("bench-cpu")
    figure = run_pushes_in_process(in_process_post, channel, min(API_ORDERS, 2000))
    figure.floor_seconds = plain_sql_floor(channel, figure.count, per_transaction=1)
    print(f"\n[{stamp()}] {figure.line()}")


def test_pages_through_gunicorn(gunicorn: int) -> None:
    channel = intake_channel("bench-pages")
    figure = run_pages(lambda: _http(gunicorn), channel, API_ORDERS, page=500, threads=2)
    figure.floor_seconds = plain_sql_floor(channel, API_ORDERS, per_transaction=500)
    print(f"\n[{stamp()}] {figure.line()}")


def test_import_of_a_large_export() -> None:
    channel = intake_channel("bench-import")
    figure = run_import(channel, IMPORT_ROWS)
    print(f"\n[{stamp()}] {figure.line()}")
