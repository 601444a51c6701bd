"""Two workers sweeping the shipment-confirmation outbox at once on PostgreSQL: each row is
claimed with SKIP LOCKED and posted to its channel once (issue 21 §1)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection

from tests.concurrency import race
from tests.factories import UserFactory
from tests.orders.factories import listed_sku, make_channel
from tests.timeutil import at
from tests.warehouse.factories import MONDAY_MORNING, make_order, make_warehouse, put_stock
from tests.warehouse.test_confirmations import CALLBACK, ChannelEndpoint, ready_to_ship
from warehouse import services
from warehouse.models import ConfirmationAttempt, ConfirmationStatus, ShipmentConfirmation
from warehouse.services import confirmations

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.clock(at(2026, 11, 23, 13)),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and SKIP LOCKED need PostgreSQL (.ci/run uses it)",
    ),
]


class SlowChannel(ChannelEndpoint):
    """Takes a while to answer, so the other workers meet the row while it is claimed."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def __call__(self, url: str, *, data: bytes, headers: dict[str, str], timeout: Any) -> Any:
        time.sleep(0.2)
        with self.lock:
            return super().__call__(url, data=data, headers=headers, timeout=timeout)


def test_three_workers_post_each_confirmation_once(monkeypatch: pytest.MonkeyPatch) -> None:
    make_warehouse()
    sku = listed_sku("SKU-1")
    listed_sku("SKU-2")
    put_stock(sku, 50)
    people = {
        "parts_admin": UserFactory(roles=["bu_parts_admin"]),
        "picker": UserFactory(roles=["picker"]),
        "packer": UserFactory(roles=["packer"]),
        "keeper": UserFactory(roles=["warehouse_admin"]),
    }
    channel = make_channel(code="shop", kind="webshop", callback_url=CALLBACK, merge_parcels=False)
    orders = [make_order([(sku, 1)], channel=channel, accepted_at=MONDAY_MORNING) for _ in range(4)]
    parcels = ready_to_ship(orders, people)
    # the message after the commit is lost: only the sweeps will find the rows
    monkeypatch.setattr(confirmations, "enqueue", lambda *args, **kwargs: None)
    manifest = services.manifest_open(carrier_id=parcels[0].carrier_id, by=people["keeper"])
    services.manifest_sign(
        manifest_id=manifest.pk, courier_name="王师傅", counted=len(parcels), by=people["keeper"]
    )
    endpoint = SlowChannel()
    monkeypatch.setattr(confirmations.requests, "post", endpoint)

    results = race([confirmations.confirmations_deliver_due for _ in range(3)])

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(pk for report in results for pk in report.confirmed) == sorted(
        ShipmentConfirmation.objects.values_list("pk", flat=True)
    )
    assert len(endpoint.posts) == 4
    assert len({post["key"] for post in endpoint.posts}) == 4
    assert ConfirmationAttempt.objects.count() == 4
    assert set(ShipmentConfirmation.objects.values_list("status", flat=True)) == {
        ConfirmationStatus.CONFIRMED
    }
