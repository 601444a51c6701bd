"""Price history and the current price as a selector."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from listings import selectors, services
from tests.listings.factories import application_at
from tests.timeutil import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_every_price_change_is_kept_with_who_and_why(users):
    sku = application_at("listed", users).sku
    manager = users["shop_manager"]
    services.sku_price_change(
        sku_id=sku.pk, by=manager, price=Decimal("129.00"), reason="双十一调价"
    )
    history = list(selectors.sku_price_history(sku=sku))
    assert [(p.price, p.reason, p.changed_by) for p in history] == [
        (Decimal("129.00"), "双十一调价", manager),
        (Decimal("139.00"), "Launch price", manager),
    ]
    assert selectors.sku_online_price(sku=sku) == Decimal("129.00")


def test_price_at_a_moment_in_the_past(users):
    with time_machine.travel(at(2026, 11, 1, 10), tick=False):
        sku = application_at("listed", users).sku
    with time_machine.travel(at(2026, 11, 10, 10), tick=False):
        services.sku_price_change(
            sku_id=sku.pk, by=users["shop_manager"], price=Decimal("125.00"), reason="降价"
        )
    assert selectors.sku_online_price(sku=sku, at=at(2026, 11, 5)) == Decimal("139.00")
    assert selectors.sku_online_price(sku=sku, at=at(2026, 11, 11)) == Decimal("125.00")
    assert selectors.sku_online_price(sku=sku, at=at(2026, 10, 1)) is None


def test_promotional_price_applies_inside_its_window_only(users):
    sku = application_at("listed", users).sku
    start = timezone.now() + timedelta(days=1)
    services.sku_promotion_price_set(
        sku_id=sku.pk,
        price=Decimal("99.00"),
        valid_from=start,
        valid_until=start + timedelta(days=3),
        source="双十二",
        reason="大促",
        below_subsidy_reason="大促让利，事业部同意",  # 99.00 is below the 120.00 floor
    )
    assert selectors.sku_online_price(sku=sku) == Decimal("139.00")
    assert selectors.sku_online_price(sku=sku, at=start + timedelta(hours=1)) == Decimal("99.00")
    assert selectors.sku_regular_price(sku=sku, at=start + timedelta(hours=1)) == Decimal("139.00")
    assert selectors.sku_online_price(sku=sku, at=start + timedelta(days=3)) == Decimal("139.00")
    annotated: Any = selectors.with_current_price(
        type(sku).objects.filter(pk=sku.pk), start + timedelta(hours=1)
    ).get()
    assert annotated.current_price == Decimal("99.00")


def test_sales_target_is_derived_from_offline_sales(settings):
    settings.LISTING_ONLINE_TARGET_RATIO = 0.3
    assert services.sales_target_suggest(900) == 270
    assert services.sales_target_suggest(1) == 1


def test_price_change_refuses_bad_amounts(users):
    from ecomops.errors import ApplicationError

    sku = application_at("listed", users).sku
    for bad in (Decimal("0"), Decimal("-5.00"), Decimal("1.001")):
        with pytest.raises(ApplicationError):
            services.sku_price_change(
                sku_id=sku.pk, by=users["shop_manager"], price=bad, reason="x"
            )
    with pytest.raises(ApplicationError, match="why"):
        services.sku_price_change(
            sku_id=sku.pk, by=users["shop_manager"], price=Decimal("10.00"), reason=""
        )
