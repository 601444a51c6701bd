"""Platform export reading figures (printed, never asserted): run with `make bench`.

A Taobao/Tmall order report and item report of BENCH_EXPORT_LINES item lines (default
100,000; half as many orders) are generated in memory, GB18030 as downloaded, and read by
``read_export``, as CSV and as one zip. No database: the figures are the readers' own.
"""

from __future__ import annotations

import csv
import io
import os
import time
import zipfile

import pytest

from orders.services.platform_exports import read_export
from tests.bench.measure import stamp
from tests.orders.export_generator import taobao_pair

pytestmark = pytest.mark.bench

LINES = int(os.environ.get("BENCH_EXPORT_LINES", "100000"))


def _zipped(files: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return out.getvalue()


def plain_csv_floor(files: list[tuple[str, bytes]]) -> float:
    """Seconds for the standard library alone to decode the files and split them into rows
    (what any reader must at least do)."""
    began = time.perf_counter()
    for _name, data in files:
        for _row in csv.reader(io.StringIO(data.decode("gb18030"))):
            pass
    return time.perf_counter() - began


def measure(label: str, files: list[tuple[str, bytes]], lines: int) -> dict[str, float | int]:
    """Read ``files`` once; the figures, with the plain csv floor of the same files."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = read_export("taobao", files)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    csv_files = files
    if len(files) == 1 and files[0][0].endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(files[0][1])) as archive:
            csv_files = [(name, archive.read(name)) for name in archive.namelist()]
    floor = plain_csv_floor(csv_files)
    size = sum(len(data) for _name, data in files) / 1024 / 1024
    print(
        f"{label}: {lines:,} lines ({size:.1f} MB), {len(result.orders):,} orders, "
        f"{len(result.skipped):,} skipped in {wall:.2f} s ({cpu:.2f} s CPU): "
        f"{lines / wall:,.0f} lines/s; plain csv {floor:.2f} s; {wall / floor:.1f}× the floor"
    )
    return {
        "orders": len(result.orders),
        "skipped": len(result.skipped),
        "seconds": wall,
        "floor": floor,
    }


def test_taobao_export_reading_speed() -> None:
    files = taobao_pair(LINES)
    print(f"\n[{stamp()}]")
    measure("Taobao CSV pair", files, LINES)
    measure("Taobao zip", [("export.zip", _zipped(files))], LINES)
