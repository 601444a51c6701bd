"""The SKU keeps its tax classification code (商品和服务税收分类编码, 19 digits), entered on
the base information sheet or later; finance holds its invoices until it is set."""

from __future__ import annotations

import pytest

from ecomops.errors import ApplicationError
from listings import services
from tests.listings.factories import application_at, base_info

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_the_sheet_keeps_the_tax_code_on_the_sku(users):
    application = application_at("approved", users)
    sku = services.application_base_info_save(
        application_id=application.pk,
        by=users["bu_applicant"],
        data=base_info(tax_code=" 1060512990000000000 "),
    )
    sku.refresh_from_db()
    assert sku.tax_code == "1060512990000000000"


def test_the_code_may_follow_later(users):
    application = application_at("approved", users)
    sku = services.application_base_info_save(
        application_id=application.pk, by=users["bu_applicant"], data=base_info()
    )
    sku.refresh_from_db()
    assert sku.tax_code == ""


@pytest.mark.parametrize("value", ["106051299", "10605129900000000000", "10605129900000000A0"])
def test_a_code_is_19_digits(users, value):
    application = application_at("approved", users)
    with pytest.raises(ApplicationError) as refused:
        services.application_base_info_save(
            application_id=application.pk, by=users["bu_applicant"], data=base_info(tax_code=value)
        )
    assert refused.value.extra["fields"]["tax_code"] == [
        "A tax classification code is 19 digits, e.g. 1060512990000000000."
    ]


def test_the_sheet_page_asks_for_it(users, client):
    application = application_at("approved", users)
    client.force_login(users["bu_applicant"])
    page = client.get(f"/listings/applications/{application.pk}/base-info/").content.decode()
    assert 'data-field="tax_code"' in page
