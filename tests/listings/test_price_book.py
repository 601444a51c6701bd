"""The price book (the intake's prices of many SKUs at many instants, read once) gives the
price the SQL rule of ``sku_price_in_effect`` gives, at every instant."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from listings.models import PriceKind, Sku, SkuPrice, SkuState
from listings.selectors import PriceBook, sku_online_price
from tests.orders.factories import listed_sku

pytestmark = pytest.mark.django_db


def _price(
    sku: Sku, price: str, start: datetime, end: datetime | None = None, kind: str = "online"
) -> None:
    SkuPrice.objects.create(
        sku=sku, kind=kind, price=Decimal(price), valid_from=start, valid_until=end, reason="t"
    )


def test_the_book_agrees_with_the_sql_rule_at_every_instant() -> None:
    now = timezone.now()
    sku = listed_sku("SKU-A", "99.00")  # online 99.00 since yesterday
    _price(sku, "89.00", now - timedelta(hours=6))  # a newer online price
    _price(sku, "79.00", now - timedelta(hours=3), now - timedelta(hours=1), PriceKind.PROMOTION)
    _price(sku, "69.00", now - timedelta(hours=2), now + timedelta(hours=2), PriceKind.PROMOTION)
    _price(sku, "59.00", now + timedelta(days=1))  # announced, not yet in effect
    same_start = now - timedelta(hours=12)
    _price(sku, "95.00", same_start)
    _price(sku, "96.00", same_start)  # the later row of the same start wins
    other = listed_sku("SKU-B", "10.00")

    book = PriceBook()
    skus = book.load_listed(["SKU-A", "SKU-B", "NOPE"])

    assert set(skus) == {"SKU-A", "SKU-B"}
    for hours in range(-40, 30):
        at = now + timedelta(hours=hours, minutes=7)
        for item in (sku, other):
            assert book.price_at(item.pk, at) == sku_online_price(sku=item, at=at), (item, at)
    assert book.price_at(sku.pk, now - timedelta(days=3)) is None


def test_a_sku_not_listed_or_never_priced_is_not_in_the_book() -> None:
    listed_sku("SKU-OFF", "99.00", state=SkuState.DELISTED)
    unpriced = listed_sku("SKU-NEW", "99.00")
    unpriced.prices.all().delete()
    assert PriceBook().load_listed(["SKU-OFF", "SKU-NEW"]) == {}
