"""Kernel figures: how fast the cutoff rule and working-time arithmetic run (printed)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from ecomops.calendar import add_working_time
from ecomops.cutoffs import batch_for
from tests.timeutil import at

pytestmark = [pytest.mark.django_db, pytest.mark.bench]


def _rate(label: str, count: int, run: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in range(count):
        run(i)
    elapsed = time.perf_counter() - start
    print(f"{label}: {count / elapsed:,.0f} calls/s ({elapsed * 1e6 / count:.1f} µs each)")
    return count / elapsed


def kernel_rates(scale: int = 1) -> dict[str, float]:
    """Calls per second of the cutoff rule and working-time arithmetic (``scale`` 1: the
    full run; the normal suite runs a tiny one)."""
    base = at(2026, 11, 23, 8, 0)
    return {
        "batch_for": _rate(
            "batch_for", 20_000 // scale, lambda i: batch_for(base + timedelta(minutes=i))
        ),
        "add_working_time 15 min": _rate(
            "add_working_time 15 min",
            20_000 // scale,
            lambda i: add_working_time(base + timedelta(minutes=i), timedelta(minutes=15)),
        ),
        "add_working_time 20 h": _rate(
            "add_working_time 20 h",
            5_000 // scale,
            lambda i: add_working_time(base + timedelta(minutes=i), timedelta(hours=20)),
        ),
    }


def test_cutoff_and_working_time_throughput() -> None:
    kernel_rates()
