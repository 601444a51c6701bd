"""A period is settled with the business unit once: a second statement for the same days
(two confirmed statements of ¥861,611.10 were made) is refused by the service with the
statement that stands, and by the database if two are drawn up at the same moment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from finance import services
from finance.models import Settlement, SettlementState

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def week() -> tuple[Any, Any]:
    """The seven days up to yesterday, read from the clock the test runs on."""
    end = timezone.localdate() - timedelta(days=1)
    return end - timedelta(days=6), end


def test_the_same_period_is_refused_naming_the_statement_that_stands(clerk, make_user):
    start, end = week()
    first = services.settlement_draw_up(period_start=start, period_end=end, by=clerk)
    services.settlement_confirm(settlement_id=first.pk, side="finance", by=clerk)
    services.settlement_confirm(
        settlement_id=first.pk, side="business_unit", by=make_user("bu_parts_admin")
    )
    with pytest.raises(services.SettlementError) as refused:
        services.settlement_draw_up(period_start=start, period_end=end, by=clerk)
    assert first.number in refused.value.message
    assert "Confirmed by both sides" in refused.value.message
    assert refused.value.extra["settlement"] == first.number
    assert "period_start" in refused.value.extra["fields"]
    assert list(Settlement.objects.values_list("number", "state")) == [
        (first.number, SettlementState.CONFIRMED)
    ]


@pytest.mark.parametrize(("shift_start", "shift_end"), [(-3, -3), (2, 0), (-10, 10), (6, 6)])
def test_a_period_overlapping_a_settled_one_is_refused(clerk, shift_start, shift_end):
    start, end = week()
    first = services.settlement_draw_up(
        period_start=start - timedelta(days=10), period_end=end - timedelta(days=10), by=clerk
    )
    with pytest.raises(services.SettlementError, match=first.number):
        services.settlement_draw_up(
            period_start=first.period_start + timedelta(days=shift_start),
            period_end=min(first.period_end + timedelta(days=shift_end), end),
            by=clerk,
        )
    assert Settlement.objects.count() == 1


def test_the_days_after_a_settled_period_can_be_settled(clerk):
    start, end = week()
    services.settlement_draw_up(
        period_start=start - timedelta(days=7), period_end=start - timedelta(days=1), by=clerk
    )
    services.settlement_draw_up(period_start=start, period_end=end, by=clerk)
    assert Settlement.objects.count() == 2


def test_the_database_holds_one_statement_per_period(clerk):
    start, end = week()
    services.settlement_draw_up(period_start=start, period_end=end, by=clerk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Settlement.objects.create(number="ST-DUPLICATE", period_start=start, period_end=end)


def test_the_page_shows_the_refusal_beside_the_period(clerk, client: Client):
    start, end = week()
    first = services.settlement_draw_up(period_start=start, period_end=end, by=clerk)
    client.force_login(clerk)
    response = client.post(
        reverse("finance:settlement_list"),
        {"period_start": start.isoformat(), "period_end": end.isoformat()},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Settlement {first.number} already covers" in page
    assert Settlement.objects.count() == 1
