"""The three reference prices of an application rank: base subsidy price ≤ online guide
price ≤ offline market price (the subsidy is the floor the company makes up to; online
sells at or below the offline market). Each price out of order is named on its field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

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


def test_the_form_shows_each_refusal_beside_its_price(client, users):
    client.force_login(users["bu_applicant"])
    data = application_data(**prices("100.00", "149.00", "200.00"))
    form = {key: (value.pk if hasattr(value, "pk") else value) for key, value in data.items()}
    response = client.post(reverse("listings:application_new"), form)
    assert response.status_code == 200
    page = response.content.decode()
    for field, words in (
        ("online_guide_price", "above the offline market price (¥100.00)"),
        ("base_subsidy_price", "above the online guide price (¥149.00)"),
    ):
        start = page.index(f'data-field="{field}"')
        assert words in page[start : page.index("data-field=", start + 1)]
    assert not ListingApplication.objects.exists()


def test_a_managers_correction_in_the_admin_keeps_the_order(users, rf, admin_user):
    from django.contrib import admin
    from django.forms.models import model_to_dict

    application = application_at("draft", users)
    request = rf.get("/")
    request.user = admin_user
    form_class = admin.site._registry[ListingApplication].get_form(request, application)
    data = {k: v for k, v in model_to_dict(application).items() if k in form_class.base_fields}
    form = form_class({**data, "base_subsidy_price": "160.00"}, instance=application)
    assert not form.is_valid()
    assert "above the online guide price (¥149.00)" in form.errors["base_subsidy_price"][0]
    form = form_class({**data, "base_subsidy_price": "110.00"}, instance=application)
    assert form.is_valid(), form.errors
