"""The order intake benchmarks' drivers at a tiny size, so a benchmark cannot rot unnoticed:
the same code `make bench` runs against gunicorn, here through Django's test client. They
check what the drivers did, never how fast."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orders.models import Order
from tests.bench.orders_drivers import (
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

pytestmark = pytest.mark.django_db


def test_single_pushes_and_their_floor() -> None:
    channel = intake_channel("tiny-single")
    figure = run_single_pushes(in_process_post, channel, 6, threads=1)
    assert figure.statuses == {201: 6}
    assert Order.objects.filter(channel=channel).count() == 6
    figure.floor_seconds = plain_sql_floor(channel, 6, per_transaction=1)
    assert Order.objects.filter(channel=channel).count() == 12
    floor_order = Order.objects.get(channel=channel, external_id="FLOOR-0")
    assert floor_order.lines.count() == 1
    assert figure.ratio is not None
    assert "plain SQL" in figure.line()


def test_pushes_in_process_count_the_cpu() -> None:
    channel = intake_channel("tiny-cpu")
    figure = run_pushes_in_process(in_process_post, channel, 5)
    assert figure.statuses == {201: 5}
    assert Order.objects.filter(channel=channel).count() == 6  # one warming push
    assert figure.cpu_seconds is not None
    assert "ms an order" in figure.line()


def test_pages_and_their_floor() -> None:
    channel = intake_channel("tiny-pages")
    figure = run_pages(in_process_post, channel, 7, page=3, threads=1)
    assert figure.statuses == {201: 7}
    assert Order.objects.filter(channel=channel).count() == 7


def test_the_import_and_its_floor() -> None:
    channel = intake_channel("tiny-import")
    figure = run_import(channel, 20)
    # Every tenth order of the generator is closed: 10 orders, 9 created.
    assert Order.objects.filter(channel=channel, external_id__startswith="FLOOR").count() == 9
    assert (
        Order.objects.filter(channel=channel).exclude(external_id__startswith="FLOOR").count() == 9
    )
    assert figure.floor_seconds is not None


@pytest.mark.django_db(transaction=True)
def test_pushes_from_a_client_process(live_server: Any, tmp_path: Path) -> None:
    channel = intake_channel("tiny-apart")
    port = int(live_server.url.rsplit(":", 1)[1])
    # one connection: the suite's live server shares SQLite's in-memory database between
    # its threads, which cannot hold two transactions at once
    figure = run_pushes_from_a_client_process(port, channel, 4, threads=1, workdir=tmp_path, warm=1)
    assert figure.statuses == {201: 4}
    assert Order.objects.filter(channel=channel).count() == 5
    assert figure.server_cpu is not None
    assert set(figure.server_cpu) == {"gunicorn", "postgres"}
    assert "CPU a push" in figure.line()


@pytest.mark.django_db(transaction=True)
def test_pushes_to_an_unknown_channel_from_a_client_process(
    live_server: Any, tmp_path: Path
) -> None:
    known = intake_channel("tiny-endpoint")
    unknown = unknown_channel(known)
    port = int(live_server.url.rsplit(":", 1)[1])
    figure = run_pushes_from_a_client_process(port, unknown, 3, threads=1, workdir=tmp_path, warm=1)
    assert figure.statuses == {404: 3}
    assert not Order.objects.exists()
    figure.floor_seconds = channel_read_floor(unknown.code, 3)
    assert figure.ratio is not None
    assert "plain SQL" in figure.line()
