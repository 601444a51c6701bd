"""A waybill number given at packing rather than taken (typed or scanned from a paper or
pre-printed waybill) is checked against the carrier accounts' number stock (issue 21 §2):
a number of a stock must be unused and is then used, once; a used or voided one is refused
with the reason (a form error keeping what was typed); a number in no stock is taken only
for a carrier without e-waybill accounts."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.test import Client

from ecomops.errors import ApplicationError
from tests.warehouse.factories import CarrierFactory, make_waybill_account, pick_all
from warehouse import services
from warehouse.models import (
    Carrier,
    DeliveryNote,
    NoteState,
    Parcel,
    Wave,
    WaybillNumber,
    WaybillNumberState,
    WaybillRange,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

RANGE_FIRST = "7310000000001"  # the factory's default account: 7310000000001..7310000000999


@pytest.fixture
def ready(released: dict[str, Any], picker: Any) -> dict[str, Any]:
    """The two released orders picked and sorted: ready to pack."""
    pick_all(released["wave"], picker)
    services.wave_sort(wave_id=released["wave"].pk, by=picker)
    return released


def _scanned(order: Any, packer: Any) -> DeliveryNote:
    note = DeliveryNote.objects.get(order=order)
    for line in services.pack_lines(services.pack_find(note.number)):
        for _ in range(line.to_pack - line.packed_quantity):
            services.pack_scan(note_id=note.pk, code=line.sku.barcode, by=packer)
    return note


def _close(order: Any, packer: Any, number: str = "") -> Parcel:
    note = _scanned(order, packer)
    return services.pack_close(note_id=note.pk, weight_grams=800, by=packer, waybill_number=number)


def _refusal(order: Any, packer: Any, number: str) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        _close(order, packer, number)
    assert DeliveryNote.objects.get(order=order).state == NoteState.PICKED  # nothing kept
    return caught.value


def test_a_typed_number_of_a_range_is_used_once_and_the_range_passes_over_it(
    ready: dict[str, Any], packer: Any
) -> None:
    typed = _close(ready["first"], packer, RANGE_FIRST)
    row = WaybillNumber.objects.get(number=RANGE_FIRST)
    assert (row.state, row.parcel, row.account) == (
        WaybillNumberState.USED,
        typed,
        typed.waybill_account,
    )
    assert typed.waybill_account is not None
    assert typed.waybill_account.code == "default"
    # the range had not got there yet: taking from it now skips the number typed
    taken = _close(ready["second"], packer)
    assert taken.waybill_number == "7310000000002"
    assert WaybillRange.objects.get().next == 310000000003
    assert WaybillNumber.objects.filter(state=WaybillNumberState.USED).count() == 2


def test_a_number_already_on_a_parcel_is_refused_whichever_way_it_came(
    ready: dict[str, Any], packer: Any
) -> None:
    first = _close(ready["first"], packer)  # taken from the range: 7310000000001
    refusal = _refusal(ready["second"], packer, first.waybill_number)
    assert f"already on another parcel ({first.number})" in refusal.message
    assert refusal.extra["fields"]["waybill_number"] == ["Already used."]
    # a number the range handed out with no row of its own (before accounts kept rows)
    WaybillRange.objects.update(next=310000000050)
    handed_out = _refusal(ready["second"], packer, "7310000000040")
    assert "Already handed out from the range" in handed_out.message


def test_a_list_number_is_taken_from_its_own_account_spelled_as_loaded(
    ready: dict[str, Any], packer: Any, keeper: Any
) -> None:
    carrier = ready["wave"].carrier
    paper = make_waybill_account(carrier, code="paper", first=1, last=0, name="纸质面单")
    services.waybill_numbers_load(account_id=paper.pk, numbers=["ZT900001", "ZT900002"], by=keeper)
    parcel = _close(ready["first"], packer, " zt900001 ")
    assert (parcel.waybill_number, parcel.waybill_account) == ("ZT900001", paper)
    row = WaybillNumber.objects.get(number="ZT900001")
    assert (row.state, row.parcel) == (WaybillNumberState.USED, parcel)
    assert "already on another parcel" in _refusal(ready["second"], packer, "ZT900001").message
    # a list number taken outside a parcel, and one voided, are refused with their reason
    WaybillNumber.objects.filter(number="ZT900002").update(
        state=WaybillNumberState.VOIDED, used_at=None
    )
    assert "was voided" in _refusal(ready["second"], packer, "ZT900002").message
    outside = services.carrier_next_waybill(carrier)
    assert outside is not None
    assert "was used before: taken on" in _refusal(ready["second"], packer, outside).message


def test_a_number_in_no_stock_is_refused_when_the_carrier_has_accounts(
    ready: dict[str, Any], packer: Any
) -> None:
    refusal = _refusal(ready["first"], packer, "9999000011112")
    assert "is in no e-waybill account of 中通快递" in refusal.message
    assert refusal.extra["fields"]["waybill_number"] == ["Not in the carrier's waybill stock."]
    malformed = _refusal(ready["first"], packer, "AB-1")
    assert "is not a waybill number" in malformed.message
    assert WaybillNumber.objects.count() == 0


def test_a_carrier_without_accounts_takes_a_typed_number_once(
    ready: dict[str, Any], packer: Any, parts_admin: Any
) -> None:
    ems = cast(Carrier, CarrierFactory(code="EMS", name="中国邮政EMS", account=False))
    for order in (ready["first"], ready["second"]):
        note = DeliveryNote.objects.get(order=order)
        services.note_change_carrier(
            note_id=note.pk, carrier_id=ems.pk, reason="paper waybill", by=parts_admin
        )
    parcel = _close(ready["first"], packer, "EA123456789CN")
    assert (parcel.carrier, parcel.waybill_account) == (ems, None)
    refusal = _refusal(ready["second"], packer, "EA123456789CN")
    assert "already on another parcel" in refusal.message
    assert WaybillNumber.objects.count() == 0  # no stock to keep it in: the parcel holds it


def test_the_pack_station_shows_a_used_number_as_a_form_error_keeping_the_input(
    ready: dict[str, Any], packer: Any, client: Client
) -> None:
    _close(ready["first"], packer, RANGE_FIRST)
    note = _scanned(ready["second"], packer)
    client.force_login(packer)
    response = client.post(
        f"/warehouse/pack/{note.pk}/close/",
        {"weight_grams": "650", "waybill_number": RANGE_FIRST},
    )
    assert response.status_code == 200
    form = response.context["close_form"]
    assert form.errors["waybill_number"] == ["Already used."]
    page = response.content.decode()
    assert f'value="{RANGE_FIRST}"' in page
    assert "already on another parcel" in page
    assert DeliveryNote.objects.get(pk=note.pk).state == NoteState.PICKED
    assert Wave.objects.get().state != "done"
