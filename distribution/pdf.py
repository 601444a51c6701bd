"""Distribution's paperwork (reportlab, embedded CJK font), built from what it is handed.

- brand authorization letter (品牌授权书), A4: number, the partner and its company, the
  brands, the authorized platforms and shop, territory, validity, terms, our seal line;
- quote sheet (团购报价单), A4: every SKU with its online and group price, minimum and
  estimated quantity;
- distributor recruitment brochure (分销商招募手册), A4: introduction, benefits, criteria,
  programme rules and how to apply.

Documents for partners are in Chinese whatever the reader's portal language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from ecomops import pdf
from ecomops.pdf import chinese_date as day
from listings.models import Brand
from listings.selectors import sku_online_price

from .models import Authorization, Deal, DealLine, Partner, ProgrammeVersion

RED = colors.HexColor("#B22222")


def _zh(text: Any) -> str:
    """A (lazy) label in Chinese: partners' documents are Chinese whatever the portal shows."""
    with translation.override("zh-hans"):
        return str(text)


def authorization_letter(
    authorization: Authorization, *, partner: Partner, brands: Sequence[Brand]
) -> bytes:
    s = pdf.styles(size=11)
    company = settings.COMPANY_NAME
    brand_names = "、".join(f"{b.name}（{b.name_en}）" if b.name_en else b.name for b in brands)
    with translation.override("zh-hans"):
        channels = "、".join(authorization.channel_labels)
    holder = partner.company_name or partner.shop_name
    story: list[Any] = [
        pdf.paragraph("品牌授权书", s.title),
        pdf.paragraph(f"授权书编号：{authorization.number}", s.body_right),
        Spacer(1, 4 * mm),
        pdf.paragraph(f"被授权方：{holder}", s.heading),
        Spacer(1, 2 * mm),
        pdf.paragraph(
            f"兹授权{holder}（店铺：{partner.shop_name}）作为{company}下列品牌产品的授权代理商，"
            f"在授权期限内于下列渠道销售授权品牌的正品商品。",
            s.body,
        ),
        Spacer(1, 4 * mm),
        pdf.key_value_table(
            [
                ("授权品牌", brand_names),
                ("授权渠道", channels),
                ("店铺名称", partner.shop_name),
                ("店铺网址", partner.shop_url or "—"),
                ("统一社会信用代码", partner.credit_code or "—"),
                ("授权区域", authorization.territory or "不限"),
                (
                    "授权期限",
                    f"{day(authorization.valid_from)} 至 {day(authorization.valid_until)}",
                ),
            ],
            s,
        ),
        Spacer(1, 5 * mm),
        pdf.paragraph("授权条款", s.heading),
    ]
    terms = [
        "被授权方只可销售由授权方供应的正品商品，不得销售假冒、翻新或来源不明的商品。",
        "被授权方须遵守授权方的价格体系，不得低于授权方规定的最低零售价销售。",
        "被授权方可使用随本授权书提供的商品资料包中的图片与文字，仅限于授权渠道的店铺。",
        "本授权不得转让；授权期满或被授权方违反上述条款时，本授权自动失效。",
        "本授权书复印件无效，真伪可凭授权书编号向授权方核实。",
    ]
    for index, term in enumerate(terms, start=1):
        story.append(pdf.paragraph(f"{index}. {term}", s.body))
    seal = ParagraphStyle("seal", parent=s.body, alignment=2, textColor=RED, leading=18)
    story += [
        Spacer(1, 14 * mm),
        pdf.paragraph(f"授权方：{company}（盖章）", seal),
        pdf.paragraph(f"签发日期：{day(timezone.localtime(authorization.issued_at))}", seal),
        Spacer(1, 6 * mm),
        pdf.code128_flowable(authorization.number),
    ]
    return pdf.build_pdf(story, title=f"品牌授权书 {authorization.number}")


def quote_sheet(deal: Deal, *, lines: Sequence[DealLine]) -> bytes:
    s = pdf.styles(size=10)
    partner = deal.partner
    rows = []
    for line in lines:
        online = sku_online_price(sku=line.sku)
        rows.append(
            [
                line.sku.code,
                line.sku.name,
                line.sku.specification,
                pdf.format_money(online) if online is not None else "—",
                pdf.format_money(line.group_price),
                str(line.min_quantity),
                str(line.estimated_quantity),
            ]
        )
    story: list[Any] = [
        pdf.paragraph("团购报价单", s.title),
        pdf.paragraph(
            f"报价单号：{deal.number}　　日期：{day(timezone.localdate())}",
            s.body_right,
        ),
        Spacer(1, 3 * mm),
        pdf.key_value_table(
            [
                ("团购网站", partner.company_name or partner.shop_name),
                ("活动名称", deal.title),
                ("报价方", settings.COMPANY_NAME),
                ("联系电话", settings.COMPANY_ADDRESS_PHONE),
            ],
            s,
        ),
        Spacer(1, 5 * mm),
        pdf.data_table(
            ["商品编码", "品名", "规格", "线上价(元)", "团购价(元)", "起订量", "预计数量"],
            rows,
            [24 * mm, 46 * mm, 26 * mm, 20 * mm, 20 * mm, 16 * mm, 18 * mm],
            number_columns=(3, 4, 5, 6),
        ),
        Spacer(1, 5 * mm),
        pdf.paragraph("说明", s.heading),
        pdf.paragraph(
            "1. 以上价格含增值税，按团购活动期间有效。2. 订单由本公司仓库直接发货给消费者。"
            "3. 活动结束、订单发货完毕后，团购网站按约定日期将货款汇入本公司账户："
            f"{settings.COMPANY_BANK_ACCOUNT}。",
            s.body,
        ),
    ]
    return pdf.build_pdf(story, title=f"团购报价单 {deal.number}")


def brochure(version: ProgrammeVersion, *, criteria: Sequence[dict[str, Any]]) -> bytes:
    s = pdf.styles(size=11)
    story: list[Any] = [
        pdf.paragraph(version.title, s.title),
        pdf.paragraph(
            f"{settings.COMPANY_NAME}　分销商招募手册　第{version.version}版", s.body_right
        ),
        Spacer(1, 4 * mm),
        pdf.paragraph(version.introduction, s.body),
        pdf.paragraph("合作权益", s.heading),
    ]
    story += [pdf.paragraph(f"• {line}", s.body) for line in version.benefit_lines()]
    story.append(
        pdf.paragraph(f"• 分销商供货折扣：建议零售价的 {100 - version.discount_percent:g}%", s.body)
    )
    story += [
        pdf.paragraph("招募条件", s.heading),
        pdf.data_table(
            ["条件", "最低要求"],
            [[_zh(row["label"]), row["minimum"]] for row in criteria],
            [100 * mm, 70 * mm],
        ),
        pdf.paragraph("合作规则", s.heading),
    ]
    story += [
        pdf.paragraph(f"{index}. {line}", s.body)
        for index, line in enumerate(version.rule_lines(), start=1)
    ]
    story += [
        pdf.paragraph("申请方式", s.heading),
        pdf.paragraph(version.contact, s.body),
    ]
    return pdf.build_pdf(story, title=f"{version.title} 第{version.version}版")
