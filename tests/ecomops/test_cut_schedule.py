"""Cut times as data (issue 25 §2): a manager moves a cut, the batches and the release move
with it, orders keep the batch they were given, the history stays."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ecomops.calendar import day_closing
from ecomops.cutoffs import batch_after, batch_at, batch_for, cut_times_at, invoice_cut, slots
from ecomops.errors import ApplicationError, PermissionDeniedError
from ecomops.workcalendar.models import CutSchedule
from ecomops.workcalendar.services import cut_schedule_set
from finance.services import invoice_due_at
from orders.models import Order
from tests.orders.factories import listed_sku, make_channel, order_data, push
from tests.timeutil import at
from tests.warehouse.factories import make_order, make_warehouse, put_stock
from warehouse import services as warehouse_services
from warehouse import tasks as warehouse_tasks
from warehouse.models import Batch, DeliveryNote

pytestmark = pytest.mark.django_db

# Monday 23 to Saturday 28 November 2026: an ordinary working week.
MONDAY = date(2026, 11, 23)
TUESDAY = date(2026, 11, 24)
WEDNESDAY = date(2026, 11, 25)
THURSDAY = date(2026, 11, 26)


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user("manager", username="boss")


def move_cuts(by: Any, *, to: tuple[int, ...] = (11, 15), **kwargs: Any) -> CutSchedule:
    kwargs.setdefault("invoice_cut", time(15))
    kwargs.setdefault("reason", "双十二大促：上午批次提前")
    return cut_schedule_set(cut_hours=to, by=by, **kwargs)


def key(order: Order) -> tuple[date, int]:
    order.refresh_from_db()
    return (order.batch_date, order.batch_slot)


@pytest.mark.clock(at(2026, 11, 23, 8))
def test_the_seeded_schedule_is_the_one_of_the_process_document() -> None:
    [seeded] = CutSchedule.objects.all()
    assert (seeded.slots, seeded.invoice_cut, seeded.set_by) == ((12, 15), time(15), None)
    assert seeded.effective_from < MONDAY
    now = cut_times_at(at(2026, 11, 23, 8))
    assert (now.slots, now.invoice_cut) == ((12, 15), time(15))
    assert slots(MONDAY) == (12, 15)


@pytest.mark.clock(at(2026, 11, 24, 9, 0))
def test_a_cut_moved_mid_week_with_orders_before_and_after(
    clock: Any, manager: Any, english: None
) -> None:
    """Tuesday afternoon the manager moves the 12:00 cut to 11:00 from Wednesday: orders
    pushed before keep their batch (Tuesday evening's one too), orders after get the new."""
    channel = make_channel(code="tmall")
    listed_sku("SKU-1")
    client = Client()

    def push_at(hour: int, minute: int, external_id: str, day: date = TUESDAY) -> Order:
        clock.move_to(at(day.year, day.month, day.day, hour, minute))
        response = push(client, channel, order_data(external_id=external_id))
        assert response.status_code == 201, response.content
        return Order.objects.get(channel=channel, external_id=external_id)

    tuesday_morning = push_at(10, 0, "T-1000")
    tuesday_evening = push_at(15, 30, "T-1530")  # after the last cut: Wednesday's first batch
    clock.move_to(at(2026, 11, 24, 16, 0))
    schedule = move_cuts(manager, effective_from=WEDNESDAY)
    assert schedule.in_force_from == at(2026, 11, 25, 0, 0)
    late_tuesday = push_at(16, 30, "T-1630")
    wednesday_early = push_at(10, 30, "W-1030", WEDNESDAY)
    wednesday_late = push_at(11, 30, "W-1130", WEDNESDAY)

    assert key(tuesday_morning) == (TUESDAY, 12)
    assert key(tuesday_evening) == (WEDNESDAY, 12), "given before the change: it keeps it"
    assert key(late_tuesday) == (WEDNESDAY, 11)
    assert key(wednesday_early) == (WEDNESDAY, 11)
    assert key(wednesday_late) == (WEDNESDAY, 15)
    # Wednesday still cuts the 12:00 batch its order was given; Thursday only the new cuts.
    assert slots(WEDNESDAY) == (11, 12, 15)
    assert slots(THURSDAY) == (11, 15)
    assert slots(TUESDAY) == (12, 15)
    thursday = batch_for(at(2026, 11, 26, 11, 30))
    assert (thursday.batch_date, thursday.slot) == (THURSDAY, 15)
    assert batch_for(at(2026, 11, 26, 11, 30)).cut_at == at(2026, 11, 26, 15)
    assert batch_after(batch_at(WEDNESDAY, 11)).key == (WEDNESDAY, 12)
    assert batch_after(batch_at(WEDNESDAY, 15)).key == (THURSDAY, 11)
    with pytest.raises(ValueError, match="slot"):
        batch_at(THURSDAY, 12)


def allocated_at(accepted_at: Any, sku: Any, parts_admin: Any) -> Order:
    order = make_order([(sku, 1)], accepted_at=accepted_at)
    warehouse_services.allocate_order(order_id=order.pk, by=parts_admin)
    return order


def released_orders(batch_date: date, slot: int) -> set[int]:
    return set(
        DeliveryNote.objects.filter(batch__batch_date=batch_date, batch__slot=slot).values_list(
            "order_id", flat=True
        )
    )


@pytest.mark.clock(at(2026, 11, 24, 15, 30))
def test_the_release_beat_follows_the_moved_cut(clock: Any, manager: Any, make_user: Any) -> None:
    make_warehouse()
    sku = listed_sku("SKU-1")
    put_stock(sku, 20)
    parts_admin = make_user("bu_parts_admin", username="parts")
    before = allocated_at(at(2026, 11, 24, 15, 20), sku, parts_admin)  # Wednesday 12:00
    clock.move_to(at(2026, 11, 24, 16))
    move_cuts(manager, effective_from=WEDNESDAY)
    after = allocated_at(at(2026, 11, 24, 16, 10), sku, parts_admin)  # Wednesday 11:00
    assert (key(before), key(after)) == ((WEDNESDAY, 12), (WEDNESDAY, 11))

    clock.move_to(at(2026, 11, 25, 10, 59))
    assert warehouse_tasks.release_due_batch() == "not a working day or no cut yet"
    assert not Batch.objects.exists()

    clock.move_to(at(2026, 11, 25, 11, 0))
    assert warehouse_tasks.release_due_batch() == "2026-11-25 11:00"
    assert warehouse_tasks.release_due_batch() == "2026-11-25 11:00"  # twice is once
    assert released_orders(WEDNESDAY, 11) == {after.pk}

    clock.move_to(at(2026, 11, 25, 12, 1))
    assert warehouse_tasks.release_due_batch() == "2026-11-25 12:00"
    assert released_orders(WEDNESDAY, 12) == {before.pk}

    # Thursday has no 12:00 cut: at 12:00 the due batch is still the 11:00 one.
    thursday = allocated_at(at(2026, 11, 26, 10), sku, parts_admin)
    clock.move_to(at(2026, 11, 26, 12, 0))
    assert warehouse_tasks.release_due_batch() == "2026-11-26 11:00"
    assert released_orders(THURSDAY, 11) == {thursday.pk}
    assert sorted(Batch.objects.values_list("batch_date", "slot")) == [
        (WEDNESDAY, 11),
        (WEDNESDAY, 12),
        (THURSDAY, 11),
    ]


@pytest.mark.clock(at(2026, 11, 23, 10, 0))
def test_effective_today_applies_from_now_and_orders_keep_their_batch(manager: Any) -> None:
    before = batch_for(at(2026, 11, 23, 9, 50))
    schedule = move_cuts(manager, effective_from=THURSDAY, effective_today=True)
    assert schedule.effective_from == MONDAY
    assert schedule.in_force_from == at(2026, 11, 23, 10, 0)

    assert before.key == (MONDAY, 12)
    assert batch_for(at(2026, 11, 23, 9, 50)).key == (MONDAY, 12), "accepted before the change"
    assert batch_for(at(2026, 11, 23, 10, 10)).key == (MONDAY, 11)
    assert batch_for(at(2026, 11, 23, 11, 10)).key == (MONDAY, 15)
    assert slots(MONDAY) == (11, 12, 15)
    assert slots(TUESDAY) == (11, 15)


@pytest.mark.clock(at(2026, 11, 23, 10, 0))
def test_a_change_for_tomorrow_leaves_today_alone(manager: Any) -> None:
    move_cuts(manager, to=(13, 16), effective_from=TUESDAY, invoice_cut=time(14, 30))
    assert batch_for(at(2026, 11, 23, 12, 30)).key == (MONDAY, 15)
    assert batch_for(at(2026, 11, 23, 15, 30)).key == (TUESDAY, 13)
    assert batch_for(at(2026, 11, 24, 15, 30)).key == (TUESDAY, 16)
    assert invoice_cut(at(2026, 11, 23, 14, 45)) == time(15)
    assert invoice_cut(at(2026, 11, 24, 14, 45)) == time(14, 30)


@pytest.mark.clock(at(2026, 11, 23, 10, 0))
def test_the_invoice_deadline_follows_the_invoice_cut(manager: Any) -> None:
    move_cuts(manager, to=(12, 15), effective_from=TUESDAY, invoice_cut=time(14))
    assert invoice_due_at(at(2026, 11, 23, 14, 30)) == day_closing(MONDAY)
    assert invoice_due_at(at(2026, 11, 24, 13, 59)) == day_closing(TUESDAY)
    assert invoice_due_at(at(2026, 11, 24, 14, 30)) == day_closing(WEDNESDAY)


@pytest.mark.clock(at(2026, 11, 23, 10, 0))
def test_a_change_for_a_day_under_way_needs_the_manager_to_say_so(
    manager: Any, make_user: Any, english: None
) -> None:
    for day in (MONDAY, MONDAY - timedelta(days=1)):
        with pytest.raises(ApplicationError, match="Today is under way") as refused:
            move_cuts(manager, effective_from=day)
        assert "effective_from" in refused.value.extra["fields"]
    with pytest.raises(ApplicationError, match="why"):
        move_cuts(manager, effective_from=TUESDAY, reason=" ")
    with pytest.raises(ApplicationError, match="cut hour"):
        move_cuts(manager, to=(), effective_from=TUESDAY)
    with pytest.raises(PermissionDeniedError):
        move_cuts(make_user("warehouse_admin"), effective_from=TUESDAY)
    assert CutSchedule.objects.count() == 1


@pytest.mark.clock(at(2026, 11, 23, 10, 0))
def test_history_is_kept(clock: Any, manager: Any, make_user: Any) -> None:
    keeper = make_user("warehouse_admin", username="keeper")
    first = move_cuts(manager, effective_from=WEDNESDAY, reason="提前")
    clock.move_to(at(2026, 11, 24, 9))
    second = move_cuts(manager, to=(12, 15), effective_from=THURSDAY, reason="恢复")
    assert CutSchedule.objects.filter(set_by=None).count() == 1, "the seeded one stays"
    rows = list(CutSchedule.objects.exclude(set_by=None).order_by("set_at"))
    assert [(r.cut_hours, r.effective_from, r.reason) for r in rows] == [
        ("11,15", WEDNESDAY, "提前"),
        ("12,15", THURSDAY, "恢复"),
    ]
    assert [r.set_by for r in rows] == [manager, manager]
    assert (first.set_at, second.set_at) == (at(2026, 11, 23, 10), at(2026, 11, 24, 9))
    assert slots(WEDNESDAY) == (11, 15)
    assert slots(THURSDAY) == (12, 15)
    # The warehouse is told, once per change.
    assert keeper.notifications.filter(key__startswith="cut-schedule-").count() == 2


@pytest.mark.clock(at(2026, 11, 23, 10, 0))
def test_admin_adds_new_cut_times_and_keeps_old_ones_read_only(manager: Any, english: None) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the admin speaks the browser's language
    client.force_login(manager)
    add = "/admin/workcalendar/cutschedule/add/"
    page = client.get(add)
    assert page.status_code == 200
    assert page.context["adminform"].form.initial["cut_times"] == [12, 15]
    assert page.context["adminform"].form.initial["effective_from"] == TUESDAY
    assert b"today is already under way" in page.content

    refused = client.post(
        add,
        {
            "effective_from": "2026-11-23",
            "cut_times": ["11", "15"],
            "invoice_cut": "15:00",
            "reason": "x",
        },
    )
    assert refused.status_code == 200
    assert "Today is under way" in str(refused.context["adminform"].form.errors)

    response = client.post(
        add,
        {
            "effective_from": "2026-11-24",
            "cut_times": ["11", "15"],
            "invoice_cut": "14:00",
            "reason": "大促",
        },
        follow=True,
    )
    assert response.status_code == 200
    new = CutSchedule.objects.get(reason="大促")
    assert (new.slots, new.invoice_cut, new.set_by) == ((11, 15), time(14), manager)
    assert new.in_force_from == at(2026, 11, 24)

    today = client.post(
        add,
        {
            "effective_from": "2026-11-24",
            "effective_today": "on",
            "cut_times": ["13", "16"],
            "invoice_cut": "15:00",
            "reason": "今天起",
        },
        follow=True,
    )
    assert "in force from now on (10:00)" in today.content.decode()
    assert CutSchedule.objects.get(reason="今天起").in_force_from == at(2026, 11, 23, 10)

    changelist = client.get("/admin/workcalendar/cutschedule/")
    assert changelist.status_code == 200
    assert "In force now: batches cut at 13:00 / 16:00" in changelist.content.decode()
    detail = client.get(f"/admin/workcalendar/cutschedule/{new.pk}/change/")
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert "11:00 / 15:00" in detail.content.decode()
    client.post(f"/admin/workcalendar/cutschedule/{new.pk}/change/", {"reason": "改写"})
    assert client.post(f"/admin/workcalendar/cutschedule/{new.pk}/delete/").status_code == 403
    new.refresh_from_db()
    assert new.reason == "大促"


@pytest.mark.clock(at(2026, 11, 23, 10, 0))
def test_the_schedule_is_kept_per_process_and_forgotten_on_save(manager: Any) -> None:
    batch_for(at(2026, 11, 23, 10, 5))
    with CaptureQueriesContext(connection) as reads:
        for minute in range(60):
            batch_for(at(2026, 11, 23, 10, minute))
            slots(MONDAY)
    assert not [q for q in reads.captured_queries if "cutschedule" in q["sql"]]

    CutSchedule.objects.create(
        effective_from=TUESDAY,
        in_force_from=at(2026, 11, 24),
        cut_hours="10,14",
        invoice_cut=time(15),
        reason="直接保存",
        set_at=at(2026, 11, 23, 10),
    )
    with CaptureQueriesContext(connection) as reads:
        assert batch_for(at(2026, 11, 24, 9)).key == (TUESDAY, 10)
    assert [q for q in reads.captured_queries if "cutschedule" in q["sql"]]
