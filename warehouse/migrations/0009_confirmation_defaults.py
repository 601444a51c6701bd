"""Shipment confirmation defaults (issue 21 §1): the deadline clock's SLA policy, Taobao's
names of the usual carriers for its bulk-shipping file, and the minute sweep that posts the
confirmations due (built from ``ecomops.beat`` so a test flush replays it)."""

from django.db import migrations

from ecomops.beat import schedule_operation

NAME = "发货回传（每分钟发送到期的发货确认）"
DESCRIPTION = (
    "每分钟查看一次：把到期的发货回传（发货确认）签名推送给有回调地址的渠道，失败的按指数退避"
    "重试；丢失的消息或重启的进程不会漏发，已确认的不会重发。"
)

# Taobao's carrier names (物流公司) as its bulk-shipping template lists them: docs/warehouse.md
# [BS2]. Other platforms' names are entered by a manager (admin: platform carrier names).
TAOBAO_NAMES = {
    "SF": "顺丰速运",
    "ZTO": "中通快递",
    "YTO": "圆通速递",
    "STO": "申通快递",
    "YUNDA": "韵达快递",
    "JT": "极兔速递",
    "JD": "京东快递",
    "EMS": "邮政EMS",
    "POSTB": "邮政快递包裹",
    "DBKD": "德邦快递",
}


def create_defaults(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    SlaPolicy.objects.get_or_create(
        code="shipment_confirmation",
        defaults={
            "name": "发货回传时限",
            "limit": None,
            "owner_role": "warehouse_admin",
            "description": (
                "Starts when the buyer pays; due at the channel's confirmation deadline (hours "
                "after payment, the platform's rule); stops when the channel is told the order "
                "shipped (callback accepted, bulk-shipping file downloaded, or marked by hand)."
            ),
            "active": True,
        },
    )
    PlatformCarrierName = apps.get_model("warehouse", "PlatformCarrierName")
    for code, name in TAOBAO_NAMES.items():
        PlatformCarrierName.objects.get_or_create(
            platform="taobao", carrier_code=code, defaults={"name": name}
        )


def remove_defaults(apps, schema_editor):
    apps.get_model("sla", "SlaPolicy").objects.filter(
        code="shipment_confirmation", clocks__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0008_shipment_confirmation"),
        ("sla", "0009_warning_defaults_and_report"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        migrations.RunPython(create_defaults, remove_defaults),
        schedule_operation(
            name=NAME,
            task="warehouse.tasks.deliver_shipment_confirmations",
            minute="*",
            hour="*",
            description=DESCRIPTION,
        ),
    ]
