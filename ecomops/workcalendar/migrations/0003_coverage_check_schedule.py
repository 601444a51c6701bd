"""Every morning, warn managers when the calendar misses this year or the next."""

from django.db import migrations

from ecomops.beat import schedule_operation


class Migration(migrations.Migration):
    dependencies = [
        ("workcalendar", "0002_seed_official_calendar"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        schedule_operation(
            name="Business calendar coverage check (daily 08:00)",
            task="ecomops.workcalendar.tasks.check_calendar_coverage",
            minute="0",
            hour="8",
            description="Notifies managers when the business calendar has no data for this "
            "year, or for next year as it approaches.",
        )
    ]
