"""Day numbers (``ecomops.numbering``): the day is the company's, whatever zone is active."""

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from ecomops.numbering.services import next_number, next_numbers
from tests.timeutil import at

pytestmark = pytest.mark.django_db


@pytest.mark.clock(at(2026, 11, 24, 0, 30))
def test_a_number_carries_the_company_day_whatever_zone_is_active(clock: Any) -> None:
    # 00:30 on the 24th in Shanghai is still the 23rd in UTC.
    with timezone.override(ZoneInfo("UTC")):
        first = next_number("TN", width=4)
        following = next_numbers("TN", 2, width=4)
    assert first == "TN202611240001"
    assert following == ["TN202611240002", "TN202611240003"]
