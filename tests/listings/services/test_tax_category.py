"""The SKU keeps the short name of its tax classification (税收分类简称), entered on the base
information sheet; invoices name the goods ``*日用杂品*枕头`` from it."""

from __future__ import annotations

import pytest

from ecomops.errors import ApplicationError
from listings import services
from tests.listings.factories import application_at, base_info

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_the_sheet_keeps_the_tax_category_on_the_sku(users):
    application = application_at("approved", users)
    sku = services.application_base_info_save(
        application_id=application.pk,
        by=users["bu_applicant"],
        data=base_info(name="乳胶枕", tax_category=" *日用杂品* "),
    )
    sku.refresh_from_db()
    assert sku.tax_category == "日用杂品"
    assert sku.invoice_name == "*日用杂品*乳胶枕"


@pytest.mark.parametrize("value", ["", "  ", "**", "日用*杂品"])
def test_the_sheet_needs_a_plain_tax_category(users, value):
    application = application_at("approved", users)
    with pytest.raises(ApplicationError) as refused:
        services.application_base_info_save(
            application_id=application.pk,
            by=users["bu_applicant"],
            data=base_info(tax_category=value),
        )
    assert "tax_category" in refused.value.extra["fields"]


def test_the_sheet_page_asks_for_it(users, client):
    application = application_at("approved", users)
    client.force_login(users["bu_applicant"])
    page = client.get(f"/listings/applications/{application.pk}/base-info/").content.decode()
    assert 'data-field="tax_category"' in page
