"""The statement import benchmark at a tiny size, so it cannot rot unnoticed (PostgreSQL only:
the seeder uses generate_series and the floor COPY). Checks what it did, never how fast."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.bench.test_statements_bench import run_statement_import

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the seeder uses generate_series (PostgreSQL)"
    ),
]


def test_the_statement_bench_at_a_tiny_size() -> None:
    figures = run_statement_import(2_000)
    outcome = figures["outcome"]
    assert (outcome.lines, outcome.created) == (2_000, 2_000)
    # Every line but the tenth names one of the orders: settlement or commission.
    assert outcome.matched == 1_800
    assert (figures["again"].created, figures["again"].matched) == (0, 0)
    assert figures["floor"] > 0
