"""Distribution test data: partners, agents and deals moved along by the real services."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from distribution.models import Authorization, Deal, Partner
from distribution.services import agents, deals, distributors, partners
from finance.services.payments import bank_payment_record, payment_match
from listings.models import Brand, Product, Sku, SkuPrice, SkuState
from orders.models import Order, OrderState
from tests.finance.factories import priced_order
from tests.listings.factories import CategoryFactory, barcode

SHOP = {
    "shop_name": "美妆小铺",
    "platform": "taobao",
    "shop_url": "https://shop.example.com/meizhuang",
    "company_name": "杭州美妆小铺电子商务有限公司",
    "company_address": "杭州市西湖区文三路1号",
    "legal_representative": "王芳",
}


def make_partner(by: Any, *, kind: str = "agent", **data: Any) -> Partner:
    values = {**SHOP, **data}
    return partners.partner_create(kind=kind, data=values, owner=by, by=by)


def contacted(by: Any, sku: Sku, **data: Any) -> Partner:
    partner = make_partner(by, **data)
    return partners.partner_contact_first(
        partner_id=partner.pk, note="推荐了保湿系列", sku_ids=[sku.pk], by=by
    )


def agreed_agent(by: Any, sku: Sku, **data: Any) -> Partner:
    partner = contacted(by, sku, **data)
    return agents.agent_agree(partner_id=partner.pk, by=by)


def agent_order(partner: Partner, sku: Sku, total: str) -> Order:
    """An on-account order of ``total`` on the agent's channel (one line, one unit)."""
    partner.refresh_from_db()
    return priced_order(
        [(sku, 1, total)],
        channel=partner.channel,
        state=OrderState.CONFIRMED,
        needs_invoice=False,
    )


def pay_by_bank(order: Order, amount: str, clerk: Any, reference: str = "") -> None:
    """The agent's bank transfer, keyed in and matched to the order by finance."""
    payment = bank_payment_record(
        reference=reference or f"BANK-{order.number}-{amount}",
        amount=Decimal(amount),
        paid_at=timezone.now(),
        payer_name="美妆小铺",
        by=clerk,
    )
    payment_match(payment_id=payment.pk, allocations={order.pk: Decimal(amount)}, by=clerk)


def agent_with_first_order(by: Any, sku: Sku, total: str = "4000.00", **data: Any) -> Partner:
    partner = agreed_agent(by, sku, **data)
    order = agent_order(partner, sku, total)
    return agents.agent_first_order(partner_id=partner.pk, order_number=order.number, by=by)


def paid_agent(by: Any, sku: Sku, clerk: Any, amount: str = "4000.00") -> Partner:
    partner = agent_with_first_order(by, sku, total=amount)
    assert partner.first_order is not None
    pay_by_bank(partner.first_order, amount, clerk)
    return agents.agent_first_order_paid(partner_id=partner.pk, by=by)


def picture(name: str = "spec.png", fmt: str = "PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 120), (90, 120, 200)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def pdf_file(name: str = "papers.pdf") -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def deal_with_lines(by: Any, sku: Sku, *, site: Partner | None = None, **data: Any) -> Deal:
    site = site or make_partner(by, kind="group_buying", shop_name="团购网", platform="meituan")
    deal = deals.deal_create(partner_id=site.pk, title="夏季保湿团购", owner=by, by=by)
    deals.deal_line_save(
        deal_id=deal.pk,
        sku_id=sku.pk,
        group_price=Decimal("69.00"),
        min_quantity=50,
        estimated_quantity=200,
        by=by,
    )
    return deal


def proposed_deal(by: Any, sku: Sku, **data: Any) -> Deal:
    deal = deal_with_lines(by, sku, **data)
    deals.deal_document_upload(deal_id=deal.pk, kind="specifications", upload=picture(), by=by)
    deals.deal_document_upload(deal_id=deal.pk, kind="company_papers", upload=pdf_file(), by=by)
    deals.deal_document_upload(deal_id=deal.pk, kind="qc_report", upload=pdf_file("qc.pdf"), by=by)
    return deals.deal_propose(deal_id=deal.pk, by=by)


def scheduled_deal(
    by: Any, sku: Sku, *, listing_date: date | None = None, days: int = 3, **data: Any
) -> Deal:
    deal = proposed_deal(by, sku, **data)
    start = listing_date or timezone.localdate()
    return deals.deal_schedule(
        deal_id=deal.pk, listing_date=start, end_date=start + timedelta(days=days - 1), by=by
    )


def prepared_deal(by: Any, sku: Sku, keeper: Any, **data: Any) -> Deal:
    deal = scheduled_deal(by, sku, **data)
    deals.deal_stock_request(deal_id=deal.pk, by=by)
    deals.deal_stock_confirm(deal_id=deal.pk, by=keeper)
    return deals.deal_content_ready(deal_id=deal.pk, note="主图5张、详情页文案已发给网站", by=by)


def deal_order(deal: Deal, sku: Sku, quantity: int, *, state: str = OrderState.SHIPPED) -> Order:
    """An order of the site's in the deal's window at the group price."""
    deal.refresh_from_db()
    line = deal.lines.get(sku=sku)
    return priced_order(
        [(sku, quantity, str(line.group_price))],
        channel=deal.partner.channel,
        state=state,
        needs_invoice=False,
        placed_at=timezone.now(),
    )


# --- Added for the behaviour tests -----------------------------------------------------------


def brand_sku(brand: Brand, code: str, *, state: str = SkuState.LISTED) -> Sku:
    """Another SKU of ``brand`` (its own product), in ``state``, priced like the others."""
    product = Product.objects.create(
        name="保湿精华", brand=brand, category=cast(Any, CategoryFactory()), description="补水保湿"
    )
    sku = Sku.objects.create(
        product=product,
        code=code,
        barcode=barcode(),
        name=f"保湿精华 {code}",
        state=state,
        tax_rate=Decimal("0.13"),
    )
    SkuPrice.objects.create(
        sku=sku, price=Decimal("99.00"), valid_from=timezone.now() - timedelta(days=1), reason="t"
    )
    return sku


def authorized_agent(by: Any, sku: Sku, clerk: Any, **letter: Any) -> tuple[Partner, Authorization]:
    """An agent whose first order is paid, with a letter for ``sku``'s brand on Taobao."""
    partner = paid_agent(by, sku, clerk)
    values: dict[str, Any] = {"brand_ids": [sku.product.brand_id], "channels": ["taobao"]}
    values.update(letter)
    authorization = agents.authorization_issue(partner_id=partner.pk, by=by, **values)
    partner.refresh_from_db()
    return partner, authorization


def applicant(
    by: Any,
    *,
    rating: str = "4.80",
    sales: int = 80000,
    years: str = "2.5",
    **data: Any,
) -> Partner:
    """A distributor whose application is recorded with these figures."""
    values = {"shop_name": "天猫分销店", "platform": "tmall_distribution", **data}
    partner = make_partner(by, kind="distributor", **values)
    return distributors.distributor_apply(
        partner_id=partner.pk,
        shop_rating=Decimal(rating),
        monthly_sales=sales,
        years_open=Decimal(years),
        by=by,
    )


def live_deal(by: Any, sku: Sku, keeper: Any, **data: Any) -> Deal:
    deal = prepared_deal(by, sku, keeper, **data)
    return deals.deal_go_live(deal_id=deal.pk, by=by)
