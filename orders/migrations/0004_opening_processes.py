"""The shop opening processes of Tmall and Taobao (开店流程): their steps and documents.

Data managers edit in the admin afterwards; running this again (or on a database that has
them) only adds what is missing, by code, and never overwrites a manager's edit.
"""

from django.db import migrations

PREPARATION, REVIEW, SETUP = "preparation", "review", "setup"
SHOP_MANAGER, DESIGNER, LISTING_REVIEWER = "shop_manager", "designer", "listing_reviewer"

STEPS = {
    "account_registered": (
        PREPARATION,
        SHOP_MANAGER,
        "注册商家账号",
        "在平台招商入口用企业信息注册商家账号，绑定企业支付宝与联系人手机。",
    ),
    "opening_exam": (
        PREPARATION,
        SHOP_MANAGER,
        "开店考试通过",
        "店铺负责人通过平台的在线开店考试（规则、禁限售与消费者保障）。",
    ),
    "alipay_verification": (
        REVIEW,
        SHOP_MANAGER,
        "支付宝实名认证",
        "企业支付宝完成实名认证（对公账户小额打款验证）。",
    ),
    "first_review": (REVIEW, SHOP_MANAGER, "初审", "平台初审企业资质与提交的资料。"),
    "second_review": (REVIEW, SHOP_MANAGER, "复审", "平台复审品牌与经营类目资质。"),
    "brand_confirmed": (
        REVIEW,
        SHOP_MANAGER,
        "品牌授权确认",
        "平台确认商标注册证或品牌授权书的授权链路。",
    ),
    "product_photos": (SETUP, DESIGNER, "商品拍摄", "主图、白底图与场景图拍摄修图。"),
    "descriptions": (SETUP, DESIGNER, "详情页设计", "按店铺风格设计首批商品的详情页。"),
    "shop_decoration": (SETUP, DESIGNER, "店铺装修", "首页、分类页与店招装修。"),
    "first_products": (
        SETUP,
        LISTING_REVIEWER,
        "首批商品上架",
        "首批商品审核信息、价格与库存后上架。",
    ),
    "shop_settings": (
        SETUP,
        SHOP_MANAGER,
        "店铺基础设置",
        "运费模板、客服分流、售后服务与发票设置。",
    ),
}

DOCUMENTS = {
    "business_licence": ("营业执照", True, "加盖公章的营业执照副本彩色扫描件。"),
    "brand_rights": (
        "商标注册证或品牌授权书",
        True,
        "自有品牌上传商标注册证；代理品牌上传至本企业的完整品牌授权链路。",
    ),
    "legal_rep_id": ("法定代表人身份证", True, "法定代表人身份证正反面。"),
    "bank_account": ("银行开户许可证", False, "对公账户的开户许可证或基本存款账户信息。"),
}

PROCESSES = [
    {
        "platform": "tmall",
        "name": "天猫开店",
        "review_working_days": 20,
        "steps": [
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
        ],
        "documents": ["business_licence", "brand_rights", "legal_rep_id", "bank_account"],
    },
    {
        "platform": "taobao",
        "name": "淘宝企业店",
        "review_working_days": 3,
        "steps": [
            "account_registered",
            "opening_exam",
            "alipay_verification",
            "first_review",
            "product_photos",
            "descriptions",
            "shop_decoration",
            "first_products",
        ],
        "documents": ["business_licence", "legal_rep_id", "bank_account"],
    },
]


def seed_processes(apps, schema_editor):
    Process = apps.get_model("orders", "OpeningProcess")
    Step = apps.get_model("orders", "OpeningStep")
    DocumentType = apps.get_model("orders", "OpeningDocumentType")
    for spec in PROCESSES:
        process, _created = Process.objects.get_or_create(
            platform=spec["platform"],
            defaults={
                "name": spec["name"],
                "review_working_days": spec["review_working_days"],
                "active": True,
            },
        )
        for index, code in enumerate(spec["steps"], start=1):
            phase, owner_role, name, description = STEPS[code]
            Step.objects.get_or_create(
                process=process,
                code=code,
                defaults={
                    "position": index * 10,
                    "phase": phase,
                    "owner_role": owner_role,
                    "name": name,
                    "description": description,
                },
            )
        for index, code in enumerate(spec["documents"], start=1):
            name, has_expiry, description = DOCUMENTS[code]
            DocumentType.objects.get_or_create(
                process=process,
                code=code,
                defaults={
                    "position": index * 10,
                    "name": name,
                    "has_expiry": has_expiry,
                    "required": True,
                    "description": description,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_shop_opening")]
    operations = [migrations.RunPython(seed_processes, migrations.RunPython.noop)]
