"""The test clock (``@pytest.mark.clock``): a pinned test gets its fixtures' data at the
pinned time, whatever day the suite runs on."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from listings.selectors import sku_online_price
from tests.orders.factories import listed_sku
from tests.timeutil import at

MONDAY = at(2026, 11, 23, 15, 30)
FAR_AHEAD = at(2031, 3, 3, 9)


@pytest.fixture
def priced_sku(db: None) -> Any:
    """Data created the way every app's fixtures create it: priced from the clock."""
    return listed_sku("SKU-CLOCK", "99.00")


@pytest.mark.clock(MONDAY)
def test_a_pinned_test_creates_its_fixture_data_at_the_pinned_time(priced_sku: Any) -> None:
    # The price is in effect since a day before the pin, so the product is on sale at it.
    assert priced_sku.prices.get().valid_from == MONDAY - timedelta(days=1)
    assert sku_online_price(sku=priced_sku) == Decimal("99.00")


@pytest.mark.clock(MONDAY)
def test_the_pin_travels_before_fixtures_asked_for_ahead_of_it(
    priced_sku: Any, clock: time_machine.Traveller
) -> None:
    assert priced_sku.prices.get().valid_from == MONDAY - timedelta(days=1)
    assert timezone.now() == MONDAY  # stopped: the clock does not tick on its own


@pytest.mark.clock(MONDAY)
def test_the_clock_fixture_moves_the_pinned_clock_on(clock: time_machine.Traveller) -> None:
    clock.shift(timedelta(hours=2))
    assert timezone.now() == MONDAY + timedelta(hours=2)
    clock.move_to(FAR_AHEAD)
    assert timezone.now() == FAR_AHEAD


class TestAClassPin:
    pytestmark = pytest.mark.clock(FAR_AHEAD)

    def test_a_class_or_module_pin_reaches_its_fixtures(self, priced_sku: Any) -> None:
        assert priced_sku.prices.get().valid_from == FAR_AHEAD - timedelta(days=1)

    @pytest.mark.clock(MONDAY)
    def test_the_nearest_pin_wins(self, priced_sku: Any) -> None:
        assert priced_sku.prices.get().valid_from == MONDAY - timedelta(days=1)


def test_an_unpinned_test_runs_on_the_real_clock(priced_sku: Any) -> None:
    # No travel: the data is dated from whatever day the suite runs on (faketime moves it).
    price = priced_sku.prices.get()
    assert price.valid_from < timezone.now() - timedelta(hours=23)
    assert sku_online_price(sku=priced_sku) == Decimal("99.00")
