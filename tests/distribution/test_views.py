"""The distribution desk through the portal: partners and their recruitment, the distributor
programme, group-buying deals and the warehouse's stock queue."""

from __future__ import annotations

import io
import zipfile
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from distribution.models import (
    Authorization,
    ContactLogEntry,
    Deal,
    DealDocument,
    DealState,
    Partner,
    PartnerState,
    ProgrammeVersion,
)
from distribution.services import agents, distributors
from distribution.services import deals as deal_services
from distribution.services import partners as partner_services
from ecomops.calendar import local_datetime
from finance.models import Remittance
from finance.services.remittances import remittance_receive
from tests.distribution.factories import (
    agent_order,
    agent_with_first_order,
    contacted,
    deal_order,
    deal_with_lines,
    make_partner,
    paid_agent,
    pay_by_bank,
    pdf_file,
    picture,
    scheduled_deal,
)
from tests.warehouse.factories import put_stock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

DAY = date(2026, 12, 1)  # a Tuesday
MORNING = local_datetime(DAY, time(10))
PROGRAMME = {
    "title": "天猫分销商招募",
    "introduction": "诚邀优质店铺加入",
    "benefits": "出厂价供货\n一件代发",
    "rules": "不得低于建议零售价\n每月结算",
    "discount_percent": "30",
    "contact": "分销部 0571-88886666",
}


def url(name: str, *args: Any) -> str:
    return reverse(f"distribution:{name}", args=args)


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return response.content.decode()


def step(client: Client, partner: Partner, action: str, **fields: Any) -> Any:
    data = {f"{action}-{name}": value for name, value in fields.items()}
    return client.post(url("partner_action", partner.pk, action), data)


def deal_step(client: Client, deal: Deal, action: str, **fields: Any) -> Any:
    data = {f"{action}-{name}": value for name, value in fields.items()}
    return client.post(url("deal_action", deal.pk, action), data)


def refreshed(obj: Any) -> Any:
    obj.refresh_from_db()
    return obj


# --- Every page, and who may see it --------------------------------------------------------


def test_every_page_renders_for_the_team(
    specialist: Any, clerk: Any, sku: Any, client: Client
) -> None:
    agent = agent_with_first_order(specialist, sku)
    distributor = make_partner(specialist, kind="distributor", shop_name="分销店")
    deal = deal_with_lines(specialist, sku)
    deal_services.deal_document_upload(
        deal_id=deal.pk, kind="company_papers", upload=pdf_file(), by=specialist
    )
    distributors.programme_save(data=PROGRAMME, by=specialist)
    login(client, specialist)
    pages = [
        url("home"),
        url("pipeline"),
        url("pipeline") + "?kind=distributor&mine=1",
        url("pipeline") + "?kind=group_buying",
        url("sales_chart"),
        url("partner_list") + "?q=美妆&kind=agent",
        url("partner_new") + "?kind=group_buying",
        url("partner_detail", agent.pk),
        url("partner_detail", distributor.pk),
        url("partner_detail", deal.partner_id),
        url("partner_edit", agent.pk),
        url("partner_sales", agent.pk),
        url("partner_sales", distributor.pk),
        url("programme"),
        url("applications"),
        url("screen", distributor.pk),
        url("deal_board") + "?mine=1",
        url("deal_new") + f"?partner={deal.partner_id}",
        url("deal_detail", deal.pk),
        url("stock_requests"),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
    detail = html(client.get(url("partner_detail", agent.pk)))
    assert agent.first_order is not None
    assert agent.first_order.number in detail
    assert "Confirm the first order is paid" in detail
    assert f"?channel={agent.channel_id}" in detail  # the link to the agent's orders


@pytest.mark.parametrize(
    ("role", "name", "status"),
    [
        ("warehouse_admin", "home", 403),
        ("warehouse_admin", "pipeline", 403),
        ("warehouse_admin", "partner_list", 403),
        ("warehouse_admin", "sales_chart", 403),
        ("warehouse_admin", "programme", 403),
        ("warehouse_admin", "deal_board", 200),
        ("warehouse_admin", "stock_requests", 200),
        ("picker", "deal_board", 403),
        ("picker", "stock_requests", 403),
        ("finance_clerk", "partner_list", 200),
        ("finance_clerk", "deal_board", 200),
        ("finance_clerk", "programme", 403),
        ("finance_clerk", "partner_new", 403),
        ("network_sales", "programme", 200),
        ("network_sales", "deal_new", 200),
    ],
)
def test_pages_need_their_view_permission(
    make_user: Any, client: Client, role: str, name: str, status: int
) -> None:
    login(client, make_user(role))
    assert client.get(url(name)).status_code == status


def test_object_pages_need_their_view_permission(
    specialist: Any, make_user: Any, sku: Any, client: Client
) -> None:
    deal = deal_with_lines(specialist, sku)
    document = deal_services.deal_document_upload(
        deal_id=deal.pk, kind="company_papers", upload=pdf_file(), by=specialist
    )
    login(client, make_user("warehouse_admin"))
    assert client.get(url("partner_detail", deal.partner_id)).status_code == 403
    assert client.get(url("partner_sales", deal.partner_id)).status_code == 403
    page = client.get(url("deal_detail", deal.pk))
    assert page.status_code == 200
    assert deal.partner.get_absolute_url() not in html(page)  # no link to a page they cannot see
    assert client.get(url("deal_document_file", document.pk)).status_code == 200
    login(client, make_user("picker"))
    assert client.get(url("deal_detail", deal.pk)).status_code == 403
    assert client.get(url("deal_document_file", document.pk)).status_code == 403


def test_anonymous_users_go_to_the_login(client: Client) -> None:
    response = client.get(url("home"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# --- Partners --------------------------------------------------------------------------------


def test_a_partner_is_added_and_changed(
    specialist: Any, network_sales: Any, client: Client
) -> None:
    login(client, specialist)
    form = html(client.get(url("partner_new") + "?kind=distributor"))
    assert 'value="distributor" selected' in form
    assert 'value="tmall_distribution" selected' in form
    assert f'value="{specialist.pk}" selected' in form  # the owner is you by default
    response = client.post(
        url("partner_new"),
        {
            "kind": "agent",
            "shop_name": "美妆小铺",
            "platform": "taobao",
            "credit_code": "91350100m000100y43",
            "owner": network_sales.pk,
        },
    )
    partner = Partner.objects.get()
    assert response.status_code == 302
    assert response["Location"] == partner.get_absolute_url()
    assert partner.owner == network_sales
    assert partner.credit_code == "91350100M000100Y43"
    assert partner.state == PartnerState.PROSPECT
    response = client.post(
        url("partner_edit", partner.pk),
        {"shop_name": "美妆大铺", "platform": "tmall", "owner": specialist.pk, "notes": "老客户"},
    )
    assert response.status_code == 302
    partner.refresh_from_db()
    assert (partner.shop_name, partner.platform, partner.owner) == ("美妆大铺", "tmall", specialist)


def test_a_refused_partner_keeps_what_was_typed(specialist: Any, client: Client) -> None:
    login(client, specialist)
    response = client.post(
        url("partner_new"),
        {
            "kind": "agent",
            "shop_name": "美妆小铺",
            "platform": "taobao",
            "credit_code": "12345",
            "company_name": "杭州美妆小铺电子商务有限公司",
            "owner": specialist.pk,
        },
    )
    assert response.status_code == 200
    page = html(response)
    assert 'data-field="credit_code"' in page
    assert 'class="field field-error" data-field="credit_code"' in page
    assert 'value="12345"' in page
    assert "杭州美妆小铺电子商务有限公司" in page
    assert not Partner.objects.exists()


def test_the_owner_is_a_distribution_colleague(
    specialist: Any, make_user: Any, client: Client
) -> None:
    picker = make_user("picker", username="picker1")
    login(client, specialist)
    response = client.post(
        url("partner_new"),
        {"kind": "agent", "shop_name": "店", "platform": "taobao", "owner": picker.pk},
    )
    assert response.status_code == 200
    assert 'class="field field-error" data-field="owner"' in html(response)
    assert not Partner.objects.exists()


def test_partner_list_filters(specialist: Any, network_sales: Any, client: Client) -> None:
    make_partner(specialist, shop_name="甲店")
    make_partner(network_sales, shop_name="乙店", kind="distributor", platform="tmall")
    login(client, specialist)
    page = html(client.get(url("partner_list"), {"kind": "distributor"}))
    assert "乙店" in page
    assert "甲店" not in page
    page = html(client.get(url("partner_list"), {"mine": "on"}))
    assert "甲店" in page
    assert "乙店" not in page
    page = html(client.get(url("partner_list"), {"q": "乙"}))
    assert "乙店" in page
    assert "甲店" not in page


def test_contacts_and_the_contact_log(specialist: Any, client: Client) -> None:
    partner = make_partner(specialist)
    login(client, specialist)
    response = client.post(
        url("contact_add", partner.pk),
        {"person-name": "王芳", "person-phone": "13800138000", "person-title": "店长"},
    )
    assert response.status_code == 302
    assert partner.contacts.get().primary
    refused = client.post(url("contact_add", partner.pk), {"person-phone": "13900139000"})
    assert refused.status_code == 200
    assert 'value="13900139000"' in html(refused)

    now = timezone.localtime()
    due = min(now + timedelta(hours=2), now.replace(hour=23, minute=59))  # due today
    response = client.post(
        url("log_add", partner.pk),
        {
            "log-at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "log-method": "wechat",
            "log-summary": "介绍了代理政策",
            "log-outcome": "有兴趣",
            "log-next_step": "发送报价",
            "log-next_step_due": due.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    entry = ContactLogEntry.objects.get()
    assert entry.next_step == "发送报价"
    home = html(client.get(url("home")))
    assert "发送报价" in home

    # A due time without the step: refused, what was typed stays.
    refused = client.post(
        url("log_add", partner.pk),
        {
            "log-at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "log-method": "call",
            "log-summary": "电话没接",
            "log-next_step_due": due.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert refused.status_code == 200
    assert "Say what the next step is." in html(refused)
    assert "电话没接" in html(refused)
    assert ContactLogEntry.objects.count() == 1

    response = client.post(url("log_step_done", entry.pk), {"next": url("home")})
    assert response["Location"] == url("home")
    assert refreshed(entry).next_step_done_at is not None
    client.get(url("home"))  # shows the message
    assert "发送报价" not in html(client.get(url("home")))
    # Somewhere else: back to the partner.
    response = client.post(url("log_step_done", entry.pk), {"next": "https://evil.example/"})
    assert response["Location"] == partner.get_absolute_url()


def test_the_contact_log_is_the_teams(specialist: Any, clerk: Any, client: Client) -> None:
    partner = make_partner(specialist)
    login(client, clerk)
    response = client.post(url("contact_add", partner.pk), {"person-name": "王芳"})
    assert response.status_code == 403
    assert not partner.contacts.exists()


# --- Agent recruitment through the pages ------------------------------------------------------


def test_an_agent_is_recruited_through_the_pages(
    specialist: Any, clerk: Any, sku: Any, client: Client
) -> None:
    partner = make_partner(specialist)
    login(client, specialist)

    # First contact: the products recommended are required for an agent.
    refused = step(client, partner, "contact", note="推荐保湿系列")
    assert refused.status_code == 200
    assert "Choose at least one product." in html(refused)
    assert "推荐保湿系列" in html(refused)
    assert step(client, partner, "contact", note="推荐保湿系列", skus=[sku.pk]).status_code == 302
    assert refreshed(partner).state == PartnerState.CONTACTED
    assert list(partner.recommended_skus.all()) == [sku]

    assert step(client, partner, "agree", note="同意代理").status_code == 302
    partner = refreshed(partner)
    assert partner.state == PartnerState.AGREED
    assert partner.channel is not None

    # The first order: an order on the agent's channel.
    refused = step(client, partner, "first_order", order_number="SO-NOPE")
    assert refused.status_code == 200
    assert "Not an order of this agent." in html(refused)
    assert 'value="SO-NOPE"' in html(refused)
    order = agent_order(partner, sku, "4000.00")
    assert step(client, partner, "first_order", order_number=order.number).status_code == 302
    assert refreshed(partner).state == PartnerState.FIRST_ORDER_PLACED

    # Paid too little: the amount missing is said.
    pay_by_bank(order, "3500.00", clerk)
    page = html(client.get(partner.get_absolute_url()))
    assert "¥500.00" in page
    response = step(client, partner, "first_order_paid")
    assert response.status_code == 302
    shown = html(client.get(response["Location"]))
    assert "¥500.00 is missing" in shown
    assert refreshed(partner).state == PartnerState.FIRST_ORDER_PLACED
    pay_by_bank(order, "500.00", clerk, reference="BANK-2")
    assert step(client, partner, "first_order_paid").status_code == 302
    assert refreshed(partner).state == PartnerState.FIRST_ORDER_PAID

    # The authorization letter, on its own page.
    form = html(client.get(url("authorization_new", partner.pk)))
    assert 'value="taobao" id="id_channels_0" checked' in form  # the agent's own platform
    today = timezone.localdate()
    refused = client.post(
        url("authorization_new", partner.pk),
        {
            "brands": [sku.product.brand_id],
            "channels": ["taobao"],
            "valid_from": today.isoformat(),
            "valid_until": today.isoformat(),
            "territory": "浙江省",
        },
    )
    assert refused.status_code == 200
    assert "The letter must end after it starts." in html(refused)
    assert 'value="浙江省"' in html(refused)
    response = client.post(
        url("authorization_new", partner.pk),
        {
            "brands": [sku.product.brand_id],
            "channels": ["taobao", "tmall"],
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=365)).isoformat(),
            "territory": "浙江省",
        },
    )
    assert response.status_code == 302
    partner = refreshed(partner)
    assert partner.state == PartnerState.AUTHORIZED
    authorization = Authorization.objects.get(partner=partner)
    assert authorization.channels == ["taobao", "tmall"]

    page = html(client.get(partner.get_absolute_url()))
    assert url("authorization_letter", authorization.pk) in page
    letter: Any = client.get(url("authorization_letter", authorization.pk))
    assert letter.status_code == 200
    assert letter["Content-Type"] == "application/pdf"
    assert letter["Content-Disposition"].startswith("inline")
    assert b"".join(letter.streaming_content).startswith(b"%PDF")
    package: Any = client.get(url("authorization_package", authorization.pk))
    assert package["Content-Type"] == "application/zip"
    assert package["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(package.streaming_content)))
    assert archive.namelist()

    assert step(client, partner, "activate").status_code == 302
    assert refreshed(partner).state == PartnerState.ACTIVE
    timeline = html(client.get(partner.get_absolute_url()))
    assert "Authorized → Active" in timeline


def test_a_step_that_no_longer_fits_says_why(specialist: Any, sku: Any, client: Client) -> None:
    partner = make_partner(specialist)  # a prospect: not contacted yet
    login(client, specialist)
    response = step(client, partner, "agree", note="同意")
    assert response.status_code == 200
    assert "cannot record the agreement while it is Prospect" in html(response)
    assert refreshed(partner).state == PartnerState.PROSPECT


def test_downloads_need_view_authorization(
    specialist: Any, clerk: Any, network_sales: Any, sku: Any, client: Client
) -> None:
    partner = paid_agent(specialist, sku, clerk)
    authorization = agents.authorization_issue(
        partner_id=partner.pk, brand_ids=[sku.product.brand_id], channels=["taobao"], by=specialist
    )
    login(client, clerk)  # sees partners, not letters
    assert client.get(url("authorization_letter", authorization.pk)).status_code == 403
    assert client.get(url("authorization_package", authorization.pk)).status_code == 403
    # Network sales see letters but may not issue them.
    login(client, network_sales)
    assert client.get(url("authorization_letter", authorization.pk)).status_code == 200
    assert client.get(url("authorization_new", partner.pk)).status_code == 403


def test_buttons_a_user_cannot_use_are_hidden_and_refused(
    specialist: Any, network_sales: Any, sku: Any, client: Client
) -> None:
    partner = contacted(specialist, sku)
    login(client, network_sales)
    page = html(client.get(partner.get_absolute_url()))
    assert "The shop agreed to become an agent" in page  # network sales recruit too
    assert 'id="step-terminate"' not in page  # but do not end partnerships
    response = step(client, partner, "terminate", reason="不合作了")
    assert response.status_code == 403
    assert refreshed(partner).state == PartnerState.CONTACTED


def test_suspend_reinstate_and_terminate(specialist: Any, sku: Any, client: Client) -> None:
    site = make_partner(specialist, kind="group_buying", shop_name="团购网", platform="meituan")
    login(client, specialist)
    refused = step(client, site, "terminate", reason="")
    assert refused.status_code == 200
    assert refreshed(site).state == PartnerState.PROSPECT
    # An action that does not fit the state is a message, not a 500.
    response = client.post(url("partner_action", site.pk, "activate"), follow=True)
    assert response.status_code == 200
    assert "is not an agent" in html(response)
    assert step(client, site, "terminate", reason="网站关闭").status_code == 302
    site = refreshed(site)
    assert site.state == PartnerState.TERMINATED
    assert site.end_reason == "网站关闭"
    assert client.post(url("partner_action", site.pk, "nonsense")).status_code == 404


# --- Distributors and the programme --------------------------------------------------------


def test_brochure_after_the_programme_is_saved(specialist: Any, client: Client) -> None:
    login(client, specialist)
    missing = client.get(url("brochure"))
    assert missing.status_code == 404
    assert "Write the programme first" in html(missing)
    refused = client.post(url("programme"), {**PROGRAMME, "discount_percent": "130"})
    assert refused.status_code == 200
    assert "天猫分销商招募" in html(refused)
    assert not ProgrammeVersion.objects.exists()
    assert client.post(url("programme"), PROGRAMME).status_code == 302
    assert client.post(url("programme"), {**PROGRAMME, "title": "第二版"}).status_code == 302
    assert list(ProgrammeVersion.objects.values_list("version", flat=True)) == [2, 1]
    page = html(client.get(url("programme")))
    assert "第二版" in page
    assert 'value="第二版"' in page  # the form starts from the current version
    brochure = client.get(url("brochure"))
    assert brochure.status_code == 200
    assert brochure["Content-Type"] == "application/pdf"
    assert brochure.content.startswith(b"%PDF")
    assert client.get(url("brochure") + "?version=1").status_code == 200


def test_only_programme_editors_change_it(
    specialist: Any, network_sales: Any, client: Client
) -> None:
    distributors.programme_save(data=PROGRAMME, by=specialist)
    login(client, network_sales)
    page = html(client.get(url("programme")))
    assert 'id="programme-form"' not in page
    assert client.post(url("programme"), PROGRAMME).status_code == 403
    assert ProgrammeVersion.objects.count() == 1


def test_a_distributor_applies_and_is_screened(
    specialist: Any, network_sales: Any, client: Client
) -> None:
    partner = make_partner(specialist, kind="distributor", shop_name="天猫分销店")
    login(client, specialist)
    refused = step(client, partner, "apply", shop_rating="6", monthly_sales="80000", years_open="2")
    assert refused.status_code == 200
    assert 'value="80000"' in html(refused)
    response = step(
        client, partner, "apply", shop_rating="4.8", monthly_sales="80000", years_open="2"
    )
    assert response.status_code == 302
    assert refreshed(partner).state == PartnerState.APPLIED
    queue = html(client.get(url("applications")))
    assert "天猫分销店" in queue
    assert "all met" in queue

    refused = client.post(url("screen", partner.pk), {"decision": "declined", "note": ""})
    assert refused.status_code == 200
    assert "Give a reason." in html(refused)
    response = client.post(url("screen", partner.pk), {"decision": "accepted", "note": "达标"})
    assert response.status_code == 302
    partner = refreshed(partner)
    assert partner.state == PartnerState.ACTIVE
    assert partner.channel is not None
    page = html(client.get(partner.get_absolute_url()))
    assert "达标" in page  # the screening with its criteria


def test_accepting_a_shop_that_misses_the_criteria_is_a_managers_call(
    specialist: Any, manager: Any, client: Client
) -> None:
    partner = make_partner(specialist, kind="distributor", shop_name="小店")
    distributors.distributor_apply(
        partner_id=partner.pk,
        shop_rating=Decimal("4.0"),
        monthly_sales=1000,
        years_open=Decimal("0.5"),
        by=specialist,
    )
    login(client, specialist)
    page = html(client.get(url("screen", partner.pk)))
    assert "missed" in page
    assert "Only a manager can accept" in page
    response = client.post(url("screen", partner.pk), {"decision": "accepted", "note": "试试"})
    assert response.status_code == 403
    login(client, manager)
    response = client.post(url("screen", partner.pk), {"decision": "accepted", "note": "战略客户"})
    assert response.status_code == 302
    assert refreshed(partner).state == PartnerState.ACTIVE


# --- Group-buying deals ------------------------------------------------------------------------


@pytest.mark.clock(MORNING)
def test_a_deal_from_proposal_to_close_through_the_pages(
    network_sales: Any,
    keeper: Any,
    clerk: Any,
    sku: Any,
    client: Client,
    django_capture_on_commit_callbacks: Any,
    clock: time_machine.Traveller,
) -> None:
    site = make_partner(network_sales, kind="group_buying", shop_name="团购网", platform="meituan")
    put_stock(sku, 150)
    login(client, network_sales)
    response = client.post(
        url("deal_new"),
        {"partner": site.pk, "title": "夏季保湿团购", "owner": network_sales.pk},
    )
    deal = Deal.objects.get()
    assert response["Location"] == deal.get_absolute_url()

    # Lines: the group price must sit under the online price.
    refused = client.post(
        url("deal_line_save", deal.pk),
        {
            "line-sku": sku.pk,
            "line-group_price": "999.00",
            "line-min_quantity": "50",
            "line-estimated_quantity": "200",
        },
    )
    assert refused.status_code == 200
    assert "above the online price" in html(refused)
    assert 'value="999.00"' in html(refused)
    response = client.post(
        url("deal_line_save", deal.pk),
        {
            "line-sku": sku.pk,
            "line-group_price": "69.00",
            "line-min_quantity": "50",
            "line-estimated_quantity": "200",
        },
    )
    assert response.status_code == 302
    line = deal.lines.get()
    assert line.group_price == Decimal("69.00")
    edit = html(client.get(deal.get_absolute_url() + f"?edit={line.pk}"))
    assert 'value="200"' in edit

    # Papers: a text file is refused; the quote sheet is ours to make.
    refused = client.post(
        url("deal_document_upload", deal.pk),
        {
            "doc-kind": "qc_report",
            "doc-title": "质检报告",
            "doc-file": SimpleUploadedFile("qc.pdf", b"just some text", "application/pdf"),
        },
    )
    assert refused.status_code == 200
    assert "Upload a PDF, JPEG or PNG file." in html(refused) or "Not a PDF" in html(refused)
    assert 'value="质检报告"' in html(refused)
    assert not DealDocument.objects.exists()
    refused = client.post(
        url("deal_document_upload", deal.pk),
        {"doc-kind": "quote_sheet", "doc-file": pdf_file()},
    )
    assert refused.status_code == 200
    assert not DealDocument.objects.exists()

    response = deal_step(client, deal, "propose")
    shown = html(client.get(response["Location"]))
    assert "Attach before sending" in shown
    assert refreshed(deal).state == DealState.CONTACTED

    for kind, upload in (
        ("specifications", picture()),
        ("company_papers", pdf_file()),
        ("qc_report", pdf_file("qc.pdf")),
    ):
        response = client.post(
            url("deal_document_upload", deal.pk), {"doc-kind": kind, "doc-file": upload}
        )
        assert response.status_code == 302, html(response)
    assert deal_step(client, deal, "quote_sheet").status_code == 302
    quote = DealDocument.objects.get(deal=deal, kind="quote_sheet")
    served = client.get(url("deal_document_file", quote.pk))
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("inline")

    assert deal_step(client, deal, "propose").status_code == 302
    assert refreshed(deal).state == DealState.PROPOSED
    # The lines are fixed now.
    response = client.post(url("deal_line_remove", deal.pk, line.pk), follow=True)
    assert "already proposed" in html(response)
    assert deal.lines.exists()

    refused = deal_step(client, deal, "schedule", listing_date="2026-11-01", end_date="2026-11-03")
    assert refused.status_code == 200
    assert "The listing date is in the past." in html(refused)
    response = deal_step(client, deal, "schedule", listing_date="2026-12-03", end_date="2026-12-05")
    assert response.status_code == 302
    deal = refreshed(deal)
    assert deal.state == DealState.SCHEDULED
    assert refreshed(site).state == PartnerState.ACTIVE

    assert deal_step(client, deal, "stock_request").status_code == 302
    # Network sales cannot confirm the warehouse's part.
    assert deal_step(client, deal, "stock_confirm").status_code == 403

    login(client, keeper)
    queue = html(client.get(url("stock_requests")))
    assert deal.number in queue
    assert ">50<" in queue  # 200 estimated, 150 available
    response = client.post(
        url("deal_action", deal.pk, "stock_confirm"), {"next": url("stock_requests")}
    )
    assert response["Location"] == url("stock_requests")
    assert deal.number not in html(client.get(url("stock_requests")))

    login(client, network_sales)
    assert deal_step(client, deal, "content_ready", note="主图5张").status_code == 302
    deal = refreshed(deal)
    assert deal.state == DealState.PREPARED

    clock.move_to(local_datetime(date(2026, 12, 3), time(9)))
    assert deal_step(client, deal, "go_live").status_code == 302
    assert refreshed(deal).state == DealState.LIVE
    deal_order(deal, sku, 3)
    deal_order(deal, sku, 4)

    clock.move_to(local_datetime(date(2026, 12, 6), time(9)))
    page = html(client.get(deal.get_absolute_url()))
    assert "¥483.00" in page  # results: 7 × 69.00
    assert deal_step(client, deal, "all_shipped").status_code == 302
    form = html(client.get(deal.get_absolute_url()))
    assert 'value="483.00"' in form  # the remittance defaults to the revenue
    assert 'value="2026-12-21"' in form  # due in DISTRIBUTION_REMITTANCE_DAYS
    response = deal_step(client, deal, "expect_remittance", amount="483.00", due="2026-12-21")
    assert response.status_code == 302
    remittance = Remittance.objects.get(reference=deal.number)
    with django_capture_on_commit_callbacks(execute=True):
        remittance_receive(
            remittance_id=remittance.pk,
            bank_reference="B-1",
            amount=Decimal("483.00"),
            paid_at=timezone.now(),
            by=clerk,
        )
    assert refreshed(deal).state == DealState.REMITTED
    assert deal_step(client, deal, "close", lessons="备货偏多").status_code == 302
    deal = refreshed(deal)
    assert deal.state == DealState.CLOSED
    page = html(client.get(deal.get_absolute_url()))
    assert "Summary at the close" in page
    assert "备货偏多" in page
    assert "Remitted → Closed" in page


@pytest.mark.clock(MORNING)
def test_lines_are_fixed_once_proposed(network_sales: Any, sku: Any, client: Client) -> None:
    deal = scheduled_deal(network_sales, sku)
    login(client, network_sales)
    page = html(client.get(deal.get_absolute_url()))
    assert 'id="line-form"' not in page
    response = client.post(
        url("deal_line_save", deal.pk),
        {
            "line-sku": sku.pk,
            "line-group_price": "59.00",
            "line-min_quantity": "10",
            "line-estimated_quantity": "10",
        },
    )
    assert response.status_code == 200
    assert "already proposed" in html(response)
    assert deal.lines.get().group_price == Decimal("69.00")


def test_a_deal_is_cancelled_with_a_reason(network_sales: Any, sku: Any, client: Client) -> None:
    deal = deal_with_lines(network_sales, sku)
    login(client, network_sales)
    refused = deal_step(client, deal, "cancel", reason="")
    assert refused.status_code == 200
    assert refreshed(deal).state == DealState.CONTACTED
    response = client.post(url("deal_line_remove", deal.pk, deal.lines.get().pk))
    assert response.status_code == 302
    assert not deal.lines.exists()
    assert deal_step(client, deal, "cancel", reason="网站改期").status_code == 302
    deal = refreshed(deal)
    assert deal.state == DealState.CANCELLED
    assert deal.cancel_reason == "网站改期"


@pytest.mark.clock(MORNING)
def test_the_warehouse_only_confirms_stock(
    network_sales: Any, keeper: Any, sku: Any, client: Client
) -> None:
    deal = scheduled_deal(network_sales, sku)
    deal_services.deal_stock_request(deal_id=deal.pk, by=network_sales)
    login(client, keeper)
    page = html(client.get(deal.get_absolute_url()))
    assert 'id="step-stock_confirm"' in page
    assert 'id="step-content_ready"' not in page
    assert deal_step(client, deal, "content_ready", note="图片").status_code == 403
    assert deal_step(client, deal, "stock_confirm").status_code == 302
    assert refreshed(deal).stock_prepared_by == keeper


# --- Query counts do not grow with the rows --------------------------------------------------


def _partners(by: Any, count: int) -> None:
    """``count`` more agents, each with a next step due (the pipeline and the desk show it)."""
    start = Partner.objects.count()
    for index in range(start, start + count):
        partner = make_partner(by, shop_name=f"店{index}")
        partner_services.contact_log_add(
            partner_id=partner.pk,
            at=timezone.now(),
            method="call",
            summary="电话",
            next_step="回电",
            next_step_due=timezone.now(),
            by=by,
        )


def _deals(by: Any, sku: Any, count: int) -> None:
    site = Partner.objects.filter(kind="group_buying").first() or make_partner(
        by, kind="group_buying", shop_name="团购网", platform="meituan"
    )
    for _index in range(count):
        deal_with_lines(by, sku, site=site)


# Session, user, permissions (2), roles, the unread notifications badge, whether the user
# may open the staffing requests (the sidebar), then the page's own.
PAGE_QUERIES = {"pipeline": 8, "partner_list": 9, "deal_board": 8, "home": 13}
# What each page shows once per row.
ROW_MARK = {"pipeline": "店", "partner_list": "店", "deal_board": "夏季保湿团购", "home": "回电"}


@pytest.mark.parametrize("name", sorted(PAGE_QUERIES))
def test_list_pages_query_count_does_not_grow(
    specialist: Any,
    sku: Any,
    client: Client,
    name: str,
    django_assert_max_num_queries: Any,
) -> None:
    login(client, specialist)
    for rows in (3, 8):
        _partners(specialist, rows - Partner.objects.filter(kind="agent").count())
        _deals(specialist, sku, rows - Deal.objects.count())
        with django_assert_max_num_queries(PAGE_QUERIES[name]):
            response = client.get(url(name))
        assert response.status_code == 200
        assert html(response).count(ROW_MARK[name]) >= rows
