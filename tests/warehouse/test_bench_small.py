"""The warehouse benchmarks at a tiny size, so they cannot rot between `make bench` runs:
what they build is checked, their time is not (tests/bench/test_warehouse_bench.py).
The clock stands after the last batch the benches release (Monday to Thursday)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Sum
from django_fsm_log.models import StateLog

from orders.models import Order
from tests.bench.test_warehouse_bench import pick_list_bench, release_bench
from tests.timeutil import at
from warehouse.models import DeliveryNote, DeliveryNoteLine, PickLine, Wave

pytestmark = [pytest.mark.django_db, pytest.mark.clock(at(2026, 11, 27, 16))]


def test_release_bench_releases_every_note_into_waves_with_pick_lines() -> None:
    figures = release_bench(12, wave_size=5, chunk_size=5, skus=4)

    assert figures.batch.note_count == 12
    assert figures.waves == 3
    assert sorted(Wave.objects.values_list("note_count", flat=True)) == [2, 5, 5]
    assert figures.released > 0
    assert figures.floor > 0
    assert "ratio release / floor" in figures.report()
    # every unit of every note is on its wave's pick list, once per (SKU, bin)
    per_wave = Counter(
        DeliveryNoteLine.objects.values_list("note__wave_id", "sku_id", "location_id")
    )
    picks = {(p.wave_id, p.sku_id, p.location_id): p.quantity for p in PickLine.objects.all()}
    assert picks == dict(per_wave)
    assert PickLine.objects.aggregate(total=Sum("quantity"))["total"] == 36
    for model in (DeliveryNote, Order):
        logs = StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(model), transition="release"
        )
        assert sorted(logs.values_list("object_id", flat=True)) == sorted(
            model.objects.values_list("pk", flat=True)
        )


def test_pick_list_bench_renders_each_wave() -> None:
    warm_up, figures = pick_list_bench((3, 5), skus=4)

    assert warm_up > 0
    assert [(f.orders, f.sort_rows, f.pick_lines) for f in figures] == [(3, 3, 4), (5, 5, 4)]
    for figure in figures:
        assert figure.content.startswith(b"%PDF")
        assert figure.peak_mb > 0
        assert "ratio" in figure.report()
