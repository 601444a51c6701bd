"""Set-based allocation: ``allocation_issue`` gives many orders what ``allocate_order`` gives
each one by one (notes, lines, reservations, holds, logs, clocks, notifications), in a
number of statements that does not grow with the orders, and stays safe under races."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_fsm_log.models import StateLog

from ecomops.calendar import local_datetime
from ecomops.errors import ApplicationError
from ecomops.notifications.models import Notification
from ecomops.sla.models import SlaClock
from ecomops.sla.services import sla_clock_start
from orders.models import Order, OrderState
from orders.selectors import DELIVERY_NOTE_CLOCK
from tests.concurrency import race
from tests.factories import UserFactory
from tests.orders.factories import listed_sku
from tests.warehouse.factories import make_order, make_warehouse, put_stock
from warehouse.models import DeliveryNote, DeliveryNoteLine, StockBalance, StockHold, StockMove
from warehouse.services import AllocationResult, allocate_order, allocation_issue

pytestmark = pytest.mark.django_db

# A Monday at 10:30, the clock stopped: every timestamp of both runs is the same instant.
WHEN = local_datetime(date(2026, 11, 23), time(10, 30))


class _Rollback(Exception):
    pass


def in_savepoint(work: Callable[[], Any]) -> Any:
    """What ``work()`` returns, with everything it wrote rolled back afterwards."""
    kept: list[Any] = []
    try:
        with transaction.atomic():
            kept.append(work())
            raise _Rollback
    except _Rollback:
        pass
    return kept[0]


def snapshot(result: AllocationResult | None = None) -> dict[str, Any]:
    """Everything allocation writes, without primary keys (they differ between runs)."""
    order_numbers = dict(Order.objects.values_list("pk", "number"))
    holds = {
        pk: order_numbers[order_id]
        for pk, order_id in StockHold.objects.values_list("pk", "order_id")
    }
    order_type = ContentType.objects.get_for_model(Order)

    def key(value: str) -> str:  # a stock hold's notification key names the hold's pk
        if value.startswith("stock-hold-"):
            return f"stock-hold-of-{holds[int(value.removeprefix('stock-hold-'))]}"
        return value

    return {
        "result": None
        if result is None
        else {
            "issued": [note.number for note in result.issued],
            "held": result.held,
            "refused": result.refused,
        },
        "notes": list(
            DeliveryNote.objects.order_by("number").values_list(
                "number",
                "order__number",
                "part",
                "state",
                "warehouse__code",
                "carrier__code",
                "merge_key",
                "issued_by__username",
                "issued_at",
                "allocated_at",
            )
        ),
        "lines": sorted(
            DeliveryNoteLine.objects.values_list(
                "note__number",
                "order_line__order__number",
                "order_line__position",
                "sku__code",
                "location__code",
                "quantity",
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
        "holds": sorted(
            StockHold.objects.values_list(
                "order__number", "shortfall", "opened_at", "resolved_at", "resolution"
            ),
            key=repr,
        ),
        "orders": sorted(Order.objects.values_list("number", "state", "allocated_at")),
        "logs": sorted(
            (order_numbers[object_id], *rest)
            for object_id, *rest in StateLog.objects.filter(content_type=order_type).values_list(
                "object_id", "source_state", "state", "transition", "by__username", "description"
            )
        ),
        "clocks": sorted(
            (order_numbers[object_id], *rest)
            for object_id, *rest in SlaClock.objects.filter(content_type=order_type).values_list(
                "object_id", "policy__code", "started_at", "due_at", "stopped_at", "breached_at"
            )
        ),
        "notifications": sorted(
            (user, title, body, url, level, key(k))
            for user, title, body, url, level, k in Notification.objects.values_list(
                "recipient__username", "title", "body", "url", "level", "key"
            )
        ),
    }


def one_by_one(order_ids: list[int], by: Any) -> AllocationResult:
    """``allocation_issue`` as it was: ``allocate_order`` for each order in its own
    transaction, in the order of the ids, a notification per new hold, one announcement."""
    from warehouse.services.allocation import _notify_hold, announce_notes

    result = AllocationResult()
    numbers = dict(Order.objects.filter(pk__in=order_ids).values_list("pk", "number"))
    for order_id in sorted(numbers):
        try:
            note = allocate_order(order_id=order_id, by=by)
        except ApplicationError as exc:
            result.refused[numbers[order_id]] = exc.message
            continue
        if note is None:
            hold = StockHold.objects.get(order_id=order_id, resolved_at__isnull=True)
            result.held[numbers[order_id]] = hold.shortfall
            _notify_hold(numbers[order_id], hold)
        else:
            result.issued.append(note)
    if result.issued:
        announce_notes(result.issued)
    return result


def day_of_allocation(make_user: Callable[..., Any]) -> tuple[list[int], Any]:
    """Orders that meet every case: bins taken in walking order, two lines of one SKU, an
    order short of stock whose units the next one gets, an order short of a SKU never
    stocked, a hold resolved now that stock came, a hold still short (its shortfall
    updated), an order already allocated, one not confirmed yet, a late clock."""
    make_warehouse()
    admin = make_user("bu_parts_admin", username="parts")
    make_user("finance_clerk", username="fin")
    make_user("warehouse_admin", username="wa")
    s1, s2, s3, s4, s5, s6 = (listed_sku(f"SKU-{n}") for n in range(1, 7))
    put_stock(s1, 3, at="A-02")
    put_stock(s1, 2, at="A-01")
    put_stock(s2, 5, at="A-03")
    put_stock(s3, 1)
    earlier_held = make_order([(s5, 2)])
    still_short = make_order([(s6, 4), (s2, 1)])
    allocation_issue(order_ids=[earlier_held.pk, still_short.pk], by=admin)
    put_stock(s5, 3, at="A-04")
    put_stock(s6, 1, at="A-04")
    done = make_order([(s2, 1)])
    allocate_order(order_id=done.pk, by=admin)
    orders = [
        make_order([(s1, 3)]),
        make_order([(s1, 1), (s2, 2)]),
        make_order([(s3, 2)]),  # short: S3 has 1
        make_order([(s3, 1)]),  # gets it
        make_order([(s1, 5)]),  # short: 1 left of 5
        make_order([(s4, 1), (s2, 1)]),  # S4 never stocked
        make_order([(s2, 1), (s2, 1)]),  # one SKU on two lines: takes S2's last two
        make_order([(s1, 1)], state=OrderState.IDENTIFIED),  # refused
    ]
    for order in orders:
        sla_clock_start(code=DELIVERY_NOTE_CLOCK, obj=order)
    late = make_order([(s1, 1)])
    sla_clock_start(
        code=DELIVERY_NOTE_CLOCK, obj=late, started_at=timezone.now() - timedelta(hours=3)
    )
    ids = [o.pk for o in [*orders, late, earlier_held, still_short, done]]
    return ids, admin


@pytest.mark.clock(WHEN)
@pytest.mark.usefixtures("english")
def test_many_orders_end_as_they_would_one_by_one(make_user: Any) -> None:
    ids, admin = day_of_allocation(make_user)
    expected = in_savepoint(lambda: snapshot(one_by_one(ids, admin)))
    got = snapshot(allocation_issue(order_ids=ids, by=admin))
    for part in expected:
        assert got[part] == expected[part], part
    # and what that end state is
    result = got["result"]
    assert len(result["issued"]) == 7  # six new notes and the one the allocated order had
    assert sorted(row["sku"] for rows in result["held"].values() for row in rows) == [
        "SKU-1",
        "SKU-3",
        "SKU-4",
        "SKU-6",
    ]
    assert [number for number, state, _at in got["orders"] if state == OrderState.CONFIRMED] == (
        sorted(result["held"])
    )
    assert len(result["refused"]) == 1
    assert all(reserved <= on_hand for _s, _l, on_hand, reserved in got["balances"])
    assert sum(1 for clock in got["clocks"] if clock[5] is not None) == 1  # the late one
    assert [h[4] for h in got["holds"] if h[3] is not None] == ["delivery note issued"]


@pytest.mark.clock(WHEN)
@pytest.mark.usefixtures("english")
def test_without_the_right_to_allocate_orders_short_ones_are_still_held(
    make_user: Any,
) -> None:
    ids, _admin = day_of_allocation(make_user)
    clerk = make_user("finance_clerk", username="clerk")  # may not move orders on
    expected = in_savepoint(lambda: snapshot(one_by_one(ids, clerk)))
    got = snapshot(allocation_issue(order_ids=ids, by=clerk))
    assert got == expected
    assert got["result"]["held"]
    assert any("not allowed" in reason for reason in got["result"]["refused"].values())


def test_an_order_allocated_alone_gets_the_same_as_in_a_group(
    make_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ids, admin = day_of_allocation(make_user)
    note = allocate_order(order_id=ids[0], by=admin)
    assert note is not None
    assert allocate_order(order_id=ids[0], by=admin) == note  # again: nothing new
    assert allocate_order(order_id=ids[2], by=admin) is None  # short: on hold
    assert StockHold.objects.filter(order_id=ids[2], resolved_at__isnull=True).exists()
    with pytest.raises(ApplicationError):
        allocate_order(order_id=ids[7], by=admin)  # not confirmed


def statements(captured: CaptureQueriesContext) -> list[str]:
    """The statements a call ran, an INSERT the backend split into batches counted once:
    Django splits a ``bulk_create`` by SQLite's 999-parameter limit (about 40 delivery
    notes an INSERT), by nothing on PostgreSQL."""
    kept: list[str] = []
    for query in captured.captured_queries:
        sql = query["sql"]
        head = sql.split(" VALUES ", 1)[0]
        split = connection.vendor == "sqlite" and sql.startswith("INSERT INTO")
        if split and kept and kept[-1] == head:
            continue
        kept.append(head if sql.startswith("INSERT INTO") else sql[:120])
    return kept


def _orders_for_queries(count: int, sku: Any, short: Any) -> list[int]:
    ids = [make_order([(sku, 1), (sku, 1)]).pk for _ in range(count)]
    ids.append(make_order([(short, 1)]).pk)
    for order in Order.objects.filter(pk__in=ids):
        sla_clock_start(code=DELIVERY_NOTE_CLOCK, obj=order)
    return ids


def test_the_statements_do_not_grow_with_the_orders(make_user: Any) -> None:
    make_warehouse()
    admin = make_user("bu_parts_admin", username="parts")
    make_user("finance_clerk", username="fin")
    make_user("warehouse_admin", username="wa")
    sku, short = listed_sku("SKU-1"), listed_sku("SKU-2")
    put_stock(sku, 60, at="A-01")
    put_stock(sku, 60, at="A-02")
    few, many = _orders_for_queries(5, sku, short), _orders_for_queries(50, sku, short)
    # the first call warms what every process caches (content types, SLA policies)
    allocation_issue(order_ids=[make_order([(sku, 1)]).pk], by=admin)
    with CaptureQueriesContext(connection) as small:
        small_result = allocation_issue(order_ids=few, by=admin)
    with CaptureQueriesContext(connection) as large:
        large_result = allocation_issue(order_ids=many, by=admin)
    assert (len(small_result.issued), len(small_result.held)) == (5, 1)
    assert (len(large_result.issued), len(large_result.held)) == (50, 1)
    assert len(statements(large)) == len(statements(small)), "\n".join(statements(large))
    balance = StockBalance.objects.get(sku=sku, location__code="A-01")
    assert (balance.on_hand, balance.reserved) == (60, 60)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (.ci/run uses it)"
)
def test_concurrent_allocations_never_take_more_than_is_there() -> None:
    """Groups of orders over the same SKUs allocated at once by several parts admins, and
    single orders beside them: no deadlock, no balance below zero or reserved beyond on
    hand, every unit reserved once."""
    make_warehouse()
    skus = [listed_sku(f"SKU-{n}") for n in range(1, 5)]
    for index, sku in enumerate(skus):
        put_stock(sku, 7, at="A-01")
        put_stock(sku, 5, at=f"A-0{2 + index % 3}")
    admin = UserFactory(roles=["bu_parts_admin"])
    groups = []
    for group in range(4):
        orders = [
            make_order([(skus[(group + n) % 4], 1 + n % 3), (skus[(group + n + 1) % 4], 1)])
            for n in range(12)
        ]
        groups.append([o.pk for o in orders])
    singles = [make_order([(skus[n % 4], 2)]).pk for n in range(4)]
    results = race(
        [*(lambda g=g: allocation_issue(order_ids=g[::-1], by=admin) for g in groups)]
        + [lambda pk=pk: allocate_order(order_id=pk, by=admin) for pk in singles]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    for balance in StockBalance.objects.all():
        assert 0 <= balance.reserved <= balance.on_hand
        reserved = sum(
            DeliveryNoteLine.objects.filter(
                sku_id=balance.sku_id, location_id=balance.location_id
            ).values_list("quantity", flat=True)
        )
        assert reserved == balance.reserved
    every = [*(pk for g in groups for pk in g), *singles]
    allocated = set(
        Order.objects.filter(pk__in=every, state=OrderState.ALLOCATED).values_list("pk", flat=True)
    )
    held = set(
        StockHold.objects.filter(order_id__in=every, resolved_at__isnull=True).values_list(
            "order_id", flat=True
        )
    )
    assert allocated | held == set(every)
    assert not allocated & held
    assert DeliveryNote.objects.count() == len(allocated)
    assert held  # there was not enough for everyone
