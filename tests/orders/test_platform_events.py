"""Changes from the platform after the order is in (issue 20 §4), through the signed API:
applied, held, intercepted, parked; idempotent on the event id; and the re-import of an
order the platform closed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from ecomops.audit.models import Note
from ecomops.notifications.models import Notification
from ecomops.sla.models import SlaClock
from orders import services
from orders.models import (
    ChannelSkuMapping,
    ExceptionCode,
    HoldKind,
    IntakePolicy,
    Order,
    OrderException,
    OrderSource,
    OrderState,
    PlatformEvent,
)
from orders.signals import order_cancellation_requested
from tests.orders.factories import (
    SHOP_MORNING,
    listed_sku,
    make_channel,
    make_customer,
    order_data,
    signed_post,
)
from tests.orders.test_platform_exports import PAID_456, set_cell, taobao_edited, taobao_files

pytestmark = [pytest.mark.django_db, pytest.mark.clock(SHOP_MORNING)]

WAREHOUSE_RECEIVER = "warehouse.cancellation_requested"


@pytest.fixture
def tmall(db: None) -> Any:
    return make_channel(code="tmall", kind="tmall", intake_policy=IntakePolicy.PARK)


@pytest.fixture
def skus(db: None) -> list[Any]:
    return [listed_sku("SKU-1", "99.00"), listed_sku("SKU-2", "59.00")]


@pytest.fixture
def rep(make_user: Any) -> Any:
    return make_user("sales_rep", username="rep")


@pytest.fixture
def warehouse(make_user: Any) -> Any:
    return make_user("warehouse_admin", username="wh")


TWO_LINES = [
    {"sku": "SKU-1", "quantity": 2, "unit_price": "99.00"},
    {"sku": "SKU-2", "quantity": 1, "unit_price": "59.00"},
]


def intake(channel: Any, **overrides: Any) -> Order:
    data = order_data(**{"lines": TWO_LINES, **overrides})
    return services.order_intake(channel=channel, data=data, source=OrderSource.API).order


def released(channel: Any, rep: Any, warehouse: Any) -> Order:
    make_customer(phone="13800138000")
    order = intake(channel)
    services.order_confirm(order_id=order.pk, by=rep)
    services.order_allocate(order_id=order.pk, by=warehouse)
    services.order_release(order_id=order.pk, by=warehouse)
    order.refresh_from_db()
    return order


def send(
    client: Any,
    channel: Any,
    external_id: str,
    body: dict[str, Any],
    *,
    secret: str | None = None,
) -> Any:
    path = f"/api/v1/channels/{channel.code}/orders/{external_id}/events"
    if body.get("occurred_at") == JUST_NOW:
        body = {**body, "occurred_at": (timezone.now() - timedelta(minutes=1)).isoformat()}
    return signed_post(client, channel, path, body, secret=secret)


# A minute before the clock the test runs on, filled in by ``send``: bodies built for
# ``parametrize`` are made at import, before the test's clock is set (and times are
# bounded around now, ecomops.bounds).
JUST_NOW = "just now"


def event(kind: str, data: dict[str, Any], event_id: str = "EV-1") -> dict[str, Any]:
    return {
        "event_id": event_id,
        "occurred_at": JUST_NOW,
        "type": kind,
        "data": data,
    }


NEW_ADDRESS = {
    "name": "王芳",
    "phone": "13900139000",
    "province": "浙江省",
    "city": "杭州市",
    "district": "滨江区",
    "street_address": "江南大道588号",
    "postcode": "310051",
}


def notes(order: Order) -> list[str]:
    return list(Note.objects.filter(object_id=order.pk).values_list("text", flat=True))


# --- Signature, 404, validation --------------------------------------------------------------


def test_wrong_signature_is_401_and_changes_nothing(client: Any, tmall: Any, skus: Any) -> None:
    order = intake(tmall)
    body = event("buyer_note_changed", {"buyer_note": "改了"})
    response = send(client, tmall, order.external_id, body, secret="not-the-secret")
    assert response.status_code == 401
    order.refresh_from_db()
    assert order.buyer_note == "请尽快发货"
    assert not PlatformEvent.objects.exists()


def test_unknown_order_and_channel_are_404(client: Any, tmall: Any, skus: Any) -> None:
    response = send(client, tmall, "NO-SUCH", event("order_closed", {}))
    assert response.status_code == 404
    assert "NO-SUCH" in response.json()["detail"]
    tmall.code = "nowhere"
    assert send(client, tmall, "TB1001", event("order_closed", {})).status_code == 404


WHEN = "2026-11-23T09:00:00+08:00"
REFUND_BOTH = {"line": 1, "sku": "SKU-1", "amount": "5", "reason": "x"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"occurred_at": WHEN, "type": "order_closed", "data": {}}, "event_id"),
        (
            {"event_id": "E", "occurred_at": "later", "type": "order_closed", "data": {}},
            "occurred_at",
        ),
        ({"event_id": "E", "occurred_at": WHEN, "type": "lost", "data": {}}, "type"),
        (event("address_changed", {"address": {**NEW_ADDRESS, "city": ""}}), "data.address.city"),
        (event("address_changed", {"address": {**NEW_ADDRESS, "x": "3"}}), "data.address.x"),
        (event("refund_requested", {"amount": "0", "reason": "x"}), "data.amount"),
        (event("refund_requested", {"amount": "5.00"}), "data.reason"),
        (event("refund_requested", REFUND_BOTH), "data.sku"),
        (event("order_closed", {"why": "x"}), "data.why"),
        ({**event("order_closed", {}), "extra": 1}, "extra"),
    ],
)
def test_bad_event_is_400_naming_the_field(
    client: Any, tmall: Any, skus: Any, body: dict[str, Any], field: str
) -> None:
    order = intake(tmall)
    response = send(client, tmall, order.external_id, body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"], response.json()
    assert not PlatformEvent.objects.exists()


# --- Before release --------------------------------------------------------------------------


def test_address_change_before_release_is_applied_and_logged(
    client: Any, tmall: Any, skus: Any
) -> None:
    order = intake(tmall)
    response = send(
        client, tmall, order.external_id, event("address_changed", {"address": NEW_ADDRESS})
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["outcome"], body["order"]["state"]) == ("applied", "received")
    order.refresh_from_db()
    assert (order.receiver_name, order.ship_city, order.ship_street) == (
        "王芳",
        "杭州市",
        "江南大道588号",
    )
    (text,) = [t for t in notes(order) if "Address changed" in t]
    assert "北京市 → 杭州市" in text
    assert "建国路88号 → 江南大道588号" in text
    kept = PlatformEvent.objects.get()
    assert (kept.order_id, kept.kind, kept.outcome) == (order.pk, "address_changed", "applied")


def test_same_event_twice_changes_nothing_and_answers_the_same(
    client: Any, tmall: Any, skus: Any
) -> None:
    order = intake(tmall)
    body = event("buyer_note_changed", {"buyer_note": "请周末送"})
    first = send(client, tmall, order.external_id, body)
    second = send(client, tmall, order.external_id, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert PlatformEvent.objects.count() == 1
    assert len([t for t in notes(order) if "请周末送" in t]) == 1
    other = {**body, "data": {"buyer_note": "别的"}}
    assert send(client, tmall, order.external_id, other).status_code == 409
    # The same event id for another order of the channel is no repeat either.
    intake(tmall, external_id="TB1002")
    assert send(client, tmall, "TB1002", body).status_code == 409


def test_note_change_before_release_is_applied(client: Any, tmall: Any, skus: Any) -> None:
    order = intake(tmall)
    body = event("buyer_note_changed", {"buyer_note": "请周末送"})
    assert send(client, tmall, order.external_id, body).json()["outcome"] == "applied"
    order.refresh_from_db()
    assert order.buyer_note == "请周末送"
    assert any("请尽快发货 → 请周末送" in t for t in notes(order))


def test_refund_holds_and_its_withdrawal_releases(
    client: Any, tmall: Any, skus: Any, rep: Any
) -> None:
    make_customer(phone="13800138000")
    order = intake(tmall)
    services.order_confirm(order_id=order.pk, by=rep)
    refund = event("refund_requested", {"line": 2, "amount": "59.00", "reason": "不想要了"})
    body = send(client, tmall, order.external_id, refund).json()
    assert (body["outcome"], body["order"]["state"]) == ("held", "on_hold")
    order.refresh_from_db()
    assert order.hold_kind == HoldKind.PLATFORM_REFUND
    assert "不想要了" in order.hold_reason
    withdrawn = event("refund_withdrawn", {"reason": "买家撤销"}, event_id="EV-2")
    body = send(client, tmall, order.external_id, withdrawn).json()
    assert (body["outcome"], body["order"]["state"]) == ("applied", "confirmed")
    order.refresh_from_db()
    assert order.hold_kind == ""


def test_refund_by_sku_for_the_whole_line(client: Any, tmall: Any, skus: Any) -> None:
    order = intake(tmall)
    refund = event("refund_requested", {"sku": "SKU-1", "amount": "198.00", "reason": "质量问题"})
    assert send(client, tmall, order.external_id, refund).json()["outcome"] == "held"


def test_withdrawal_leaves_another_hold_alone(client: Any, tmall: Any, skus: Any, rep: Any) -> None:
    order = intake(tmall)
    services.order_hold(order_id=order.pk, by=rep, kind=HoldKind.PRICE_QUERY, reason="价格待核")
    body = send(client, tmall, order.external_id, event("refund_withdrawn", {})).json()
    assert (body["outcome"], body["order"]["state"]) == ("ignored", "on_hold")
    order.refresh_from_db()
    assert order.hold_kind == HoldKind.PRICE_QUERY


def test_closed_order_is_held_for_a_person_to_cancel(client: Any, tmall: Any, skus: Any) -> None:
    order = intake(tmall)
    body = send(client, tmall, order.external_id, event("order_closed", {"reason": "交易关闭"}))
    assert body.json()["outcome"] == "held"
    order.refresh_from_db()
    assert (order.state, order.hold_kind) == (OrderState.ON_HOLD, HoldKind.PLATFORM_CLOSED)
    # A withdrawn refund does not release a closed order.
    body = send(client, tmall, order.external_id, event("refund_withdrawn", {}, "EV-2")).json()
    assert (body["outcome"], body["order"]["state"]) == ("ignored", "on_hold")


# --- Cannot be applied: parked ---------------------------------------------------------------


def test_undeliverable_address_parks_the_order_and_release_brings_it_back(
    client: Any, tmall: Any, skus: Any, rep: Any, make_user: Any
) -> None:
    make_customer(phone="13800138000")
    order = intake(tmall)
    services.order_confirm(order_id=order.pk, by=rep)
    bad = {**NEW_ADDRESS, "phone": "139****9000"}
    body = send(client, tmall, order.external_id, event("address_changed", {"address": bad}))
    assert body.json()["outcome"] == "parked", body.json()
    order.refresh_from_db()
    assert (order.state, order.state_before_exception) == (OrderState.EXCEPTION, "confirmed")
    assert order.ship_city == "北京市"  # not applied
    reason = OrderException.objects.get(order=order)
    assert (reason.code, reason.field) == (ExceptionCode.PLATFORM_CHANGE, "address")
    assert "phone" in reason.message
    assert SlaClock.objects.filter(object_id=order.pk, policy__code="order_exception").exists()
    # Service staff approve it (the buyer is called) and release it: back where it was.
    staff = make_user("presales_service")
    services.order_exception_approve(exception_id=reason.pk, by=staff, note="已电话确认原地址")
    services.order_exception_release(order_id=order.pk, by=staff)
    order.refresh_from_db()
    assert (order.state, order.state_before_exception) == (OrderState.CONFIRMED, "")
    assert order.lines.count() == 2


def test_refund_of_a_line_the_order_does_not_have_parks_it(
    client: Any, tmall: Any, skus: Any
) -> None:
    order = intake(tmall)
    refund = event("refund_requested", {"line": 5, "amount": "10.00", "reason": "x"})
    assert send(client, tmall, order.external_id, refund).json()["outcome"] == "parked"
    order.refresh_from_db()
    assert order.state == OrderState.EXCEPTION
    assert order.exceptions.get().field == "line"
    too_much = event("refund_requested", {"line": 2, "amount": "60.00", "reason": "x"}, "EV-2")
    assert send(client, tmall, order.external_id, too_much).json()["outcome"] == "parked"
    assert order.exceptions.filter(field="amount").exists()


def test_an_order_parked_at_intake_gets_the_closure_as_a_reason(
    client: Any, tmall: Any, skus: Any
) -> None:
    order = intake(tmall, lines=[{"sku": "NOPE", "quantity": 1, "unit_price": "9.00"}])
    assert order.state == OrderState.EXCEPTION
    body = send(client, tmall, order.external_id, event("order_closed", {"reason": "交易关闭"}))
    assert body.json()["outcome"] == "parked"
    codes = set(order.exceptions.values_list("code", flat=True))
    assert codes == {ExceptionCode.SKU_UNKNOWN, ExceptionCode.PLATFORM_CHANGE}


def test_allocated_order_takes_the_address_but_a_refund_goes_to_the_reps(
    client: Any,
    tmall: Any,
    skus: Any,
    rep: Any,
    warehouse: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_customer(phone="13800138000")
    order = intake(tmall)
    services.order_confirm(order_id=order.pk, by=rep)
    services.order_allocate(order_id=order.pk, by=warehouse)
    moved = event("address_changed", {"address": NEW_ADDRESS})
    assert send(client, tmall, order.external_id, moved).json()["outcome"] == "applied"
    refund = event("refund_requested", {"amount": "10.00", "reason": "少发"}, "EV-2")
    with django_capture_on_commit_callbacks(execute=True):
        body = send(client, tmall, order.external_id, refund).json()
    assert (body["outcome"], body["order"]["state"]) == ("ignored", "allocated")
    assert Notification.objects.filter(recipient=rep, url=order.get_absolute_url()).exists()


# --- After release ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        event("address_changed", {"address": NEW_ADDRESS}),
        event("buyer_note_changed", {"buyer_note": "改了"}),
        event("refund_requested", {"amount": "10.00", "reason": "少发"}),
        event("order_closed", {"reason": "交易关闭"}),
    ],
    ids=["address", "note", "refund", "closed"],
)
def test_after_release_the_warehouse_is_asked_to_stop_the_parcel(
    client: Any,
    tmall: Any,
    skus: Any,
    rep: Any,
    warehouse: Any,
    body: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    order = released(tmall, rep, warehouse)
    asked: list[int] = []

    def listener(sender: Any, order: Any, **kwargs: Any) -> None:
        asked.append(order.pk)

    order_cancellation_requested.connect(listener, dispatch_uid="test-events")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = send(client, tmall, order.external_id, body)
    finally:
        order_cancellation_requested.disconnect(dispatch_uid="test-events")
    assert response.json()["outcome"] == "intercept_requested", response.json()
    assert asked == [order.pk]
    order.refresh_from_db()
    assert order.cancellation_request_reason.startswith("Platform: ")
    # Nothing has left the warehouse: it stopped the parcel and the order is cancelled.
    assert order.state == OrderState.CANCELLED
    if body["type"] == "address_changed":
        assert order.ship_city == "北京市"  # the parcel was labelled: not applied


def test_after_shipping_the_change_is_kept_and_the_reps_are_told(
    client: Any,
    tmall: Any,
    skus: Any,
    rep: Any,
    warehouse: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    order = released(tmall, rep, warehouse)
    services.order_ship(order_id=order.pk, by=warehouse)
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, tmall, order.external_id, event("order_closed", {}))
    assert response.json()["outcome"] == "ignored"
    assert "Not applied" in response.json()["message"]
    order.refresh_from_db()
    assert order.state == OrderState.SHIPPED
    assert Notification.objects.filter(recipient=rep, url=order.get_absolute_url()).exists()


# --- Re-import -------------------------------------------------------------------------------


@pytest.mark.clock(datetime(2024, 6, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
def test_reimport_of_a_closed_order_does_what_the_event_does_once(clock: Any) -> None:
    channel = make_channel(code="tmall-flagship", kind="tmall")
    for code, price in (("SKU00001", "99.00"), ("SKU00002", "59.00"), ("SKU00003", "45.00")):
        listed_sku(code, price)
    ChannelSkuMapping.objects.create(
        channel=channel, outer_id="TB-OUTER-88", sku=listed_sku("SKU00004", "30.00")
    )
    services.orders_import(channel=channel, files=taobao_files())
    order = Order.objects.get(channel=channel, external_id=PAID_456)
    assert order.state == OrderState.RECEIVED
    closed = taobao_edited(orders=set_cell(PAID_456, "订单状态", "交易关闭"))

    outcome = services.orders_import(channel=channel, files=closed)

    order.refresh_from_db()
    assert (order.state, order.hold_kind) == (OrderState.ON_HOLD, HoldKind.PLATFORM_CLOSED)
    kept = PlatformEvent.objects.get(order=order)
    assert (kept.kind, kept.outcome) == ("order_closed", "held")
    assert outcome.plan is not None
    (item,) = [i for i in outcome.plan.orders if i.external_id == PAID_456]
    assert item.messages == [kept.message]
    # The same file again, an hour later: the same event id, nothing twice.
    clock.shift(timedelta(hours=1))
    services.orders_import(channel=channel, files=closed)
    assert PlatformEvent.objects.filter(order=order).count() == 1


# --- The order's page and the schema ---------------------------------------------------------


def test_the_orders_page_lists_the_changes_and_notes_them_on_the_timeline(
    client: Any, tmall: Any, skus: Any, rep: Any, english: None
) -> None:
    order = intake(tmall)
    send(client, tmall, order.external_id, event("order_closed", {"reason": "交易关闭"}))
    client.force_login(rep)
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'id="platform-events"' in page
    assert "Order closed on the platform" in page
    assert "Order held" in page
    assert "Platform change Order closed on the platform (EV-1): Order held." in page


def test_the_schema_documents_the_endpoint_with_examples(client: Any) -> None:
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/channels/{code}/orders/{external_id}/events"]["post"]
    assert operation["operationId"] == "channel_order_event"
    assert set(operation["responses"]) >= {"200", "201", "400", "401", "404", "409"}
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert len(examples) == 6
