"""The exception queue (异常订单): a paid marketplace order breaking a business rule is
parked with every reason (201), fixed or approved, re-checked, released or cancelled."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_fsm_log.models import StateLog

from ecomops.audit.models import Note
from ecomops.errors import PermissionDeniedError
from ecomops.sla.models import SlaClock
from listings.models import Sku
from orders import services
from orders.models import (
    BlacklistEntry,
    ChannelSkuMapping,
    IntakePolicy,
    Order,
    OrderException,
    OrderState,
)
from tests.orders.factories import SHOP_MORNING, listed_sku, make_channel, order_data, push

pytestmark = [pytest.mark.django_db, pytest.mark.clock(SHOP_MORNING)]


@pytest.fixture
def tmall(db: None) -> Any:
    return make_channel(code="tmall", kind="tmall", intake_policy=IntakePolicy.PARK)


@pytest.fixture
def service(make_user: Any) -> Any:
    return make_user("presales_service", username="kefu", first_name="芳", last_name="王")


def reasons(body: dict[str, Any]) -> dict[str, str]:
    return {r["field"]: r["code"] for r in body["reasons"]}


def park(client: Any, channel: Any, **overrides: Any) -> Order:
    response = push(client, channel, order_data(**overrides))
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "exception", response.json()
    return Order.objects.get(pk=response.json()["id"])


# --- Each reason through the signed API ------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (
            {"lines": [{"sku": "NOPE", "quantity": 1, "unit_price": "99.00"}]},
            "lines[0].sku",
            "sku_unknown",
        ),
        (
            {"lines": [{"sku": "SKU-OLD", "quantity": 1, "unit_price": "99.00"}]},
            "lines[0].sku",
            "sku_not_listed",
        ),
        (
            {"lines": [{"sku": "SKU-1", "quantity": 1, "unit_price": "50.00"}]},
            "lines[0].unit_price",
            "price",
        ),
        (
            {"shipping_address": {"name": "李娜", "phone": "13800138000", "province": "北京市"}},
            "shipping_address.city",
            "address",
        ),
        (
            {
                "shipping_address": {
                    **order_data()["customer"],
                    "name": "李娜",
                    "phone": "138****8000",
                }
            },
            "shipping_address.phone",
            "address",
        ),
    ],
)
def test_each_business_rule_parks_the_order_with_its_reason(
    client: Any, tmall: Any, sku: Any, change: dict[str, Any], field: str, code: str
) -> None:
    listed_sku("SKU-OLD", state="delisted")
    response = push(client, tmall, order_data(**change))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "exception"
    assert reasons(body)[field] == code
    assert all(r["message"] for r in body["reasons"])
    order = Order.objects.get(pk=body["id"])
    assert order.lines.count() == 0
    assert order.exceptions.filter(code=code, field=field, resolved_at=None).exists()


def test_every_reason_is_listed_at_once(client: Any, tmall: Any, sku: Any) -> None:
    data = order_data(
        lines=[
            {"sku": "NOPE", "quantity": 1, "unit_price": "99.00"},
            {"sku": "SKU-1", "quantity": 1, "unit_price": "10.00"},
        ]
    )
    data["customer"]["phone"] = "138****8000"
    body = push(client, tmall, data).json()
    assert reasons(body) == {
        "lines[0].sku": "sku_unknown",
        "lines[1].unit_price": "price",
        "customer.phone": "address",
        "shipping_address.phone": "address",
    }


def test_blacklisted_buyer_phone_and_address_park_the_order(
    client: Any, tmall: Any, sku: Any, service: Any
) -> None:
    services.blacklist_add(kind="buyer", value="tb_bad", reason="恶意退款", by=service)
    services.blacklist_add(kind="phone", value="138 0013 8000", reason="拒收三次", by=service)
    services.blacklist_add(
        kind="address", value="北京市 北京市 朝阳区 建国路88号", reason="虚假地址", by=service
    )
    body = push(client, tmall, order_data(buyer_account="tb_bad")).json()
    assert body["state"] == "exception"
    assert reasons(body) == {
        "buyer_account": "blacklist",
        "shipping_address.phone": "blacklist",
        "shipping_address": "blacklist",
    }
    assert "恶意退款" in " ".join(r["message"] for r in body["reasons"])


def test_a_removed_blacklist_entry_parks_nothing(
    client: Any, tmall: Any, sku: Any, service: Any
) -> None:
    entry = services.blacklist_add(kind="buyer", value="tb_bad", reason="恶意退款", by=service)
    services.blacklist_remove(entry_id=entry.pk, reason="误判", by=service)
    assert push(client, tmall, order_data(buyer_account="tb_bad")).json()["state"] == "received"


def test_the_blacklist_kept_between_pushes_follows_every_change(
    client: Any, tmall: Any, sku: Any, service: Any, admin_client: Any
) -> None:
    """Each process keeps the list between pushes; an entry added, removed or corrected
    (in the portal or the admin) counts from the next push on."""

    def state(external_id: str, account: str) -> str:
        data = order_data(external_id=external_id, buyer_account=account)
        data["lines"][0]["quantity"] = len(external_id)  # never a duplicate of the one before
        return str(push(client, tmall, data).json()["state"])

    assert state("T1", "tb_bad") == "received"
    entry = services.blacklist_add(kind="buyer", value="tb_bad", reason="恶意退款", by=service)
    assert state("T22", "tb_bad") == "exception"
    with CaptureQueriesContext(connection) as queries:
        assert state("T333", "tb_bad") == "exception"
    # (the channel's own query reads the list's stamp in a subquery)
    assert not [q for q in queries.captured_queries if q["sql"].startswith('SELECT "orders_black')]

    response = admin_client.post(
        f"/admin/orders/blacklistentry/{entry.pk}/change/",
        {"kind": "buyer", "value": "tb_worse", "reason": "恶意退款", "active": "on"},
    )
    assert response.status_code == 302
    assert state("T4444", "tb_bad") == "received"
    assert state("T55555", "tb_worse") == "exception"
    services.blacklist_remove(entry_id=entry.pk, reason="误判", by=service)
    assert state("T666666", "tb_worse") == "received"


def test_a_possible_duplicate_is_parked(client: Any, tmall: Any, sku: Any) -> None:
    first = push(client, tmall, order_data(external_id="TB1"))
    assert first.json()["state"] == "received"
    second = push(client, tmall, order_data(external_id="TB2")).json()
    assert second["state"] == "exception"
    assert reasons(second) == {"external_id": "duplicate"}
    assert Order.objects.get(pk=first.json()["id"]).number in second["reasons"][0]["message"]
    other_goods = order_data(external_id="TB3")
    other_goods["lines"][0]["quantity"] = 1
    assert push(client, tmall, other_goods).json()["state"] == "received"


def test_amounts_that_do_not_add_up_park_the_order(client: Any, tmall: Any, sku: Any) -> None:
    body = push(client, tmall, order_data(shipping_fee="10.00", total_amount="150.00")).json()
    assert body["state"] == "exception"
    assert set(reasons(body).values()) == {"amount"}


def test_an_approved_amount_is_released_with_the_money_as_sent(
    client: Any, tmall: Any, sku: Any, service: Any
) -> None:
    body = push(client, tmall, order_data(shipping_fee="10.00", total_amount="150.00")).json()
    order = Order.objects.get(pk=body["id"])
    for reason in order.exceptions.filter(resolved_at=None):
        services.order_exception_approve(exception_id=reason.pk, by=service, note="平台核对无误")
    services.order_exception_release(order_id=order.pk, by=service)
    order.refresh_from_db()
    assert order.state == OrderState.RECEIVED
    assert order.lines.get().amount == 198


def test_structural_errors_stay_400_on_a_parking_channel(client: Any, tmall: Any, sku: Any) -> None:
    response = push(client, tmall, order_data(external_id="", placed_at="yesterday"))
    assert response.status_code == 400
    assert {"external_id", "placed_at"} <= set(response.json()["fields"])
    assert Order.objects.count() == 0


def test_an_unpaid_order_is_refused_not_parked(client: Any, tmall: Any, sku: Any) -> None:
    response = push(
        client,
        tmall,
        order_data(paid_at=None, lines=[{"sku": "NOPE", "quantity": 1, "unit_price": "9"}]),
    )
    assert response.status_code == 400
    assert Order.objects.count() == 0


def test_a_refusing_channel_still_answers_400_with_field_errors(
    client: Any, channel: Any, sku: Any
) -> None:
    assert channel.intake_policy == IntakePolicy.REFUSE
    response = push(client, channel, order_data(sku="NOPE"))
    assert response.status_code == 400
    assert "Unknown SKU NOPE" in response.json()["fields"]["lines[0].sku"][0]
    assert Order.objects.count() == 0


def test_a_new_channel_refuses_by_default(db: None) -> None:
    from orders.models import Channel

    assert Channel(code="x", name="x", kind="tmall").intake_policy == IntakePolicy.REFUSE


def test_the_same_parked_push_again_is_a_repeat(client: Any, tmall: Any, sku: Any) -> None:
    data = order_data(sku="NOPE")
    first = push(client, tmall, data)
    second = push(client, tmall, data)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()


# --- The clock ------------------------------------------------------------------------------


def exception_clock(order: Order) -> SlaClock:
    return SlaClock.objects.get(policy__code="order_exception", object_id=order.pk)


def test_parking_starts_the_exception_clock_and_no_order_clock(
    client: Any, tmall: Any, sku: Any
) -> None:
    order = park(client, tmall, sku="NOPE")
    clock = exception_clock(order)
    assert clock.stopped_at is None
    assert clock.policy.owner_role == "presales_service"
    assert not SlaClock.objects.filter(policy__code="customer_identification").exists()


# --- Fixing and releasing -------------------------------------------------------------------


def test_mapping_the_code_rechecks_every_waiting_order_and_releases_the_clear_ones(
    client: Any, tmall: Any, sku: Any, service: Any, clock: Any
) -> None:
    a = park(client, tmall, external_id="A", sku="TB-77")
    b = park(
        client,
        tmall,
        external_id="B",
        sku="TB-77",
        lines=[
            {"sku": "TB-77", "quantity": 1, "unit_price": "99.00"},
            {"sku": "SKU-1", "quantity": 1, "unit_price": "10.00"},
        ],
    )
    c = park(client, tmall, external_id="C", sku="OTHER")
    clock.shift(timedelta(minutes=30))
    mapping, results = services.order_exception_map_line(
        order_id=a.pk, line_index=0, sku_code="SKU-1", by=service
    )
    assert (mapping.channel, mapping.outer_id, mapping.sku) == (tmall, "TB-77", sku)
    assert {r.order.pk: r.released for r in results} == {a.pk: True, b.pk: False}
    a.refresh_from_db()
    b.refresh_from_db()
    c.refresh_from_db()
    assert a.state == OrderState.RECEIVED
    assert [(line.sku, line.channel_sku_code, line.quantity) for line in a.lines.all()] == [
        (sku, "TB-77", 2)
    ]
    assert a.accepted_at == timezone.now()
    assert exception_clock(a).stopped_at == timezone.now()
    assert (
        SlaClock.objects.get(policy__code="customer_identification", object_id=a.pk).started_at
        == timezone.now()
    )
    assert b.state == OrderState.EXCEPTION
    assert list(b.exceptions.filter(resolved_at=None).values_list("code", flat=True)) == ["price"]
    assert b.exceptions.get(code="sku_unknown").resolution == "cleared"
    assert c.state == OrderState.EXCEPTION


def test_the_orders_waiting_for_a_code_are_found_on_any_line_in_a_query_per_position(
    client: Any, tmall: Any, sku: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.selectors import parked_orders_waiting_for_code

    second_line = park(
        client,
        tmall,
        external_id="D",
        sku="SKU-1",
        lines=[
            {"sku": "OTHER-9", "quantity": 1, "unit_price": "99.00"},
            {"sku": "TB-77", "quantity": 1, "unit_price": "99.00"},
        ],
    )
    first_lines = [park(client, tmall, external_id=f"E{n}", sku="TB-77") for n in range(4)]
    others = [park(client, tmall, external_id=f"F{n}", sku="OTHER-8") for n in range(6)]
    with CaptureQueriesContext(connection) as queries:
        found = list(parked_orders_waiting_for_code(channel=tmall, code="TB-77"))
    assert found == sorted([second_line, *first_lines], key=lambda order: order.pk)
    # the open reasons; the codes on line 0, then on line 1; the orders found
    assert len(queries) == 4
    assert list(parked_orders_waiting_for_code(channel=tmall, code="OTHER-8")) == others


def test_release_is_refused_while_reasons_remain_naming_them(
    client: Any, tmall: Any, sku: Any, service: Any
) -> None:
    order = park(client, tmall, lines=[{"sku": "SKU-1", "quantity": 1, "unit_price": "10.00"}])
    with pytest.raises(services.ExceptionQueueError, match="differs from the listed price"):
        services.order_exception_release(order_id=order.pk, by=service)
    order.refresh_from_db()
    assert order.state == OrderState.EXCEPTION


def test_approving_the_price_lets_the_order_be_released(
    client: Any, tmall: Any, sku: Any, service: Any
) -> None:
    order = park(client, tmall, lines=[{"sku": "SKU-1", "quantity": 1, "unit_price": "10.00"}])
    reason = order.exceptions.get()
    with pytest.raises(services.ExceptionQueueError):
        services.order_exception_approve(exception_id=reason.pk, by=service, note="")
    services.order_exception_approve(exception_id=reason.pk, by=service, note="店铺秒杀价")
    services.order_exception_release(order_id=order.pk, by=service)
    order.refresh_from_db()
    assert order.state == OrderState.RECEIVED
    line = order.lines.get()
    assert (line.unit_price, line.list_price) == (10, 99)
    reason.refresh_from_db()
    assert (reason.resolution, reason.resolution_note, reason.resolved_by) == (
        "approved",
        "店铺秒杀价",
        service,
    )
    entry = StateLog.objects.for_(order).latest("pk")
    assert (entry.transition, entry.by) == ("release_exception", service)


def test_editing_the_address_is_logged_and_fixes_the_reason(
    client: Any, tmall: Any, sku: Any, service: Any
) -> None:
    data = order_data()
    data["customer"]["phone"] = "138****8000"
    order = park(client, tmall, **{k: v for k, v in data.items() if k != "external_id"})
    with pytest.raises(services.ExceptionQueueError):
        services.order_exception_release(order_id=order.pk, by=service)
    result = services.order_exception_edit_address(
        order_id=order.pk, by=service, reason="旺旺联系买家确认", receiver_phone="13911112222"
    )
    assert result.open_reasons == []
    order.refresh_from_db()
    assert order.receiver_phone == "13911112222"
    assert order.customer_data["phone"] == "13911112222"
    assert order.payload["shipping_address"]["phone"] == "138****8000"  # as received
    note = Note.objects.get()
    assert "138****8000 → 13911112222" in note.text
    assert "旺旺联系买家确认" in note.text
    services.order_exception_release(order_id=order.pk, by=service)
    order.refresh_from_db()
    assert order.state == OrderState.RECEIVED


def test_cancel_needs_a_reason_and_stops_the_clock(
    client: Any, tmall: Any, sku: Any, service: Any
) -> None:
    order = park(client, tmall, sku="NOPE")
    with pytest.raises(services.OrderError, match="reason"):
        services.order_exception_cancel(order_id=order.pk, by=service, reason=" ")
    services.order_exception_cancel(order_id=order.pk, by=service, reason="买家已申请退款")
    order.refresh_from_db()
    assert (order.state, order.cancel_reason) == (OrderState.CANCELLED, "买家已申请退款")
    assert exception_clock(order).stopped_at is not None


def test_bulk_release_cancel_and_recheck(client: Any, tmall: Any, sku: Any, service: Any) -> None:
    clear = park(client, tmall, external_id="A", sku="TB-9")
    stuck = park(client, tmall, external_id="B", sku="NOPE")
    ChannelSkuMapping.objects.create(channel=tmall, outer_id="TB-9", sku=sku)
    rechecked = services.order_exceptions_recheck(order_ids=[clear.pk, stuck.pk], by=service)
    assert sorted(rechecked.done) == sorted([clear.number, stuck.number])
    assert not clear.exceptions.filter(resolved_at=None).exists()
    result = services.order_exceptions_release(order_ids=[clear.pk, stuck.pk], by=service)
    assert result.done == [clear.number]
    assert "NOPE" in result.refused[stuck.number]
    cancelled = services.order_exceptions_cancel(
        order_ids=[stuck.pk], by=service, reason="无此商品"
    )
    assert cancelled.done == [stuck.number]
    assert Order.objects.get(pk=stuck.pk).state == OrderState.CANCELLED


def test_only_queue_staff_may_fix_release_or_cancel(
    client: Any, tmall: Any, sku: Any, make_user: Any
) -> None:
    order = park(client, tmall, sku="NOPE")
    picker = make_user("picker")
    with pytest.raises(PermissionDeniedError):
        services.order_exception_release(order_id=order.pk, by=picker)
    with pytest.raises(PermissionDeniedError):
        services.order_exception_cancel(order_id=order.pk, by=picker, reason="x")
    with pytest.raises(PermissionDeniedError):
        services.order_exception_map_line(
            order_id=order.pk, line_index=0, sku_code="SKU-1", by=picker
        )
    with pytest.raises(PermissionDeniedError):
        services.blacklist_add(kind="phone", value="13800138000", reason="x", by=picker)
    assert Order.objects.get(pk=order.pk).state == OrderState.EXCEPTION
    assert not BlacklistEntry.objects.exists()
    assert OrderException.objects.filter(order=order, resolved_at=None).count() == 1


def test_the_demo_parks_one_order_per_kind_of_reason_and_runs_twice(tmall: Any, sku: Any) -> None:
    from orders.demo import _parked_orders

    lines: list[str] = []
    sku.current_price = Decimal("99.00")
    for _run in range(2):
        _parked_orders([tmall], [sku], lines.append)
    parked = Order.objects.filter(state=OrderState.EXCEPTION)
    assert parked.count() == 4
    codes = set(OrderException.objects.values_list("code", flat=True))
    assert codes == {"sku_unknown", "price", "address", "blacklist"}
    assert lines[-1].endswith("0 orders parked in the exception queue")


def test_an_order_keyed_in_by_staff_is_refused_not_parked(
    tmall: Any, sku: Any, make_user: Any
) -> None:
    with pytest.raises(services.IntakeError):
        services.order_key_in(channel=tmall, data=order_data(sku="NOPE"), by=make_user("sales_rep"))
    assert not Order.objects.exists()


def test_a_blacklist_hit_approved_with_a_reason_lets_the_order_go(
    client: Any, tmall: Any, sku: Any, service: Any
) -> None:
    services.blacklist_add(kind="buyer", value="tb_bad", reason="恶意退款", by=service)
    order = park(client, tmall, buyer_account="tb_bad")
    hit = order.exceptions.get(code="blacklist")
    services.order_exception_approve(exception_id=hit.pk, by=service, note="买家已补充说明")
    services.order_exception_release(order_id=order.pk, by=service)
    assert Order.objects.get(pk=order.pk).state == OrderState.RECEIVED


def test_removing_the_blacklist_entry_clears_the_hit_on_recheck(
    client: Any, tmall: Any, sku: Any, service: Any
) -> None:
    entry = services.blacklist_add(kind="buyer", value="tb_bad", reason="恶意退款", by=service)
    order = park(client, tmall, buyer_account="tb_bad")
    services.blacklist_remove(entry_id=entry.pk, reason="误判", by=service)
    result = services.order_exception_recheck(order_id=order.pk, by=service)
    assert result.open_reasons == []
    assert order.exceptions.get().resolution == "cleared"


def test_a_duplicate_kept_with_a_reason_is_released(
    client: Any, tmall: Any, sku: Any, service: Any
) -> None:
    push(client, tmall, order_data(external_id="TB1"))
    order = park(client, tmall, external_id="TB2")
    duplicate = order.exceptions.get(code="duplicate")
    services.order_exception_approve(exception_id=duplicate.pk, by=service, note="买家确认买两次")
    services.order_exception_release(order_id=order.pk, by=service)
    assert Order.objects.get(pk=order.pk).state == OrderState.RECEIVED


def test_an_unlisted_sku_listed_again_is_released_after_a_recheck(
    client: Any, tmall: Any, sku: Any, service: Any
) -> None:
    old = listed_sku("SKU-OLD", state="delisted")
    order = park(client, tmall, sku="SKU-OLD")
    with pytest.raises(services.ExceptionQueueError):
        services.order_exception_approve(
            exception_id=order.exceptions.get().pk, by=service, note="x"
        )
    Sku.objects.filter(pk=old.pk).update(state="listed")
    services.order_exception_release(order_id=order.pk, by=service)
    assert Order.objects.get(pk=order.pk).lines.get().sku == old


def test_a_hidden_buyer_name_parks_and_is_fixed_with_the_address(
    client: Any, tmall: Any, sku: Any, service: Any
) -> None:
    data = order_data()
    data["customer"]["name"] = ""
    order = park(client, tmall, **{k: v for k, v in data.items() if k != "external_id"})
    assert set(order.exceptions.values_list("code", "field")) == {
        ("address", "customer.name"),
        ("address", "shipping_address.name"),
    }
    result = services.order_exception_edit_address(
        order_id=order.pk, by=service, reason="买家旺旺确认", receiver_name="李娜"
    )
    assert result.open_reasons == []
    order.refresh_from_db()
    assert order.customer_data["name"] == "李娜"
