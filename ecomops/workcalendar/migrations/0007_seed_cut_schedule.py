"""The cut times so far, as the first cut schedule: the batches at the hours of
``settings.CUTOFF_SLOTS`` (12:00 and 15:00) and the invoice cut ``FINANCE_INVOICE_CUTOFF``
(15:00), in force since long ago, so nothing moves until a manager sets new ones."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations
from django.utils import timezone

SINCE = date(2000, 1, 1)
REASON = "流程文件规定的截单时间（迁移前来自系统设置）"


def seed(apps, schema_editor):
    CutSchedule = apps.get_model("workcalendar", "CutSchedule")
    if CutSchedule.objects.exists():
        return
    CutSchedule.objects.create(
        effective_from=SINCE,
        in_force_from=datetime.combine(SINCE, time(0), tzinfo=ZoneInfo(settings.TIME_ZONE)),
        cut_hours=",".join(str(hour) for hour in sorted(settings.CUTOFF_SLOTS)),
        invoice_cut=settings.FINANCE_INVOICE_CUTOFF,
        reason=REASON,
        set_by=None,
        set_at=timezone.now(),
    )


def unseed(apps, schema_editor):
    apps.get_model("workcalendar", "CutSchedule").objects.filter(
        effective_from=SINCE, set_by=None, reason=REASON
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("workcalendar", "0006_cut_schedule")]

    operations = [migrations.RunPython(seed, unseed)]
