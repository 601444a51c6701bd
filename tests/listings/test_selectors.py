"""What orders may sell: listed SKUs with a price, and their price."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from listings import selectors, services
from tests.listings.factories import application_at

pytestmark = pytest.mark.django_db


def test_orderable_skus_are_listed_and_priced(users):
    listed = application_at("listed", users).sku
    priced = application_at("priced", users).sku  # priced but not listed yet
    delisted = application_at("listed", users).sku
    services.sku_delist(sku_id=delisted.pk, by=users["shop_manager"], reason="停售")
    orderable = selectors.orderable_skus()
    assert list(orderable) == [listed]
    first: Any = orderable.get()
    assert first.current_price == Decimal("139.00")
    by_code = selectors.orderable_skus_by_code([listed.code, priced.code, delisted.code, "NOPE"])
    assert set(by_code) == {listed.code}


def test_catalog_search_by_code_barcode_name_brand_and_state(users):
    sku = application_at("listed", users, product_name="茉莉花茶").sku
    other = application_at("info_complete", users, product_name="保温杯").sku
    assert list(selectors.catalog_search(q=sku.code)) == [sku]
    assert list(selectors.catalog_search(q=sku.barcode)) == [sku]
    assert list(selectors.catalog_search(q="茉莉")) == [sku]
    assert set(selectors.catalog_search(q=sku.product.brand.name)) == {sku}
    assert list(selectors.catalog_search(state="new")) == [other]
