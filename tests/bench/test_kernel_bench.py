"""Kernel figures: how fast the cutoff rule and working-time arithmetic run (printed)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from ecomops.calendar import add_working_time
from ecomops.cutoffs import batch_for
from tests.timeutil import at

pytestmark = [pytest.mark.django_db, pytest.mark.bench]


def _rate(label: str, count: int, run: object) -> None:
    start = time.perf_counter()
    for i in range(count):
        run(i)  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"{label}: {count / elapsed:,.0f} calls/s ({elapsed * 1e6 / count:.1f} µs each)")


def test_cutoff_and_working_time_throughput() -> None:
    base = at(2026, 11, 23, 8, 0)
    _rate("batch_for", 20_000, lambda i: batch_for(base + timedelta(minutes=i)))
    _rate(
        "add_working_time 15 min",
        20_000,
        lambda i: add_working_time(base + timedelta(minutes=i), timedelta(minutes=15)),
    )
    _rate(
        "add_working_time 20 h",
        5_000,
        lambda i: add_working_time(base + timedelta(minutes=i), timedelta(hours=20)),
    )
