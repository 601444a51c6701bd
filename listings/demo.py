"""Demo catalog for `manage.py seed_demo`: brands, categories and ~50 SKUs in every state.

Driven through the real services, so each SKU has its application rounds, transitions,
prices and pictures as if staff had worked it. Pictures are drawn locally with Pillow.
Idempotent: a second run finds the applications by product name and leaves them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from ecomops.validators import ean13_check_digit

from . import services
from .models import ListingApplication

BRANDS = [
    ("润肤坊", "Runfufang", "#c0392b"),
    ("山泉优品", "Shanquan", "#1f78b4"),
    ("禾田食品", "Hetian Foods", "#2e8b57"),
    ("小熊家居", "Bear Home", "#8e44ad"),
    ("极光数码", "Aurora Digital", "#34495e"),
    ("茶语", "Chayu Tea", "#6d8b3a"),
]
CATEGORIES = {
    "美妆个护": ["面霜", "洁面", "面膜"],
    "食品饮料": ["茶叶", "坚果", "饮用水"],
    "家居日用": ["收纳", "床品"],
    "数码配件": ["充电器", "数据线"],
}
# The tax category (税收分类简称) invoices print before each product's name.
TAX_CATEGORIES = {
    "面霜": "化妆品",
    "洁面": "化妆品",
    "面膜": "化妆品",
    "茶叶": "茶叶",
    "坚果": "坚果及籽类",
    "饮用水": "饮料",
    "收纳": "日用杂品",
    "床品": "日用杂品",
    "充电器": "计算机配套产品",
    "数据线": "计算机配套产品",
}
# 商品和服务税收分类编码 of the demo's tax categories, as printed on real invoices; categories
# without one here stay without a code, and their invoices wait for finance to set it.
TAX_CODES = {"日用杂品": "1060512990000000000"}
# (brand index, top category, category, product, specification, offline price, units/month)
PRODUCTS = [
    (0, "美妆个护", "面霜", "玻尿酸保湿面霜", "50g", "168.00", 900),
    (0, "美妆个护", "面霜", "烟酰胺亮肤面霜", "50g", "198.00", 700),
    (0, "美妆个护", "洁面", "氨基酸温和洁面乳", "120ml", "79.00", 1500),
    (0, "美妆个护", "面膜", "补水面膜10片装", "10片", "99.00", 2000),
    (0, "美妆个护", "面膜", "修护睡眠面膜", "80g", "129.00", 600),
    (0, "美妆个护", "洁面", "控油洁面泡沫", "150ml", "69.00", 1100),
    (1, "食品饮料", "饮用水", "天然山泉水", "550ml×24瓶", "48.00", 5000),
    (1, "食品饮料", "饮用水", "弱碱性苏打水", "350ml×24瓶", "72.00", 2600),
    (1, "食品饮料", "饮用水", "山泉水家庭装", "5L×4桶", "52.00", 3100),
    (1, "食品饮料", "饮用水", "儿童饮用水", "280ml×12瓶", "36.00", 1800),
    (2, "食品饮料", "坚果", "每日坚果礼盒", "25g×30袋", "139.00", 2400),
    (2, "食品饮料", "坚果", "原味巴旦木", "500g", "59.00", 1900),
    (2, "食品饮料", "坚果", "手剥山核桃", "250g", "88.00", 1200),
    (2, "食品饮料", "坚果", "盐焗腰果", "300g", "65.00", 1300),
    (2, "食品饮料", "坚果", "混合果干", "400g", "45.00", 1600),
    (2, "食品饮料", "坚果", "碧根果", "500g", "79.00", 1400),
    (3, "家居日用", "收纳", "可折叠收纳箱", "大号 60L", "89.00", 800),
    (3, "家居日用", "收纳", "抽屉式收纳柜", "五层", "259.00", 300),
    (3, "家居日用", "床品", "纯棉四件套", "1.8m床", "399.00", 500),
    (3, "家居日用", "床品", "乳胶枕", "60×40cm", "199.00", 650),
    (3, "家居日用", "收纳", "衣物真空压缩袋", "8件套", "59.00", 900),
    (3, "家居日用", "床品", "夏凉被", "200×230cm", "169.00", 700),
    (4, "数码配件", "充电器", "65W氮化镓充电器", "双口", "169.00", 1000),
    (4, "数码配件", "充电器", "20W快充头", "USB-C", "59.00", 2200),
    (4, "数码配件", "数据线", "编织快充数据线", "1m", "29.00", 3000),
    (4, "数码配件", "数据线", "三合一数据线", "1.2m", "39.00", 1700),
    (4, "数码配件", "充电器", "无线充电板", "15W", "99.00", 800),
    (4, "数码配件", "充电器", "车载充电器", "双口 36W", "69.00", 900),
    (4, "数码配件", "数据线", "苹果MFi认证线", "2m", "89.00", 1000),
    (5, "食品饮料", "茶叶", "明前龙井", "250g", "398.00", 400),
    (5, "食品饮料", "茶叶", "武夷大红袍", "200g", "268.00", 500),
    (5, "食品饮料", "茶叶", "云南普洱饼茶", "357g", "188.00", 600),
    (5, "食品饮料", "茶叶", "福鼎白茶", "300g", "228.00", 450),
    (5, "食品饮料", "茶叶", "茉莉花茶", "250g", "98.00", 900),
    (5, "食品饮料", "茶叶", "安吉白茶", "125g", "299.00", 350),
    (0, "美妆个护", "面霜", "男士清爽乳液", "100ml", "109.00", 800),
    (0, "美妆个护", "洁面", "卸妆水", "400ml", "89.00", 1400),
    (1, "食品饮料", "饮用水", "含气矿泉水", "330ml×24瓶", "96.00", 900),
    (2, "食品饮料", "坚果", "夏威夷果", "454g", "69.00", 1500),
    (2, "食品饮料", "坚果", "开心果", "500g", "85.00", 1300),
    (3, "家居日用", "收纳", "桌面收纳盒", "三格", "39.00", 1500),
    (3, "家居日用", "床品", "羊毛冬被", "200×230cm", "599.00", 250),
    (4, "数码配件", "数据线", "磁吸数据线", "1m", "49.00", 1100),
    (4, "数码配件", "充电器", "多口充电站", "100W 四口", "299.00", 300),
    (5, "食品饮料", "茶叶", "铁观音", "250g", "168.00", 700),
    (5, "食品饮料", "茶叶", "正山小种", "200g", "158.00", 650),
    (0, "美妆个护", "面膜", "清洁泥膜", "100g", "119.00", 700),
    (1, "食品饮料", "饮用水", "电解质饮料", "500ml×15瓶", "75.00", 1200),
    (2, "食品饮料", "坚果", "蜂蜜黄油扁桃仁", "200g", "39.00", 1700),
    (3, "家居日用", "收纳", "鞋盒收纳", "6个装", "79.00", 1000),
]
# How far each demo application gets, cycling over the products: most are listed.
STAGES = ["listed"] * 7 + [
    "delisted",
    "priced",
    "designed",
    "info_complete",
    "approved",
    "submitted",
    "rejected",
    "draft",
]


def _font(size: int) -> Any:
    try:
        from ecomops.pdf.fonts import cjk_font

        font = cjk_font()
        return ImageFont.truetype(str(font.path), size, index=font.subfont_index)
    except Exception:  # no CJK font installed: fall back to Pillow's bitmap font
        return ImageFont.load_default()


def demo_picture(title: str, subtitle: str, color: str, *, size: int = 800) -> SimpleUploadedFile:
    """An 800×800 JPEG in the brand colour with the product name: enough to look real."""
    image = Image.new("RGB", (size, size), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle([40, 40, size - 40, size - 40], outline="white", width=6)
    draw.ellipse([size // 2 - 150, 170, size // 2 + 150, 470], fill="white")
    draw.text((size // 2, 320), title[:2], fill=color, font=_font(150), anchor="mm")
    draw.text((size // 2, 560), title, fill="white", font=_font(52), anchor="mm")
    draw.text((size // 2, 640), subtitle, fill="white", font=_font(36), anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return SimpleUploadedFile(f"{title}.jpg", buffer.getvalue(), content_type="image/jpeg")


def demo_barcode(index: int) -> str:
    first12 = f"690{index + 1234500:09d}"
    return first12 + ean13_check_digit(first12)


def _user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def seed_listings(log: Callable[[str], None]) -> None:
    if ListingApplication.objects.filter(product_name=PRODUCTS[0][3]).exists():
        log("  listings: demo catalog already there")
        return
    applicant, reviewer = _user("bu_applicant"), _user("listing_reviewer")
    designer, shop_manager = _user("designer"), _user("shop_manager")
    brands = [services.brand_get_or_create(name=n, name_en=en) for n, en, _c in BRANDS]
    tops = {top: services.category_get_or_create(name=top) for top in CATEGORIES}
    categories = {
        (top, name): services.category_get_or_create(name=name, parent=tops[top])
        for top, names in CATEGORIES.items()
        for name in names
    }
    for index, (brand_i, top, cat, name, spec, offline, monthly) in enumerate(PRODUCTS):
        stage = STAGES[index % len(STAGES)]
        with transaction.atomic():
            _seed_one(
                index,
                stage,
                brands[brand_i],
                BRANDS[brand_i][2],
                categories[(top, cat)],
                name,
                spec,
                Decimal(offline),
                monthly,
                applicant,
                reviewer,
                designer,
                shop_manager,
            )
    log(f"  listings: {len(PRODUCTS)} products in {len(set(STAGES))} states")


def _seed_one(
    index: int,
    stage: str,
    brand: Any,
    color: str,
    category: Any,
    name: str,
    spec: str,
    offline: Decimal,
    monthly: int,
    applicant: Any,
    reviewer: Any,
    designer: Any,
    shop_manager: Any,
) -> None:
    guide = (offline * Decimal("0.88")).quantize(Decimal("1.00"))
    subsidy = (offline * Decimal("0.75")).quantize(Decimal("1.00"))
    application = services.application_create(
        applicant=applicant,
        data={
            "brand": brand,
            "category": category,
            "product_name": name,
            "specification": spec,
            "description": f"{brand.name}{name}，规格{spec}。线下渠道热销，品质稳定，售后完善。",
            "fit_reason": "线下月销稳定，客单价适合线上；品牌在天猫搜索热度高，适合做新品引流。",
            "offline_market_price": offline,
            "online_guide_price": guide,
            "base_subsidy_price": subsidy,
            "offline_monthly_sales": monthly,
        },
    )
    pk = application.pk
    if stage == "draft":
        return
    if stage == "rejected":
        services.application_submit(application_id=pk, by=applicant)
        services.application_reject(
            application_id=pk, by=reviewer, reason="线上指导价高于同类竞品，请补充竞品价格对比。"
        )
        return
    services.application_submit(application_id=pk, by=applicant)
    if stage == "submitted":
        return
    services.application_approve(application_id=pk, by=reviewer)
    services.application_base_info_save(
        application_id=pk,
        by=applicant,
        data={
            "code": f"SKU{index + 1:05d}",
            "barcode": demo_barcode(index),
            "name": f"{brand.name}{name} {spec}",
            "specification": spec,
            "unit": "件",
            "weight_grams": 200 + (index * 37) % 1800,
            "length_mm": 200,
            "width_mm": 150,
            "height_mm": 80 + index % 60,
            "tax_rate": Decimal("0.13") if category.parent.name != "食品饮料" else Decimal("0.09"),
            "tax_category": TAX_CATEGORIES[category.name],
            "tax_code": TAX_CODES.get(TAX_CATEGORIES[category.name], ""),
            "origin": "浙江杭州",
            "shelf_life": "24个月" if category.parent.name != "数码配件" else "",
            "material": "",
            "storage": "阴凉干燥处保存",
        },
    )
    if stage == "approved":
        return
    services.application_image_add(
        application_id=pk, by=applicant, upload=demo_picture(name, spec, color), kind="main"
    )
    services.application_image_add(
        application_id=pk,
        by=applicant,
        upload=demo_picture(name, brand.name, color),
        kind="detail",
        caption="细节展示",
    )
    services.application_info_complete(application_id=pk, by=applicant)
    if stage == "info_complete":
        return
    services.application_design_save(
        application_id=pk,
        by=designer,
        headline=f"{brand.name} {name}",
        selling_points="正品保障\n线下热销同款\n下午3点前付款当天发货",
        body=f"{brand.name}{name}，{spec}。\n\n精选原料，严格品控，每一批次均有质检报告。",
    )
    services.application_design_finish(application_id=pk, by=designer)
    if stage == "designed":
        return
    services.application_price(
        application_id=pk,
        by=shop_manager,
        price=guide,
        monthly_sales_target=services.sales_target_suggest(monthly),
        promotion_plan="上新首周店铺首页推荐，直通车投放，满199减20。",
        reason="按线上指导价上新",
    )
    if stage == "priced":
        return
    services.application_publish(application_id=pk, by=shop_manager)
    if stage == "delisted":
        sku_id = ListingApplication.objects.values_list("sku_id", flat=True).get(pk=pk)
        services.sku_delist(sku_id=sku_id, by=shop_manager, reason="厂家包装升级，暂停销售")
    elif index % 5 == 0:
        sku_id = ListingApplication.objects.values_list("sku_id", flat=True).get(pk=pk)
        services.sku_price_change(
            sku_id=sku_id,
            by=shop_manager,
            price=(guide * Decimal("0.95")).quantize(Decimal("1.00")),
            reason="双十一后价格调整",
            valid_from=timezone.now() - timedelta(minutes=1),
        )
