"""Agent recruitment: the 4,000 CNY first-order rule, the numbered brand authorization letter
(PDF) and the product data package issued with it, activation and expiry reminders."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.utils import timezone, translation
from pypdf import PdfReader

from distribution import tasks
from distribution.models import Authorization, PartnerState
from distribution.selectors import partners as selectors
from distribution.services import agents, partners
from ecomops.errors import ConflictError, PermissionDeniedError
from ecomops.notifications.models import Notification
from finance.services.refunds import refund_request
from listings.models import Brand, SkuState
from listings.services.catalog import sku_image_add
from orders.models import OrderState
from tests.distribution.factories import (
    agent_order,
    agent_with_first_order,
    agreed_agent,
    authorized_agent,
    brand_sku,
    make_partner,
    paid_agent,
    pay_by_bank,
)
from tests.listings.factories import picture as sku_picture

pytestmark = pytest.mark.django_db


def letter_text(authorization: Authorization) -> tuple[str, PdfReader]:
    with authorization.letter.open("rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def embedded_truetype(reader: PdfReader) -> bool:
    """A FontFile2 on a page font's descriptor, or on its descendant's (Type0 fonts)."""
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for ref in resources["/Font"].values():
            font = ref.get_object()
            owners = [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]
            for owner in owners:
                if "/FontDescriptor" in owner and "/FontFile2" in owner["/FontDescriptor"]:
                    return True
    return False


def package(authorization: Authorization) -> zipfile.ZipFile:
    with authorization.data_package.open("rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


# --- First contact and agreement ---------------------------------------------------------------


def test_an_agent_is_contacted_with_products_and_agrees_with_its_own_channel(specialist, sku):
    partner = make_partner(specialist)
    assert partner.state == PartnerState.PROSPECT
    with pytest.raises(partners.PartnerError) as refused:
        partners.partner_contact_first(partner_id=partner.pk, note="", sku_ids=[], by=specialist)
    assert "skus" in refused.value.extra["fields"]

    partner = partners.partner_contact_first(
        partner_id=partner.pk, note="推荐了保湿系列", sku_ids=[sku.pk], by=specialist
    )
    assert partner.state == PartnerState.CONTACTED
    assert partner.contacted_at is not None
    assert list(partner.recommended_skus.all()) == [sku]

    partner = agents.agent_agree(partner_id=partner.pk, by=specialist)
    assert partner.state == PartnerState.AGREED
    assert partner.channel is not None
    assert partner.channel.kind == "agent"
    assert partner.channel.active


def test_the_first_order_must_be_one_of_the_agents_own_orders(specialist, sku):
    partner = agreed_agent(specialist, sku)
    other = agreed_agent(specialist, sku, shop_name="别家小店")
    foreign = agent_order(other, sku, "4000.00")
    with pytest.raises(agents.AgentError):
        agents.agent_first_order(partner_id=partner.pk, order_number=foreign.number, by=specialist)
    own = agent_order(partner, sku, "4000.00")
    partner = agents.agent_first_order(
        partner_id=partner.pk, order_number=own.external_id, by=specialist
    )
    assert partner.state == PartnerState.FIRST_ORDER_PLACED
    assert partner.first_order == own


# --- The 4,000 CNY rule ------------------------------------------------------------------------


def test_a_first_order_paid_one_fen_short_is_refused_with_what_is_missing(specialist, clerk, sku):
    partner = agent_with_first_order(specialist, sku, total="4000.00")
    assert partner.first_order is not None
    pay_by_bank(partner.first_order, "3999.99", clerk)
    with pytest.raises(agents.AgentError) as refused:
        agents.agent_first_order_paid(partner_id=partner.pk, by=specialist)
    assert "¥0.01" in refused.value.message
    assert refused.value.extra["missing"] == "0.01"
    assert refused.value.extra["paid"] == "3999.99"
    partner.refresh_from_db()
    assert partner.state == PartnerState.FIRST_ORDER_PLACED
    assert partner.first_order_paid_amount is None


def test_a_first_order_paid_exactly_four_thousand_is_accepted(specialist, clerk, sku):
    partner = agent_with_first_order(specialist, sku, total="4000.00")
    assert partner.first_order is not None
    pay_by_bank(partner.first_order, "3999.99", clerk)
    pay_by_bank(partner.first_order, "0.01", clerk, reference="BANK-LAST-FEN")
    partner = agents.agent_first_order_paid(partner_id=partner.pk, by=specialist)
    partner.refresh_from_db()
    assert partner.state == PartnerState.FIRST_ORDER_PAID
    assert partner.first_order_paid_amount == Decimal("4000.00")
    assert partner.first_order_paid_at is not None


def test_an_unpaid_order_never_counts_whatever_its_total(specialist, sku):
    partner = agent_with_first_order(specialist, sku, total="5000.00")
    assert partner.first_order is not None
    assert partner.first_order.total_amount == Decimal("5000.00")
    with pytest.raises(agents.AgentError) as refused:
        agents.agent_first_order_paid(partner_id=partner.pk, by=specialist)
    assert "¥4,000.00" in refused.value.message
    assert refused.value.extra["missing"] == "4000.00"
    assert refused.value.extra["paid"] == "0.00"


def test_a_refunded_part_does_not_count(specialist, clerk, manager, sku):
    partner = agent_with_first_order(specialist, sku, total="4200.00")
    assert partner.first_order is not None
    pay_by_bank(partner.first_order, "4200.00", clerk)
    refund_request(
        order_id=partner.first_order.pk, amount=Decimal("300.00"), reason="少发两件", by=manager
    )
    with pytest.raises(agents.AgentError) as refused:
        agents.agent_first_order_paid(partner_id=partner.pk, by=specialist)
    assert refused.value.extra["paid"] == "3900.00"
    assert refused.value.extra["missing"] == "100.00"
    assert "¥100.00" in refused.value.message


def test_the_minimum_is_the_setting(specialist, clerk, sku, settings):
    partner = agent_with_first_order(specialist, sku, total="4000.00")
    assert partner.first_order is not None
    pay_by_bank(partner.first_order, "2500.00", clerk)
    settings.DISTRIBUTION_AGENT_FIRST_ORDER_MIN = Decimal("3000.00")
    with pytest.raises(agents.AgentError) as refused:
        agents.agent_first_order_paid(partner_id=partner.pk, by=specialist)
    assert refused.value.extra["missing"] == "500.00"
    settings.DISTRIBUTION_AGENT_FIRST_ORDER_MIN = Decimal("2500.00")
    partner = agents.agent_first_order_paid(partner_id=partner.pk, by=specialist)
    assert partner.state == PartnerState.FIRST_ORDER_PAID
    assert partner.first_order_paid_amount == Decimal("2500.00")


def test_the_payment_is_confirmed_only_for_a_placed_first_order(specialist, clerk, sku):
    agreed = agreed_agent(specialist, sku)
    with pytest.raises(ConflictError):
        agents.agent_first_order_paid(partner_id=agreed.pk, by=specialist)
    paid = paid_agent(specialist, sku, clerk)
    with pytest.raises(ConflictError):
        agents.agent_first_order_paid(partner_id=paid.pk, by=specialist)
    site = make_partner(specialist, kind="group_buying", shop_name="团购网", platform="meituan")
    with pytest.raises(ConflictError):
        agents.agent_first_order_paid(partner_id=site.pk, by=specialist)


def test_a_cancelled_order_cannot_be_the_first_order(specialist, sku):
    partner = agreed_agent(specialist, sku)
    order = agent_order(partner, sku, "4000.00")
    order.__class__.objects.filter(pk=order.pk).update(state=OrderState.CANCELLED)
    with pytest.raises(agents.AgentError):
        agents.agent_first_order(partner_id=partner.pk, order_number=order.number, by=specialist)


# --- The brand authorization letter ---------------------------------------------------------


def test_the_letter_is_numbered_and_carries_the_authorization(specialist, clerk, sku):
    partner, authorization = authorized_agent(
        specialist,
        sku,
        clerk,
        channels=["taobao", "tmall"],
        valid_from=date(2026, 12, 1),
        valid_until=date(2027, 11, 30),
    )
    stamp = timezone.localdate().strftime("%Y%m%d")
    assert re.fullmatch(rf"SQ{stamp}\d{{4}}", authorization.number)
    assert partner.state == PartnerState.AUTHORIZED
    assert authorization.package_skus == [sku.code]

    text, reader = letter_text(authorization)
    assert "品牌授权书" in text
    assert authorization.number in text
    assert partner.company_name in text
    assert partner.shop_name in text
    assert sku.product.brand.name in text
    assert "淘宝" in text
    assert "天猫" in text
    assert "不限" in text
    assert "2026年12月1日" in text
    assert "2027年11月30日" in text
    assert embedded_truetype(reader), "the CJK font must be embedded"


def test_letter_numbers_are_consecutive_and_unique_across_partners(specialist, clerk, sku):
    numbers = []
    for index in range(3):
        partner = paid_agent_named(specialist, sku, clerk, f"代理店{index}")
        authorization = agents.authorization_issue(
            partner_id=partner.pk,
            brand_ids=[sku.product.brand_id],
            channels=["taobao"],
            territory="浙江省",
            by=specialist,
        )
        numbers.append(authorization.number)
    assert len(set(numbers)) == 3
    counters = [int(number[-4:]) for number in numbers]
    assert counters == [counters[0], counters[0] + 1, counters[0] + 2]
    assert {n[:-4] for n in numbers} == {f"SQ{timezone.localdate():%Y%m%d}"}
    text, _reader = letter_text(Authorization.objects.get(number=numbers[0]))
    assert "浙江省" in text
    assert "不限" not in text


def paid_agent_named(by: Any, sku: Any, clerk: Any, shop: str) -> Any:
    partner = agent_with_first_order(by, sku, shop_name=shop)
    assert partner.first_order is not None
    pay_by_bank(partner.first_order, "4000.00", clerk)
    return agents.agent_first_order_paid(partner_id=partner.pk, by=by)


def test_an_agent_is_authorized_only_once_its_first_order_is_paid(specialist, sku):
    partner = agent_with_first_order(specialist, sku)
    with pytest.raises(ConflictError):
        agents.authorization_issue(
            partner_id=partner.pk,
            brand_ids=[sku.product.brand_id],
            channels=["taobao"],
            by=specialist,
        )
    assert not Authorization.objects.exists()
    partner.refresh_from_db()
    assert partner.state == PartnerState.FIRST_ORDER_PLACED


def test_an_active_agent_gets_a_renewal_without_a_transition(specialist, clerk, sku):
    partner, first = authorized_agent(specialist, sku, clerk)
    partner = agents.agent_activate(partner_id=partner.pk, by=specialist)
    assert partner.state == PartnerState.ACTIVE
    assert partner.activated_at is not None
    renewal = agents.authorization_issue(
        partner_id=partner.pk,
        brand_ids=[sku.product.brand_id],
        channels=["tmall"],
        valid_from=first.valid_until + timedelta(days=1),
        by=specialist,
    )
    partner.refresh_from_db()
    assert partner.state == PartnerState.ACTIVE
    assert renewal.number != first.number
    assert renewal.valid_until == agents.default_validity(renewal.valid_from)
    text, _reader = letter_text(renewal)
    assert "天猫" in text


def test_a_second_letter_before_activation_is_refused(specialist, clerk, sku):
    partner, _first = authorized_agent(specialist, sku, clerk)
    with pytest.raises(ConflictError):
        agents.authorization_issue(
            partner_id=partner.pk,
            brand_ids=[sku.product.brand_id],
            channels=["taobao"],
            by=specialist,
        )


@pytest.mark.parametrize(
    ("letter", "field"),
    [
        ({"brand_ids": []}, "brands"),
        ({"channels": []}, "channels"),
        ({"channels": ["myspace"]}, "channels"),
        ({"valid_from": date(2027, 1, 1), "valid_until": date(2027, 1, 1)}, "valid_until"),
        ({"valid_from": date(2027, 1, 2), "valid_until": date(2027, 1, 1)}, "valid_until"),
    ],
)
def test_a_letter_without_brands_platforms_or_period_is_refused(
    specialist, clerk, sku, letter, field
):
    partner = paid_agent(specialist, sku, clerk)
    values: dict[str, Any] = {"brand_ids": [sku.product.brand_id], "channels": ["taobao"]}
    values.update(letter)
    with pytest.raises(agents.AgentError) as refused:
        agents.authorization_issue(partner_id=partner.pk, by=specialist, **values)
    assert field in refused.value.extra["fields"]
    partner.refresh_from_db()
    assert partner.state == PartnerState.FIRST_ORDER_PAID
    assert not Authorization.objects.exists()


def test_a_brand_without_listed_products_is_refused(specialist, clerk, sku):
    partner = paid_agent(specialist, sku, clerk)
    other = brand_sku(sku.product.brand, "SKU-OLD", state=SkuState.DELISTED)
    empty = Brand.objects.create(name="停售品牌")
    other.product.brand = empty
    other.product.save(update_fields=["brand"])
    with pytest.raises(agents.AgentError) as refused:
        agents.authorization_issue(
            partner_id=partner.pk, brand_ids=[empty.pk], channels=["taobao"], by=specialist
        )
    assert "brands" in refused.value.extra["fields"]
    partner.refresh_from_db()
    assert partner.state == PartnerState.FIRST_ORDER_PAID


def test_network_sales_cannot_issue_a_letter(specialist, network_sales, clerk, sku):
    partner = paid_agent(specialist, sku, clerk)
    with pytest.raises(PermissionDeniedError):
        agents.authorization_issue(
            partner_id=partner.pk,
            brand_ids=[sku.product.brand_id],
            channels=["taobao"],
            by=network_sales,
        )


# --- The product data package -----------------------------------------------------------------


def test_the_data_package_carries_the_listed_skus_of_the_authorized_brands(
    specialist, clerk, sku, sku2
):
    brand = sku.product.brand
    second = brand_sku(brand, "SKU-A2")
    delisted = brand_sku(brand, "SKU-A3", state=SkuState.DELISTED)
    sku_image_add(sku=sku, upload=sku_picture(name="main.jpg"), kind="main", by=specialist)
    sku_image_add(
        sku=sku, upload=sku_picture(name="d.png", fmt="PNG"), kind="detail", by=specialist
    )
    sku_image_add(sku=delisted, upload=sku_picture(), kind="main", by=specialist)
    sku_image_add(sku=sku2, upload=sku_picture(), kind="main", by=specialist)

    _partner, authorization = authorized_agent(specialist, sku, clerk)

    assert authorization.package_skus == [sku.code, second.code]
    archive = package(authorization)
    names = archive.namelist()
    sheets = [n for n in names if n.endswith(".xlsx")]
    assert len(sheets) == 1
    workbook = openpyxl.load_workbook(io.BytesIO(archive.read(sheets[0])))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    codes = [row[0] for row in rows[1:]]
    assert codes == [sku.code, second.code]
    assert delisted.code not in codes
    assert sku2.code not in codes

    pictures = sorted(n for n in names if n.startswith("images/"))
    assert len(pictures) == 2
    assert all(n.startswith(f"images/{sku.code}/") for n in pictures)
    assert {n.rsplit(".", 1)[1] for n in pictures} == {"jpg", "png"}
    jpeg = next(n for n in pictures if n.endswith(".jpg"))
    assert archive.read(jpeg).startswith(b"\xff\xd8")


def test_the_data_package_is_in_chinese_whatever_the_issuers_language(specialist, clerk, sku):
    with translation.override("en"):
        _partner, authorization = authorized_agent(specialist, sku, clerk)
    archive = package(authorization)
    sheet = next(n for n in archive.namelist() if n.endswith(".xlsx"))
    workbook = openpyxl.load_workbook(io.BytesIO(archive.read(sheet)))
    header = next(workbook.worksheets[0].iter_rows(values_only=True))
    with translation.override("zh-hans"):
        expected = translation.gettext("SKU code")
    assert expected != "SKU code", "the zh-hans catalogue translates the header"
    assert header[0] == expected


# --- Expiry reminders ---------------------------------------------------------------------------


def letter_until(specialist: Any, clerk: Any, sku: Any, until: date, shop: str) -> Authorization:
    partner = paid_agent_named(specialist, sku, clerk, shop)
    return agents.authorization_issue(
        partner_id=partner.pk,
        brand_ids=[sku.product.brand_id],
        channels=["taobao"],
        valid_from=until - timedelta(days=300),
        valid_until=until,
        by=specialist,
    )


def test_the_owner_is_reminded_once_thirty_days_before_a_letter_ends(specialist, clerk, sku):
    today = timezone.localdate()
    due = letter_until(specialist, clerk, sku, today + timedelta(days=30), "到期店")
    early = letter_until(specialist, clerk, sku, today + timedelta(days=31), "未到期店")
    revoked = letter_until(specialist, clerk, sku, today + timedelta(days=10), "撤销店")
    Authorization.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    ended = letter_until(specialist, clerk, sku, today + timedelta(days=5), "终止店")
    partners.partner_terminate(partner_id=ended.partner_id, why="违规低价", by=specialist)

    assert agents.authorizations_remind_expiring(today=today) == 1
    assert agents.authorizations_remind_expiring(today=today) == 0
    keys = set(Notification.objects.values_list("key", flat=True))
    assert f"distribution.authorization.{due.pk}.expiry" in keys
    assert f"distribution.authorization.{early.pk}.expiry" not in keys
    assert f"distribution.authorization.{revoked.pk}.expiry" not in keys
    assert f"distribution.authorization.{ended.pk}.expiry" not in keys
    reminder = Notification.objects.get(key=f"distribution.authorization.{due.pk}.expiry")
    assert reminder.recipient == specialist

    assert agents.authorizations_remind_expiring(today=today + timedelta(days=1)) == 1
    assert (
        Notification.objects.filter(key=f"distribution.authorization.{early.pk}.expiry").count()
        == 1
    )


def test_the_reminder_days_are_the_setting(specialist, clerk, sku, settings):
    today = timezone.localdate()
    letter = letter_until(specialist, clerk, sku, today + timedelta(days=40), "长期店")
    assert agents.authorizations_remind_expiring(today=today) == 0
    settings.DISTRIBUTION_AUTHORIZATION_REMINDER_DAYS = 45
    assert agents.authorizations_remind_expiring(today=today) == 1
    letter.refresh_from_db()
    assert letter.expiry_reminded_at is not None


def test_a_letter_is_valid_in_its_period_until_revoked(specialist, clerk, sku):
    _partner, letter = authorized_agent(
        specialist, sku, clerk, valid_from=date(2026, 12, 1), valid_until=date(2027, 11, 30)
    )
    assert not letter.is_valid_on(date(2026, 11, 30))
    assert letter.is_valid_on(date(2026, 12, 1))
    assert letter.is_valid_on(date(2027, 11, 30))
    assert not letter.is_valid_on(date(2027, 12, 1))
    partners.partner_terminate(partner_id=letter.partner_id, why="合作结束", by=specialist)
    letter.refresh_from_db()
    assert letter.revoked_at is not None
    assert not letter.is_valid_on(date(2027, 1, 1))


def test_a_letter_already_renewed_is_not_reminded(specialist, clerk, sku):
    today = timezone.localdate()
    ending = letter_until(specialist, clerk, sku, today + timedelta(days=20), "续签店")
    agents.agent_activate(partner_id=ending.partner_id, by=specialist)
    renewal = agents.authorization_issue(
        partner_id=ending.partner_id,
        brand_ids=[sku.product.brand_id],
        channels=["taobao"],
        valid_from=ending.valid_until + timedelta(days=1),
        by=specialist,
    )
    assert list(selectors.authorizations_expiring(today=today)) == []
    assert agents.authorizations_remind_expiring(today=today) == 0
    assert not Notification.objects.filter(key__startswith="distribution.authorization.").exists()

    Authorization.objects.filter(pk=renewal.pk).update(revoked_at=timezone.now())
    assert list(selectors.authorizations_expiring(today=today)) == [ending]
    assert agents.authorizations_remind_expiring(today=today) == 1


def test_the_daily_task_reminds_of_an_ending_letter_once_when_run_twice(specialist, clerk, sku):
    letter = letter_until(specialist, clerk, sku, timezone.localdate() + timedelta(days=7), "店")
    assert tasks.daily_distribution() == {"expiring": 1, "live": 0}
    assert tasks.daily_distribution.delay().get() == {"expiring": 0, "live": 0}
    key = f"distribution.authorization.{letter.pk}.expiry"
    assert Notification.objects.filter(key=key, recipient=specialist).count() == 1
