"""The after-sales channel replacement orders come in on, and what beat looks at for returns
and callbacks (DESIGN §7: beat says "look now"; the database says what is due)."""

from decimal import Decimal

from django.db import migrations

from ecomops.beat import schedule_operation

CHANNEL_CODE = "aftersales"


def create_channel(apps, schema_editor):
    Channel = apps.get_model("orders", "Channel")
    Channel.objects.get_or_create(
        code=CHANNEL_CODE,
        defaults={
            "name": "售后换货",
            "kind": "manual",
            "payment_terms": "on_account",
            # Replacements go out at no charge: any price down to zero is accepted.
            "price_tolerance_percent": Decimal("100"),
            "merge_parcels": False,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0001_initial"),
        ("orders", "0002_order_batches_missed"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        migrations.RunPython(create_channel, migrations.RunPython.noop),
        schedule_operation(
            name="Returns awaiting goods: reminders and expiry (hourly)",
            task="returns.tasks.chase_returns",
            minute="5",
            hour="*",
            description="Reminds service once when a confirmed return has had no goods for "
            "RETURNS_GOODS_REMINDER_DAYS; closes it as expired after "
            "RETURNS_GOODS_EXPIRE_DAYS. Safe to run twice.",
        ),
        schedule_operation(
            name="Callbacks due: remind their owners (every 5 minutes)",
            task="returns.tasks.remind_callbacks",
            minute="*/5",
            hour="*",
            description="Reminds each callback's owner once when it falls due.",
        ),
    ]
