"""The listing process through its services: the whole path, resubmission and every guard."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_fsm_log.models import StateLog

from ecomops.errors import ApplicationError, ConflictError, PermissionDeniedError
from ecomops.sla.models import SlaClock
from listings import selectors, services
from listings.models import ApplicationState, ReviewRound, SkuState
from tests.listings.factories import application_at, application_data, base_info, picture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_whole_path_to_listed(users):
    application = application_at("listed", users)
    sku = application.sku
    assert sku.state == SkuState.LISTED
    assert selectors.sku_online_price(sku=sku) == Decimal("139.00")
    assert sku in selectors.orderable_skus()
    states = list(
        StateLog.objects.filter(object_id=application.pk, content_type__model="listingapplication")
        .order_by("timestamp", "pk")
        .values_list("state", flat=True)
    )
    assert states == ["submitted", "approved", "info_complete", "designed", "priced", "listed"]
    assert StateLog.objects.filter(object_id=application.pk, by=users["listing_reviewer"]).exists()
    assert application.applicant.notifications.filter(title__contains="online").exists()


def test_reject_and_resubmit_keeps_every_round(users):
    applicant, reviewer = users["bu_applicant"], users["listing_reviewer"]
    application = application_at("submitted", users)
    services.application_reject(application_id=application.pk, by=reviewer, reason="请补充竞品价格")
    application.refresh_from_db()
    assert application.state == ApplicationState.REJECTED
    assert applicant.notifications.filter(title__contains="rejected").exists()

    services.application_update(
        application_id=application.pk,
        by=applicant,
        data=application_data(online_guide_price=Decimal("139.00")),
    )
    services.application_submit(application_id=application.pk, by=applicant)
    services.application_approve(application_id=application.pk, by=reviewer)
    rounds = list(ReviewRound.objects.filter(application=application).order_by("number"))
    assert [(r.number, r.decision) for r in rounds] == [(1, "rejected"), (2, "approved")]
    assert rounds[0].reason == "请补充竞品价格"
    assert rounds[0].snapshot["online_guide_price"] == "149.00"
    assert rounds[1].snapshot["online_guide_price"] == "139.00"


def test_review_clock_runs_while_submitted(users):
    application = application_at("submitted", users)
    clock = SlaClock.objects.get(object_id=application.pk, policy__code="listing_review")
    assert clock.stopped_at is None
    services.application_approve(application_id=application.pk, by=users["listing_reviewer"])
    clock.refresh_from_db()
    assert clock.stopped_at is not None


def test_applicant_cannot_review_own_application(make_user, users):
    both = make_user("bu_applicant", "listing_reviewer")
    application = services.application_create(applicant=both, data=application_data())
    services.application_submit(application_id=application.pk, by=both)
    with pytest.raises(PermissionDeniedError, match="your own"):
        services.application_approve(application_id=application.pk, by=both)
    with pytest.raises(PermissionDeniedError, match="your own"):
        services.application_reject(application_id=application.pk, by=both, reason="x")


def test_reject_needs_a_reason(users):
    application = application_at("submitted", users)
    with pytest.raises(ApplicationError) as excinfo:
        services.application_reject(
            application_id=application.pk, by=users["listing_reviewer"], reason="  "
        )
    assert "reason" in excinfo.value.extra["fields"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("offline_market_price", Decimal("0")),
        ("online_guide_price", Decimal("-1.00")),
        ("base_subsidy_price", Decimal("12.345")),
        ("online_guide_price", "abc"),
    ],
)
def test_prices_must_be_positive_with_two_places(users, field, value):
    with pytest.raises(ApplicationError) as excinfo:
        services.application_create(
            applicant=users["bu_applicant"], data=application_data(**{field: value})
        )
    assert field in excinfo.value.extra["fields"]


def test_every_bad_field_is_listed_and_nothing_stored(users):
    from listings.models import ListingApplication

    with pytest.raises(ApplicationError) as excinfo:
        services.application_create(
            applicant=users["bu_applicant"],
            data=application_data(product_name="", online_guide_price=Decimal("0"), fit_reason=""),
        )
    assert set(excinfo.value.extra["fields"]) == {
        "product_name",
        "online_guide_price",
        "fit_reason",
    }
    assert not ListingApplication.objects.exists()


def test_price_below_base_subsidy_needs_an_override_reason(users):
    application = application_at("designed", users)
    with pytest.raises(ApplicationError) as excinfo:
        services.application_price(
            application_id=application.pk,
            by=users["shop_manager"],
            price=Decimal("99.00"),
            promotion_plan="x",
        )
    assert "below_subsidy_reason" in excinfo.value.extra["fields"]
    assert "120.00" in excinfo.value.message
    services.application_price(
        application_id=application.pk,
        by=users["shop_manager"],
        price=Decimal("99.00"),
        promotion_plan="清仓",
        below_subsidy_reason="临期清仓，事业部同意",
    )
    application.refresh_from_db()
    row = application.sku.prices.get()
    assert row.below_subsidy_reason == "临期清仓，事业部同意"


def test_sku_code_or_barcode_in_use_is_refused_naming_the_item(users):
    first = application_at("info_complete", users)
    second = application_at("approved", users)
    with pytest.raises(ApplicationError) as excinfo:
        services.application_base_info_save(
            application_id=second.pk,
            by=users["bu_applicant"],
            data=base_info(code=first.sku.code, barcode=first.sku.barcode),
        )
    fields = excinfo.value.extra["fields"]
    assert first.sku.code in fields["code"][0]
    assert str(first.sku) in fields["code"][0]
    assert first.sku.barcode in fields["barcode"][0]


def test_barcode_check_digit_is_validated(users):
    application = application_at("approved", users)
    with pytest.raises(ApplicationError) as excinfo:
        services.application_base_info_save(
            application_id=application.pk,
            by=users["bu_applicant"],
            data=base_info(barcode="6901234567893"),
        )
    assert "barcode" in excinfo.value.extra["fields"]


def test_info_complete_needs_main_and_detail_pictures(users):
    application = application_at("approved", users)
    applicant = users["bu_applicant"]
    services.application_base_info_save(
        application_id=application.pk, by=applicant, data=base_info()
    )
    with pytest.raises(ConflictError, match="main picture"):
        services.application_info_complete(application_id=application.pk, by=applicant)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: picture(400, 400), "at least 800"),
        (lambda: picture(fmt="GIF", name="a.gif"), "GIF pictures are not accepted"),
        (
            lambda: __import__("django.core.files.uploadedfile", fromlist=["x"]).SimpleUploadedFile(
                "a.jpg", b"not an image"
            ),
            "not a picture",
        ),
    ],
)
def test_pictures_are_checked(users, upload, message):
    application = application_at("approved", users)
    services.application_base_info_save(
        application_id=application.pk, by=users["bu_applicant"], data=base_info()
    )
    with pytest.raises(ApplicationError, match=message):
        services.application_image_add(
            application_id=application.pk, by=users["bu_applicant"], upload=upload(), kind="main"
        )


def test_picture_too_large_is_refused(users, settings):
    settings.LISTING_IMAGE_LIMITS = {"max_bytes": 1000, "min_width": 1, "min_height": 1}
    application = application_at("approved", users)
    services.application_base_info_save(
        application_id=application.pk, by=users["bu_applicant"], data=base_info()
    )
    with pytest.raises(ApplicationError, match="limit"):
        services.application_image_add(
            application_id=application.pk, by=users["bu_applicant"], upload=picture(), kind="main"
        )


def test_invalid_transition_is_a_conflict_not_a_crash(users):
    application = application_at("draft", users)
    with pytest.raises(ConflictError):
        services.application_approve(application_id=application.pk, by=users["listing_reviewer"])
    with pytest.raises(ConflictError):
        services.application_publish(application_id=application.pk, by=users["shop_manager"])


@pytest.mark.parametrize(
    ("role", "service"),
    [
        ("designer", "application_approve"),
        ("bu_applicant", "application_approve"),
        ("shop_manager", "application_approve"),
    ],
)
def test_only_reviewers_review(make_user, users, role, service):
    application = application_at("submitted", users)
    with pytest.raises(PermissionDeniedError):
        getattr(services, service)(application_id=application.pk, by=make_user(role))


def test_only_designers_finish_pages_and_shop_managers_price(make_user, users):
    info_complete = application_at("info_complete", users)
    with pytest.raises(PermissionDeniedError):
        services.application_design_save(
            application_id=info_complete.pk,
            by=users["bu_applicant"],
            headline="x",
            selling_points="",
            body="y",
        )
    designed = application_at("designed", users)
    with pytest.raises(PermissionDeniedError):
        services.application_price(
            application_id=designed.pk,
            by=users["designer"],
            price=Decimal("139.00"),
            promotion_plan="x",
        )


def test_delist_needs_a_reason_and_relisting_works(users):
    sku = application_at("listed", users).sku
    with pytest.raises(ApplicationError):
        services.sku_delist(sku_id=sku.pk, by=users["shop_manager"], reason="")
    services.sku_delist(sku_id=sku.pk, by=users["shop_manager"], reason="包装升级")
    sku.refresh_from_db()
    assert sku.state == SkuState.DELISTED
    assert sku.delist_reason == "包装升级"
    assert sku not in selectors.orderable_skus()
    services.sku_list_online(sku_id=sku.pk, by=users["shop_manager"])
    sku.refresh_from_db()
    assert sku.state == SkuState.LISTED
