"""What orders may sell: listed SKUs with a price, and their price."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from django.utils import timezone

from listings import selectors, services
from listings.models import Product, Sku, SkuPrice
from tests.listings.factories import BrandFactory, CategoryFactory, application_at, barcode

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


def test_current_price_comes_back_to_the_fen() -> None:
    """SQLite returns computed amounts as floats; the annotation is still to the fen."""
    product = Product.objects.create(
        name="面霜", brand=cast(Any, BrandFactory()), category=cast(Any, CategoryFactory())
    )
    sku = Sku.objects.create(
        product=product, code="SKU-FEN", barcode=barcode(), name="面霜", state="listed"
    )
    SkuPrice.objects.create(
        sku=sku, price=Decimal("147.84"), valid_from=timezone.now() - timedelta(days=1), reason="t"
    )
    found: Any = selectors.orderable_skus().get(code="SKU-FEN")
    assert str(found.current_price) == "147.84"
