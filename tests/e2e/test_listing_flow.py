"""A product goes online: submit, reject, resubmit, approve, base info, design, price, list."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from listings.models import ApplicationState, SkuState
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.listings.factories import BrandFactory, CategoryFactory, barcode

pytestmark = pytest.mark.django_db(transaction=True)


def _picture(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    buffer = io.BytesIO()
    Image.new("RGB", (800, 800), "#2e8b57").save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def _as(page: Any, login: Any, username: str) -> None:
    page.context.clear_cookies()
    login(page, username, DEFAULT_PASSWORD)


def test_listing_application_from_submission_to_listed(
    live_server: Any, page: Any, login: Any, screenshot: Any, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    for role in ("bu_applicant", "listing_reviewer", "designer", "shop_manager"):
        UserFactory(username=role, roles=[role])
    brand: Any = BrandFactory(name="禾田食品")
    category: Any = CategoryFactory(name="坚果")
    url = live_server.url

    # The applicant fills and submits the application.
    _as(page, login, "bu_applicant")
    page.goto(f"{url}/listings/applications/new/")
    page.select_option("#id_brand", str(brand.pk))
    page.select_option("#id_category", str(category.pk))
    page.fill("#id_product_name", "每日坚果礼盒")
    page.fill("#id_specification", "25g×30袋")
    page.fill("#id_description", "六种坚果果干科学配比，独立小包装。")
    page.fill("#id_fit_reason", "线下礼盒热销，线上节日送礼需求大。")
    page.fill("#id_offline_market_price", "139.00")
    page.fill("#id_online_guide_price", "129.00")
    page.fill("#id_base_subsidy_price", "99.00")
    page.fill("#id_offline_monthly_sales", "2400")
    screenshot(page, "01-application-form")
    page.click("button[name=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".state-submitted").count() == 1
    detail_url = page.url

    # The reviewer rejects with a reason.
    _as(page, login, "listing_reviewer")
    page.goto(f"{url}/listings/applications/review/")
    page.click("#review-queue a")
    page.fill("#id_reason", "请补充与竞品的价格对比。")
    screenshot(page, "02-review")
    page.click("[data-action=reject]")
    page.wait_for_load_state("networkidle")

    # The applicant revises and resubmits.
    _as(page, login, "bu_applicant")
    page.goto(detail_url)
    assert "请补充与竞品的价格对比" in page.inner_text(".content")
    page.click("[data-action=edit]")
    page.fill("#id_fit_reason", "线下礼盒热销；同类竞品线上售价 135–149 元，我们更有优势。")
    page.click("button[name=submit]")
    page.wait_for_load_state("networkidle")

    # The reviewer approves round 2.
    _as(page, login, "listing_reviewer")
    page.goto(detail_url)
    page.click("[data-action=approve]")
    page.wait_for_load_state("networkidle")

    # The applicant fills the base information sheet and uploads photos.
    _as(page, login, "bu_applicant")
    page.goto(detail_url)
    page.click("#base-info a.btn")
    page.fill("#id_code", "NUT-GIFT-30")
    page.fill("#id_barcode", barcode())
    page.fill("#id_name", "每日坚果礼盒 25g×30袋")
    page.fill("#id_weight_grams", "900")
    page.fill("#id_tax_category", "坚果及籽类")
    page.click("button[type=submit].btn-primary")
    page.wait_for_load_state("networkidle")
    for kind, name in (("main", "main.jpg"), ("detail", "detail.jpg")):
        page.select_option("#id_kind", kind)
        page.set_input_files("#id_image", str(_picture(tmp_path, name)))
        page.click("#base-info form[enctype] button[type=submit]")
        page.wait_for_load_state("networkidle")
    screenshot(page, "03-base-info-and-photos")
    page.click("[data-action=info_complete]")
    page.wait_for_load_state("networkidle")

    # The designer builds the detail page and sees the preview.
    _as(page, login, "designer")
    page.goto(f"{url}/listings/applications/design/")
    page.click("#design-queue a.btn")
    page.fill("#id_headline", "禾田每日坚果 · 30天营养")
    page.fill("#id_selling_points", "6种坚果果干\n独立小包装\n下午3点前付款当天发货")
    page.click("button[name=save]")
    page.wait_for_load_state("networkidle")
    frame = page.frame_locator(".preview-frame")
    assert "30天营养" in frame.locator("h1").inner_text()
    screenshot(page, "04-design-preview")
    page.click("[data-action=design_finish]")
    page.wait_for_load_state("networkidle")

    # The shop manager prices and lists it.
    _as(page, login, "shop_manager")
    page.goto(f"{url}/listings/applications/pricing/")
    page.click("#pricing-queue a.btn")
    assert "¥99.00" in page.inner_text("#reference-prices")
    page.fill("#id_price", "125.00")
    page.fill("#id_promotion_plan", "上新首周首页推荐，满199减20。")
    screenshot(page, "05-pricing")
    page.click("button[name=action][value=publish]")
    page.wait_for_load_state("networkidle")

    from listings.models import ListingApplication

    application = ListingApplication.objects.get()
    assert application.state == ApplicationState.LISTED
    assert application.round == 2
    assert application.sku.state == SkuState.LISTED
    page.goto(f"{url}/listings/?q=NUT-GIFT")
    assert "¥125.00" in page.inner_text("#catalog")
    screenshot(page, "06-catalog-listed")
