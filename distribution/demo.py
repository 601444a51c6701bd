"""Distribution demo data: partners in every state of their recruitment (through the real
services, so channels, first orders, payments, letters and data packages exist), the
distributor programme, and group-buying deals: one closed with its remittance, one live,
one proposed. Six months of partner orders feed the sales chart; history that cannot be
replayed now (orders placed months ago) is written directly, like the orders demo does.
Run twice, it adds nothing.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from ecomops.accounts.roles import RoleCode
from ecomops.validators import credit_code_check_char
from finance.models import Remittance
from finance.services.payments import bank_payment_record, payment_match
from finance.services.remittances import remittance_receive
from listings.models import Sku, SkuState
from listings.selectors import with_current_price
from orders.demo import HistoryOrder, completed_orders
from orders.models import Channel, Customer, Order, OrderSource
from orders.services import order_intake

from .models import ContactMethod, Deal, Partner, PartnerKind
from .services import agents, deals, distributors, partners

Log = Callable[[str], None]
CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def _channel(partner: Partner) -> Channel:
    if partner.channel is None:
        raise RuntimeError(f"{partner} has no channel")
    return partner.channel


def _png(colour: tuple[int, int, int]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buffer, format="PNG")
    return SimpleUploadedFile("specs.png", buffer.getvalue(), content_type="image/png")


def _pdf(name: str, text: str) -> SimpleUploadedFile:
    """A small real PDF (the company papers and QC report a site asks for)."""
    from reportlab.pdfgen import canvas

    from ecomops import pdf

    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer)
    sheet.setFont(pdf.register_cjk_font(), 16)
    sheet.drawString(72, 760, text)
    sheet.showPage()
    sheet.save()
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


PROGRAMME = {
    "title": "天猫分销商招募计划",
    "introduction": (
        "我们是多个国内外美妆与个护品牌的线上授权经销商。现面向天猫分销平台招募优质分销商，"
        "由我们统一供货、代发货，分销商专注店铺运营与推广。"
    ),
    "benefits": "正品保证，品牌授权可查\n一件代发，当天15点前订单当天发货\n"
    "商品资料包（主图、详情页、卖点）免费提供\n专属分销专员一对一支持",
    "rules": "分销商须按建议零售价销售，不得低价扰乱价格体系\n"
    "不得将商品转售给未授权的第三方\n售后问题由我司售后部按统一流程处理\n"
    "连续三个月无销售的分销商将被暂停合作",
    "discount_percent": "25",
    "contact": "请联系分销专员：0571-88886666，或在天猫分销平台搜索本店提交申请。",
}

AGENTS = [
    # (shop, platform, final state)
    ("小美护肤馆", "taobao", "prospect"),
    ("悦颜美妆", "taobao", "contacted"),
    ("花漾化妆品店", "taobao", "agreed"),
    ("丽人坊美妆", "taobao", "first_order_placed"),
    ("雅诗阁美妆", "tmall", "first_order_paid"),
    ("自然之美护肤", "taobao", "authorized"),
    ("香草美妆旗舰", "tmall", "active"),
    ("蜜语美妆", "taobao", "active_expiring"),
    ("青柠美妆", "taobao", "suspended"),
    ("旧时光化妆品", "taobao", "terminated"),
]

DISTRIBUTORS = [
    ("优品分销专营店", ("4.85", 120000, "3.5"), "accepted"),
    ("美丽日记分销店", ("4.78", 80000, "2"), "applied"),
    ("新开小店", ("4.40", 12000, "0.5"), "applied"),
    ("低分美妆店", ("4.20", 30000, "1"), "declined"),
]

SITES = [
    ("美团优选美妆", "meituan"),
    ("大众点评团购", "dianping"),
    ("拼多多百亿补贴", "pinduoduo"),
    ("社区团购联盟", "wechat"),
]


class _Demo:
    def __init__(self, rng: random.Random, log: Log) -> None:
        self.rng = rng
        self.log = log
        self.specialist = _user(RoleCode.DISTRIBUTION_SPECIALIST)
        self.netsales = _user(RoleCode.NETWORK_SALES)
        self.clerk = _user(RoleCode.FINANCE_CLERK)
        self.keeper = _user(RoleCode.WAREHOUSE_ADMIN)
        self.manager = _user(RoleCode.MANAGER)
        self.skus = [
            sku
            for sku in with_current_price(Sku.objects.filter(state=SkuState.LISTED))
            .select_related("product__brand")
            .order_by("code")
            if sku.current_price is not None  # type: ignore[attr-defined]
        ][:12]
        self.customers = list(Customer.objects.filter(merged_into__isnull=True).order_by("pk")[:40])

    # --- helpers -----------------------------------------------------------------------

    def credit_code(self) -> str:
        body = "".join(self.rng.choice(CODE_ALPHABET) for _ in range(9))
        first17 = f"91330110{body}"
        return first17 + credit_code_check_char(first17)

    def partner(self, kind: str, shop: str, platform: str, owner: Any) -> Partner:
        return partners.partner_create(
            kind=kind,
            data={
                "shop_name": shop,
                "platform": platform,
                "shop_url": f"https://shop{self.rng.randint(10000, 99999)}.taobao.com/",
                "company_name": f"杭州{shop}商贸有限公司",
                "credit_code": self.credit_code(),
                "company_address": "浙江省杭州市余杭区文一西路"
                + str(self.rng.randint(1, 999))
                + "号",
                "legal_representative": self.rng.choice(["王芳", "李强", "陈静", "赵磊"]),
            },
            owner=owner,
            by=owner,
        )

    def contact(self, partner: Partner, owner: Any) -> None:
        partners.partner_contact_add(
            partner_id=partner.pk,
            data={
                "name": self.rng.choice(["王店长", "李经理", "陈老板", "赵主管"]),
                "title": "店长",
                "phone": f"139{self.rng.randint(10000000, 99999999)}",
                "wechat": f"shop{self.rng.randint(1000, 9999)}",
            },
            by=owner,
        )
        now = timezone.now()
        partners.contact_log_add(
            partner_id=partner.pk,
            at=now - timedelta(days=self.rng.randint(1, 10)),
            method=ContactMethod.CALL,
            summary="电话介绍公司品牌与代理政策，对方对保湿系列有兴趣。",
            outcome="同意看样品资料",
            next_step="发送商品资料并回访",
            next_step_due=now + timedelta(hours=self.rng.choice([-3, 2, 26])),
            by=owner,
        )

    def order(self, partner: Partner, units: int, *, sku: Sku) -> Order:
        """The agent's purchase, keyed in on its channel (the agent is the customer)."""
        contact = partner.contacts.first()
        result = order_intake(
            channel=_channel(partner),
            data={
                "external_id": f"{partner.number}-1",
                "placed_at": (timezone.now() - timedelta(minutes=30)).isoformat(),
                "customer": {
                    "kind": "company",
                    "name": partner.company_name,
                    "credit_code": partner.credit_code,
                    "contact_person": contact.name if contact else partner.legal_representative,
                    "phone": contact.phone if contact else "0571-88886666",
                    "province": "浙江省",
                    "city": "杭州市",
                    "district": "余杭区",
                    "street_address": partner.company_address,
                },
                "lines": [
                    {
                        "sku": sku.code,
                        "quantity": units,
                        "unit_price": str(sku.current_price),  # type: ignore[attr-defined]
                    }
                ],
            },
            source=OrderSource.MANUAL,
        )
        return result.order

    def pay(self, order: Order, amount: Decimal) -> None:
        payment = bank_payment_record(
            reference=f"DEMO-{order.number}-{amount}",
            amount=amount,
            paid_at=timezone.now() - timedelta(hours=1),
            payer_name=order.channel.name,
            by=self.clerk,
        )
        payment_match(payment_id=payment.pk, allocations={order.pk: amount}, by=self.clerk)

    def units_for(self, sku: Sku, at_least: Decimal) -> int:
        price = sku.current_price  # type: ignore[attr-defined]
        return int(at_least / price) + 1

    # --- the processes ---------------------------------------------------------------------

    def programme(self) -> None:
        distributors.programme_save(data=PROGRAMME, by=self.specialist)
        distributors.programme_save(
            data={**PROGRAMME, "discount_percent": "28"}, by=self.specialist
        )

    def agents(self) -> None:
        sku = self.skus[0]
        brand = sku.product.brand
        by = self.specialist
        for shop, platform, final in AGENTS:
            partner = self.partner(PartnerKind.AGENT, shop, platform, by)
            self.contact(partner, by)
            if final == "prospect":
                continue
            partners.partner_contact_first(
                partner_id=partner.pk,
                note="推荐保湿系列与防晒系列，附商品资料。",
                sku_ids=[s.pk for s in self.skus[:3]],
                by=by,
            )
            if final == "contacted":
                continue
            agents.agent_agree(partner_id=partner.pk, by=by)
            if final == "agreed":
                continue
            partner.refresh_from_db()
            units = self.units_for(sku, Decimal("4000"))  # a first order reaches the minimum
            order = self.order(partner, units, sku=sku)
            agents.agent_first_order(partner_id=partner.pk, order_number=order.number, by=by)
            if final == "first_order_placed":
                self.pay(order, Decimal("2000.00"))  # part paid: the page shows what is missing
                continue
            self.pay(order, order.total_amount)
            agents.agent_first_order_paid(partner_id=partner.pk, by=by)
            if final == "first_order_paid":
                continue
            today = timezone.localdate()
            start = today - timedelta(days=340) if final == "active_expiring" else today
            agents.authorization_issue(
                partner_id=partner.pk,
                brand_ids=[brand.pk],
                channels=[platform],
                territory="浙江省" if final == "authorized" else "",
                valid_from=start,
                by=by,
            )
            if final == "authorized":
                continue
            agents.agent_activate(partner_id=partner.pk, by=by)
            if final == "suspended":
                partners.partner_suspend(
                    partner_id=partner.pk, why="连续三个月低于建议零售价销售", by=self.specialist
                )
            elif final == "terminated":
                partners.partner_terminate(
                    partner_id=partner.pk, why="店铺关闭，终止合作", by=self.specialist
                )
        self.log(f"  {len(AGENTS)} agents, from prospect to terminated")

    def distributors(self) -> None:
        by = self.specialist
        for shop, (rating, sales, years), decision in DISTRIBUTORS:
            partner = self.partner(PartnerKind.DISTRIBUTOR, shop, "tmall_distribution", by)
            self.contact(partner, by)
            distributors.distributor_apply(
                partner_id=partner.pk,
                shop_rating=Decimal(rating),
                monthly_sales=sales,
                years_open=Decimal(years),
                by=by,
            )
            if decision == "accepted":
                distributors.distributor_screen(
                    partner_id=partner.pk, decision="accepted", note="各项指标达标", by=by
                )
            elif decision == "declined":
                distributors.distributor_screen(
                    partner_id=partner.pk,
                    decision="declined",
                    note="店铺评分低于4.6，半年后可再申请",
                    by=by,
                )
        self.log(f"  {len(DISTRIBUTORS)} distributors: applied, accepted and declined")

    def sites(self) -> list[Partner]:
        sites = []
        for index, (shop, platform) in enumerate(SITES):
            site = self.partner(PartnerKind.GROUP_BUYING, shop, platform, self.netsales)
            self.contact(site, self.netsales)
            if index in (1, 2):  # the last site is still a prospect
                partners.partner_contact_first(
                    partner_id=site.pk, note="介绍团购合作方式与报价", sku_ids=[], by=self.netsales
                )
            sites.append(site)
        return sites

    def deal(self, site: Partner, title: str, lines: list[tuple[Sku, int]]) -> Deal:
        by = self.netsales
        deal = deals.deal_create(partner_id=site.pk, title=title, owner=by, by=by)
        for sku, estimate in lines:
            price = sku.current_price  # type: ignore[attr-defined]
            deals.deal_line_save(
                deal_id=deal.pk,
                sku_id=sku.pk,
                group_price=(price * Decimal("0.7")).quantize(Decimal("0.1")),
                min_quantity=max(10, estimate // 5),
                estimated_quantity=estimate,
                by=by,
            )
        deals.deal_document_upload(
            deal_id=deal.pk, kind="specifications", upload=_png((230, 230, 240)), by=by
        )
        deals.deal_document_upload(
            deal_id=deal.pk,
            kind="company_papers",
            upload=_pdf("papers.pdf", "营业执照、商标注册证、品牌授权书"),
            by=by,
        )
        deals.deal_document_upload(
            deal_id=deal.pk, kind="qc_report", upload=_pdf("qc.pdf", "产品质量检验报告"), by=by
        )
        return deals.deal_propose(deal_id=deal.pk, by=by)

    def run_deal(self, deal: Deal, days: int) -> Deal:
        by = self.netsales
        today = timezone.localdate()
        deals.deal_schedule(
            deal_id=deal.pk, listing_date=today, end_date=today + timedelta(days=days), by=by
        )
        deals.deal_stock_request(deal_id=deal.pk, by=by)
        deals.deal_stock_confirm(deal_id=deal.pk, by=self.keeper)
        deals.deal_content_ready(
            deal_id=deal.pk, note="主图5张、详情页长图与卖点文案已上传到网站后台", by=by
        )
        return deals.deal_go_live(deal_id=deal.pk, by=by)

    def deals(self, sites: list[Partner]) -> None:
        # A past deal, from proposal to close with its remittance.
        closed = self.deal(sites[0], "双十一保湿团购", [(self.skus[0], 300), (self.skus[1], 150)])
        closed = self.run_deal(closed, 0)
        start = timezone.localdate() - timedelta(days=30)
        # The window is history now: move it back before recording its orders.
        Deal.objects.filter(pk=closed.pk).update(
            listing_date=start, end_date=start + timedelta(days=4)
        )
        closed.refresh_from_db()
        lines = [(line.sku, line.group_price) for line in closed.lines.select_related("sku")]
        self.history(
            _channel(closed.partner), start, start + timedelta(days=4), 60, lines=lines, per_order=4
        )
        deals.deal_all_shipped(deal_id=closed.pk, by=self.netsales)
        deals.deal_expect_remittance(
            deal_id=closed.pk, due=timezone.localdate() - timedelta(days=5), by=self.netsales
        )
        remittance = Remittance.objects.get(reference=closed.number)
        remittance_receive(
            remittance_id=remittance.pk,
            bank_reference=f"DEMO-REM-{closed.number}",
            amount=remittance.amount_expected,
            paid_at=timezone.now() - timedelta(days=6),
            by=self.clerk,
        )
        deals.deal_remitted(reference=closed.number)  # the signal did it already; harmless
        deals.deal_close(
            deal_id=closed.pk,
            lessons="面霜销量超出预期，下次备货可增加30%；防晒霜起订量偏高。",
            by=self.netsales,
        )
        # A live deal with its first orders.
        live = self.deal(sites[1], "年货节面霜团购", [(self.skus[2], 200)])
        live = self.run_deal(live, 6)
        line = live.lines.select_related("sku").get()
        for n in range(3):
            self.group_order(
                _channel(live.partner), line.sku, line.group_price, f"{live.number}-{n}"
            )
        # A proposal waiting for the site's answer.
        self.deal(sites[2], "百亿补贴爽肤水", [(self.skus[3], 500)])
        self.log("  3 group-buying deals: closed with its remittance, live, proposed")

    def group_order(self, channel: Channel, sku: Sku, price: Decimal, external: str) -> None:
        customer = self.rng.choice(self.customers)
        order_intake(
            channel=channel,
            data={
                "external_id": external,
                "placed_at": (timezone.now() - timedelta(minutes=20)).isoformat(),
                "customer": {
                    "kind": "individual",
                    "name": customer.name,
                    "phone": customer.phone,
                    "province": customer.province or "浙江省",
                    "city": customer.city or "杭州市",
                    "district": customer.district,
                    "street_address": customer.street_address or "文三路1号",
                    "postcode": customer.postcode,
                },
                "lines": [{"sku": sku.code, "quantity": 1, "unit_price": str(price)}],
            },
        )

    # --- history for the sales views -------------------------------------------------------

    def history(
        self,
        channel: Channel,
        first: date,
        last: date,
        count: int,
        *,
        lines: list[tuple[Sku, Decimal]] | None = None,
        per_order: int = 1,
    ) -> None:
        """``count`` shipped orders placed between ``first`` and ``last`` on ``channel``."""
        if not self.customers:
            return
        tz = timezone.get_current_timezone()
        now = timezone.now()
        span = max(1, (last - first).days + 1)
        rows: list[HistoryOrder] = []
        choices = lines or [(s, s.current_price) for s in self.skus[:6]]  # type: ignore[attr-defined]
        for n in range(count):
            day = first + timedelta(days=n % span)
            placed = datetime.combine(
                day, time(self.rng.randrange(8, 22), self.rng.randrange(60)), tz
            )
            if placed >= now - timedelta(days=1):
                continue
            sku, price = self.rng.choice(choices)
            quantity = self.rng.randint(1, per_order)
            rows.append((placed, self.rng.choice(self.customers), [(sku, quantity, price)]))
        completed_orders(channel, rows)

    def sales_history(self) -> None:
        today = timezone.localdate()
        for partner in Partner.objects.filter(channel__isnull=False).select_related("channel"):
            if partner.kind == PartnerKind.GROUP_BUYING or partner.channel is None:
                continue
            if partner.state not in ("active", "suspended", "terminated"):
                continue
            months = 6 if partner.kind == PartnerKind.DISTRIBUTOR else 4
            self.history(
                partner.channel,
                today - timedelta(days=30 * months),
                today - timedelta(days=2),
                self.rng.randint(40, 90),
                per_order=3 if partner.kind == PartnerKind.AGENT else 1,
            )
        self.log("  partner orders of the last months for the sales views")


def seed_distribution(log: Log) -> None:
    if Partner.objects.exists():
        log("  distribution demo already there")
        return
    demo = _Demo(random.Random(8), log)  # noqa: S311 (demo data)
    if len(demo.skus) < 4:
        log("  not enough listed products for the distribution demo")
        return
    demo.programme()
    demo.agents()
    demo.distributors()
    sites = demo.sites()
    demo.deals(sites)
    demo.sales_history()
