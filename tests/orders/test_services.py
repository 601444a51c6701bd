"""Identification, confirmation, holds, cancellation and the SLA clocks they move."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import TestCase

from ecomops.errors import ConflictError, PermissionDeniedError
from ecomops.sla.models import SlaClock
from orders import services
from orders.models import Customer, CustomerChange, Order, OrderSource, OrderState
from orders.selectors import (
    customer_figures,
    exact_customer_match,
    identification_candidates,
    repeat_customers,
)
from orders.signals import order_cancellation_requested, order_cancelled, order_confirmed
from tests.orders.factories import ID_NUMBER, make_customer, order_data
from tests.timeutil import at
from warehouse.receivers import on_cancellation_requested

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

WAREHOUSE_RECEIVER = "warehouse.cancellation_requested"


def intake(channel: Any, **overrides: Any) -> Order:
    return services.order_intake(
        channel=channel, data=order_data(**overrides), source=OrderSource.API
    ).order


def clocks(order: Order) -> dict[str, tuple[bool, bool]]:
    """{policy code: (running, breached)} of the order's clocks."""
    return {
        c.policy.code: (c.stopped_at is None, c.breached_at is not None)
        for c in SlaClock.objects.filter(object_id=order.pk).select_related("policy")
    }


@pytest.fixture
def rep(make_user: Any) -> Any:
    return make_user("sales_rep")


# --- Identification ------------------------------------------------------------------------


def test_unmatched_order_waits_with_the_identification_clock(channel: Any, sku: Any) -> None:
    order = intake(channel)
    assert order.state == OrderState.RECEIVED
    assert clocks(order) == {"customer_identification": (True, False)}


@pytest.mark.parametrize("key", ["credit_code", "id_number", "phone"])
def test_exact_match_on_code_id_or_phone(key: str) -> None:
    company = key == "credit_code"
    customer = make_customer(
        kind="company" if company else "individual",
        credit_code="91350100M000100Y43" if company else "",
        id_number=ID_NUMBER if key == "id_number" else "",
        phone="13700000001",
    )
    data = {
        "kind": customer.kind,
        "credit_code": customer.credit_code,
        "id_number": customer.id_number,
        "phone": "13700000001" if key == "phone" else "13999999999",
    }
    assert exact_customer_match(data) == customer


def test_phone_shared_by_two_customers_is_not_exact() -> None:
    make_customer(phone="13700000001")
    make_customer(phone="13700000001", name="李强")
    assert exact_customer_match({"kind": "individual", "phone": "13700000001"}) is None


def test_phone_match_with_a_contradicting_id_is_not_exact() -> None:
    make_customer(phone="13700000001", id_number="110105194912310037")
    data = {"kind": "individual", "phone": "13700000001", "id_number": ID_NUMBER}
    assert exact_customer_match(data) is None


def test_automatic_match_stops_identification_and_starts_sales_order(
    channel: Any, sku: Any
) -> None:
    make_customer(phone="13800138000")
    order = intake(channel)
    assert order.state == OrderState.IDENTIFIED
    assert order.identified_automatically
    assert clocks(order) == {
        "customer_identification": (False, False),
        "sales_order": (True, False),
    }


def test_candidates_are_ranked_by_name_phone_and_address(channel: Any, sku: Any) -> None:
    best = make_customer(name="李娜", phone="13900008000", street_address="建国路88号")
    make_customer(name="李娜娜", phone="13600000001", street_address="长安街1号")
    make_customer(name="王强", phone="13500000002")
    order = intake(channel)
    candidates = identification_candidates(order)
    assert candidates[0].customer == best
    assert [c.customer.name for c in candidates][:2] == ["李娜", "李娜娜"]
    assert "王强" not in [c.customer.name for c in candidates]


def test_rep_confirms_a_candidate_with_a_correction(channel: Any, sku: Any, rep: Any) -> None:
    customer = make_customer(name="李娜", phone="13900008000")
    order = intake(channel)
    services.order_identify(
        order_id=order.pk,
        customer_id=customer.pk,
        by=rep,
        corrections={"phone": "13800138000"},
        reason="客户换了手机号",
    )
    order.refresh_from_db()
    customer.refresh_from_db()
    assert (order.state, order.customer) == (OrderState.IDENTIFIED, customer)
    assert customer.phone == "13800138000"
    change = CustomerChange.objects.get(customer=customer, field="phone")
    assert (change.old_value, change.new_value, change.changed_by) == (
        "13900008000",
        "13800138000",
        rep,
    )
    assert clocks(order)["customer_identification"] == (False, False)
    assert clocks(order)["sales_order"] == (True, False)


def test_bad_correction_is_refused_and_changes_nothing(channel: Any, sku: Any, rep: Any) -> None:
    customer = make_customer(phone="13900008000")
    order = intake(channel)
    with pytest.raises(services.CustomerError) as refused:
        services.order_identify(
            order_id=order.pk, customer_id=customer.pk, by=rep, corrections={"id_number": "123"}
        )
    assert "id_number" in refused.value.extra["fields"]
    order.refresh_from_db()
    assert order.state == OrderState.RECEIVED
    assert not CustomerChange.objects.exists()


def test_rep_creates_a_new_customer_from_the_order(channel: Any, sku: Any, rep: Any) -> None:
    order = intake(channel)
    services.order_identify_new_customer(order_id=order.pk, by=rep)
    order.refresh_from_db()
    assert order.state == OrderState.IDENTIFIED
    assert order.customer is not None
    assert (order.customer.name, order.customer.id_number) == ("李娜", ID_NUMBER)


def test_identifying_twice_changes_nothing(channel: Any, sku: Any, rep: Any) -> None:
    customer = make_customer()
    order = intake(channel)
    services.order_identify(order_id=order.pk, customer_id=customer.pk, by=rep)
    services.order_identify(order_id=order.pk, customer_id=customer.pk, by=rep)
    assert SlaClock.objects.filter(object_id=order.pk, policy__code="sales_order").count() == 1


def test_only_sales_reps_identify(channel: Any, sku: Any, make_user: Any) -> None:
    order = intake(channel)
    with pytest.raises(PermissionDeniedError):
        services.order_identify_new_customer(order_id=order.pk, by=make_user("packer"))


def test_merge_moves_orders_and_keeps_history(channel: Any, sku: Any, rep: Any) -> None:
    keep = make_customer(name="李娜", phone="13800138000", id_number="")
    duplicate = make_customer(name="李 娜", phone="13900000000", id_number=ID_NUMBER)
    order = intake(channel, external_id="X1")
    services.order_identify(order_id=order.pk, customer_id=duplicate.pk, by=rep)
    services.customer_merge(duplicate_id=duplicate.pk, into_id=keep.pk, by=rep, reason="重复")
    order.refresh_from_db()
    keep.refresh_from_db()
    duplicate.refresh_from_db()
    assert order.customer == keep
    assert duplicate.merged_into == keep
    assert keep.id_number == ID_NUMBER  # filled from the duplicate
    assert set(keep.changes.values_list("field", flat=True)) >= {"merged", "id_number"}
    assert duplicate.changes.filter(field="merged_into").exists()
    assert exact_customer_match({"kind": "individual", "phone": "13900000000"}) is None


def test_merge_refuses_itself_and_a_merged_one(rep: Any) -> None:
    a, b, c = make_customer(), make_customer(), make_customer()
    with pytest.raises(services.CustomerError):
        services.customer_merge(duplicate_id=a.pk, into_id=a.pk, by=rep)
    services.customer_merge(duplicate_id=a.pk, into_id=b.pk, by=rep)
    with pytest.raises(ConflictError):
        services.customer_merge(duplicate_id=a.pk, into_id=c.pk, by=rep)


def test_repeat_customers_and_figures(channel: Any, sku: Any) -> None:
    customer = make_customer(phone="13800138000")
    intake(channel, external_id="R1")
    intake(channel, external_id="R2")
    assert list(repeat_customers()) == [customer]
    assert customer_figures(customer)["repeat_purchases"] == 1


# --- Confirmation, holds, cancellation -------------------------------------------------------


def test_confirm_stops_sales_order_clock_and_starts_delivery_note(
    channel: Any, sku: Any, rep: Any
) -> None:
    make_customer(phone="13800138000")
    order = intake(channel)
    seen: list[Order] = []
    order_confirmed.connect(
        lambda sender, order, **kw: seen.append(order), weak=False, dispatch_uid="test-seen"
    )
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            services.order_confirm(order_id=order.pk, by=rep)
    finally:
        order_confirmed.disconnect(dispatch_uid="test-seen")
    order.refresh_from_db()
    assert order.state == OrderState.CONFIRMED
    assert clocks(order)["sales_order"] == (False, False)
    assert clocks(order)["delivery_note"] == (True, False)
    assert [o.pk for o in seen] == [order.pk]


@pytest.mark.clock(at(2026, 11, 23, 10, 0))
def test_late_identification_is_recorded_as_breached(
    channel: Any, sku: Any, rep: Any, clock: time_machine.Traveller
) -> None:
    order = intake(channel)
    clock.shift(timedelta(minutes=20))
    services.order_identify_new_customer(order_id=order.pk, by=rep)
    assert clocks(order)["customer_identification"] == (False, True)


def test_hold_and_release_return_to_the_previous_state(channel: Any, sku: Any, rep: Any) -> None:
    make_customer(phone="13800138000")
    order = intake(channel)
    services.order_hold(order_id=order.pk, by=rep, kind="price_query", reason="价格待核实")
    order.refresh_from_db()
    assert (order.state, order.hold_kind) == (OrderState.ON_HOLD, "price_query")
    services.order_release_hold(order_id=order.pk, by=rep)
    order.refresh_from_db()
    assert (order.state, order.hold_kind, order.hold_reason) == (OrderState.IDENTIFIED, "", "")


def test_hold_needs_a_kind_and_reason(channel: Any, sku: Any, rep: Any) -> None:
    order = intake(channel)
    with pytest.raises(services.OrderError):
        services.order_hold(order_id=order.pk, by=rep, kind="price_query", reason=" ")
    with pytest.raises(services.OrderError):
        services.order_hold(order_id=order.pk, by=rep, kind="whatever", reason="x")


def test_cancel_before_release_stops_clocks_and_signals(channel: Any, sku: Any, rep: Any) -> None:
    order = intake(channel)
    seen: list[int] = []
    order_cancelled.connect(
        lambda sender, order, **kw: seen.append(order.pk), weak=False, dispatch_uid="test-seen"
    )
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            services.order_cancel(order_id=order.pk, by=rep, reason="客户取消")
    finally:
        order_cancelled.disconnect(dispatch_uid="test-seen")
    order.refresh_from_db()
    assert (order.state, order.cancel_reason) == (OrderState.CANCELLED, "客户取消")
    assert all(not running for running, _late in clocks(order).values())
    assert seen == [order.pk]


def _released(channel: Any, rep: Any, warehouse: Any) -> Order:
    make_customer(phone="13800138000")
    order = intake(channel)
    services.order_confirm(order_id=order.pk, by=rep)
    services.order_allocate(order_id=order.pk, by=warehouse)
    services.order_release(order_id=order.pk, by=warehouse)
    order.refresh_from_db()
    return order


def test_after_release_cancellation_is_a_request_the_warehouse_accepts(
    channel: Any, sku: Any, rep: Any, make_user: Any
) -> None:
    warehouse = make_user("warehouse_admin")
    order = _released(channel, rep, warehouse)
    with pytest.raises(ConflictError):
        services.order_cancel(order_id=order.pk, by=rep, reason="客户取消")
    asked: list[int] = []

    def listener(sender: Any, order: Any, **kwargs: Any) -> None:
        asked.append(order.pk)

    # Here the warehouse's own receiver stays out, so the test decides in its place.
    order_cancellation_requested.disconnect(dispatch_uid=WAREHOUSE_RECEIVER)
    order_cancellation_requested.connect(listener, dispatch_uid="test-listener")
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            services.order_cancellation_request(order_id=order.pk, by=rep, reason="客户取消")
    finally:
        order_cancellation_requested.disconnect(dispatch_uid="test-listener")
        order_cancellation_requested.connect(
            on_cancellation_requested, dispatch_uid=WAREHOUSE_RECEIVER
        )
    assert asked == [order.pk]
    with pytest.raises(PermissionDeniedError):
        services.order_cancellation_accept(order_id=order.pk, by=rep)
    services.order_cancellation_accept(order_id=order.pk, by=warehouse)
    order.refresh_from_db()
    assert (order.state, order.cancel_reason) == (OrderState.CANCELLED, "客户取消")


def test_warehouse_may_decline_the_cancellation(
    channel: Any, sku: Any, rep: Any, make_user: Any
) -> None:
    warehouse = make_user("warehouse_admin")
    order = _released(channel, rep, warehouse)
    services.order_cancellation_request(order_id=order.pk, by=rep, reason="客户取消")
    services.order_cancellation_decline(order_id=order.pk, by=warehouse, reason="已交快递")
    order.refresh_from_db()
    assert order.state == OrderState.RELEASED
    assert order.cancellation_requested_at is None
    assert order.cancellation_declined_reason == "已交快递"
    with pytest.raises(ConflictError):
        services.order_cancellation_accept(order_id=order.pk, by=warehouse)


def test_shipped_order_cannot_be_cancelled(
    channel: Any, sku: Any, rep: Any, make_user: Any
) -> None:
    warehouse = make_user("warehouse_admin")
    order = _released(channel, rep, warehouse)
    services.order_ship(order_id=order.pk, by=warehouse)
    with pytest.raises(ConflictError, match="already shipped"):
        services.order_cancellation_request(order_id=order.pk, by=rep, reason="x")


def test_bulk_confirm_reports_each_refusal(channel: Any, sku: Any, rep: Any) -> None:
    make_customer(phone="13800138000")
    ready = intake(channel, external_id="B1")
    waiting = services.order_intake(
        channel=channel,
        data=order_data(
            external_id="B2",
            customer={**order_data()["customer"], "phone": "13100000000", "id_number": ""},
        ),
    ).order
    result = services.orders_bulk(
        order_ids=[ready.pk, waiting.pk], action=services.order_confirm, by=rep
    )
    assert result.done == [ready.number]
    assert list(result.refused) == [waiting.number]


def test_customer_count_is_unchanged_by_a_refused_create(rep: Any) -> None:
    with pytest.raises(services.CustomerError):
        services.customer_create(data={"kind": "company", "name": "X"}, by=rep)
    assert Customer.objects.count() == 0
