"""A wave picked in full in one go: ``wave_pick_all`` leaves what ``pick_confirm`` line by
line leaves (lines, pick moves, balances, the wave picked and logged), in a number of
statements that does not grow with the lines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_fsm_log.models import StateLog

from ecomops.calendar import local_datetime
from ecomops.errors import ConflictError
from ecomops.notifications.models import Notification
from tests.orders.factories import listed_sku
from tests.warehouse.factories import MONDAY_MORNING, make_order, make_warehouse, put_stock
from tests.warehouse.test_bulk_allocation import in_savepoint, statements
from warehouse.models import DeliveryNote, PickLine, StockBalance, StockMove, Wave, WaveState
from warehouse.services import allocation_issue, batch_release, pick_confirm, wave_sort
from warehouse.services.picking import wave_pick_all

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.clock(local_datetime(date(2026, 11, 23), time(12, 30))),
]

MONDAY = date(2026, 11, 23)


def released_wave(make_user: Callable[..., Any], skus: int = 3, orders: int = 4) -> Wave:
    """Orders of the Monday 12:00 batch allocated over several bins and released: one wave."""
    make_warehouse()
    admin = make_user("bu_parts_admin", username="parts")
    make_user("picker", username="picker")
    stocked = [listed_sku(f"SKU-{n}") for n in range(1, skus + 1)]
    for index, sku in enumerate(stocked):
        put_stock(sku, 3, at="A-01")
        put_stock(sku, 20, at=f"A-0{2 + index % 3}")
    made = [
        make_order(
            [(stocked[n % skus], 2), (stocked[(n + 1) % skus], 1)], accepted_at=MONDAY_MORNING
        )
        for n in range(orders)
    ]
    allocation_issue(order_ids=[o.pk for o in made], by=admin)
    batch_release(batch_date=MONDAY, slot=12)
    return Wave.objects.get()


def snapshot() -> dict[str, Any]:
    wave_type = ContentType.objects.get_for_model(Wave)
    note_type = ContentType.objects.get_for_model(DeliveryNote)
    waves = dict(Wave.objects.values_list("pk", "number"))
    notes = dict(DeliveryNote.objects.values_list("pk", "number"))
    return {
        "lines": sorted(
            PickLine.objects.values_list(
                "wave__number",
                "sku__code",
                "location__code",
                "quantity",
                "picked_quantity",
                "short_reason",
                "picked_by__username",
                "picked_at",
            )
        ),
        "balances": sorted(
            StockBalance.objects.values_list("sku__code", "location__code", "on_hand", "reserved")
        ),
        "moves": sorted(
            StockMove.objects.values_list(
                "kind",
                "sku__code",
                "location__code",
                "on_hand_change",
                "reserved_change",
                "reason",
                "reference",
                "delivery_note__number",
                "created_by__username",
                "created_at",
            ),
            key=repr,
        ),
        "waves": sorted(Wave.objects.values_list("number", "state", "picked_at", "sorted_at")),
        "notes": sorted(DeliveryNote.objects.values_list("number", "state", "short", "picked_at")),
        "logs": sorted(
            (
                (waves if content_type == wave_type.pk else notes)[object_id],
                *rest,
            )
            for content_type, object_id, *rest in StateLog.objects.filter(
                content_type__in=[wave_type, note_type]
            ).values_list(
                "content_type_id",
                "object_id",
                "source_state",
                "state",
                "transition",
                "by__username",
                "description",
            )
        ),
        "notifications": sorted(
            Notification.objects.values_list("recipient__username", "title", "body", "key")
        ),
    }


def line_by_line(wave: Wave, picker: Any) -> None:
    for line_id, quantity in (
        PickLine.objects.filter(wave=wave, picked_quantity__isnull=True)
        .order_by("walk_order", "pk")
        .values_list("pk", "quantity")
    ):
        pick_confirm(line_id=line_id, picked_quantity=quantity, by=picker)


def test_a_wave_picked_in_one_go_ends_as_picked_line_by_line(make_user: Any) -> None:
    wave = released_wave(make_user)
    picker = make_user("picker", username="picker")

    def by_lines() -> dict[str, Any]:
        line_by_line(wave, picker)
        wave_sort(wave_id=wave.pk, by=picker)
        return snapshot()

    expected = in_savepoint(by_lines)
    picked = wave_pick_all(wave_id=wave.pk, by=picker)
    assert picked.state == WaveState.PICKED
    wave_sort(wave_id=wave.pk, by=picker)
    got = snapshot()
    for part in expected:
        assert got[part] == expected[part], part
    assert all(reserved == 0 for _s, _l, _on_hand, reserved in got["balances"])
    assert {state for _n, state, _short, _at in got["notes"]} == {"picked"}


def test_the_lines_left_after_a_short_pick_are_picked_in_full(
    make_user: Any, english: None
) -> None:
    wave = released_wave(make_user)
    picker = make_user("picker", username="picker")
    short = PickLine.objects.filter(wave=wave).order_by("walk_order", "pk").first()
    assert short is not None
    pick_confirm(line_id=short.pk, picked_quantity=short.quantity - 1, by=picker, reason="damaged")

    def by_lines() -> dict[str, Any]:
        line_by_line(wave, picker)
        return snapshot()

    expected = in_savepoint(by_lines)
    wave_pick_all(wave_id=wave.pk, by=picker)
    got = snapshot()
    for part in expected:
        assert got[part] == expected[part], part
    short.refresh_from_db()
    assert (short.picked_quantity, short.short_reason) == (short.quantity - 1, "damaged")
    assert DeliveryNote.objects.filter(short=True).exists()


def test_picking_a_wave_again_changes_nothing(make_user: Any) -> None:
    wave = released_wave(make_user)
    picker = make_user("picker", username="picker")
    wave_pick_all(wave_id=wave.pk, by=picker)
    once = snapshot()
    wave_pick_all(wave_id=wave.pk, by=picker)
    assert snapshot() == once
    wave_sort(wave_id=wave.pk, by=picker)
    sorted_once = snapshot()
    assert wave_pick_all(wave_id=wave.pk, by=picker).state == WaveState.SORTED
    assert snapshot() == sorted_once


def test_a_wave_whose_picking_is_over_cannot_be_picked(make_user: Any, english: None) -> None:
    wave = released_wave(make_user)
    picker = make_user("picker", username="picker")
    # a wave marked picked with a line never confirmed: refused, as pick_confirm refuses it
    Wave.objects.filter(pk=wave.pk).update(state=WaveState.PICKED)
    with pytest.raises(ConflictError, match="picking is over"):
        wave_pick_all(wave_id=wave.pk, by=picker)
    assert not StockMove.objects.filter(kind="pick").exists()


@pytest.mark.clock(local_datetime(date(2026, 11, 24), time(12, 30)))
def test_the_statements_do_not_grow_with_the_lines(make_user: Any) -> None:
    """5 pick lines or 50 (a SKU an order, one wave each): the same statements."""
    make_warehouse()
    admin = make_user("bu_parts_admin", username="parts")
    picker = make_user("picker", username="picker")
    counted = {}
    # the first wave warms what each process caches (content types): the others count
    for day, slot, count in ((MONDAY, 12, 2), (MONDAY, 15, 5), (date(2026, 11, 24), 12, 50)):
        skus = [listed_sku(f"D{day.day}-{slot}-{n}") for n in range(count)]
        for sku in skus:
            put_stock(sku, 2, at="A-01")
        accepted = local_datetime(day, time(slot - 2))
        made = [make_order([(sku, 1)], accepted_at=accepted) for sku in skus]
        allocation_issue(order_ids=[o.pk for o in made], by=admin)
        batch = batch_release(batch_date=day, slot=slot)
        wave = Wave.objects.get(batch=batch)
        assert wave.pick_lines.count() == count
        with CaptureQueriesContext(connection) as captured:
            wave_pick_all(wave_id=wave.pk, by=picker)
            wave_sort(wave_id=wave.pk, by=picker)
        counted[count] = len(statements(captured))
        assert not PickLine.objects.filter(wave=wave, picked_quantity__isnull=True).exists()
    assert counted[50] == counted[5], counted
