"""Each printed document opens and carries the numbers a warehouse reads off it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from pypdf import PdfReader

from tests.warehouse.factories import pack, pick_all
from warehouse import services
from warehouse.models import DeliveryNote, Wave

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def text_of(response: Any) -> tuple[str, PdfReader]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )  # a wave's labels are streamed from a file
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def embedded_fonts(reader: PdfReader) -> set[str]:
    fonts = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for ref in resources["/Font"].values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get(
                "/FontDescriptor"
            )
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                fonts.add(str(font["/BaseFont"]))
    return fonts


def test_delivery_note_and_wave_documents(
    released: dict[str, Any], client: Client, keeper: Any, picker: Any
) -> None:
    client.force_login(keeper)
    note = DeliveryNote.objects.get(order=released["first"])
    text, reader = text_of(client.get(f"/warehouse/notes/{note.pk}/pdf/"))
    assert note.number in text
    assert released["first"].number in text
    assert "出库单" in text
    assert "SKU-1" in text
    assert embedded_fonts(reader), "the CJK font must be embedded"

    wave = Wave.objects.get()
    text, _reader = text_of(client.get(f"/warehouse/waves/{wave.pk}/picklist.pdf"))
    assert "拣货单" in text
    assert wave.number in text
    assert "A-01" in text
    assert "A-02" in text
    assert text.index("A-01") < text.index("A-02")  # walking order

    text, reader = text_of(client.get(f"/warehouse/waves/{wave.pk}/documents.pdf"))
    assert len(reader.pages) == 3  # the pick list and two delivery notes
    for n in DeliveryNote.objects.all():
        assert n.number in text


def test_label_slip_and_manifest(
    released: dict[str, Any], client: Client, keeper: Any, picker: Any, packer: Any
) -> None:
    pick_all(released["wave"], picker)
    services.wave_sort(wave_id=released["wave"].pk, by=picker)
    parcel = pack(released["first"], packer, weight=1250)
    client.force_login(keeper)
    text, reader = text_of(client.get(f"/warehouse/parcels/{parcel.pk}/label.pdf"))
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    # the carrier account's size: the factory's default account prints 100×180 two-part
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (100, 180)
    assert parcel.waybill_number in text
    assert released["first"].number in text
    assert "中通快递" in text

    text, _reader = text_of(client.get(f"/warehouse/parcels/{parcel.pk}/slip.pdf"))
    assert "装箱单" in text
    assert parcel.number in text

    manifest = services.manifest_open(carrier_id=parcel.carrier_id, by=keeper)
    services.manifest_sign(manifest_id=manifest.pk, courier_name="王师傅", counted=1, by=keeper)
    text, _reader = text_of(client.get(f"/warehouse/manifests/{manifest.pk}/pdf/"))
    assert "交接单" in text
    assert parcel.waybill_number in text
    assert "王师傅" in text
    assert "1.25" in text

    text, _reader = text_of(client.get(f"/warehouse/waves/{released['wave'].pk}/labels.pdf"))
    assert parcel.waybill_number in text


def test_the_label_counts_pieces_not_lines(
    released: dict[str, Any], client: Client, keeper: Any, picker: Any, packer: Any
) -> None:
    pick_all(released["wave"], picker)
    services.wave_sort(wave_id=released["wave"].pk, by=picker)
    parcel = pack(released["first"], packer)  # two lines: 2 × SKU-1 and 1 × SKU-2
    client.force_login(keeper)
    text, _reader = text_of(client.get(f"/warehouse/parcels/{parcel.pk}/label.pdf"))
    assert "件数：3 件" in text
    assert "行" not in text
