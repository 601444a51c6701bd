"""Service training test data: a small catalog of listed products with distinct facts, reply
scripts for each audience, and trainings moved along by the real services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from listings.models import Brand, Category, Product, Sku, SkuPrice, SkuState
from returns.models import (
    Onboarding,
    QuizAttempt,
    ReplyScript,
    ScriptAudience,
    ScriptCategory,
)
from returns.services import training as services
from tests.listings.factories import BrandFactory, CategoryFactory, barcode

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday of an ordinary working week (no public holiday around it), mid-morning.
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=SHANGHAI)


class ReplyScriptFactory(factory.django.DjangoModelFactory[ReplyScript]):
    class Meta:
        model = ReplyScript

    category = ScriptCategory.PRODUCT
    audience = ScriptAudience.PRESALES
    question = factory.Sequence(lambda n: f"顾客问题{n}？")
    answer = factory.Sequence(lambda n: f"亲，这是第{n}条标准答复，请按此回答顾客。")
    active = True
    updated_at = factory.LazyFunction(timezone.now)


def listed_product(
    name: str,
    *,
    brand: str,
    origin: str,
    shelf_life: str,
    storage: str,
    skus: list[tuple[str, str, str]],
    state: str = SkuState.LISTED,
) -> Product:
    """A product with SKUs ``(code, specification, online price)`` in ``state``."""
    product = Product.objects.create(
        name=name,
        brand=cast(Brand, BrandFactory(name=brand)),
        category=cast(Category, CategoryFactory()),
        origin=origin,
        shelf_life=shelf_life,
        storage=storage,
        description=f"{brand}{name}，线下热销。",
    )
    for code, spec, price in skus:
        sku = Sku.objects.create(
            product=product,
            code=code,
            barcode=barcode(),
            name=f"{brand}{name} {spec}",
            specification=spec,
            state=state,
        )
        SkuPrice.objects.create(
            sku=sku,
            price=Decimal(price),
            valid_from=timezone.now() - timedelta(days=1),
            reason="test",
        )
    return product


@dataclass
class Catalog:
    products: list[Product]
    unlisted: Product
    delisted: Product
    scripts: list[ReplyScript] = field(default_factory=list)

    @property
    def listed_skus(self) -> list[Sku]:
        return list(Sku.objects.filter(state=SkuState.LISTED).order_by("code"))


def catalog(*, scripts: int = 8) -> Catalog:
    """Four listed products (six SKUs, every fact distinct), one never listed, one delisted,
    and ``scripts`` pre-sales scripts plus after-sales and both-audience ones."""
    products = [
        listed_product(
            "补水面膜",
            brand="润肤坊",
            origin="浙江杭州",
            shelf_life="36个月",
            storage="阴凉干燥处",
            skus=[("TR-MASK-10", "10片", "99.00"), ("TR-MASK-20", "20片", "179.00")],
        ),
        listed_product(
            "碧根果",
            brand="禾田食品",
            origin="安徽合肥",
            shelf_life="12个月",
            storage="密封冷藏",
            skus=[("TR-NUT-500", "500g", "59.90")],
        ),
        listed_product(
            "普洱饼茶",
            brand="茶语",
            origin="云南普洱",
            shelf_life="长期",
            storage="通风避光",
            skus=[("TR-TEA-357", "357g", "268.00"), ("TR-TEA-100", "100g", "88.00")],
        ),
        listed_product(
            "收纳柜",
            brand="小熊家居",
            origin="广东佛山",
            shelf_life="不适用",
            storage="防潮防晒",
            skus=[("TR-BOX-3", "三层", "149.00")],
        ),
    ]
    unlisted = listed_product(
        "新品洗发水",
        brand="润肤坊",
        origin="上海",
        shelf_life="24个月",
        storage="常温",
        skus=[("TR-NEW-1", "400ml", "69.00")],
        state=SkuState.NEW,
    )
    delisted = listed_product(
        "旧款护手霜",
        brand="润肤坊",
        origin="江苏苏州",
        shelf_life="18个月",
        storage="常温",
        skus=[("TR-OLD-1", "50g", "29.00")],
        state=SkuState.DELISTED,
    )
    made: list[Any] = [
        ReplyScriptFactory(
            audience=ScriptAudience.PRESALES,
            category=ScriptCategory.PRODUCT if n % 2 else ScriptCategory.PRICE,
        )
        for n in range(scripts)
    ]
    made += [ReplyScriptFactory(audience=ScriptAudience.AFTERSALES) for _ in range(4)]
    made += [ReplyScriptFactory(audience=ScriptAudience.BOTH) for _ in range(2)]
    made.append(ReplyScriptFactory(audience=ScriptAudience.PRESALES, active=False))
    return Catalog(products=products, unlisted=unlisted, delisted=delisted, scripts=made)


def start(manager: Any, trainee: Any, **kwargs: Any) -> Onboarding:
    return services.onboarding_start(trainee_id=trainee.pk, by=manager, **kwargs)


def read_all(onboarding: Onboarding, trainee: Any) -> Onboarding:
    for reading in onboarding.readings.order_by("pk"):
        services.reading_tick(
            onboarding_id=onboarding.pk, product_id=reading.product_id, by=trainee
        )
    onboarding.refresh_from_db()
    return onboarding


def answers(attempt: QuizAttempt, right: int | None = None) -> dict[int, int]:
    """Answers to every question: the first ``right`` ones right (all when None), the
    rest wrong."""
    result = {}
    for index, question in enumerate(attempt.questions.order_by("position")):
        if right is None or index < right:
            result[question.pk] = question.correct_choice
        else:
            result[question.pk] = (question.correct_choice + 1) % len(question.choices)
    return result


def sit(onboarding: Onboarding, trainee: Any, right: int | None = None) -> QuizAttempt:
    """Start an attempt and hand it in with ``right`` right answers (all when None)."""
    attempt = services.quiz_start(onboarding_id=onboarding.pk, by=trainee)
    return services.quiz_submit(attempt_id=attempt.pk, answers=answers(attempt, right), by=trainee)


def session(by: Any, attendees: list[Any], *, days_ago: int = 0, topic: str = "") -> Any:
    return services.sharing_session_record(
        held_on=timezone.localdate() - timedelta(days=days_ago),
        topic=topic or "新品知识分享",
        attendee_ids=[user.pk for user in attendees],
        by=by,
    )


def in_sharing(manager: Any, trainee: Any, **kwargs: Any) -> Onboarding:
    """A training that passed the quiz at the first attempt."""
    onboarding = read_all(start(manager, trainee, **kwargs), trainee)
    sit(onboarding, trainee)
    onboarding.refresh_from_db()
    return onboarding
