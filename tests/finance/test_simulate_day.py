"""``manage.py simulate_day`` at a tiny size: every stage of the day happens (issue 24 §7).

Timings are the benchmark's business (docs/benchmarks.md); here the day must come out right:
orders shipped, the parked ones worked, invoices issued, the night's reconciliation run and
the JSON carrying every stage. Transactional, because packing tells finance on commit.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from finance.models import InvoiceRequest, InvoiceRequestState, ReconciliationRun
from orders.models import Order, OrderState
from warehouse.models import Batch, BatchState, ConfirmationStatus, ShipmentConfirmation

# A Tuesday far from any holiday; the command moves its own clock through that day.
DAY = date(2026, 11, 24)
STAGES = {
    "intake (signed pages)",
    "payments notified",
    "exception queue",
    "identification (queue)",
    "confirmation (bulk)",
    "delivery notes",
    "cutoff release (beat)",
    "picking + sorting",
    "packing (scan per unit)",
    "hand-over (manifests)",
    "shipment confirmations",
    "shipment confirmation to channels (files)",
    "invoices issued",
    "nightly reconciliation",
}


@pytest.mark.django_db(transaction=True)
def test_a_tiny_day_goes_through_every_stage(tmp_path: Path) -> None:
    out = tmp_path / "day.json"

    call_command("simulate_day", orders=60, seed=3, day=DAY, json_path=str(out))

    figures = json.loads(out.read_text())
    assert {s["name"] for s in figures["stages"]} >= STAGES
    by_name = {s["name"]: s for s in figures["stages"]}
    assert by_name["intake (signed pages)"]["orders"] == 60
    answers = figures["counts"]["intake_answers"]
    assert answers.get("refused", 0) == 0
    assert answers.get("conflict", 0) == 0
    assert answers["parked"] >= 1  # the seed gives the queue some work
    # Every order left the warehouse, except the blacklisted buyers' (cancelled).
    states = set(Order.objects.values_list("state", flat=True))
    assert states <= {OrderState.SHIPPED, OrderState.CANCELLED}
    assert Order.objects.filter(state=OrderState.SHIPPED).count() >= 50
    assert set(Batch.objects.filter(batch_date=DAY).values_list("slot", flat=True)) == {12, 15}
    assert not Batch.objects.exclude(state=BatchState.DONE).exists()
    requests = InvoiceRequest.objects.count()
    assert requests >= 1
    assert not InvoiceRequest.objects.filter(state=InvoiceRequestState.REQUESTED).exists()
    assert ReconciliationRun.objects.filter(day=DAY).exists()
    # 发货回传: Taobao and Tmall by their bulk-shipping files; JD's and Douyin's templates
    # are not known, Pinduoduo's carrier names not entered: those wait for a person
    confirmed = ShipmentConfirmation.objects.filter(status=ConfirmationStatus.CONFIRMED)
    assert set(confirmed.values_list("channel__code", flat=True)) == {"tmall", "taobao"}
    waiting = ShipmentConfirmation.objects.exclude(status=ConfirmationStatus.CONFIRMED)
    assert figures["counts"]["confirmations_waiting_for_a_person"] == waiting.count()
    assert set(waiting.values_list("channel__code", flat=True)) <= {"jd", "pinduoduo", "douyin"}
    assert figures["peak_rss_mb"] > 0
    assert figures["counts"]["pack_stations"] >= 1
    assert {row["policy"] for row in figures["sla"]} >= {
        "customer_identification",
        "sales_order",
        "delivery_note",
        "batch_processed",
    }


@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_database_that_has_orders(tmp_path: Path) -> None:
    call_command("simulate_day", orders=5, day=DAY, json_path=str(tmp_path / "a.json"))

    with pytest.raises(CommandError, match="not empty"):
        call_command("simulate_day", orders=5, day=DAY, json_path=str(tmp_path / "b.json"))
