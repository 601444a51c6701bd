"""Shop openings in the portal and the admin: the list with its countdowns and documents
running out, a new opening, an opening's page in every state, each step posted, refused
forms shown again as typed, downloads, nav and queues, and the managers' admin pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecomops.portal.registry import nav_for, queue
from orders.models import OpeningState, ReviewDecision, ShopDocument, ShopOpening
from orders.services import shop_open, shop_opening_abandon, shop_review_reject
from tests.orders.factories import (
    SHOP_MORNING,
    approved,
    document_type_id,
    ensure_opening_processes,
    prepared,
    set_up,
    shop_pdf,
    start_opening,
    step_id,
    submitted,
    with_documents,
)
from tests.timeutil import at

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english"),
    pytest.mark.clock(SHOP_MORNING),
]


@pytest.fixture
def web(client: Client, manager: Any) -> Client:
    client.force_login(manager)
    return client


def url(name: str, *args: Any) -> str:
    return reverse(f"orders:{name}", args=args)


def html(response: Any) -> str:
    return str(response.content.decode())


def field_html(page: str, name: str, start_at: str = "") -> str:
    """The form field ``name`` (after ``start_at``): its input and its errors."""
    start = page.index(f'data-field="{name}"', page.index(start_at) if start_at else 0)
    ends = [page.find(mark, start + 1) for mark in ("data-field=", "</form>")]
    return page[start : min(end for end in ends if end > 0)]


# --- The list -------------------------------------------------------------------------------


def test_the_list_shows_each_opening_where_it_stands(web: Client, manager: Any, boss: Any) -> None:
    preparing = start_opening(manager, code="shop-a", name="准备中的店")
    with time_machine.travel(at(2026, 11, 13, 10), tick=False):  # 8 working days ago
        reviewing = submitted(manager, code="shop-b", name="审核中的店")
    setting_up = approved(manager, code="shop-c", name="装修中的店")
    open_shop = set_up(approved(manager, code="shop-d", name="已开的店"), boss)
    shop_open(opening_id=open_shop.pk, by=manager)
    dropped = start_opening(manager, code="shop-e", name="放弃的店")
    shop_opening_abandon(opening_id=dropped.pk, reason="品牌方收回授权", by=manager)

    response = web.get(url("shop_list"))
    assert response.status_code == 200
    page = html(response)
    for opening in (preparing, reviewing, setting_up, open_shop, dropped):
        assert f'id="opening-{opening.pk}"' in page
        assert opening.channel.name in page
    assert "0 of 11 steps done" in page
    assert "12 working days left" in page
    assert "8 of 20 working days" in page
    assert '<progress max="100" value="40"' in page
    assert "5 set-up items left" in page
    assert "Open since 2026-11-23" in page
    assert "品牌方收回授权" in page
    assert html(web.get(url("shop_list") + "?state=in_review")).count('id="opening-') == 1


def test_the_list_shows_documents_running_out(web: Client, manager: Any) -> None:
    opening = with_documents(
        prepared(start_opening(manager), manager),
        manager,
        expires_on=timezone.localdate() + timedelta(days=12),
    )
    other = with_documents(
        prepared(start_opening(manager, code="shop-far", name="远期店"), manager), manager
    )
    page = html(web.get(url("shop_list")))
    panel = page[page.index('id="expiring"') :]
    assert panel.count("2026-12-05") == 3  # licence, brand rights, ID: all in 12 days
    assert "in 12 days" in panel
    assert other.channel.name not in panel
    assert opening.get_absolute_url() + "#doc-business_licence" in panel


def test_the_list_has_a_constant_number_of_queries(web: Client, manager: Any) -> None:
    submitted(manager, code="shop-1")
    web.get(url("shop_list"))  # warm the calendar cache
    with CaptureQueriesContext(connection) as one:
        web.get(url("shop_list"))
    for code in ("shop-2", "shop-3", "shop-4"):
        submitted(manager, code=code)
    with CaptureQueriesContext(connection) as four:
        assert web.get(url("shop_list")).status_code == 200
    assert len(four) == len(one)


def test_designers_see_their_set_up_items_and_queue(client: Client, make_user: Any) -> None:
    manager = make_user("shop_manager", username="shopmgr")
    designer = make_user("designer", username="designer")
    reviewer = make_user("listing_reviewer", username="reviewer")
    opening = approved(manager)
    client.force_login(designer)
    page = html(client.get(url("shop_list")))
    items = page[page.index('id="my-items"') :]
    assert "商品拍摄" in items
    assert "首批商品上架" not in items
    designer_queue = queue("orders.shop_setup.designer")
    reviewer_queue = queue("orders.shop_setup.listing_reviewer")
    manager_queue = queue("orders.shop_openings")
    assert designer_queue is not None
    assert reviewer_queue is not None
    assert manager_queue is not None
    assert designer_queue.count(designer) == 3
    assert reviewer_queue.count(reviewer) == 1
    assert manager_queue.count(manager) == 1
    assert any(item.url_name == "orders:shop_list" for item in nav_for(["designer"]))
    assert not any(item.url_name == "orders:shop_list" for item in nav_for(["sales_rep"]))
    assert opening.state == OpeningState.SETTING_UP


# --- A new opening --------------------------------------------------------------------------


def test_a_new_opening_from_the_form(web: Client, manager: Any) -> None:
    ensure_opening_processes()
    page = html(web.get(url("shop_new")))
    assert "天猫开店" in page
    assert "淘宝企业店" in page
    response = web.post(
        url("shop_new"),
        {
            "platform": "tmall",
            "code": "Tmall-Home",
            "name": "天猫家居旗舰店",
            "company_name": "杭州恒信家居用品有限公司",
        },
    )
    opening = ShopOpening.objects.get()
    assert response.status_code == 302
    assert response["Location"] == opening.get_absolute_url()
    assert opening.channel.code == "tmall-home"


def test_a_refused_new_opening_keeps_what_was_typed(web: Client, manager: Any) -> None:
    start_opening(manager, code="tmall-home")
    response = web.post(
        url("shop_new"),
        {
            "platform": "tmall",
            "code": "tmall-home",
            "name": "天猫户外专营店",
            "company_name": "杭州恒信户外用品有限公司",
        },
    )
    assert response.status_code == 400
    page = html(response)
    assert "A channel with the code tmall-home exists." in field_html(page, "code")
    assert 'value="天猫户外专营店"' in page
    assert 'value="杭州恒信户外用品有限公司"' in page
    assert ShopOpening.objects.count() == 1


# --- An opening's page and its steps --------------------------------------------------------


def test_every_state_of_the_page_renders(web: Client, manager: Any, boss: Any) -> None:
    openings = [
        start_opening(manager, code="s1"),
        with_documents(prepared(start_opening(manager, code="s2"), manager), manager),
        submitted(manager, code="s3"),
        approved(manager, code="s4"),
    ]
    done = set_up(approved(manager, code="s5"), boss)
    shop_open(opening_id=done.pk, by=manager)
    dropped = start_opening(manager, code="s6")
    shop_opening_abandon(opening_id=dropped.pk, reason="不开了", by=manager)
    marks = {
        "s1": ['id="tick-account_registered"', "Next: 注册商家账号"],
        "s2": ['id="step-submit"', 'id="upload-bank_account"', "Replace with a new version"],
        "s3": ['id="step-pass"', 'id="step-reject"', 'id="review-progress"', "20 working days"],
        "s4": ['id="step-open"', 'id="setup-left"', 'id="upload-business_licence"'],
        "s5": ["The shop is open.", "accepts orders"],
        "s6": ["This opening was abandoned.", "不开了"],
    }
    for opening in [*openings, done, dropped]:
        response = web.get(url("shop_detail", opening.pk))
        assert response.status_code == 200
        page = html(response)
        for mark in marks[opening.channel.code]:
            assert mark in page, (opening.channel.code, mark)
        assert 'data-testid="timeline"' in page
    assert web.get(url("shop_detail", 99999)).status_code == 404


def test_the_path_through_the_portal(web: Client, manager: Any, boss: Any) -> None:
    opening = start_opening(manager)
    for code in ("account_registered", "opening_exam"):
        response = web.post(
            url("shop_action", opening.pk, "step"), {"step-step": step_id(opening, code)}
        )
        assert response.status_code == 302
    for document_type in opening.process.document_types.all():
        data: dict[str, Any] = {
            "upload-document_type": document_type.pk,
            "upload-file": shop_pdf(f"{document_type.code}.pdf"),
            "upload-licence_number": "L-1",
        }
        if document_type.has_expiry:
            data["upload-expires_on"] = "2028-06-30"
        response = web.post(url("shop_action", opening.pk, "upload"), data)
        assert response.status_code == 302, html(response)
    response = web.post(url("shop_action", opening.pk, "submit"))
    assert response.status_code == 302
    opening.refresh_from_db()
    assert opening.state == OpeningState.IN_REVIEW
    response = web.post(
        url("shop_action", opening.pk, "reject"),
        {"reject-step": step_id(opening, "alipay_verification"), "reject-reason": "账户名称不一致"},
    )
    assert response.status_code == 302
    opening.refresh_from_db()
    assert opening.state == OpeningState.DOCUMENTS
    page = html(web.get(url("shop_detail", opening.pk)))
    decisions = page[page.index('id="decisions"') :]
    assert "账户名称不一致" in decisions
    assert "rejected" in decisions
    web.post(url("shop_action", opening.pk, "submit"))
    for code in ("alipay_verification", "first_review", "second_review", "brand_confirmed"):
        response = web.post(
            url("shop_action", opening.pk, "pass"), {"pass-step": step_id(opening, code)}
        )
        assert response.status_code == 302
    set_up(opening, boss)
    response = web.post(url("shop_action", opening.pk, "open"))
    assert response.status_code == 302
    opening.refresh_from_db()
    assert opening.state == OpeningState.OPEN
    assert opening.channel.active
    assert ReviewDecision.objects.filter(opening=opening).count() == 5


def test_a_refused_upload_keeps_what_was_typed(web: Client, manager: Any) -> None:
    opening = prepared(start_opening(manager), manager)
    licence = document_type_id(opening, "business_licence")
    response = web.post(
        url("shop_action", opening.pk, "upload"),
        {
            "upload-document_type": licence,
            "upload-file": shop_pdf(),
            "upload-licence_number": "91330106MA2H7K3X5Q",
        },
    )
    assert response.status_code == 400
    page = html(response)
    card = page[page.index('id="doc-business_licence"') :]
    assert "Enter the expiry date, or tick long-term." in field_html(card, "expires_on")
    assert 'value="91330106MA2H7K3X5Q"' in card
    assert "Choose the file again" in page
    response = web.post(
        url("shop_action", opening.pk, "upload"),
        {
            "upload-document_type": licence,
            "upload-file": shop_pdf(),
            "upload-expires_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "Expired: upload the renewed document." in html(response)
    assert not ShopDocument.objects.exists()


def test_refusals_answer_400_or_409_with_the_reason(web: Client, manager: Any) -> None:
    opening = with_documents(prepared(start_opening(manager), manager), manager)
    ShopDocument.objects.filter(document_type__code="bank_account").delete()
    response = web.post(url("shop_action", opening.pk, "submit"))
    assert response.status_code == 400
    assert "银行开户许可证: not uploaded yet." in html(response)

    opening = submitted(manager, code="shop-in-review")
    response = web.post(
        url("shop_action", opening.pk, "reject"),
        {"reject-step": step_id(opening, "alipay_verification"), "reject-reason": ""},
    )
    assert response.status_code == 400
    assert "This field is required." in field_html(html(response), "reason", 'id="step-reject"')

    response = web.post(url("shop_action", opening.pk, "open"))
    assert response.status_code == 409
    assert "is In review" in html(response)

    approved_opening = approved(manager, code="shop-approved")
    response = web.post(url("shop_action", approved_opening.pk, "open"))
    assert response.status_code == 409
    page = html(response)
    assert "The shop cannot open before its set-up is done" in page
    assert web.post(url("shop_action", opening.pk, "nothing")).status_code == 404
    assert web.get(url("shop_action", opening.pk, "submit")).status_code == 405


def test_a_refusal_after_the_opening_moved_on_is_shown_as_a_message(
    web: Client, manager: Any
) -> None:
    opening = submitted(manager)
    shop_review_reject(
        opening_id=opening.pk,
        step_id=step_id(opening, "alipay_verification"),
        reason="账户名称不一致",
        by=manager,
    )
    response = web.post(
        url("shop_action", opening.pk, "pass"),
        {"pass-step": step_id(opening, "alipay_verification")},
    )
    assert response.status_code == 409
    assert "are recorded while it reviews the documents" in html(response)


def test_documents_download_with_their_type(web: Client, manager: Any) -> None:
    opening = with_documents(prepared(start_opening(manager), manager), manager)
    document = ShopDocument.objects.get(opening=opening, document_type__code="business_licence")
    response = web.get(url("shop_document", document.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "inline" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]
    assert web.get(url("shop_document", 99999)).status_code == 404


# --- The admin ------------------------------------------------------------------------------


def test_admin_pages_load_for_a_manager(client: Client, manager: Any, boss: Any) -> None:
    opening = submitted(manager)
    process = opening.process
    document = opening.documents.first()
    client.force_login(boss)
    pages = [
        reverse("admin:orders_openingprocess_changelist"),
        reverse("admin:orders_openingprocess_change", args=[process.pk]),
        reverse("admin:orders_shopopening_changelist"),
        reverse("admin:orders_shopopening_changelist") + "?state__exact=in_review",
        reverse("admin:orders_shopopening_change", args=[opening.pk]),
        reverse("admin:orders_shopdocument_changelist"),
        reverse("admin:orders_shopdocument_changelist") + "?expiry=soon",
        reverse("admin:orders_shopdocument_changelist") + "?expiry=expired&current=yes",
        reverse("admin:orders_shopdocument_change", args=[document.pk]),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
    change = html(client.get(reverse("admin:orders_shopopening_change", args=[opening.pk])))
    assert "abandon" in change.lower()
    assert opening.number in change


def test_admin_abandon_runs_the_service(client: Client, manager: Any, boss: Any) -> None:
    opening = submitted(manager)
    client.force_login(boss)
    transition = reverse(
        "admin:orders_shopopening_transition",
        kwargs={"object_id": opening.pk, "transition_name": "abandon"},
    )
    assert client.get(transition).status_code == 200
    response = client.post(transition, {"reason": "平台政策调整"})
    assert response.status_code == 302
    opening.refresh_from_db()
    assert (opening.state, opening.abandoned_reason) == (OpeningState.ABANDONED, "平台政策调整")
    assert opening.channel.active is False
