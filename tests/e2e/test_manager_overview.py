"""A manager signs in and lands on the live overview: the figures of the day, the chart of
orders per hour, the batches with the minutes to the cut; a new parked order shows on the
next refresh without reloading the page."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from ecomops.sla.models import SlaClock, SlaPolicy
from orders.models import OrderState
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.orders.factories import listed_sku
from tests.timeutil import at
from tests.warehouse.factories import make_order

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The live refresh has the server's thread read while the test's thread writes: on
    # SQLite's shared in-memory test database that read can wait for ever (seen in `make
    # test`); PostgreSQL, which CI runs it on, has row versions and no such wait.
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="live polling against writes needs PostgreSQL"
    ),
]

# Monday 2026-11-23, 11:15 in Shanghai: 45 minutes to the 12:00 cut.
NOW = at(2026, 11, 23, 11, 15)
# Where to copy the overview's screenshot as well (to look at it), when set.
SCREENSHOT = os.environ.get("OVERVIEW_SCREENSHOT", "")


def test_a_manager_sees_the_day_as_it_runs(
    live_server: Any, page: Any, login: Any, screenshot: Any
) -> None:
    # The server's clock moves on from NOW (ticking: the browser and the server talk in
    # real time); every row below is dated from it.
    with time_machine.travel(NOW, tick=True):
        sku = listed_sku("SKU-E2E", "99.00")
        for hour, minute, state in [
            (9, 5, OrderState.CONFIRMED),
            (9, 20, OrderState.ALLOCATED),
            (9, 40, OrderState.RELEASED),
            (10, 10, OrderState.SHIPPED),
            (10, 45, OrderState.EXCEPTION),
        ]:
            make_order([(sku, 1)], accepted_at=NOW.replace(hour=hour, minute=minute), state=state)
        for hour in (9, 9, 10, 14):
            make_order([(sku, 1)], accepted_at=NOW.replace(hour=hour) - timedelta(days=7))
        late = make_order([(sku, 1)], accepted_at=NOW.replace(hour=8), state=OrderState.RECEIVED)
        policy = SlaPolicy.objects.get(code="customer_identification")
        SlaClock.objects.create(
            policy=policy,
            content_type=ContentType.objects.get_for_model(late),
            object_id=late.pk,
            owner_role=policy.owner_role,
            started_at=timezone.now() - timedelta(hours=3),
            due_at=timezone.now() - timedelta(hours=2),
        )
        UserFactory(username="boss", first_name="建国", last_name="郭", roles=["manager"])

        page.clock.install()
        login(page, "boss", DEFAULT_PASSWORD)

        assert page.locator("html").get_attribute("lang") == "zh-hans"
        live = page.locator("#overview-live")
        assert live.count() == 1
        exceptions = live.locator('[data-figure="orders.exceptions"] .ov-value')
        assert exceptions.inner_text() == "1"
        assert live.locator('[data-figure="sla.breached"] .ov-value').inner_text() == "1"
        chart = live.locator("#orders-per-hour")
        assert chart.locator('rect.bar-today[data-hour="9"]').get_attribute("data-count") == "3"
        assert chart.locator('rect.bar-today[data-hour="10"]').get_attribute("data-count") == "2"
        assert "6" in live.locator('[data-testid="orders-today"]').inner_text()
        noon = live.locator('#overview-batches tr[data-slot="12"]')
        assert noon.locator(".ov-cut").get_attribute("data-minutes") in ("44", "45")
        assert noon.locator('[data-stage="orders_in"]').inner_text() == "5"
        assert noon.locator('[data-stage="shipped"]').inner_text() == "1"
        breached = live.locator('#clocks-by-department tr[data-department="ecommerce"]')
        assert "1" in breached.inner_text()
        shot = screenshot(page, "overview")
        assert shot.stat().st_size > 1000
        if SCREENSHOT:
            Path(SCREENSHOT).write_bytes(shot.read_bytes())

        # Live: a new parked order shows on the next refresh (htmx polls every 30 s).
        make_order([(sku, 1)], accepted_at=timezone.now(), state=OrderState.EXCEPTION)
        with page.expect_response(lambda r: "/overview/live/" in r.url):
            page.clock.run_for(31_000)
        page.wait_for_function(
            "() => document.querySelector('[data-figure=\"orders.exceptions\"] .ov-value')"
            ".textContent.trim() === '2'"
        )

        # A figure opens its queue.
        live.locator('[data-figure="orders.exceptions"]').click()
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/orders/exceptions/")
