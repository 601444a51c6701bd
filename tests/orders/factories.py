"""Orders test data: channels, listed SKUs with prices, customers and signed pushes."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

import factory
from django.test import Client
from django.utils import timezone

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from listings.models import Product, Sku, SkuPrice, SkuState
from orders.models import Channel, Customer, CustomerKind, PaymentTerms
from tests.listings.factories import BrandFactory, CategoryFactory, barcode

# Valid check characters (GB 11643 / GB 32100).
ID_NUMBER = "11010519491231002X"
OTHER_ID_NUMBER = "110105194912310037"
CREDIT_CODE = "91350100M000100Y43"


class ChannelFactory(factory.django.DjangoModelFactory[Channel]):
    class Meta:
        model = Channel
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ch{n}")
    name = factory.LazyAttribute(lambda c: f"渠道 {c.code}")
    kind = "tmall"
    payment_terms = PaymentTerms.PREPAID
    secret = "test-secret"
    price_tolerance_percent = Decimal("5")


class CustomerFactory(factory.django.DjangoModelFactory[Customer]):
    class Meta:
        model = Customer

    kind = CustomerKind.INDIVIDUAL
    name = "张伟"
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    province = "北京市"
    city = "北京市"
    district = "朝阳区"
    street_address = "建国路88号"
    postcode = "100020"


def make_customer(**fields: Any) -> Customer:
    return cast(Customer, CustomerFactory(**fields))


def make_channel(**fields: Any) -> Channel:
    return cast(Channel, ChannelFactory(**fields))


def listed_sku(code: str = "", price: str = "99.00", state: str = SkuState.LISTED) -> Sku:
    """A SKU in ``state`` with an online price in effect since yesterday."""
    product = Product.objects.create(
        name="保湿面霜", brand=cast(Any, BrandFactory()), category=cast(Any, CategoryFactory())
    )
    sku = Sku.objects.create(
        product=product,
        code=code or f"SKU{barcode()[-6:]}",
        barcode=barcode(),
        name="保湿面霜 50g",
        state=state,
    )
    SkuPrice.objects.create(
        sku=sku,
        price=Decimal(price),
        valid_from=timezone.now() - timedelta(days=1),
        reason="test",
    )
    return sku


def order_data(sku: str = "SKU-1", **overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    data: dict[str, Any] = {
        "external_id": "TB1001",
        "placed_at": (now - timedelta(minutes=5)).isoformat(),
        "paid_at": (now - timedelta(minutes=4)).isoformat(),
        "customer": {
            "kind": "individual",
            "name": "李娜",
            "phone": "13800138000",
            "id_number": ID_NUMBER,
            "postcode": "100020",
            "province": "北京市",
            "city": "北京市",
            "district": "朝阳区",
            "street_address": "建国路88号",
        },
        "lines": [{"sku": sku, "quantity": 2, "unit_price": "99.00"}],
        "needs_invoice": False,
        "buyer_note": "请尽快发货",
    }
    data.update(overrides)
    return data


def push(
    client: Client,
    channel: Channel,
    data: dict[str, Any],
    *,
    secret: str | None = None,
    timestamp: int | None = None,
) -> Any:
    """POST ``data`` to the channel's intake, signed as the channel would sign it."""
    body = json.dumps(data, ensure_ascii=False).encode()
    ts = str(timestamp if timestamp is not None else int(time.time()))
    return client.post(
        f"/api/v1/channels/{channel.code}/orders",
        data=body,
        content_type="application/json",
        headers={
            TIMESTAMP_HEADER: ts,
            SIGNATURE_HEADER: sign(secret or channel.secret, ts, body),
            "Accept-Language": "en",
        },
    )
