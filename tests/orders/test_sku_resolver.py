"""The intake's SKU resolver: codes the channel maps and our own codes, listed or not, all
read in one query when every code names a listed SKU."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from listings.models import SkuState
from orders.models import ChannelSkuMapping
from orders.services.intake import SkuResolver
from tests.orders.factories import SHOP_MORNING, listed_sku, make_channel

pytestmark = [pytest.mark.django_db, pytest.mark.clock(SHOP_MORNING)]


def test_mapped_and_own_codes_with_their_prices_in_one_query() -> None:
    channel = make_channel(code="tmall")
    other = make_channel(code="jd")
    cream = listed_sku("SKU-CREAM", "99.00")
    mask = listed_sku("SKU-MASK", "39.00")
    ChannelSkuMapping.objects.create(channel=channel, outer_id="TM-1", sku=cream)
    ChannelSkuMapping.objects.create(channel=other, outer_id="SKU-MASK", sku=cream)  # not ours

    resolver = SkuResolver(channel)
    with CaptureQueriesContext(connection) as queries:
        orderable, internal, known = resolver.resolve(["TM-1", "SKU-MASK", "SKU-CREAM"])

    assert len(queries) == 1
    assert {code: sku.code for code, sku in orderable.items()} == {
        "TM-1": "SKU-CREAM",
        "SKU-MASK": "SKU-MASK",
        "SKU-CREAM": "SKU-CREAM",
    }
    assert internal == {"TM-1": "SKU-CREAM", "SKU-MASK": "SKU-MASK", "SKU-CREAM": "SKU-CREAM"}
    assert known == {"SKU-CREAM", "SKU-MASK"}
    assert resolver.order_price(mask, resolver._now) == 39
    with CaptureQueriesContext(connection) as again:
        resolver.resolve(["TM-1", "SKU-MASK"])
    assert len(again) == 0


def test_codes_naming_no_listed_sku_are_told_apart() -> None:
    channel = make_channel(code="tmall")
    listed = listed_sku("SKU-ON", "99.00")
    off = listed_sku("SKU-OFF", "59.00", state=SkuState.DELISTED)
    ChannelSkuMapping.objects.create(channel=channel, outer_id="TM-OFF", sku=off)
    # Our own listed code that the channel also uses as an outer id for another SKU: the
    # mapping wins, as it always has, and that SKU is not listed.
    ChannelSkuMapping.objects.create(channel=channel, outer_id="SKU-ON", sku=off)
    other = listed_sku("SKU-OTHER", "19.00")

    orderable, internal, known = SkuResolver(channel).resolve(
        ["TM-OFF", "SKU-ON", "SKU-OFF", "NOPE", "SKU-OTHER"]
    )

    assert set(orderable) == {"SKU-OTHER"}
    assert orderable["SKU-OTHER"] == other
    assert internal == {
        "TM-OFF": "SKU-OFF",
        "SKU-ON": "SKU-OFF",
        "SKU-OFF": "SKU-OFF",
        "NOPE": "NOPE",
        "SKU-OTHER": "SKU-OTHER",
    }
    assert known == {"SKU-OFF", "SKU-OTHER"}
    assert listed.code not in known  # shadowed by the mapping, and not asked for itself
