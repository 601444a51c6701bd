"""What the order intake benchmarks run, at any size, against any HTTP client.

``tests/bench/test_orders_bench.py`` runs them at full size against gunicorn on PostgreSQL;
``tests/orders/test_bench_drivers.py`` runs them at a tiny size through Django's test client
in the normal suite, so a benchmark cannot rot unnoticed. Each figure comes with its floor:
plain SQL writing the same rows (the order and its line) in the same run.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.test import Client

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from orders import services
from orders.models import Channel, IntakePolicy, Order, OrderLine
from tests.factories import UserFactory
from tests.orders.export_generator import taobao_pair
from tests.orders.factories import listed_sku, make_channel, order_data

# post(path, body, headers) -> (HTTP status, parsed JSON body)
Post = Callable[[str, bytes, dict[str, str]], tuple[int, Any]]


@dataclass
class Figure:
    label: str
    count: int
    seconds: float
    floor_seconds: float | None = None
    statuses: dict[int, int] | None = None
    cpu_seconds: float | None = None  # this process's CPU, when the server ran in it
    server_cpu: dict[str, float] | None = None  # CPU seconds of gunicorn and PostgreSQL

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def ratio(self) -> float | None:
        """How many times the plain-SQL floor's time this took."""
        if not self.floor_seconds:
            return None
        return self.seconds / self.floor_seconds

    def line(self) -> str:
        text = f"{self.label}: {self.count:,} in {self.seconds:.2f} s = {self.rate:,.0f}/s"
        if self.floor_seconds is not None:
            floor_rate = self.count / self.floor_seconds if self.floor_seconds else 0.0
            text += (
                f"; plain SQL {self.floor_seconds:.2f} s = {floor_rate:,.0f}/s; "
                f"{self.ratio:.1f}× the floor"
            )
        if self.cpu_seconds is not None and self.count:
            text += f"; CPU {self.cpu_seconds / self.count * 1000:.2f} ms an order"
        if self.server_cpu is not None and self.count:
            text += "; CPU a push: " + ", ".join(
                f"{name} {seconds / self.count * 1000:.2f} ms"
                for name, seconds in self.server_cpu.items()
            )
        if self.statuses:
            text += f"; answers {dict(sorted(self.statuses.items()))}"
        return text


def intake_channel(code: str) -> Channel:
    """A marketplace channel (parks, as Tmall does) selling SKU-1 at 99.00."""
    channel = make_channel(
        code=code,
        kind="tmall",
        secret=f"{code}-secret",
        intake_policy=IntakePolicy.PARK,
        price_tolerance_percent=Decimal("0"),
    )
    if not listed_sku_exists("SKU-1"):
        listed_sku("SKU-1", "99.00")
    return channel


def listed_sku_exists(code: str) -> bool:
    from listings.models import Sku

    return Sku.objects.filter(code=code).exists()


def payload(n: int, prefix: str) -> dict[str, Any]:
    """Order ``n``: its own buyer (no two are possible duplicates), paid a minute ago."""
    data = order_data(external_id=f"{prefix}-{n}")
    data["customer"]["phone"] = f"13{n % 1_000_000_000:09d}"
    data["customer"]["id_number"] = ""
    return data


def signed_headers(channel: Channel, body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: sign(channel.secret, ts, body),
    }


def run_single_pushes(
    post_factory: Callable[[], Post], channel: Channel, count: int, *, threads: int
) -> Figure:
    """``count`` orders, one signed push each, from ``threads`` clients."""
    bodies = [
        json.dumps(payload(n, channel.code), ensure_ascii=False).encode() for n in range(count)
    ]
    path = f"/api/v1/channels/{channel.code}/orders"
    seconds, statuses = _send(post_factory, channel, path, bodies, threads=threads)
    return Figure("single pushes", count, seconds, statuses=statuses)


def run_pushes_from_a_client_process(
    port: int, channel: Channel, count: int, *, threads: int, workdir: Path, warm: int = 200
) -> Figure:
    """``count`` single pushes to the server on ``port`` from ``threads`` connections of a
    client process of its own (``push_client.py``, after ``warm`` pushes not counted); the
    figure says what CPU the server's gunicorn processes and PostgreSQL spent on them."""
    path = f"/api/v1/channels/{channel.code}/orders"
    requests = []
    for n in range(warm + count):
        body = json.dumps(payload(n, channel.code), ensure_ascii=False).encode()
        requests.append([body.decode(), signed_headers(channel, body)])
    job = workdir / "pushes.json"

    def send(part: list[Any], clients: int) -> dict[str, Any]:
        job.write_text(
            json.dumps({"port": port, "path": path, "threads": clients, "requests": part})
        )
        done = subprocess.run(  # noqa: S603 (this interpreter, a file of the repository)
            [sys.executable, str(Path(__file__).with_name("push_client.py")), str(job)],
            check=True,
            capture_output=True,
            text=True,
        )
        return dict(json.loads(done.stdout))

    if warm:
        send(requests[:warm], min(threads, 2))
    before = process_cpu()
    answer = send(requests[warm:], threads)
    after = process_cpu()
    figure = Figure(
        "single pushes, clients apart",
        count,
        answer["seconds"],
        statuses={int(code): n for code, n in answer["statuses"].items()},
    )
    figure.server_cpu = {name: after[name] - before[name] for name in before}
    return figure


def process_cpu() -> dict[str, float]:
    """CPU seconds so far of every gunicorn and PostgreSQL process (Linux /proc; the test
    server of the suite counts as neither)."""
    totals = {"gunicorn": 0.0, "postgres": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # ended meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if command.startswith(b"postgres"):
            totals["postgres"] += seconds
        elif b"gunicorn" in command:
            totals["gunicorn"] += seconds
    return totals


def in_process_post() -> Post:
    """A ``Post`` through Django's test client: the server is this process."""
    client = Client()

    def post(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        signed = {k: v for k, v in headers.items() if k != "Content-Type"}
        response = client.post(path, data=body, content_type="application/json", headers=signed)
        return response.status_code, json.loads(response.content)

    return post


def run_pushes_in_process(post_factory: Callable[[], Post], channel: Channel, count: int) -> Figure:
    """``count`` single pushes through Django's handler in this process, one after the other
    (``post_factory`` gives Django's test client): the CPU a worker spends on a push, which
    bounds what two workers on two cores can take. The first tenth warms the process and is
    not counted."""
    warm = max(count // 10, 1)
    bodies = [
        json.dumps(payload(n, channel.code), ensure_ascii=False).encode()
        for n in range(count + warm)
    ]
    path = f"/api/v1/channels/{channel.code}/orders"
    _send(post_factory, channel, path, bodies[:warm], threads=1)
    cpu = time.process_time()
    seconds, statuses = _send(post_factory, channel, path, bodies[warm:], threads=1)
    figure = Figure("single pushes in-process", count, seconds, statuses=statuses)
    figure.cpu_seconds = time.process_time() - cpu
    return figure


def run_pages(
    post_factory: Callable[[], Post], channel: Channel, count: int, *, page: int, threads: int
) -> Figure:
    """``count`` orders in signed pages of ``page`` orders, from ``threads`` clients; the
    statuses counted are each order's own (``http_status``)."""
    pages = [
        json.dumps(
            {"orders": [payload(n, channel.code) for n in range(start, min(start + page, count))]},
            ensure_ascii=False,
        ).encode()
        for start in range(0, count, page)
    ]
    path = f"/api/v1/channels/{channel.code}/orders/batch"
    seconds, statuses = _send(post_factory, channel, path, pages, threads=threads)
    return Figure(f"pages of {page}", count, seconds, statuses=statuses)


def _send(
    post_factory: Callable[[], Post],
    channel: Channel,
    path: str,
    bodies: list[bytes],
    *,
    threads: int,
) -> tuple[float, dict[int, int]]:
    """Post every body, signed, from ``threads`` clients; (seconds, count by status). A page's
    answer counts each of its orders' statuses."""
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    cursor = iter(range(len(bodies)))

    def client() -> None:
        post = post_factory()
        while True:
            with lock:
                n = next(cursor, None)
            if n is None:
                return
            code, body = post(path, bodies[n], signed_headers(channel, bodies[n]))
            paged = code == 200 and isinstance(body, dict) and "results" in body
            answers = [r["http_status"] for r in body["results"]] if paged else [code]
            with lock:
                for answer in answers:
                    statuses[answer] = statuses.get(answer, 0) + 1

    start = time.perf_counter()
    if threads == 1:  # the test client shares the test's transaction only in this thread
        client()
    else:
        workers = [threading.Thread(target=client) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    return time.perf_counter() - start, statuses


def _template_rows(channel: Channel) -> tuple[list[str], list[Any], list[str], list[Any]]:
    """The columns and values of one real order and its line, as Django would write them."""
    order = Order.objects.filter(channel=channel).first()
    line = OrderLine.objects.filter(order=order).first() if order else None
    if order is None or line is None:
        raise RuntimeError("run the intake first: the floor copies one of its orders")

    def columns_values(obj: Any) -> tuple[list[str], list[Any]]:
        fields = [f for f in obj._meta.concrete_fields if not f.primary_key]
        return (
            [f.column for f in fields],
            [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields],
        )

    return (*columns_values(order), *columns_values(line))


def plain_sql_floor(
    channel: Channel, count: int, *, per_transaction: int, lines_per_order: int = 1
) -> float:
    """Seconds for plain SQL to insert ``count`` orders like the intake's, each with its
    lines, ``per_transaction`` orders per transaction on one connection (a push: 1)."""
    order_columns, order_values, line_columns, line_values = _template_rows(channel)
    number_at = order_columns.index("number")
    external_at = order_columns.index("external_id")
    order_at = line_columns.index("order_id")
    position_at = line_columns.index("position")
    quote = connection.ops.quote_name
    order_sql = (
        f"INSERT INTO {quote(Order._meta.db_table)} ({', '.join(map(quote, order_columns))}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(order_columns))}) RETURNING id"
    )
    line_sql = (
        f"INSERT INTO {quote(OrderLine._meta.db_table)} ({', '.join(map(quote, line_columns))}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(line_columns))})"
    )
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for first in range(0, count, per_transaction):
            with transaction.atomic():
                for n in range(first, min(first + per_transaction, count)):
                    values = list(order_values)
                    values[number_at] = f"FLOOR{channel.pk}-{n:09d}"
                    values[external_at] = f"FLOOR-{n}"
                    cursor.execute(order_sql, values)
                    line = list(line_values)
                    line[order_at] = cursor.fetchone()[0]
                    for position in range(1, lines_per_order + 1):
                        line[position_at] = position
                        cursor.execute(line_sql, line)
    return time.perf_counter() - start


def unknown_channel(known: Channel) -> Channel:
    """A channel that is not in the database, signing with ``known``'s secret. Its pushes
    go through gunicorn, the middleware, DRF, the body's checks and the channel's read, and
    are answered 404: what the signed endpoint costs before the intake starts."""
    return Channel(code=f"{known.code}-unknown", secret=known.secret)


def channel_read_floor(code: str, count: int) -> float:
    """Seconds for plain SQL to read the channel ``code`` ``count`` times, one statement
    each, on one connection: what a push to an unknown channel asks of the database."""
    quote = connection.ops.quote_name
    sql = f"SELECT id, secret, active FROM {quote(Channel._meta.db_table)} WHERE code = %s"  # noqa: S608
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for _ in range(count):
            cursor.execute(sql, [code])
            cursor.fetchone()
    return time.perf_counter() - start


def run_import(channel: Channel, lines: int) -> Figure:
    """A Taobao order report + item report of ``lines`` item rows, uploaded (read and
    planned) and imported; the floor inserts as many orders with their lines by plain SQL,
    all in one transaction."""
    user = UserFactory(username=f"{channel.code}-rep", roles=["sales_rep"])
    for code, price in (("SKU00001", "99.00"), ("SKU00002", "59.00")):  # the generator's
        if not listed_sku_exists(code):
            listed_sku(code, price)
    files = taobao_pair(lines)
    start = time.perf_counter()
    upload = services.import_upload(
        channel=channel, uploads=[(name, io.BytesIO(data)) for name, data in files], by=user
    )
    done = services.import_run(import_id=upload.pk, by=user).order_import
    seconds = time.perf_counter() - start
    created = done.created_count if done else 0
    # The generator's orders have two lines each.
    floor = plain_sql_floor(channel, created, per_transaction=max(created, 1), lines_per_order=2)
    return Figure(f"export import ({created:,} orders)", lines, seconds, floor)
