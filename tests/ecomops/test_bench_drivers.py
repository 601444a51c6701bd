"""The kernel and export-reading benchmarks at a tiny size, so they cannot rot unnoticed;
they check what was computed, never how fast."""

from __future__ import annotations

import pytest

from tests.bench.test_kernel_bench import kernel_rates
from tests.bench.test_platform_exports_bench import measure
from tests.orders.export_generator import taobao_pair


@pytest.mark.django_db
def test_the_kernel_bench_at_a_tiny_size() -> None:
    rates = kernel_rates(scale=1000)
    assert set(rates) == {"batch_for", "add_working_time 15 min", "add_working_time 20 h"}
    assert all(rate > 0 for rate in rates.values())


def test_the_export_reading_bench_at_a_tiny_size() -> None:
    figures = measure("tiny", taobao_pair(40), 40)
    assert (figures["orders"], figures["skipped"]) == (18, 2)  # every tenth order closed
    assert figures["floor"] > 0
