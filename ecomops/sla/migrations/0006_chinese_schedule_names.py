"""The admin lists beat's tasks by name: the default schedules get Chinese names and
descriptions (the task paths, crontabs and enabled flags stay)."""

from django.db import migrations

from ecomops.beat import rename_operation


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0005_shop_approval_policy"),
    ]

    operations = [
        rename_operation(
            {
                'SLA sweep (every minute)': (
                    'SLA 时限巡检（每分钟）',
                    '把已过截止时间仍在计时的 SLA 时钟标记为超时，并通知其负责人，每个时钟一次。',
                ),
            }
        ),
    ]
