"""The three reference prices of an application rank: base subsidy price ≤ online guide
price ≤ offline market price (the subsidy is the floor the company makes up to; online
sells at or below the offline market). Each price out of order is named on its field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ecomops.errors import ApplicationError
from listings import services
from listings.models import ListingApplication
from tests.listings.factories import application_at, application_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def prices(market: str, guide: str, subsidy: str) -> dict[str, Decimal]:
    return {
        "offline_market_price": Decimal(market),
        "online_guide_price": Decimal(guide),
        "base_subsidy_price": Decimal(subsidy),
    }


@pytest.mark.parametrize(
    ("market", "guide", "subsidy", "fields"),
    [
        ("100.00", "149.00", "200.00", {"online_guide_price", "base_subsidy_price"}),
        ("100.00", "149.00", "90.00", {"online_guide_price"}),
        ("168.00", "149.00", "150.00", {"base_subsidy_price"}),
        ("100.00", "0", "120.00", {"online_guide_price", "base_subsidy_price"}),
    ],
)
def test_prices_out_of_order_are_refused_by_field(users, market, guide, subsidy, fields):
    with pytest.raises(ApplicationError) as refused:
        services.application_create(
            applicant=users["bu_applicant"], data=application_data(**prices(market, guide, subsidy))
        )
    assert set(refused.value.extra["fields"]) == fields
    assert not ListingApplication.objects.exists()


def test_the_message_names_the_price_it_must_stay_under(users):
    with pytest.raises(ApplicationError) as refused:
        services.application_create(
            applicant=users["bu_applicant"],
            data=application_data(**prices("100.00", "149.00", "200.00")),
        )
    fields = refused.value.extra["fields"]
    assert "offline market price (¥100.00)" in fields["online_guide_price"][0]
    assert "online guide price (¥149.00)" in fields["base_subsidy_price"][0]


@pytest.mark.parametrize(
    ("market", "guide", "subsidy"),
    [("168.00", "149.00", "120.00"), ("149.00", "149.00", "149.00")],
)
def test_prices_in_order_or_equal_are_accepted(users, market, guide, subsidy):
    application = services.application_create(
        applicant=users["bu_applicant"], data=application_data(**prices(market, guide, subsidy))
    )
    assert application.base_subsidy_price == Decimal(subsidy)


def test_a_revision_is_checked_too(users):
    application = application_at("draft", users)
    with pytest.raises(ApplicationError) as refused:
        services.application_update(
            application_id=application.pk,
            by=users["bu_applicant"],
            data=application_data(**prices("168.00", "149.00", "159.00")),
        )
    assert set(refused.value.extra["fields"]) == {"base_subsidy_price"}
    application.refresh_from_db()
    assert application.base_subsidy_price == Decimal("120.00")
