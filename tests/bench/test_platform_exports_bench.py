"""Platform export reading figures (printed, never asserted): run with `make bench`.

A Taobao/Tmall order report and item report of BENCH_EXPORT_LINES item lines (default
100,000; half as many orders) are generated in memory, GB18030 as downloaded, and read by
``read_export``, as CSV and as one zip. No database: the figures are the readers' own.
"""

from __future__ import annotations

import io
import os
import time
import zipfile

import pytest

from orders.services.platform_exports import read_export
from tests.orders.export_generator import taobao_pair

pytestmark = pytest.mark.bench

LINES = int(os.environ.get("BENCH_EXPORT_LINES", "100000"))


def _zipped(files: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return out.getvalue()


def _measure(label: str, files: list[tuple[str, bytes]]) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    result = read_export("taobao", files)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    size = sum(len(data) for _name, data in files) / 1024 / 1024
    print(
        f"{label}: {LINES:,} lines ({size:.1f} MB), {len(result.orders):,} orders, "
        f"{len(result.skipped):,} skipped in {wall:.2f} s ({cpu:.2f} s CPU): "
        f"{LINES / wall:,.0f} lines/s"
    )


def test_taobao_export_reading_speed() -> None:
    files = taobao_pair(LINES)
    _measure("Taobao CSV pair", files)
    _measure("Taobao zip", [("export.zip", _zipped(files))])
