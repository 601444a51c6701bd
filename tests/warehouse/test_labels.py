"""Waybill labels read back with a scanner: every page's QR and Code128 are its parcel's."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from tests.barcode_scan import scan_pdf
from tests.bench.test_labels_bench import run_labels_bench, seed_packed_wave
from tests.timeutil import at
from warehouse import pdf, selectors
from warehouse.models import DeliveryNote

pytestmark = [pytest.mark.django_db, pytest.mark.clock(at(2026, 11, 24, 14))]


def test_the_labels_bench_at_a_tiny_size() -> None:
    out = io.BytesIO()

    run = run_labels_bench(5, prefix="9", out=out)

    content = out.getvalue()
    assert run.labels == 5
    assert run.size == len(content)
    reader = PdfReader(io.BytesIO(content), strict=True)
    assert len(reader.pages) == 5
    assert reader.metadata is not None
    assert reader.metadata.title == "面单 5 张"
    scans = scan_pdf(content)
    assert [scan.qr for scan in scans] == [[number] for number in run.orders]
    assert [scan.code128 for scan in scans] == [[waybill] for waybill in run.waybills]


def test_printing_a_wave_costs_the_same_queries_for_3_labels_or_12() -> None:
    def queries(count: int, prefix: str, day: date) -> int:
        wave, _orders = seed_packed_wave(count, prefix=prefix, day=day)
        with CaptureQueriesContext(connection) as captured:
            labels = pdf.write_labels_pdf(io.BytesIO(), selectors.waybill_labels(wave=wave))
        assert labels == count
        return len(captured)

    # a chunk of parcels, their notes, their lines' items, the carriers' sorting codes (once
    # a run) and the empty chunk that ends it
    assert queries(3, "4", date(2026, 11, 24)) == queries(12, "5", date(2026, 11, 25)) == 5


def test_a_merged_parcel_prints_every_order_and_all_its_pieces() -> None:
    wave, orders = seed_packed_wave(2, prefix="7")
    first, second = (DeliveryNote.objects.get(order=order) for order in orders)
    DeliveryNote.objects.filter(pk=second.pk).update(parcel=first.parcel)

    [label] = selectors.waybill_labels(wave=wave)

    assert label.waybill_number == first.parcel.waybill_number
    assert label.order_numbers == (second.order.number, first.order.number)  # latest note first
    assert label.pieces == 6  # 1 + 2 units on each order's two lines
    assert label.merged
    assert label.ship_address == second.order.ship_address
    text = PdfReader(io.BytesIO(pdf.labels_pdf([label]))).pages[0].extract_text()
    assert f"订单：{second.order.number}, {first.order.number}" in text
    assert "件数：6 件   合单" in text


def test_the_wave_labels_view_streams_the_file(client: Client, keeper: Any) -> None:
    wave, orders = seed_packed_wave(3, prefix="6")
    client.force_login(keeper)

    response = client.get(f"/warehouse/waves/{wave.pk}/labels.pdf")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{wave.number}-labels.pdf"'
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert int(response["Content-Length"]) == len(content)
    reader = PdfReader(io.BytesIO(content), strict=True)
    assert len(reader.pages) == 3
    assert [scan.qr for scan in scan_pdf(content)] == [[order.number] for order in orders]
