"""Marketplace channels confirm shipment within 48 hours of payment unless a manager sets
their shop's own rule (issue 21 §1): the deadline is data on the channel."""

from django.db import migrations

MARKETPLACES = ["tmall", "taobao", "jd", "pinduoduo", "douyin"]


def set_deadlines(apps, schema_editor):
    Channel = apps.get_model("orders", "Channel")
    Channel.objects.filter(kind__in=MARKETPLACES, confirmation_deadline_hours=None).update(
        confirmation_deadline_hours=48
    )


class Migration(migrations.Migration):
    dependencies = [("orders", "0011_channel_shipment_confirmation")]
    operations = [migrations.RunPython(set_deadlines, migrations.RunPython.noop)]
