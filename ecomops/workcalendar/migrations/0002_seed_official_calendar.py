"""Seed every year the installed chinesecalendar release covers (DESIGN §3)."""

from django.db import migrations


def seed(apps, schema_editor):
    from ecomops.workcalendar.services import calendar_sync

    calendar_sync(model=apps.get_model("workcalendar", "WorkCalendarDay"))


def unseed(apps, schema_editor):
    apps.get_model("workcalendar", "WorkCalendarDay").objects.filter(source="package").delete()


class Migration(migrations.Migration):
    dependencies = [("workcalendar", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
