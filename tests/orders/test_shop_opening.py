"""Shop opening (开店) through the services: the whole path with a rejection and a
resubmission, each step's rules, the refusals in the wrong state, and idempotency."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ecomops.errors import ConflictError, PermissionDeniedError
from ecomops.notifications.models import Notification
from ecomops.sla.selectors import clocks_for
from orders.models import (
    Channel,
    OpeningState,
    ReviewDecision,
    ShopDocument,
    StepPhase,
)
from orders.selectors import shop_opening_of_channel, shop_state_of_channel
from orders.services import (
    ShopOpeningError,
    order_intake,
    shop_document_upload,
    shop_documents_submit,
    shop_open,
    shop_opening_abandon,
    shop_opening_start,
    shop_review_pass,
    shop_review_reject,
    shop_step_complete,
)
from tests.orders.factories import (
    SHOP_MORNING,
    approved,
    document_type_id,
    ensure_opening_processes,
    listed_sku,
    order_data,
    prepared,
    set_up,
    shop_pdf,
    shop_png,
    start_opening,
    step_id,
    submitted,
    upload,
    with_documents,
)
from tests.timeutil import at

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english"),
    pytest.mark.clock(SHOP_MORNING),
]

REJECTION = "商标注册证与申请品牌不一致"


@pytest.fixture
def designer(make_user: Any) -> Any:
    return make_user("designer", username="designer")


@pytest.fixture
def reviewer(make_user: Any) -> Any:
    return make_user("listing_reviewer", username="reviewer")


def fields_of(exc: pytest.ExceptionInfo[Any]) -> dict[str, list[str]]:
    return dict(exc.value.extra.get("fields", {}))


def tick(opening: Any, code: str, by: Any, note: str = "") -> Any:
    return shop_step_complete(
        opening_id=opening.pk, step_id=step_id(opening, code), note=note, by=by
    )


def review(opening: Any, code: str, by: Any) -> Any:
    return shop_review_pass(opening_id=opening.pk, step_id=step_id(opening, code), by=by)


# --- The whole path -----------------------------------------------------------------------


def test_shop_path_with_a_rejection_and_a_resubmission(
    manager: Any, designer: Any, reviewer: Any
) -> None:
    sku = listed_sku("SKU-1", "99.00")
    opening = start_opening(manager)
    channel = opening.channel
    assert opening.state == OpeningState.PREPARING
    assert opening.number.startswith("KD")
    assert opening.owner == manager
    assert (channel.code, channel.kind, channel.active) == ("tmall-home", "tmall", False)
    assert list(opening.step_records.values_list("code", flat=True)) == [
        "account_registered",
        "opening_exam",
        "alipay_verification",
        "first_review",
        "second_review",
        "brand_confirmed",
        "product_photos",
        "descriptions",
        "shop_decoration",
        "first_products",
        "shop_settings",
    ]

    # Preparation, in order.
    with pytest.raises(ShopOpeningError) as refused:
        tick(opening, "opening_exam", manager)
    assert "注册商家账号" in refused.value.message
    assert "step" in fields_of(refused)
    tick(opening, "account_registered", manager, note="账号已绑定企业支付宝")
    tick(opening, "opening_exam", manager)
    opening.refresh_from_db()
    assert opening.state == OpeningState.DOCUMENTS

    # Documents: the bytes, the expiry.
    with pytest.raises(ShopOpeningError) as refused:
        upload(opening, manager, "business_licence", upload=SimpleUploadedFile("x.pdf", b"hi"))
    assert "file" in fields_of(refused)
    with pytest.raises(ShopOpeningError) as refused:
        upload(opening, manager, "business_licence")
    assert list(fields_of(refused)) == ["expires_on"]
    with pytest.raises(ShopOpeningError) as refused:
        upload(opening, manager, "business_licence", expires_on=timezone.localdate())
    assert "expires_on" in fields_of(refused)
    assert "expired" in refused.value.message
    licence = upload(
        opening,
        manager,
        "business_licence",
        expires_on=timezone.localdate() + timedelta(days=900),
        licence_number="91330106MA2H7K3X5Q",
    )
    assert (licence.content_type, licence.licence_number) == (
        "application/pdf",
        "91330106MA2H7K3X5Q",
    )

    with pytest.raises(ShopOpeningError) as refused:
        shop_documents_submit(opening_id=opening.pk, by=manager)
    assert set(fields_of(refused)) == {"brand_rights", "legal_rep_id", "bank_account"}
    for name in ("商标注册证或品牌授权书", "法定代表人身份证", "银行开户许可证"):
        assert name in refused.value.message

    upload(opening, manager, "brand_rights", expires_on=timezone.localdate() + timedelta(days=400))
    upload(opening, manager, "legal_rep_id", upload=shop_png(), long_term=True)
    upload(opening, manager, "bank_account")
    opening = shop_documents_submit(opening_id=opening.pk, by=manager)
    assert (opening.state, opening.submissions) == (OpeningState.IN_REVIEW, 1)
    first_clock = clocks_for(opening).get()
    assert first_clock.stopped_at is None

    # The platform passes two steps, then rejects at the second review.
    review(opening, "alipay_verification", manager)
    review(opening, "first_review", manager)
    opening = shop_review_reject(
        opening_id=opening.pk,
        step_id=step_id(opening, "second_review"),
        reason=REJECTION,
        by=manager,
    )
    assert opening.state == OpeningState.DOCUMENTS
    rejection = ReviewDecision.objects.get(opening=opening, passed=False)
    assert (rejection.step_name, rejection.round, rejection.reason) == ("复审", 1, REJECTION)
    first_clock.refresh_from_db()
    assert first_clock.stopped_at == timezone.now()
    assert not opening.step_records.filter(phase=StepPhase.REVIEW, done_at__isnull=False).exists()
    told = Notification.objects.get(recipient=manager, key__contains=":rejected:")
    assert told.body == REJECTION
    assert told.url == opening.get_absolute_url()

    # The trademark is replaced; the old file stays, superseded.
    old = ShopDocument.objects.get(opening=opening, document_type__code="brand_rights")
    new = upload(
        opening,
        manager,
        "brand_rights",
        upload=shop_pdf("品牌授权书.pdf"),
        expires_on=timezone.localdate() + timedelta(days=700),
    )
    old.refresh_from_db()
    assert old.superseded_at is not None
    assert new.superseded_at is None
    assert (
        ShopDocument.objects.filter(opening=opening, document_type__code="brand_rights").count()
        == 2
    )

    # Resubmitted: a new round and a new clock.
    opening = shop_documents_submit(opening_id=opening.pk, by=manager)
    assert (opening.state, opening.submissions) == (OpeningState.IN_REVIEW, 2)
    clocks = list(clocks_for(opening))
    assert len(clocks) == 2
    assert clocks[1].stopped_at is None
    for code in ("alipay_verification", "first_review", "second_review", "brand_confirmed"):
        opening = review(opening, code, manager)
    assert opening.state == OpeningState.SETTING_UP
    assert opening.approved_at == timezone.now()
    clocks[1].refresh_from_db()
    assert clocks[1].stopped_at is not None
    assert list(
        ReviewDecision.objects.filter(opening=opening, round=2).values_list("passed", flat=True)
    ) == [True, True, True, True]
    for person in (manager, designer, reviewer):
        assert Notification.objects.filter(
            recipient=person, key=f"shop-opening:{opening.pk}:setup"
        ).exists()

    # Set-up: each item by its role.
    for code in ("product_photos", "descriptions", "shop_decoration"):
        tick(opening, code, designer)
    with pytest.raises(PermissionDeniedError) as denied:
        tick(opening, "first_products", designer)
    assert "Listing reviewer" in denied.value.message
    with pytest.raises(ConflictError) as blocked:
        shop_open(opening_id=opening.pk, by=manager)
    assert blocked.value.extra["items"] == ["first_products", "shop_settings"]
    tick(opening, "first_products", reviewer)
    tick(opening, "shop_settings", manager)

    opening = shop_open(opening_id=opening.pk, by=manager)
    assert opening.state == OpeningState.OPEN
    assert opening.opened_at == timezone.now()
    channel.refresh_from_db()
    assert channel.active
    result = order_intake(channel=channel, data=order_data(sku=sku.code))
    assert result.created
    assert result.order.channel == channel


# --- Starting -----------------------------------------------------------------------------


def test_start_refuses_with_the_fields_at_fault(manager: Any) -> None:
    ensure_opening_processes()
    Channel.objects.create(code="taken", name="已有渠道", kind="tmall")
    with pytest.raises(ShopOpeningError) as refused:
        shop_opening_start(platform="webshop", code="taken", name="", company_name="", by=manager)
    assert set(fields_of(refused)) == {"platform", "code", "name", "company_name"}
    with pytest.raises(ShopOpeningError) as refused:
        shop_opening_start(
            platform="tmall", code="天猫 店", name="店", company_name="公司", by=manager
        )
    assert list(fields_of(refused)) == ["code"]


def test_taobao_takes_its_own_steps_and_review_days(manager: Any) -> None:
    opening = submitted(manager, platform="taobao", code="taobao-home", name="淘宝企业店")
    assert opening.process.review_working_days == 3
    assert list(
        opening.step_records.filter(phase=StepPhase.REVIEW).values_list("code", flat=True)
    ) == ["alipay_verification", "first_review"]
    assert not opening.documents.filter(document_type__code="brand_rights").exists()
    assert opening.review_due_on is not None
    assert (opening.review_due_on - timezone.localdate()).days <= 5


def test_a_later_edit_of_the_process_does_not_rewrite_an_opening(manager: Any) -> None:
    opening = start_opening(manager)
    step = opening.process.steps.get(code="first_review")
    step.name = "资质初审"
    step.save()
    assert opening.step_records.get(code="first_review").name == "初审"


# --- Each step's rules ----------------------------------------------------------------------


def test_completing_a_step_again_changes_nothing(manager: Any) -> None:
    opening = start_opening(manager)
    first = tick(opening, "account_registered", manager, note="第一次")
    again = tick(opening, "account_registered", manager, note="第二次")
    assert (again.done_at, again.note) == (first.done_at, "第一次")


def test_review_steps_are_the_platforms_and_go_in_order(manager: Any) -> None:
    opening = submitted(manager)
    with pytest.raises(ShopOpeningError):
        tick(opening, "alipay_verification", manager)
    with pytest.raises(ShopOpeningError) as refused:
        review(opening, "first_review", manager)
    assert "支付宝实名认证" in refused.value.message
    with pytest.raises(ShopOpeningError):
        shop_review_reject(
            opening_id=opening.pk, step_id=step_id(opening, "second_review"), reason="x", by=manager
        )
    review(opening, "alipay_verification", manager)
    review(opening, "alipay_verification", manager)  # the same answer again: nothing new
    assert ReviewDecision.objects.filter(opening=opening).count() == 1


def test_a_rejection_needs_the_platforms_reason(manager: Any) -> None:
    opening = submitted(manager)
    with pytest.raises(ShopOpeningError) as refused:
        shop_review_reject(
            opening_id=opening.pk,
            step_id=step_id(opening, "alipay_verification"),
            reason=" ",
            by=manager,
        )
    assert list(fields_of(refused)) == ["reason"]
    shop_review_reject(
        opening_id=opening.pk,
        step_id=step_id(opening, "alipay_verification"),
        reason="对公账户信息有误",
        by=manager,
    )
    # The same rejection recorded again changes nothing.
    shop_review_reject(
        opening_id=opening.pk,
        step_id=step_id(opening, "alipay_verification"),
        reason="对公账户信息有误",
        by=manager,
    )
    assert ReviewDecision.objects.filter(opening=opening).count() == 1


def test_documents_stay_as_submitted_while_the_platform_reviews(manager: Any) -> None:
    opening = submitted(manager)
    with pytest.raises(ConflictError) as refused:
        upload(opening, manager, "bank_account")
    assert "reviewing" in refused.value.message


def test_documents_are_renewed_after_the_approval(manager: Any) -> None:
    opening = approved(manager)
    renewed = upload(
        opening,
        manager,
        "business_licence",
        expires_on=timezone.localdate() + timedelta(days=1500),
    )
    assert renewed.superseded_at is None
    assert opening.documents.filter(document_type__code="business_licence").count() == 2


def test_a_document_that_ran_out_meanwhile_blocks_the_submission(manager: Any) -> None:
    opening = with_documents(
        prepared(start_opening(manager), manager),
        manager,
        expires_on=timezone.localdate() + timedelta(days=2),
    )
    with (
        time_machine.travel(at(2026, 11, 25, 9), tick=False),
        pytest.raises(ShopOpeningError) as refused,
    ):
        shop_documents_submit(opening_id=opening.pk, by=manager)
    assert set(fields_of(refused)) == {"business_licence", "brand_rights", "legal_rep_id"}
    assert "expired on 2026-11-25" in refused.value.message


def test_types_without_expiry_ignore_an_expiry_date(manager: Any) -> None:
    opening = prepared(start_opening(manager), manager)
    document = shop_document_upload(
        opening_id=opening.pk,
        document_type_id=document_type_id(opening, "bank_account"),
        upload=shop_pdf(),
        expires_on=timezone.localdate() + timedelta(days=10),
        long_term=True,
        by=manager,
    )
    assert (document.expires_on, document.long_term) == (None, False)


# --- Refused in the wrong state; idempotent when already there -------------------------------


@pytest.mark.parametrize(
    ("build", "act"),
    [
        ("started", "submit"),
        ("started", "pass"),
        ("started", "open"),
        ("submitted", "step_setup"),
        ("submitted", "open"),
        ("approved", "submit"),
        ("approved", "reject"),
        ("approved", "step_preparation"),
    ],
)
def test_a_step_in_the_wrong_state_is_a_conflict(manager: Any, build: str, act: str) -> None:
    if build == "started":
        opening = start_opening(manager)
    elif build == "submitted":
        opening = submitted(manager)
    else:
        opening = approved(manager)
    before = opening.state
    actions = {
        "submit": lambda: shop_documents_submit(opening_id=opening.pk, by=manager),
        "pass": lambda: review(opening, "alipay_verification", manager),
        "reject": lambda: shop_review_reject(
            opening_id=opening.pk, step_id=step_id(opening, "first_review"), reason="x", by=manager
        ),
        "open": lambda: shop_open(opening_id=opening.pk, by=manager),
        "step_setup": lambda: tick(opening, "shop_settings", manager),
        "step_preparation": lambda: tick(opening, "account_registered", manager),
    }
    if build == "approved" and act == "step_preparation":
        # Done already: nothing changes.
        actions[act]()
    else:
        with pytest.raises(ConflictError):
            actions[act]()
    opening.refresh_from_db()
    assert opening.state == before


def test_submitting_and_opening_again_change_nothing(manager: Any, boss: Any) -> None:
    opening = submitted(manager)
    again = shop_documents_submit(opening_id=opening.pk, by=manager)
    assert again.submissions == 1
    assert clocks_for(opening).count() == 1
    opening = set_up(approved(manager, code="tmall-two"), boss)
    shop_open(opening_id=opening.pk, by=manager)
    shop_open(opening_id=opening.pk, by=manager)
    assert (
        Notification.objects.filter(
            key=f"shop-opening:{opening.pk}:open", recipient=manager
        ).count()
        == 1
    )


# --- Abandoning -------------------------------------------------------------------------------


def test_abandoning_needs_a_reason_and_keeps_the_channel_closed(manager: Any) -> None:
    opening = submitted(manager)
    with pytest.raises(ShopOpeningError):
        shop_opening_abandon(opening_id=opening.pk, reason="", by=manager)
    opening = shop_opening_abandon(opening_id=opening.pk, reason="品牌方收回授权", by=manager)
    assert (opening.state, opening.abandoned_reason) == (OpeningState.ABANDONED, "品牌方收回授权")
    assert clocks_for(opening).get().stopped_at is not None
    opening.channel.refresh_from_db()
    assert not opening.channel.active
    shop_opening_abandon(opening_id=opening.pk, reason="again", by=manager)
    opening.refresh_from_db()
    assert opening.abandoned_reason == "品牌方收回授权"


def test_an_open_shop_is_not_abandoned(manager: Any, boss: Any) -> None:
    opening = set_up(approved(manager), boss)
    shop_open(opening_id=opening.pk, by=manager)
    with pytest.raises(ConflictError):
        shop_opening_abandon(opening_id=opening.pk, reason="x", by=manager)


def test_a_channel_knows_its_shop_opening(manager: Any) -> None:
    opening = start_opening(manager)
    plain = Channel.objects.create(code="plain", name="普通渠道", kind="webshop")
    assert shop_opening_of_channel(opening.channel) == opening
    assert shop_state_of_channel(opening.channel) == OpeningState.PREPARING
    assert shop_opening_of_channel(plain) is None
    assert shop_state_of_channel(plain) is None
