"""The admin lists beat's tasks by name: the default schedules get Chinese names and
descriptions (the task paths, crontabs and enabled flags stay)."""

from django.db import migrations

from ecomops.beat import rename_operation


class Migration(migrations.Migration):
    dependencies = [
        ("workcalendar", "0003_coverage_check_schedule"),
    ]

    operations = [
        rename_operation(
            {
                'Business calendar coverage check (daily 08:00)': (
                    '工作日历覆盖检查（每天 08:00）',
                    '工作日历缺少今年的数据，或临近年底仍缺少明年的数据时，通知经理。',
                ),
            }
        ),
    ]
