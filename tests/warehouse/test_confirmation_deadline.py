"""The shipment-confirmation deadline (issue 21 §1): a clock from payment to the channel's
deadline, warned in working time, stopped by the confirmation, a breach told once; and a
channel reading its order back through the signed API."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from ecomops.notifications.models import Notification
from ecomops.sla.models import SlaClock
from ecomops.sla.services import sla_clocks_start_all, sla_sweep
from orders.models import Order
from orders.selectors import SHIPMENT_CONFIRMATION_CLOCK
from orders.services import orders_intake
from orders.services.clocks import confirmation_clock_starts
from tests.orders.factories import listed_sku, make_channel, order_data
from tests.timeutil import at
from tests.warehouse.factories import MONDAY_MORNING, make_order, put_stock
from tests.warehouse.test_confirmations import ready_to_ship, sign_manifest
from warehouse.services import carrier_event_record, confirmations

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def clock_of(order: Order) -> SlaClock:
    return SlaClock.objects.get(policy__code=SHIPMENT_CONFIRMATION_CLOCK, object_id=order.pk)


@pytest.mark.clock(at(2026, 11, 27, 17))
def test_a_paid_order_gets_the_channels_deadline_counted_from_payment() -> None:
    """Friday 16:56 payment, 48 hours: due Sunday 16:56 as the platform counts; warned at
    80 % of the working time in between (Friday 64 min + Saturday 9 h = 604 min, Sunday is
    off): Saturday 15:59:12."""
    listed_sku("SKU-1")
    channel = make_channel(code="tmall", kind="tmall", confirmation_deadline_hours=48)
    on_account = make_channel(
        code="agent", kind="agent", payment_terms="on_account", confirmation_deadline_hours=48
    )
    (outcome,) = orders_intake(channel=channel, payloads=[order_data()])
    assert outcome.order is not None
    clock = clock_of(outcome.order)
    assert clock.started_at == at(2026, 11, 27, 16, 56)
    assert clock.due_at == at(2026, 11, 29, 16, 56)
    assert clock.warn_at == at(2026, 11, 28, 15, 59, 12)
    assert clock.owner_role == "warehouse_admin"
    # not paid yet (on account): no clock
    (other,) = orders_intake(
        channel=on_account, payloads=[order_data(external_id="A1", paid_at=None)]
    )
    assert other.order is not None
    assert not SlaClock.objects.filter(
        policy__code=SHIPMENT_CONFIRMATION_CLOCK, object_id=other.order.pk
    ).exists()


def start_deadline(orders: list[Order]) -> None:
    channel = orders[0].channel
    sla_clocks_start_all(model=Order, starts=confirmation_clock_starts(channel, orders))


@pytest.mark.clock(at(2026, 11, 23, 13))
def test_the_confirmation_stops_the_clock_and_a_breach_is_told_once(
    warehouse: Any,
    sku: Any,
    sku2: Any,
    parts_admin: Any,
    picker: Any,
    packer: Any,
    keeper: Any,
    client: Client,
    clock: Any,
) -> None:
    put_stock(sku, 20)
    tmall = make_channel(code="tmall", kind="tmall", confirmation_deadline_hours=24)
    shipped = make_order([(sku, 1)], channel=tmall, accepted_at=MONDAY_MORNING)
    late = make_order([(sku, 1)], channel=tmall, accepted_at=MONDAY_MORNING)
    start_deadline([shipped, late])
    people = {"parts_admin": parts_admin, "picker": picker, "packer": packer, "keeper": keeper}
    parcels = ready_to_ship([shipped], people)
    sign_manifest(parcels, keeper)

    client.force_login(keeper)
    page = client.get(reverse("warehouse:confirmation_queue")).content.decode()
    assert f'data-order="{shipped.number}"' in page  # handed over, the platform not told yet
    assert f'data-order="{late.number}"' in page

    confirmations.confirmations_export(channel_id=tmall.pk, by=keeper)
    assert clock_of(shipped).stopped_at == at(2026, 11, 23, 13)
    assert clock_of(shipped).met

    clock.move_to(at(2026, 11, 24, 10, 1))  # 24 hours after payment, and a minute
    assert sla_sweep() == 1
    assert sla_sweep() == 0
    told = Notification.objects.filter(recipient=keeper, title__contains=late.number)
    assert told.count() == 1
    page = client.get(reverse("warehouse:confirmation_queue")).content.decode()
    assert f'data-order="{shipped.number}"' not in page
    assert f'class="is-late" data-order="{late.number}"' in page


# --- Reading an order back -----------------------------------------------------------------------


CHANNEL_SECRET = "test-secret"  # the channel factory's


def signed_get(client: Client, path: str, secret: str = CHANNEL_SECRET, **kwargs: Any) -> Any:
    timestamp = str(kwargs.pop("timestamp", int(time.time())))
    signed_path = kwargs.pop("signed_path", path)
    return client.get(
        path,
        headers={
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, signed_path.encode()),
            "Accept-Language": "en",
        },
    )


@pytest.fixture
def shipped(
    warehouse: Any, sku: Any, sku2: Any, parts_admin: Any, picker: Any, packer: Any, keeper: Any
) -> Order:
    put_stock(sku, 20)
    tmall = make_channel(code="tmall", kind="tmall")
    order = make_order([(sku, 1)], channel=tmall, accepted_at=MONDAY_MORNING, external_id="T9001")
    people = {"parts_admin": parts_admin, "picker": picker, "packer": packer, "keeper": keeper}
    [parcel] = ready_to_ship([order], people)
    sign_manifest([parcel], keeper)
    carrier_event_record(
        carrier=parcel.carrier,
        event_id="E-1",
        waybill_number=parcel.waybill_number,
        kind="in_transit",
        occurred_at=at(2026, 11, 23, 18),
        place="杭州转运中心",
        description="已发往北京",
    )
    return order


READ = "/api/v1/channels/tmall/orders/T9001"


@pytest.mark.clock(at(2026, 11, 23, 19))
def test_a_channel_reads_its_order_back_with_parcels_and_tracking(
    shipped: Order, client: Client
) -> None:
    response = signed_get(client, READ)
    assert response.status_code == 200
    body = response.json()
    parcel = shipped.delivery_notes.get().parcel
    assert parcel is not None
    assert body == {
        "external_id": "T9001",
        "number": shipped.number,
        "state": "shipped",
        "shipped_at": "2026-11-23T19:00:00+08:00",
        "delivered_at": None,
        "shipment_confirmed": False,
        "parcels": [
            {
                "number": parcel.number,
                "state": "in_transit",
                "carrier": "ZTO",
                "carrier_name": "中通快递",
                "waybill_number": parcel.waybill_number,
                "handed_over_at": "2026-11-23T19:00:00+08:00",
                "delivered_at": None,
                "tracking_url": "",
                "events": [
                    {
                        "event_id": "E-1",
                        "kind": "in_transit",
                        "occurred_at": "2026-11-23T18:00:00+08:00",
                        "place": "杭州转运中心",
                        "description": "已发往北京",
                    }
                ],
            }
        ],
    }


@pytest.mark.clock(at(2026, 11, 23, 19))
@pytest.mark.parametrize(
    ("kwargs", "detail"),
    [
        ({"secret": "not-the-secret"}, "The signature does not match."),
        # a signature for another order reads nothing else
        ({"signed_path": "/api/v1/channels/tmall/orders/T9002"}, "The signature does not match."),
        ({"stale": True}, "too old or in the future"),
    ],
)
def test_a_wrong_or_stale_signature_reads_nothing(
    shipped: Order, client: Client, kwargs: dict[str, Any], detail: str
) -> None:
    if kwargs.pop("stale", False):
        kwargs["timestamp"] = int(time.time()) - 301  # the skew allows 300 seconds
    response = signed_get(client, READ, **kwargs)
    assert response.status_code == 401
    assert detail in response.json()["detail"]
    assert "parcels" not in response.json()
    unsigned = client.get(READ)
    assert unsigned.status_code == 401
    assert unsigned.json() == {"detail": "The request is not signed."}


@pytest.mark.clock(at(2026, 11, 23, 19))
def test_an_unknown_order_or_channel_is_404(shipped: Order, client: Client) -> None:
    missing = signed_get(client, "/api/v1/channels/tmall/orders/T404")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "The channel tmall has no order T404."}
    assert signed_get(client, "/api/v1/channels/nosuch/orders/T9001").status_code == 404
    # another channel's order is not this channel's to read
    make_channel(code="jd", kind="jd")
    assert signed_get(client, "/api/v1/channels/jd/orders/T9001").status_code == 404


@pytest.mark.clock(at(2026, 11, 23, 19))
def test_the_read_back_is_in_the_openapi_schema(db: None, client: Client) -> None:
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/channels/{code}/orders/{external_id}"]["get"]
    assert operation["operationId"] == "channel_order_read"
    assert set(operation["responses"]) == {"200", "401", "404"}
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert headers == {TIMESTAMP_HEADER, SIGNATURE_HEADER}
