"""A packer scans a parcel's right item, then a wrong one, and sees the refusal."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.orders.factories import listed_sku
from tests.warehouse.factories import (
    MONDAY_MORNING,
    make_order,
    make_warehouse,
    pick_all,
    put_stock,
)
from warehouse import services
from warehouse.models import DeliveryNote, PackScan, Wave

pytestmark = pytest.mark.django_db(transaction=True)


def test_packer_scans_right_then_wrong_item(
    live_server: Any, page: Any, login: Any, screenshot: Any
) -> None:
    make_warehouse()
    right, wrong = listed_sku("SKU-1"), listed_sku("SKU-2")
    put_stock(right, 5)
    put_stock(wrong, 5)
    admin = UserFactory(roles=["bu_parts_admin"])
    picker = UserFactory(roles=["picker"])
    UserFactory(username="packer", roles=["packer"])
    order = make_order([(right, 2)], accepted_at=MONDAY_MORNING)
    services.allocate_order(order_id=order.pk, by=admin)
    services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    wave = Wave.objects.get()
    pick_all(wave, picker)
    services.wave_sort(wave_id=wave.pk, by=picker)
    note = DeliveryNote.objects.get()

    login(page, "packer", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/warehouse/pack/")
    page.fill("#find-form input[name=code]", note.number)
    page.keyboard.press("Enter")  # a keyboard-wedge scanner ends with Enter
    page.wait_for_url(f"**/warehouse/pack/{note.pk}/")
    screenshot(page, "01-note-opened")

    page.fill("#scan-form input[name=code]", right.barcode)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#scan-alert.scan-ok").count() == 1
    assert "1 / 2" in page.locator('#pack-lines tr[data-sku="SKU-1"]').inner_text()

    page.fill("#scan-form input[name=code]", wrong.barcode)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    alert = page.locator("#scan-alert.scan-refused")
    assert alert.count() == 1
    assert alert.is_visible()
    assert "SKU-2" in alert.inner_text()
    assert "1 / 2" in page.locator('#pack-lines tr[data-sku="SKU-1"]').inner_text()
    screenshot(page, "02-wrong-item-refused")
    assert list(PackScan.objects.order_by("pk").values_list("accepted", flat=True)) == [True, False]
