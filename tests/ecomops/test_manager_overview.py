"""The manager's live overview (issue 25 §3): each figure against seeded data, the links
behind them, who may see it, the htmx refresh and a query count that does not grow."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecomops.portal.overview import overview_read
from ecomops.sla.models import SlaClock, SlaPolicy
from ecomops.sla.overview import clocks_by_department
from ecomops.sla.selectors import clocks_at_risk_by_role
from finance.models import InvoiceRequest, InvoiceRequestState
from orders.models import Order, OrderState
from orders.overview import orders_per_hour
from returns.models import ReturnRequest
from tests.orders.factories import listed_sku
from tests.returns.factories import delivered_order, open_return
from tests.timeutil import at
from tests.warehouse.factories import CarrierFactory, make_order, make_warehouse
from warehouse.models import DeliveryNote, NoteState, Parcel, ParcelState
from warehouse.overview import batches_progress

# Monday 2026-11-23, 11:15 in Shanghai: 45 minutes to the 12:00 cut. A week before is
# Monday 2026-11-16, also a working day.
NOW = at(2026, 11, 23, 11, 15)
LAST_WEEK = at(2026, 11, 16)

pytestmark = [pytest.mark.django_db, pytest.mark.clock(NOW)]

_numbers = itertools.count(1)


@pytest.fixture
def sku(db: None) -> Any:
    return listed_sku("SKU-OV", "99.00")


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user("manager", username="boss")


@pytest.fixture
def manager_client(manager: Any) -> Client:
    client = Client()
    client.force_login(manager)
    return client


def _order(sku: Any, hour: int, minute: int = 0, *, day: Any = NOW, **fields: Any) -> Order:
    accepted = day.replace(hour=hour, minute=minute)
    return make_order([(sku, 1)], accepted_at=accepted, **fields)


def _note(order: Order, state: str) -> DeliveryNote:
    warehouse = make_warehouse()
    assert warehouse.default_carrier is not None
    return DeliveryNote.objects.create(
        number=f"DN-OV-{next(_numbers)}",
        order=order,
        warehouse=warehouse,
        carrier=warehouse.default_carrier,
        state=state,
    )


def _clock(code: str, obj: Any, *, due_in: timedelta, warn_in: timedelta | None = None) -> SlaClock:
    policy = SlaPolicy.objects.get(code=code)
    now = timezone.now()
    return SlaClock.objects.create(
        policy=policy,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        owner_role=policy.owner_role,
        started_at=now - timedelta(hours=1),
        due_at=now + due_in,
        warn_at=now + warn_in if warn_in is not None else None,
    )


# --- Each figure against seeded data ----------------------------------------------------------


def test_orders_per_hour_against_the_same_weekday_last_week(sku: Any) -> None:
    for hour, minute in [(9, 5), (9, 40), (9, 59), (10, 30), (10, 31), (11, 5)]:
        _order(sku, hour, minute)
    for hour, minute in [(9, 0), (10, 10), (11, 14), (11, 30), (14, 0)]:
        _order(sku, hour, minute, day=LAST_WEEK)
    _order(sku, 23, 59, day=at(2026, 11, 22))  # yesterday: neither day
    _order(sku, 0, 0, day=at(2026, 11, 17))  # the day after last week's: neither

    chart = orders_per_hour(timezone.now())

    today = {h.hour: h.today for h in chart.hours if h.today}
    before = {h.hour: h.last_week for h in chart.hours if h.last_week}
    assert today == {9: 3, 10: 2, 11: 1}
    assert before == {9: 1, 10: 1, 11: 2, 14: 1}
    assert chart.today_total == 6
    assert chart.last_week_total == 5
    assert chart.last_week_by_now == 3  # 09:00, 10:10 and 11:14; not 11:30 nor 14:00
    assert chart.change_percent == 100
    assert chart.compared_with.isoformat() == "2026-11-16"
    tallest = max(chart.hours, key=lambda h: h.today)
    assert tallest.hour == 9
    assert tallest.today_height == 120
    assert "date_from=2026-11-23" in chart.today_url
    assert "date_from=2026-11-16" in chart.last_week_url


def test_batches_by_stage_with_the_minutes_to_each_cut(sku: Any) -> None:
    _order(sku, 9, state=OrderState.CONFIRMED)  # in, not ready
    _order(sku, 9, state=OrderState.ON_HOLD)  # in, not ready
    _order(sku, 9, state=OrderState.ALLOCATED)  # ready
    released = _order(sku, 9, state=OrderState.RELEASED)
    _note(released, NoteState.RELEASED)
    picked = _order(sku, 9, state=OrderState.RELEASED)
    _note(picked, NoteState.PICKED)
    split = _order(sku, 9, state=OrderState.RELEASED)  # two notes: counted once per stage
    _note(split, NoteState.PACKED)
    DeliveryNote.objects.create(
        number="DN-OV-SPLIT-2",
        order=split,
        part=2,
        warehouse=make_warehouse(),
        carrier=CarrierFactory(),
        state=NoteState.PICKED,
    )
    shipped = _order(sku, 9, state=OrderState.SHIPPED)
    _note(shipped, NoteState.SHIPPED)
    _order(sku, 9, state=OrderState.CANCELLED)  # out of the flow
    _order(sku, 9, state=OrderState.EXCEPTION)  # parked: not in the batch's flow
    # The 15:00 batch: one rolled over from the morning, one confirmed.
    _order(sku, 10, state=OrderState.ALLOCATED, batch_slot=15, batches_missed=1)
    _order(sku, 11, state=OrderState.CONFIRMED, batch_slot=15)
    _order(sku, 10, day=LAST_WEEK, state=OrderState.SHIPPED)  # another day's batch

    noon, afternoon = batches_progress(timezone.now())

    assert (noon.slot, noon.minutes_to_cut, noon.is_cut) == (12, 45, False)
    assert (noon.orders_in, noon.ready, noon.released) == (7, 5, 4)
    assert (noon.picked, noon.packed, noon.shipped) == (3, 2, 1)
    assert noon.not_ready == 2
    assert noon.due_soon  # within the hour of the cut with orders not ready
    assert (afternoon.slot, afternoon.minutes_to_cut) == (15, 225)
    assert (afternoon.orders_in, afternoon.ready, afternoon.shipped) == (2, 1, 0)
    assert not afternoon.due_soon


def test_the_batches_follow_the_cut_hours_of_the_day(
    sku: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cut hours are read through ``ecomops.cutoffs.slots``; a batch that still holds
    orders keeps its row when the cut moved."""
    monkeypatch.setattr("warehouse.overview.cutoffs.slots", lambda day=None: (11, 16))
    _order(sku, 9, state=OrderState.CONFIRMED)  # given the 12:00 batch when accepted

    rows = {b.slot: b for b in batches_progress(timezone.now())}

    assert sorted(rows) == [11, 12, 16]
    assert rows[11].is_cut
    assert rows[11].orders_in == 0
    assert rows[12].orders_in == 1
    assert rows[12].minutes_to_cut == 45
    assert rows[16].minutes_to_cut == 285


def test_clocks_warned_and_breached_now_by_department(sku: Any) -> None:
    orders = [_order(sku, 9) for _ in range(6)]
    # E-commerce (sales rep): one breached, one warned by the sweep, one past its warning
    # point the sweep has not seen yet, one not yet at its warning point.
    _clock("customer_identification", orders[0], due_in=-timedelta(minutes=1))
    warned = _clock("customer_identification", orders[1], due_in=timedelta(minutes=3))
    SlaClock.objects.filter(pk=warned.pk).update(warned_at=timezone.now())
    _clock(
        "sales_order",
        orders[1],
        due_in=timedelta(minutes=5),
        warn_in=-timedelta(minutes=1),
    )
    _clock("sales_order", orders[2], due_in=timedelta(minutes=30), warn_in=timedelta(minutes=20))
    # Business unit (parts admin): a breach the sweep marked; one stopped after its due time.
    marked = _clock("delivery_note", orders[3], due_in=timedelta(minutes=10))
    SlaClock.objects.filter(pk=marked.pk).update(breached_at=timezone.now())
    stopped = _clock("delivery_note", orders[4], due_in=-timedelta(minutes=10))
    SlaClock.objects.filter(pk=stopped.pk).update(stopped_at=timezone.now())

    by_role = clocks_at_risk_by_role(timezone.now())
    assert by_role == {"sales_rep": (2, 1), "bu_parts_admin": (0, 1)}
    rows = {
        row.department.value: (row.warned, row.breached)
        for row in clocks_by_department(timezone.now())
    }
    assert rows == {"ecommerce": (2, 1), "business_unit": (0, 1)}


def test_exception_queue_unconfirmed_shipments_invoices_and_returns(
    sku: Any, manager: Any, make_user: Any
) -> None:
    now = timezone.now()
    parked = [_order(sku, 9, state=OrderState.EXCEPTION) for _ in range(3)]
    _clock("order_exception", parked[0], due_in=-timedelta(minutes=5))  # late
    _clock("order_exception", parked[1], due_in=timedelta(minutes=50))
    carrier = CarrierFactory()
    for state, packed_days_ago in [
        (ParcelState.PACKED, 0),
        (ParcelState.PACKED, 0),
        (ParcelState.PACKED, 2),  # packed two days ago, still not signed for: late
        (ParcelState.HANDED_OVER, 0),
    ]:
        parcel = Parcel.objects.create(
            number=f"PC-OV-{next(_numbers)}",
            carrier=carrier,
            waybill_number=f"7{next(_numbers):011d}",
            weight_grams=800,
            state=state,
        )
        Parcel.objects.filter(pk=parcel.pk).update(packed_at=now - timedelta(days=packed_days_ago))
    today_close = at(2026, 11, 23, 18)
    for request_state, due in [
        (InvoiceRequestState.REQUESTED, today_close),  # in before the cut: due today
        (InvoiceRequestState.REQUESTED, today_close),
        (InvoiceRequestState.REQUESTED, at(2026, 11, 21, 18)),  # Saturday's: late
        (InvoiceRequestState.REQUESTED, at(2026, 11, 24, 18)),  # tomorrow's
        (InvoiceRequestState.ISSUED, today_close),  # done
    ]:
        InvoiceRequest.objects.create(
            number=f"IR-OV-{next(_numbers)}",
            order=_order(sku, 8, state=OrderState.SHIPPED),
            state=request_state,
            source="packed",
            kind="ordinary",
            title="李娜",
            requested_at=now - timedelta(hours=1),
            due_at=due,
        )
    service = make_user("aftersales_service")
    returns = [open_return(delivered_order([(sku, 1, "99.00")]), service) for _ in range(3)]
    SlaClock.objects.filter(
        content_type=ContentType.objects.get_for_model(ReturnRequest), object_id=returns[0].pk
    ).update(due_at=now - timedelta(minutes=1))

    figures = {f.key: f for f in overview_read(user=manager, now=now).figures}

    assert (figures["orders.exceptions"].value, figures["orders.exceptions"].late) == (3, 1)
    shipments = figures["warehouse.unconfirmed_shipments"]
    assert (shipments.value, shipments.late) == (3, 1)
    invoices = figures["finance.invoices_due"]
    assert (invoices.value, invoices.late) == (3, 1)
    assert "15:00" in str(invoices.note)
    assert "225" in str(invoices.note)
    assert (figures["returns.review"].value, figures["returns.review"].late) == (3, 1)
    assert figures["orders.exceptions"].url == reverse("orders:exception_queue")
    assert figures["sla.breached"].value >= 2  # the late exception and return clocks


# --- The page: who sees it, links, htmx, queries -----------------------------------------------


def test_the_manager_s_home_is_the_live_overview(manager_client: Client, sku: Any) -> None:
    _order(sku, 9)
    html = manager_client.get(reverse("portal:home")).content.decode()
    assert 'id="overview-live"' in html
    assert 'hx-get="/overview/live/"' in html
    assert 'hx-trigger="every 30s"' in html
    assert 'id="orders-per-hour"' in html
    assert 'id="overview-batches"' in html
    assert 'data-figure="orders.exceptions"' in html
    assert 'data-queue="portal.overdue"' in html  # the manager's queues stay below
    page = manager_client.get(reverse("portal:overview"))
    assert page.status_code == 200
    assert 'id="orders-per-hour"' in page.content.decode()


def test_non_managers_are_refused(client: Client, make_user: Any) -> None:
    client.force_login(make_user("warehouse_admin", "finance_clerk"))
    for name in ("portal:overview", "portal:overview_live", "portal:clocks"):
        assert client.get(reverse(name)).status_code == 403
    home = client.get(reverse("portal:home")).content.decode()
    assert 'id="overview-live"' not in home
    assert reverse("portal:overview") not in home  # no sidebar entry either
    client.logout()
    response = client.get(reverse("portal:overview"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_htmx_partial_holds_the_figures_alone(manager_client: Client, sku: Any) -> None:
    _order(sku, 9)
    response = manager_client.get(reverse("portal:overview_live"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "<style" not in html
    assert 'data-panel="orders.per_hour"' in html
    assert 'data-panel="warehouse.batches"' in html
    assert 'data-panel="sla.departments"' in html
    assert 'data-figure="returns.review"' in html
    assert 'data-count="1"' in html  # the 09:00 bar


def test_every_link_of_the_overview_opens_for_a_manager(manager_client: Client, sku: Any) -> None:
    order = _order(sku, 9)
    _clock("customer_identification", order, due_in=-timedelta(minutes=1))
    _clock("sales_order", order, due_in=timedelta(minutes=2), warn_in=-timedelta(minutes=1))
    html = manager_client.get(reverse("portal:overview_live")).content.decode()
    links = set(re.findall(r'href="([^"]+)"', html.replace("&amp;", "&")))
    assert len(links) >= 10
    assert "/clocks/?risk=warned&department=ecommerce" in links
    for url in sorted(links):
        response = manager_client.get(url)
        assert response.status_code == 200, url


def test_the_clock_lists_behind_the_figures(manager_client: Client, sku: Any) -> None:
    order = _order(sku, 9)
    late = _clock("customer_identification", order, due_in=-timedelta(minutes=1))
    warned = _clock(
        "sales_order", order, due_in=timedelta(minutes=2), warn_in=-timedelta(minutes=1)
    )
    other = _clock("delivery_note", order, due_in=-timedelta(minutes=1))

    def listed(**query: str) -> set[str]:
        html = manager_client.get(reverse("portal:clocks"), query).content.decode()
        return set(re.findall(r'data-clock="(\d+)"', html))

    assert listed(risk="breached") == {str(late.pk), str(other.pk)}
    assert listed(risk="breached", department="ecommerce") == {str(late.pk)}
    assert listed(risk="warned", department="ecommerce") == {str(warned.pk)}
    assert listed(risk="warned", department="business_unit") == set()
    assert manager_client.get(reverse("portal:clocks"), {"risk": "soon"}).status_code == 404
    bad_department = manager_client.get(reverse("portal:clocks"), {"department": "mars"})
    assert bad_department.status_code == 404


def _seed_day(sku: Any, count: int) -> None:
    """``count`` orders spread over the stages, the hours and both weeks, with notes,
    parcels, invoice requests and clocks."""
    states = [
        OrderState.CONFIRMED,
        OrderState.ALLOCATED,
        OrderState.RELEASED,
        OrderState.SHIPPED,
        OrderState.EXCEPTION,
    ]
    carrier = CarrierFactory()
    for index in range(count):
        state = states[index % len(states)]
        order = _order(sku, 8 + index % 3, index % 60, state=state)
        _order(sku, 8 + index % 6, index % 60, day=LAST_WEEK)
        if state in (OrderState.RELEASED, OrderState.SHIPPED):
            _note(order, NoteState.PICKED if state == OrderState.RELEASED else NoteState.SHIPPED)
        if state == OrderState.SHIPPED:
            Parcel.objects.create(
                number=f"PC-Q-{next(_numbers)}",
                carrier=carrier,
                waybill_number=f"8{next(_numbers):011d}",
                weight_grams=500,
            )
            InvoiceRequest.objects.create(
                number=f"IR-Q-{next(_numbers)}",
                order=order,
                source="packed",
                kind="ordinary",
                title="李娜",
                requested_at=timezone.now(),
                due_at=at(2026, 11, 23, 18),
            )
        _clock("customer_identification", order, due_in=timedelta(minutes=index % 7 - 3))


def test_the_page_costs_the_same_queries_for_5_and_50_orders(
    manager_client: Client, sku: Any
) -> None:
    url = reverse("portal:overview")
    manager_client.get(url)  # per-process caches (cut schedule, calendar, content types)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = manager_client.get(url)
        assert response.status_code == 200
        return len(captured.captured_queries)

    _seed_day(sku, 5)
    small = queries()
    _seed_day(sku, 45)
    assert Order.objects.count() >= 100
    large = queries()
    assert small == large
    assert large <= 20, large


def test_figures_of_an_empty_day(manager: Any) -> None:
    overview = overview_read(user=manager, now=timezone.now())
    assert {f.key for f in overview.figures} >= {
        "orders.exceptions",
        "warehouse.unconfirmed_shipments",
        "finance.invoices_due",
        "returns.review",
        "sla.warned",
        "sla.breached",
    }
    assert all(f.value == 0 for f in overview.figures)
    assert [p.panel.key for p in overview.panels][:2] == ["orders.per_hour", "warehouse.batches"]
