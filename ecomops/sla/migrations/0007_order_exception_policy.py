"""The exception queue's clock (异常订单处理): a parked marketplace order waits for a person."""

from datetime import timedelta

from django.db import migrations


def create_policy(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    SlaPolicy.objects.get_or_create(
        code="order_exception",
        defaults={
            "name": "异常订单处理",
            "limit": timedelta(hours=2),
            "owner_role": "presales_service",
            "description": (
                "Starts when a paid marketplace order is parked in the exception queue; stops "
                "when it is released into the normal flow or cancelled."
            ),
            "active": True,
        },
    )


def remove_policy(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    SlaPolicy.objects.filter(code="order_exception", clocks__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0006_chinese_schedule_names")]
    operations = [migrations.RunPython(create_policy, remove_policy)]
