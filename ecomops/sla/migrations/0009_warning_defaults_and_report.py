"""Warning points and escalation delays for the seeded policies (issue 25 §1), and the
daily SLA report's schedule (every morning at 08:00, for the day before)."""

from datetime import timedelta

from django.db import migrations

from ecomops.beat import schedule_operation

# code: (warning point in % of the allowance, escalation delay in working time). Short
# clocks escalate after about their own length; reviews and the shop approval, which run
# for hours or days, are warned earlier and escalate after half a working day or a day.
DEFAULTS = {
    "customer_identification": (80, timedelta(minutes=15)),
    "sales_order": (80, timedelta(minutes=30)),
    "delivery_note": (80, timedelta(hours=1)),
    "batch_processed": (80, timedelta(minutes=30)),
    "invoice_issued": (80, timedelta(hours=1)),
    "listing_review": (75, timedelta(hours=4)),
    "return_review": (75, timedelta(hours=2)),
    "shop_approval": (75, timedelta(hours=9)),
    "order_exception": (80, timedelta(hours=1)),
}


def set_defaults(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    for code, (percent, delay) in DEFAULTS.items():
        SlaPolicy.objects.filter(code=code).update(
            warning_percent=percent, escalation_delay=delay
        )


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0008_warnings_and_escalation"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        migrations.RunPython(set_defaults, migrations.RunPython.noop),
        schedule_operation(
            name="SLA 日报（每天 08:00）",
            task="ecomops.sla.tasks.send_sla_report",
            minute="0",
            hour="8",
            description="每天早上把前一天各时限规则的开始、按时完成、预警、超时和升级数量发给经理，每天一次。",
        ),
    ]
