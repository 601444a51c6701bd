"""Orders test data: channels, listed SKUs with prices, customers and signed pushes."""

from __future__ import annotations

import importlib
import io
import json
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

import factory
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from listings.models import Product, Sku, SkuPrice, SkuState
from orders.models import Channel, Customer, CustomerKind, PaymentTerms, StepPhase
from orders.services import (
    shop_document_upload,
    shop_documents_submit,
    shop_opening_start,
    shop_review_pass,
    shop_step_complete,
)
from tests.listings.factories import BrandFactory, CategoryFactory, barcode
from tests.timeutil import at

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
        tax_code="1060512990000000000",
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


def signed_post(
    client: Client,
    channel: Channel,
    path: str,
    data: Any,
    *,
    secret: str | None = None,
    timestamp: int | None = None,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Any:
    """POST ``data`` as JSON to ``path`` (``bytes`` are sent as they are, as
    ``content_type``), signed as the channel would sign it."""
    body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    ts = str(timestamp if timestamp is not None else int(time.time()))
    return client.post(
        path,
        data=body,
        content_type=content_type,
        headers={
            TIMESTAMP_HEADER: ts,
            SIGNATURE_HEADER: sign(secret or channel.secret, ts, body),
            "Accept-Language": "en",
            **(headers or {}),
        },
    )


def push(
    client: Client,
    channel: Channel,
    data: dict[str, Any],
    *,
    secret: str | None = None,
    timestamp: int | None = None,
) -> Any:
    """POST ``data`` to the channel's intake, signed as the channel would sign it."""
    return signed_post(
        client,
        channel,
        f"/api/v1/channels/{channel.code}/orders",
        data,
        secret=secret,
        timestamp=timestamp,
    )


# --- Shop opening (开店) -------------------------------------------------------------------

# The shop tests' clock (``@pytest.mark.clock(SHOP_MORNING)``): Monday 23 November 2026, 10:00
# in company time, a working morning far from any holiday.
SHOP_MORNING = at(2026, 11, 23, 10)


def ensure_opening_processes() -> None:
    """The Tmall and Taobao processes of the data migration (a transactional test elsewhere
    on this worker may have flushed them)."""
    migration = importlib.import_module("orders.migrations.0004_opening_processes")
    migration.seed_processes(apps, None)


def shop_pdf(name: str = "营业执照.pdf") -> Any:
    """A small PDF as the browser uploads it."""
    body = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def shop_png(name: str = "身份证.png") -> Any:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 24), (200, 210, 220)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def start_opening(
    manager: Any, *, code: str = "tmall-home", platform: str = "tmall", name: str = "天猫家居旗舰店"
) -> Any:
    """A new opening started by ``manager`` through the service."""
    ensure_opening_processes()
    return shop_opening_start(
        platform=platform, code=code, name=name, company_name="杭州恒信家居用品有限公司", by=manager
    )


def step_id(opening: Any, code: str) -> int:
    return int(opening.step_records.get(code=code).step_id)


def document_type_id(opening: Any, code: str) -> int:
    return int(opening.process.document_types.get(code=code).pk)


def prepared(opening: Any, manager: Any) -> Any:
    """Every preparation step done: the opening collects its documents."""
    for record in opening.step_records.filter(phase=StepPhase.PREPARATION).order_by("position"):
        shop_step_complete(opening_id=opening.pk, step_id=record.step_id, by=manager)
    opening.refresh_from_db()
    return opening


def upload(opening: Any, manager: Any, code: str, **kwargs: Any) -> Any:
    kwargs.setdefault("upload", shop_pdf())
    return shop_document_upload(
        opening_id=opening.pk,
        document_type_id=document_type_id(opening, code),
        by=manager,
        **kwargs,
    )


def with_documents(opening: Any, manager: Any, *, expires_on: Any = None) -> Any:
    """Every document of the process uploaded, those with an expiry running out on
    ``expires_on`` (default: in two years)."""
    expires_on = expires_on or timezone.localdate() + timedelta(days=730)
    for document_type in opening.process.document_types.all():
        upload(
            opening,
            manager,
            document_type.code,
            expires_on=expires_on if document_type.has_expiry else None,
        )
    return opening


def submitted(manager: Any, **kwargs: Any) -> Any:
    """An opening prepared, with its documents, submitted to the platform."""
    opening = with_documents(prepared(start_opening(manager, **kwargs), manager), manager)
    return shop_documents_submit(opening_id=opening.pk, by=manager)


def approved(manager: Any, **kwargs: Any) -> Any:
    """An opening the platform approved: its set-up checklist waits."""
    opening = submitted(manager, **kwargs)
    for record in opening.step_records.filter(phase=StepPhase.REVIEW).order_by("position"):
        shop_review_pass(opening_id=opening.pk, step_id=record.step_id, by=manager)
    opening.refresh_from_db()
    return opening


def set_up(opening: Any, by: Any) -> Any:
    """Every set-up item ticked by ``by`` (a manager may tick them all)."""
    for record in opening.step_records.filter(phase=StepPhase.SETUP):
        shop_step_complete(opening_id=opening.pk, step_id=record.step_id, by=by)
    opening.refresh_from_db()
    return opening
