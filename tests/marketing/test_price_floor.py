"""A campaign price below the SKU's base subsidy price needs a reason, as every other price
in listings (launch, change, promotion): the company pays the business unit the difference,
so nobody sells at ¥1.00 a SKU whose floor is ¥59.25 without saying why."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ecomops.errors import ApplicationError
from listings import services as listing_services
from listings.models import ApplicationState, ListingApplication, PriceKind, SkuPrice
from marketing import services
from tests.listings.factories import application_data
from tests.marketing.factories import complete_tasks, planned
from tests.orders.factories import listed_sku

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

REASON = "清仓让利，事业部同意"


@pytest.fixture
def pillow(make_user: Any) -> Any:
    """A listed SKU at ¥89.00 whose listing agreed a base subsidy price of ¥59.25."""
    sku = listed_sku("PILLOW-60", price="89.00")
    ListingApplication.objects.create(
        number="LA-PILLOW",
        applicant=make_user("bu_applicant"),
        state=ApplicationState.LISTED,
        product=sku.product,
        sku=sku,
        **application_data(
            offline_market_price=Decimal("99.00"),
            online_guide_price=Decimal("89.00"),
            base_subsidy_price=Decimal("59.25"),
        ),
    )
    return sku


def save_line(promoter: Any, plan: Any, sku: Any, price: str, reason: str = "") -> Any:
    return services.plan_line_save(
        plan_id=plan.pk,
        sku_code=sku.code,
        campaign_price=price,
        target_units=10,
        below_subsidy_reason=reason,
        by=promoter,
    )


def test_a_line_below_the_floor_without_a_reason_is_refused(promoter, pillow, sku):
    _campaign, plan = planned(promoter, [(sku, "99.00", 10)])
    with pytest.raises(ApplicationError) as refused:
        save_line(promoter, plan, pillow, "1.00")
    assert "below_subsidy_reason" in refused.value.extra["fields"]
    assert "59.25" in refused.value.message
    assert not plan.lines.filter(sku=pillow).exists()


def test_with_a_reason_the_line_keeps_it_and_above_the_floor_none_is_kept(promoter, pillow, sku):
    _campaign, plan = planned(promoter, [(sku, "99.00", 10)])
    line = save_line(promoter, plan, pillow, "49.00", REASON)
    assert (line.campaign_price, line.below_subsidy_reason) == (Decimal("49.00"), REASON)
    line = save_line(promoter, plan, pillow, "59.25", REASON)
    assert line.below_subsidy_reason == ""


def test_going_live_hands_the_reason_to_the_promotional_price(promoter, workers, pillow):
    campaign, plan = planned(promoter, [(pillow, "79.00", 10)])
    save_line(promoter, plan, pillow, "49.00", REASON)
    day = timezone.localdate()
    services.campaign_start_preheat(
        campaign_id=campaign.pk,
        preheat_from=day,
        preheat_until=day,
        channels="Weibo",
        notes="",
        by=promoter,
    )
    campaign = services.campaign_coordinate(campaign_id=campaign.pk, by=promoter)
    complete_tasks(campaign, workers)
    services.campaign_go_live(campaign_id=campaign.pk, by=promoter)
    row = SkuPrice.objects.get(kind=PriceKind.PROMOTION, source=campaign.price_source)
    assert (row.price, row.below_subsidy_reason) == (Decimal("49.00"), REASON)


def test_a_promotional_price_below_the_floor_needs_a_reason_too(pillow):
    start = timezone.now() + timedelta(days=1)
    window: dict[str, Any] = {"valid_from": start, "valid_until": start + timedelta(days=2)}
    with pytest.raises(ApplicationError) as refused:
        listing_services.sku_promotion_price_set(
            sku_id=pillow.pk, price="1.00", source="双十二", reason="大促", **window
        )
    assert "below_subsidy_reason" in refused.value.extra["fields"]
    row = listing_services.sku_promotion_price_set(
        sku_id=pillow.pk,
        price="1.00",
        source="双十二",
        reason="大促",
        below_subsidy_reason=REASON,
        **window,
    )
    assert row.below_subsidy_reason == REASON


def test_the_page_asks_for_the_reason_beside_the_field(promoter, pillow, sku, client: Client):
    campaign, plan = planned(promoter, [(sku, "99.00", 10)])
    client.force_login(promoter)
    url = reverse("marketing:plan_line_save", args=[campaign.pk])
    fields = {
        "line-plan": plan.pk,
        "line-sku": pillow.code,
        "line-campaign_price": "1.00",
        "line-target_units": "10",
    }
    response = client.post(url, fields)
    assert response.status_code == 400
    page = response.content.decode()
    start = page.index('data-field="below_subsidy_reason"')
    reason_field = page[start : page.index("</form>", start)]
    assert "below the online base subsidy price" in reason_field
    response = client.post(url, {**fields, "line-below_subsidy_reason": REASON})
    assert response.status_code == 302
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert REASON in page
