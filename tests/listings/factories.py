from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from ecomops.validators import ean13_check_digit
from listings import services
from listings.models import ApplicationState, Brand, Category


class BrandFactory(factory.django.DjangoModelFactory[Brand]):
    class Meta:
        model = Brand
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"品牌{n}")


class CategoryFactory(factory.django.DjangoModelFactory[Category]):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"类目{n}")


_barcode_seq = iter(range(100000, 999999))


def barcode() -> str:
    first12 = f"690{next(_barcode_seq):09d}"
    return first12 + ean13_check_digit(first12)


def picture(
    width: int = 800, height: int = 800, fmt: str = "JPEG", name: str = "p.jpg"
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#c0392b").save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def application_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "brand": BrandFactory(),
        "category": CategoryFactory(),
        "product_name": "玻尿酸保湿面霜",
        "specification": "50g",
        "description": "保湿面霜，适合干性肌肤。",
        "fit_reason": "线下热销，线上同类价格带空缺。",
        "offline_market_price": Decimal("168.00"),
        "online_guide_price": Decimal("149.00"),
        "base_subsidy_price": Decimal("120.00"),
        "offline_monthly_sales": 900,
    }
    data.update(overrides)
    return data


def base_info(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": f"T{next(_barcode_seq)}",
        "barcode": barcode(),
        "name": "玻尿酸保湿面霜 50g",
        "specification": "50g",
        "unit": "瓶",
        "weight_grams": 120,
        "tax_rate": Decimal("0.13"),
        "tax_category": "化妆品",
    }
    data.update(overrides)
    return data


STAGES = ["draft", "submitted", "approved", "info_complete", "designed", "priced", "listed"]


def application_at(stage: str, users: dict[str, Any], **data: Any) -> Any:
    """An application driven through the real services up to ``stage``."""
    applicant, reviewer = users["bu_applicant"], users["listing_reviewer"]
    designer, shop_manager = users["designer"], users["shop_manager"]
    application = services.application_create(applicant=applicant, data=application_data(**data))
    pk = application.pk
    steps = [
        lambda: services.application_submit(application_id=pk, by=applicant),
        lambda: services.application_approve(application_id=pk, by=reviewer),
        lambda: (
            services.application_base_info_save(application_id=pk, by=applicant, data=base_info()),
            services.application_image_add(
                application_id=pk, by=applicant, upload=picture(), kind="main"
            ),
            services.application_image_add(
                application_id=pk, by=applicant, upload=picture(), kind="detail"
            ),
            services.application_info_complete(application_id=pk, by=applicant),
        ),
        lambda: (
            services.application_design_save(
                application_id=pk,
                by=designer,
                headline="保湿面霜",
                selling_points="补水\n温和",
                body="正文",
            ),
            services.application_design_finish(application_id=pk, by=designer),
        ),
        lambda: services.application_price(
            application_id=pk, by=shop_manager, price=Decimal("139.00"), promotion_plan="首页推荐"
        ),
        lambda: services.application_publish(application_id=pk, by=shop_manager),
    ]
    for step in steps[: STAGES.index(stage)]:
        step()
    application.refresh_from_db()
    assert application.state == getattr(ApplicationState, stage.upper())
    return application
