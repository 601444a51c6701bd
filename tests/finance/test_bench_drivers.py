"""The reconciliation benchmark at a tiny size, so it cannot rot unnoticed (PostgreSQL only:
it seeds with generate_series; `.ci/run` runs it). Checks what it found, never how fast."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.bench.test_finance_bench import run_reconciliation

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the seeder uses generate_series (PostgreSQL)"
    ),
]


def test_the_reconciliation_bench_at_a_tiny_size() -> None:
    figures = run_reconciliation(5_000)
    run = figures["run"]
    assert figures["counts"]["orders"] == 5_000
    assert run.mismatch_counts["paid_amount"] == 5  # every 1,000th order paid 1 fen short
    assert figures["again"].mismatch_count == run.mismatch_count
    assert figures["floor"] > 0
